// `kindred sweep` and `kindred merge`: option handling shared by every launcher.
#include "sweep/command.hpp"

#include <fmt/format.h>
#include <tbb/global_control.h>
#include <unistd.h>

#include <cstdio>
#include <memory>
#include <optional>

#include "output/trial_reader.hpp"
#include "sweep/mpi_runner.hpp"
#include "sweep/runner.hpp"
#include "trial/interrupt.hpp"
#include "trial/limits.hpp"

namespace kindred::sweep {
namespace {

/// The point that needs the most memory, times the runs that run at once (one per thread).
/// A CSV population is the same at every point: its files are read once.
void check_sweep_memory(const SweepPlan& plan, const MemoryLimit& limit) {
    if (plan.scenarios.empty()) return;
    std::size_t largest = 0;
    double largest_bytes = -1;
    const bool csv = plan.base.population.kind == PopulationSpec::Kind::csv;
    for (std::size_t p = 0; p < (csv ? 1 : plan.scenarios.size()); ++p) {
        const double bytes = estimate_memory(plan.scenarios[p]).bytes;
        if (bytes > largest_bytes) {
            largest_bytes = bytes;
            largest = p;
        }
    }
    ScenarioSpec scenario = plan.scenarios[largest];
    scenario.source_path = plan.scenario_path;
    check_memory(scenario, limit, worker_threads());
}

/// What `kindred sweep` says for a shard beyond the sweep's runs (an array of more tasks than
/// runs): it has nothing to do, and succeeds, so that a merge job waiting on the array runs.
struct EmptyShard {
    std::string message;
};

SweepSummary run(const SweepCommand& command, const ModelCatalogue& models, const MpiSession* mpi) {
    std::optional<Shard> shard;
    if (!command.shard.empty()) {
        shard = parse_shard(command.shard);
    } else {
        shard = shard_from_slurm();
    }
    const MemoryLimit memory =
        command.max_memory.empty() ? MemoryLimit{} : parse_memory_limit(command.max_memory);
    const SweepPlan plan = make_plan_from_file(command.scenario, models, command.overrides);
    check_sweep_memory(plan, memory);
    SweepOptions options;
    options.shard = shard.value_or(Shard{});
    const std::filesystem::path output =
        command.output.empty() ? std::filesystem::path("results") / (plan.base.name + ".sweep.h5")
                               : std::filesystem::path(command.output);
    options.output = shard_path(output, options.shard);
    if (make_header(plan, options.shard).rows() == 0) {
        throw EmptyShard{fmt::format(
            "Shard {} holds no runs (the sweep has {}): nothing to do, no file written; kindred "
            "merge needs no file for it\n",
            options.shard.label(), plan.runs_total())};
    }
    options.resume = command.resume;
    options.overwrite = command.overwrite;
    if (mpi == nullptr) options.stop_signal = [] { return StopSignals::received(); };

    std::unique_ptr<SweepProgressLine> progress;
    if (!command.quiet && (mpi == nullptr || mpi->rank() == 0)) {
        progress = std::make_unique<SweepProgressLine>(stderr, isatty(fileno(stderr)) != 0);
        options.progress = [&](const SweepProgress& state) { progress->update(state); };
    }
    SweepSummary summary =
        mpi != nullptr ? run_sweep_mpi(plan, options, *mpi) : run_sweep(plan, options);
    if (progress) progress->clear();
    return summary;
}

}  // namespace

int sweep_command(const SweepCommand& command, const ModelCatalogue& models, std::ostream& out) {
    std::optional<tbb::global_control> limit;
    if (command.threads > 0) {
        limit.emplace(tbb::global_control::max_allowed_parallelism,
                      static_cast<std::size_t>(command.threads));
    }
    if (command.no_mpi || !launched_by_mpi()) {
        // SIGINT / SIGTERM: no new runs are handed out, those running finish and are
        // recorded; the file stays resumable (it is kill-safe in any case).
        const StopSignals signals;
        SweepSummary summary;
        try {
            summary = run(command, models, nullptr);
        } catch (const EmptyShard& empty) {
            out << empty.message << std::flush;
            return 0;
        }
        out << format_sweep_summary(summary) << std::flush;
        if (summary.stopped_by != 0) {
            std::string again = "kindred sweep " + command.scenario + " --resume";
            if (!command.output.empty()) again += " -o " + command.output;
            if (!command.shard.empty()) again += " --shard " + command.shard;
            fmt::print(stderr,
                       "kindred: interrupted by {}: {} holds {} of {} runs (complete = 0); `{}`{} "
                       "runs the rest\n",
                       StopSignals::name(summary.stopped_by), summary.output.string(),
                       summary.runs_before + summary.runs_run, summary.runs_in_file, again,
                       command.overrides.empty() ? "" : " (with the same --set options)");
            return 128 + summary.stopped_by;
        }
        return 0;
    }
    if (!mpi_built()) {
        throw RuntimeFailure(
            "started by an MPI launcher, but this kindred was built without MPI: every rank "
            "would run the whole sweep (rebuild with -DKINDRED_WITH_MPI=ON, or run without "
            "mpirun, or pass --no-mpi)");
    }
    const MpiSession mpi;
    if (mpi.rank() == 0) {
        try {
            out << format_sweep_summary(run(command, models, &mpi)) << std::flush;
        } catch (const EmptyShard& empty) {
            out << empty.message << std::flush;
        }
        return 0;
    }
    // An error before the runs begin is rank 0's to report: it prints it and alone exits
    // non-zero (the job's exit code). Were the other ranks to exit non-zero first, the launcher
    // could kill rank 0 before it had printed why.
    try {
        run(command, models, &mpi);
    } catch (const EmptyShard&) {
        return 0;  // rank 0 says so
    } catch (const PeerFailure&) {
        return 0;  // rank 0 reports the error
    } catch (const InputError&) {
        return 0;  // rank 0 reports the same error
    }
    return 0;
}

int merge_command(const std::vector<std::string>& inputs, const std::string& output, bool force,
                  std::ostream& out) {
    std::vector<std::filesystem::path> paths(inputs.begin(), inputs.end());
    std::error_code ec;
    if (std::filesystem::exists(std::filesystem::symlink_status(output, ec))) {
        if (!force) {
            throw InputError(fmt::format(
                "{}: expected a new file for the merged sweep, found one that exists: --force "
                "replaces it",
                output));
        }
        check_replaceable(output, "kindred-sweep", "--force", paths);
    }
    const StopSignals signals;  // SIGTERM or Ctrl-C: the temporary file is removed
    merge_sweep_files(paths, output, [] { return StopSignals::received(); });
    const std::unique_ptr<SweepFile> merged = SweepFile::open(output, false);
    out << fmt::format("Merged {} files: {} runs of scenario '{}' ({} design)\nResults: {}\n",
                       inputs.size(), merged->header().runs_total, merged->header().scenario_name,
                       merged->header().design, output);
    return 0;
}

}  // namespace kindred::sweep
