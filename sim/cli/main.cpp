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
#include "sweep/command.hpp"
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
    std::string compare_first;
    std::string compare_second;
    CLI::App* compare =
        models->add_subcommand("compare", "Show how two models differ, field by field");
    compare->add_option("first", compare_first, "Model name or path to a model file")->required();
    compare->add_option("second", compare_second, "Model name or path to a model file")->required();

    app.add_subcommand("parameters", "List the model parameters with defaults and ranges");

    sweep::SweepCommand sweep_options;
    CLI::App* sweep_app =
        app.add_subcommand("sweep", "Run the parameter sweep of a scenario's sweep section");
    sweep_app->add_option("scenario", sweep_options.scenario, "Scenario file with a sweep section")
        ->required();
    sweep_app->add_option("-o,--output", sweep_options.output,
                          "HDF5 sweep file (default: results/<name>.sweep.h5)");
    CLI::Option* resume = sweep_app->add_flag("--resume", sweep_options.resume,
                                              "Continue the sweep file: run only missing runs");
    sweep_app->add_flag("--overwrite", sweep_options.overwrite, "Replace an existing sweep file")
        ->excludes(resume);
    sweep_app->add_option("--shard", sweep_options.shard,
                          "Run shard I/N only (default: $SLURM_ARRAY_TASK_ID of "
                          "$SLURM_ARRAY_TASK_COUNT, else the whole sweep)");
    sweep_app->add_option("--threads", sweep_options.threads, "Worker threads (default: all cores)")
        ->check(CLI::Range(1, 4096));
    sweep_app->add_option("--set", sweep_options.overrides, "As for run; applies to every run");
    sweep_app->add_flag("-q,--quiet", sweep_options.quiet, "No progress line");
    sweep_app->add_flag("--no-mpi", sweep_options.no_mpi, "Run as one process even under mpirun");

    std::vector<std::string> merge_inputs;
    std::string merge_output;
    CLI::App* merge_app = app.add_subcommand("merge", "Join the shard files of a sweep");
    merge_app->add_option("shards", merge_inputs, "Shard files (kindred sweep --shard I/N)")
        ->required();
    merge_app->add_option("-o,--output", merge_output, "The merged sweep file")->required();

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
            } else if (compare->parsed()) {
                std::cout << format_model_comparison(catalogue.load(compare_first),
                                                     catalogue.load(compare_second));
            } else {
                std::cout << format_model_table(catalogue.load_all());
            }
        } else if (sweep_app->parsed()) {
            return sweep::sweep_command(sweep_options, catalogue, std::cout);
        } else if (merge_app->parsed()) {
            return sweep::merge_command(merge_inputs, merge_output, std::cout);
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
