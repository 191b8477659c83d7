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

#include "analysis/command.hpp"
#include "config/scenario.hpp"
#include "config/yaml_util.hpp"
#include "core/types.hpp"
#include "narrate/narrate.hpp"
#include "output/hdf5_writer.hpp"
#include "serve/server.hpp"
#include "sweep/command.hpp"
#include "trial/describe.hpp"
#include "trial/interrupt.hpp"
#include "trial/limits.hpp"
#include "trial/progress.hpp"
#include "trial/trial.hpp"
#include "verify/verify.hpp"

#ifndef KINDRED_MODELS_DIR
#define KINDRED_MODELS_DIR "models"
#endif
#ifndef KINDRED_WEB_DIR
#define KINDRED_WEB_DIR "web"
#endif

namespace {

using namespace kindred;

/// An error message as one line: line breaks and other control characters escaped (a message
/// may quote a file name or value that holds them), at most 2000 characters.
std::string one_line(std::string_view message) {
    // Control characters and bytes that are not UTF-8 (a file name's) escaped.
    return detail::printable(message, 2000);
}

/// A mistyped subcommand ("kindred runn", "kindred models lst"): CLI11 says only that a
/// subcommand is required, so name the word it did not know and the subcommands it knows.
std::optional<std::string> unknown_subcommand(CLI::App& app) {
    CLI::App* level = &app;
    while (!level->get_subcommands().empty()) level = level->get_subcommands().front();
    if (level->get_require_subcommand_min() == 0) return std::nullopt;
    const std::vector<std::string> rest = app.remaining(true);
    if (rest.empty() || rest.front().empty() || rest.front().front() == '-') return std::nullopt;
    std::string names;
    for (const CLI::App* sub : level->get_subcommands([](CLI::App*) { return true; })) {
        names += (names.empty() ? "" : ", ") + sub->get_name();
    }
    return fmt::format("expected a subcommand of {} ({}), found '{}'",
                       level == &app ? std::string("kindred") : "kindred " + level->get_name(),
                       names, rest.front());
}

/// Refuses an empty value ("-o ''"), which would otherwise mean the option's default.
const CLI::Validator kNonEmpty(
    [](const std::string& value) {
        return value.empty() ? std::string("expected a non-empty value, found an empty string")
                             : std::string();
    },
    "", "NONEMPTY");

}  // namespace

int main(int argc, char** argv) {
    kindred::skip_hdf5_exit_cleanup();
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
    run->add_option("-o,--output", output, "HDF5 result file (default: the scenario's)")
        ->check(kNonEmpty);
    run->add_option("--threads", threads, "Worker threads (default: all cores)")
        ->check(CLI::Range(1, 4096));
    run->add_option("--set", overrides,
                    "Override a parameter, seed, weeks or replicates: name=value (repeatable)");
    run->add_flag("-q,--quiet", quiet, "No progress line");
    bool force = false;
    bool resume_run = false;
    CLI::Option* force_option =
        run->add_flag("--force", force, "Replace the output file if it exists");
    CLI::Option* resume_option =
        run->add_flag("--resume", resume_run,
                      "Complete an output file that a stopped run left incomplete (same "
                      "scenario and --set options); without one, run everything")
            ->excludes(force_option);
    std::string max_memory;
    run->add_option("--max-memory", max_memory,
                    "Memory the run may use (e.g. 16G, or unlimited; default: what is "
                    "available): larger scenarios are refused before they start")
        ->check(kNonEmpty);
    int narrate = 0;
    run->add_option("--narrate", narrate,
                    "After the run, tell what happened to N sampled patients of replicate 0")
        ->check(CLI::Range(1, 100))
        ->excludes(resume_option);  // replicate 0 may be in the file already, not observed

    CLI::App* validate = app.add_subcommand("validate", "Check a scenario and describe it");
    validate->add_option("scenario", scenario_path, "Scenario file (YAML)")->required();
    validate->add_option("--set", overrides, "As for run");
    validate->add_option("--max-memory", max_memory, "As for run")->check(kNonEmpty);

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
    sweep_app
        ->add_option("-o,--output", sweep_options.output,
                     "HDF5 sweep file (default: results/<name>.sweep.h5)")
        ->check(kNonEmpty);
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
    sweep_app
        ->add_option("--max-memory", sweep_options.max_memory,
                     "Memory the runs running at once may use (as for run)")
        ->check(kNonEmpty);

    serve::ServerOptions serve_options;
    serve_options.web_dir = KINDRED_WEB_DIR;
    std::string web_dir = KINDRED_WEB_DIR;
    int max_sessions = static_cast<int>(serve_options.limits.max_sessions);
    CLI::App* serve_app = app.add_subcommand(
        "serve", "Serve the explorer: a small world to change and watch in a web browser");
    serve_app->add_option("--port", serve_options.port, "Port (0: any free port)")
        ->capture_default_str()
        ->check(CLI::Range(0, 65535));
    serve_app
        ->add_option("--host", serve_options.host,
                     "Address to listen on (default: the loopback, 127.0.0.1; another "
                     "address makes the explorer reachable from the network)")
        ->capture_default_str();
    serve_app->add_option("--web-dir", web_dir, "The page's folder (default: web/ of the source)")
        ->check(CLI::ExistingDirectory);
    serve_app->add_option("--max-sessions", max_sessions, "Sessions alive at once")
        ->capture_default_str()
        ->check(CLI::Range(1, 1000));

    analysis::AnalyzeCommand analyze_options;
    CLI::App* analyze_app = analysis::add_analyze_subcommand(app, analyze_options, false);
    analysis::AnalyzeCommand report_options;
    CLI::App* report_app = analysis::add_analyze_subcommand(app, report_options, true);

    verify::VerifyCommand verify_options;
    CLI::App* verify_app = verify::add_verify_subcommand(app, verify_options);

    std::vector<std::string> merge_inputs;
    std::string merge_output;
    CLI::App* merge_app = app.add_subcommand("merge", "Join the shard files of a sweep");
    merge_app->add_option("shards", merge_inputs, "Shard files (kindred sweep --shard I/N)")
        ->required();
    merge_app->add_option("-o,--output", merge_output, "The merged sweep file")
        ->required()
        ->check(kNonEmpty);
    bool merge_force = false;
    merge_app->add_flag("--force", merge_force, "Replace an existing sweep file at the output");

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
        const std::optional<std::string> unknown = unknown_subcommand(app);
        std::cerr << "kindred: error: command line: " << one_line(unknown ? *unknown : e.what())
                  << " (see kindred --help)\n";
        return 2;
    }

    try {
        // --models-dir (in order), then $KINDRED_MODELS_PATH, then the source tree's catalogue.
        const ModelCatalogue catalogue = catalogue_from_environment(
            std::vector<std::filesystem::path>(model_dirs.begin(), model_dirs.end()),
            KINDRED_MODELS_DIR);
        if (run->parsed()) {
            std::optional<tbb::global_control> limit;
            if (threads > 0) {
                limit.emplace(tbb::global_control::max_allowed_parallelism,
                              static_cast<std::size_t>(threads));
            }
            TrialOptions options;
            if (!max_memory.empty()) options.memory_limit = parse_memory_limit(max_memory);
            const ScenarioSpec scenario = load_scenario_file(scenario_path, catalogue, overrides);
            options.output = output;
            options.force = force;
            options.resume = resume_run;
            const StopSignals signals;
            options.stop_signal = [] { return StopSignals::received(); };
            std::unique_ptr<ProgressLine> progress;
            if (!quiet && isatty(fileno(stderr))) {
                progress = std::make_unique<ProgressLine>(stderr, scenario.replicates);
                options.progress = [&](int replicate, int week, int weeks) {
                    progress->update(replicate, week, weeks);
                };
            }
            std::optional<PatientStories> stories;
            if (narrate > 0) {
                stories.emplace(scenario, narrate);
                options.observer = [&](int replicate, const Simulation& sim) {
                    if (replicate == 0) stories->observe(sim);
                };
            }
            TrialResult result;
            try {
                result = run_trial(scenario, options);
            } catch (...) {
                if (progress) progress->clear();  // the error line starts on a clean line
                throw;
            }
            if (progress) progress->clear();
            std::cout << format_summary(result) << std::flush;
            if (stories) std::cout << stories->format() << std::flush;
        } else if (validate->parsed()) {
            const MemoryLimit limit =
                max_memory.empty() ? MemoryLimit{} : parse_memory_limit(max_memory);
            const ScenarioSpec scenario = load_scenario_file(scenario_path, catalogue, overrides);
            check_memory(scenario, limit);
            check_population(scenario);
            std::cout << format_scenario(scenario, output_path(scenario, {}).string());
            std::cout << "Memory: an estimated " << estimate_memory(scenario).describe()
                      << " per run\n";
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
        } else if (serve_app->parsed()) {
            serve_options.web_dir = web_dir;
            serve_options.limits.max_sessions = static_cast<std::size_t>(max_sessions);
            return serve::run_server(serve_options, catalogue, std::cout, std::cerr);
        } else if (analyze_app->parsed()) {
            return analysis::analyze_command(analyze_options, catalogue, std::cout);
        } else if (report_app->parsed()) {
            return analysis::report_command(report_options, catalogue, std::cout);
        } else if (verify_app->parsed()) {
            return verify::verify_command(verify_options, catalogue, std::cout);
        } else if (merge_app->parsed()) {
            return sweep::merge_command(merge_inputs, merge_output, merge_force, std::cout);
        } else {
            std::cout << format_parameter_table();
        }
    } catch (const Interrupted& stop) {
        std::cerr << "kindred: " << one_line(stop.what()) << '\n';
        return stop.exit_code();
    } catch (const InputError& error) {
        std::cerr << "kindred: error: " << one_line(error.what()) << '\n';
        return 2;
    } catch (const std::exception& error) {
        std::cerr << "kindred: failed: " << one_line(error.what()) << '\n';
        return 1;
    }
    return 0;
}
