// `kindred sweep` and `kindred merge`: option handling shared by every launcher.
#include "sweep/command.hpp"

#include <fmt/format.h>
#include <tbb/global_control.h>
#include <unistd.h>

#include <cstdio>
#include <memory>
#include <optional>

#include "sweep/mpi_runner.hpp"
#include "sweep/runner.hpp"

namespace kindred::sweep {
namespace {

SweepSummary run(const SweepCommand& command, const ModelCatalogue& models, const MpiSession* mpi) {
    std::optional<Shard> shard;
    if (!command.shard.empty()) {
        shard = parse_shard(command.shard);
    } else {
        shard = shard_from_slurm();
    }
    const SweepPlan plan = make_plan_from_file(command.scenario, models, command.overrides);
    SweepOptions options;
    options.shard = shard.value_or(Shard{});
    const std::filesystem::path output =
        command.output.empty() ? std::filesystem::path("results") / (plan.base.name + ".sweep.h5")
                               : std::filesystem::path(command.output);
    options.output = shard_path(output, options.shard);
    options.resume = command.resume;
    options.overwrite = command.overwrite;

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
        out << format_sweep_summary(run(command, models, nullptr)) << std::flush;
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
        out << format_sweep_summary(run(command, models, &mpi)) << std::flush;
        return 0;
    }
    try {
        run(command, models, &mpi);
    } catch (const PeerFailure& failure) {
        return failure.code();
    } catch (const InputError&) {
        return 2;  // rank 0 reports the same error
    }
    return 0;
}

int merge_command(const std::vector<std::string>& inputs, const std::string& output,
                  std::ostream& out) {
    std::vector<std::filesystem::path> paths(inputs.begin(), inputs.end());
    merge_sweep_files(paths, output);
    const std::unique_ptr<SweepFile> merged = SweepFile::open(output, false);
    out << fmt::format("Merged {} files: {} runs of scenario '{}' ({} design)\nResults: {}\n",
                       inputs.size(), merged->header().runs_total, merged->header().scenario_name,
                       merged->header().design, output);
    return 0;
}

}  // namespace kindred::sweep
