// kindred: the command-line program. Subcommands only; the work is done by the libraries.
#include <fmt/format.h>
#include <tbb/global_control.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <memory>
#include <optional>

#include "config/scenario.hpp"
#include "core/types.hpp"
#include "trial/describe.hpp"
#include "trial/progress.hpp"
#include "trial/trial.hpp"

#ifndef KINDRED_MODELS_DIR
#define KINDRED_MODELS_DIR "models"
#endif

namespace {

using namespace kindred;

/// Model directories: --models-dir (in order), then $KINDRED_MODELS_PATH (':'-separated),
/// then the catalogue of the source tree.
ModelCatalogue make_catalogue(const std::vector<std::string>& option_dirs) {
    std::vector<std::filesystem::path> dirs(option_dirs.begin(), option_dirs.end());
    if (const char* env = std::getenv("KINDRED_MODELS_PATH"); env != nullptr && *env != '\0') {
        std::string_view rest(env);
        while (!rest.empty()) {
            const auto colon = rest.find(':');
            if (colon != 0) dirs.emplace_back(std::string(rest.substr(0, colon)));
            if (colon == std::string_view::npos) break;
            rest.remove_prefix(colon + 1);
        }
    }
    dirs.emplace_back(KINDRED_MODELS_DIR);
    return ModelCatalogue(std::move(dirs));
}

}  // namespace

int main(int argc, char** argv) {
    CLI::App app{"Kindred: agent-based simulation of relationship-driven recovery"};
    app.set_version_flag("--version", kindred_version());
    app.require_subcommand(1);
    app.fallthrough();  // --models-dir may follow the subcommand
    std::vector<std::string> model_dirs;
    app.add_option("--models-dir", model_dirs,
                   "Directory of model files, searched before $KINDRED_MODELS_PATH and the "
                   "built-in catalogue (repeatable)")
        ->check(CLI::ExistingDirectory);

    std::string scenario_path;
    std::string output;
    int threads = 0;
    bool quiet = false;
    std::vector<std::string> overrides;
    CLI::App* run = app.add_subcommand("run", "Run a trial scenario and print its summary");
    run->add_option("scenario", scenario_path, "Scenario file (YAML)")->required();
    run->add_option("-o,--output", output, "HDF5 result file (default: the scenario's)");
    run->add_option("--threads", threads, "Worker threads (default: all cores)")
        ->check(CLI::Range(1, 4096));
    run->add_option("--set", overrides,
                    "Override a parameter, seed, weeks or replicates: name=value (repeatable)");
    run->add_flag("-q,--quiet", quiet, "No progress line");

    CLI::App* validate = app.add_subcommand("validate", "Check a scenario and describe it");
    validate->add_option("scenario", scenario_path, "Scenario file (YAML)")->required();
    validate->add_option("--set", overrides, "As for run");

    CLI::App* models = app.add_subcommand("models", "The catalogue of therapeutic models");
    models->require_subcommand(1);
    models->add_subcommand("list", "List the catalogue as a table");
    std::string model_name;
    CLI::App* show = models->add_subcommand("show", "Show one model's whole definition");
    show->add_option("name", model_name, "Model name or path to a model file")->required();

    app.add_subcommand("parameters", "List the model parameters with defaults and ranges");

    try {
        app.parse(argc, argv);
    } catch (const CLI::CallForHelp& e) {
        return app.exit(e);
    } catch (const CLI::CallForAllHelp& e) {
        return app.exit(e);
    } catch (const CLI::CallForVersion& e) {
        return app.exit(e);
    } catch (const CLI::ParseError& e) {
        // Bad command line: one line, like every other input error.
        std::cerr << "kindred: error: command line: " << e.what() << " (see kindred --help)\n";
        return 2;
    }

    try {
        const ModelCatalogue catalogue = make_catalogue(model_dirs);
        if (run->parsed()) {
            std::optional<tbb::global_control> limit;
            if (threads > 0) {
                limit.emplace(tbb::global_control::max_allowed_parallelism,
                              static_cast<std::size_t>(threads));
            }
            const ScenarioSpec scenario = load_scenario_file(scenario_path, catalogue, overrides);
            TrialOptions options;
            options.output = output;
            std::unique_ptr<ProgressLine> progress;
            if (!quiet && isatty(fileno(stderr))) {
                progress = std::make_unique<ProgressLine>(stderr, scenario.replicates);
                options.progress = [&](int replicate, int week, int weeks) {
                    progress->update(replicate, week, weeks);
                };
            }
            const TrialResult result = run_trial(scenario, options);
            if (progress) progress->clear();
            std::cout << format_summary(result) << std::flush;
        } else if (validate->parsed()) {
            const ScenarioSpec scenario = load_scenario_file(scenario_path, catalogue, overrides);
            check_population(scenario);
            std::cout << format_scenario(scenario, output_path(scenario, {}).string());
        } else if (models->parsed()) {
            if (show->parsed()) {
                std::cout << format_model(catalogue.load(model_name));
            } else {
                std::cout << format_model_table(catalogue.load_all());
            }
        } else {
            std::cout << format_parameter_table();
        }
    } catch (const InputError& error) {
        std::cerr << "kindred: error: " << error.what() << '\n';
        return 2;
    } catch (const std::exception& error) {
        std::cerr << "kindred: failed: " << error.what() << '\n';
        return 1;
    }
    return 0;
}
