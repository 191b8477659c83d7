// Runs a sweep on all cores of one process: the runs not yet done in the sweep file, in run-id
// order (so a partial sweep covers the design), each run serial inside its own task and
// recorded as soon as it finishes. The MPI runner (mpi_runner.hpp) shares execute_runs and
// the file handling.
//
// @code
//   SweepPlan plan = make_plan_from_file("scenarios/sweep_example.yaml", catalogue, {});
//   SweepOptions options;
//   options.output = "results/sweep_example.h5";
//   options.resume = true;                    // continue the file if it is there
//   SweepSummary summary = run_sweep(plan, options);
// @endcode
#pragma once

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "sweep/sweep_file.hpp"
#include "sweep/sweep_spec.hpp"

namespace kindred::sweep {

/// Where a sweep stands, reported after each recorded run.
struct SweepProgress {
    std::int64_t done = 0;         ///< runs of the file done, including done_before
    std::int64_t done_before = 0;  ///< runs already done when this process started
    std::int64_t total = 0;        ///< runs of the file (the shard)
    double elapsed = 0.0;          ///< seconds since this process started running
};
using SweepProgressCallback = std::function<void(const SweepProgress&)>;

struct SweepOptions {
    std::filesystem::path output;  ///< the sweep file (of the shard, see shard_path)
    Shard shard;
    bool resume = false;             ///< continue `output` when it exists (else start it)
    bool overwrite = false;          ///< replace `output` when it exists
    SweepProgressCallback progress;  ///< optional; called on the recording thread
    /// Polled before each run is handed out: a non-zero signal number stops handing out runs;
    /// the runs in progress finish and are recorded, and the sweep returns incomplete.
    std::function<int()> stop_signal;
};

struct SweepSummary {
    std::filesystem::path output;
    Shard shard;
    std::int64_t runs_in_file = 0;
    std::int64_t runs_before = 0;  ///< done before this process started (resume)
    std::int64_t runs_run = 0;     ///< run by this process (all ranks under MPI)
    double seconds = 0.0;          ///< wall time of the runs
    double output_seconds = 0.0;   ///< of which spent creating and writing the file
    int threads = 0;               ///< worker threads (per rank under MPI)
    int ranks = 1;
    bool complete = false;
    int stopped_by = 0;  ///< the signal that stopped it early (SweepOptions::stop_signal), or 0
};

/// The bookkeeping run_sweep and the MPI coordinator share for a sweep file just opened: the
/// runs it lacks, the summary's counts, and the recording of each finished run.
class SweepRecorder {
  public:
    /// Starts the clock and reads the file's layout and missing runs; `file` and `options` must
    /// outlive the recorder.
    SweepRecorder(SweepFile& file, const SweepOptions& options);

    const OutcomeLayout& layout() const { return layout_; }
    /// The runs the file lacked when opened, in run-id order.
    const std::vector<std::int64_t>& missing() const { return missing_; }
    /// output, shard, runs_in_file, runs_before and threads filled in; the caller adds the rest.
    SweepSummary& summary() { return summary_; }

    /// Writes one run's outcomes to the file and reports progress (thread-safe).
    void record(std::int64_t run, const std::vector<double>& outcomes);
    /// Runs recorded so far (thread-safe).
    std::int64_t recorded() const;
    /// The summary with runs_run, seconds and output_seconds filled in.
    SweepSummary finish();

  private:
    SweepFile& file_;
    const SweepOptions& options_;
    std::chrono::steady_clock::time_point started_;
    /// The file's output time before the clock started (its creation): not part of the
    /// summary's share, which is of the time the runs took.
    double output_before_ = 0.0;
    OutcomeLayout layout_;
    std::vector<std::int64_t> missing_;
    SweepSummary summary_;
    mutable std::mutex mutex_;
    std::int64_t recorded_ = 0;
};

/// Creates or opens the sweep file for `options`: with resume, an existing file must hold the
/// same sweep and shard (check_same_sweep); without resume or overwrite, an existing file is an
/// error (InputError naming it and how many of its runs are done).
std::unique_ptr<SweepFile> open_sweep_output(const SweepPlan& plan, const SweepOptions& options);

/// Threads a sweep uses in this process: the current arena's concurrency, limited by a
/// tbb::global_control on max_allowed_parallelism (the CLI's --threads).
int worker_threads();

/// Evaluates runs on this process's oneTBB threads (worker_threads() of them): one task per thread
/// pulls run ids from `next_run` (thread-safe; nullopt when there are no more) and hands each
/// result to `deliver` (called from the worker threads; must be thread-safe). Each run executes
/// inside tbb::this_task_arena::isolate, so a thread waiting in a run's inner parallel loops only
/// helps that run. Rethrows the first exception after the other threads finish their runs.
void execute_runs(const SweepPlan& plan, const OutcomeLayout& layout,
                  const std::function<std::optional<std::int64_t>()>& next_run,
                  const std::function<void(std::int64_t, std::vector<double>&&)>& deliver);

/// Runs every run of the shard not yet done and marks the file complete.
SweepSummary run_sweep(const SweepPlan& plan, const SweepOptions& options);

/// A one-line progress display: runs done, rate and ETA. On a terminal the line is redrawn
/// (at most ten times a second); otherwise a full line is printed every `interval`.
class SweepProgressLine {
  public:
    SweepProgressLine(std::FILE* stream, bool terminal,
                      std::chrono::seconds interval = std::chrono::seconds(30));
    void update(const SweepProgress& progress);
    void clear();

  private:
    std::FILE* stream_;
    bool terminal_;
    std::chrono::seconds interval_;
    std::chrono::steady_clock::time_point last_draw_{};
    bool drawn_ = false;
};

/// "1000 runs in 52.3 s (19.12 runs/s, 2 threads); output 0.412 s (0.8% of the time)\n
///  Results: FILE (complete)".
std::string format_sweep_summary(const SweepSummary& summary);

/// "1 h 02 m", "3 m 05 s", "12.5 s".
std::string format_duration(double seconds);

}  // namespace kindred::sweep
