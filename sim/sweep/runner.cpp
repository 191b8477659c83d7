// The single-process sweep runner: open or resume the sweep file, run the missing runs on the
// oneTBB threads, record each as it finishes, mark the file complete.
#include "sweep/runner.hpp"

#include <fmt/format.h>
#include <tbb/blocked_range.h>
#include <tbb/global_control.h>
#include <tbb/parallel_for.h>
#include <tbb/partitioner.h>
#include <tbb/task_arena.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <exception>
#include <mutex>
#include <thread>

#include "output/trial_reader.hpp"

namespace kindred::sweep {

std::unique_ptr<SweepFile> open_sweep_output(const SweepPlan& plan, const SweepOptions& options) {
    const SweepHeader planned = make_header(plan, options.shard);
    if (planned.rows() == 0) {
        throw InputError(
            fmt::format("--shard {}: expected a shard with runs, found none (the "
                        "sweep has {} runs)",
                        options.shard.label(), planned.runs_total));
    }
    std::error_code ec;
    const bool exists = std::filesystem::exists(options.output, ec);
    if (exists && options.resume && !options.overwrite) {
        // Checked read-only first: a file of another sweep is left untouched.
        check_same_sweep(SweepFile::open(options.output, false)->header(), planned, options.output);
        return SweepFile::open(options.output, true);
    }
    if (exists && !options.overwrite) {
        std::string state;
        try {
            const std::unique_ptr<SweepFile> file = SweepFile::open(options.output, false);
            const auto missing = file->missing_runs().size();
            state = fmt::format(" (a sweep file with {} of {} runs done)",
                                file->header().rows() - static_cast<std::int64_t>(missing),
                                file->header().rows());
        } catch (const std::exception&) {
            state = " (not a sweep file)";
        }
        throw InputError(
            fmt::format("{}: already exists{}: --resume continues it, --overwrite "
                        "replaces it",
                        options.output.string(), state));
    }
    if (exists) check_replaceable(options.output, "kindred-sweep", "--overwrite");
    return SweepFile::create(options.output, planned, exists && options.overwrite);
}

int worker_threads() {
    const auto limit =
        tbb::global_control::active_value(tbb::global_control::max_allowed_parallelism);
    return std::max(1, std::min(tbb::this_task_arena::max_concurrency(), static_cast<int>(limit)));
}

void execute_runs(const SweepPlan& plan, const OutcomeLayout& layout,
                  const std::function<std::optional<std::int64_t>()>& next_run,
                  const std::function<void(std::int64_t, std::vector<double>&&)>& deliver) {
    const int slots = worker_threads();
    std::atomic<bool> failed{false};
    const auto work = [&] {
        try {
            while (!failed.load()) {
                const std::optional<std::int64_t> run = next_run();
                if (!run) break;
                const RunKey key = plan.run_key(*run);
                std::vector<double> outcomes;
                tbb::this_task_arena::isolate([&] {
                    outcomes = evaluate_run(plan.point_scenario(key.point), key.stream, layout);
                });
                deliver(*run, std::move(outcomes));
            }
        } catch (...) {
            failed = true;
            throw;
        }
    };
#ifdef KINDRED_PARALLEL_STD_THREADS
    // ThreadSanitizer builds: the slots on std::threads, which TSan sees (core/parallel.hpp).
    std::vector<std::thread> workers;
    std::mutex error_mutex;
    std::exception_ptr first_error;
    for (int slot = 0; slot < slots; ++slot) {
        workers.emplace_back([&] {
            try {
                work();
            } catch (...) {
                const std::lock_guard<std::mutex> lock(error_mutex);
                if (!first_error) first_error = std::current_exception();
            }
        });
    }
    for (std::thread& worker : workers) worker.join();
    if (first_error) std::rethrow_exception(first_error);
#else
    tbb::parallel_for(
        tbb::blocked_range<int>(0, slots, 1), [&](const tbb::blocked_range<int>&) { work(); },
        tbb::simple_partitioner());
#endif
}

SweepRecorder::SweepRecorder(SweepFile& file, const SweepOptions& options)
    : file_(file),
      options_(options),
      started_(std::chrono::steady_clock::now()),
      output_before_(file.output_seconds()),
      layout_(file.header().layout()),
      missing_(file.missing_runs()) {
    summary_.output = options.output;
    summary_.shard = options.shard;
    summary_.runs_in_file = file.header().rows();
    summary_.runs_before = summary_.runs_in_file - static_cast<std::int64_t>(missing_.size());
    summary_.threads = worker_threads();
}

void SweepRecorder::record(std::int64_t run, const std::vector<double>& outcomes) {
    const std::lock_guard<std::mutex> lock(mutex_);
    file_.write_run(run, outcomes);
    ++recorded_;
    if (options_.progress) {
        options_.progress(
            {summary_.runs_before + recorded_, summary_.runs_before, summary_.runs_in_file,
             std::chrono::duration<double>(std::chrono::steady_clock::now() - started_).count()});
    }
}

std::int64_t SweepRecorder::recorded() const {
    const std::lock_guard<std::mutex> lock(mutex_);
    return recorded_;
}

SweepSummary SweepRecorder::finish() {
    summary_.runs_run = recorded();
    summary_.seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - started_).count();
    summary_.output_seconds = file_.output_seconds() - output_before_;
    return summary_;
}

SweepSummary run_sweep(const SweepPlan& plan, const SweepOptions& options) {
    std::unique_ptr<SweepFile> file = open_sweep_output(plan, options);
    SweepRecorder recorder(*file, options);
    const std::vector<std::int64_t>& missing = recorder.missing();

    std::atomic<std::size_t> next{0};
    std::atomic<int> stopped_by{0};
    execute_runs(
        plan, recorder.layout(),
        [&]() -> std::optional<std::int64_t> {
            if (options.stop_signal) {
                if (const int signal = options.stop_signal()) {
                    stopped_by = signal;
                    return std::nullopt;
                }
            }
            const std::size_t k = next++;
            if (k >= missing.size()) return std::nullopt;
            return missing[k];
        },
        [&](std::int64_t run, std::vector<double>&& outcomes) { recorder.record(run, outcomes); });
    if (file->missing_runs().empty()) {
        if (!file->complete()) file->set_complete();
        recorder.summary().complete = true;
    } else {
        recorder.summary().stopped_by = stopped_by.load();
    }
    return recorder.finish();
}

std::string format_duration(double seconds) {
    if (!std::isfinite(seconds) || seconds < 0) return "-";
    if (seconds < 60) return fmt::format("{:.1f} s", seconds);
    const auto whole = static_cast<long long>(std::llround(seconds));
    if (whole < 3600) return fmt::format("{} m {:02d} s", whole / 60, whole % 60);
    return fmt::format("{} h {:02d} m", whole / 3600, (whole % 3600) / 60);
}

SweepProgressLine::SweepProgressLine(std::FILE* stream, bool terminal,
                                     std::chrono::seconds interval)
    : stream_(stream), terminal_(terminal), interval_(interval) {}

void SweepProgressLine::update(const SweepProgress& progress) {
    const auto now = std::chrono::steady_clock::now();
    const bool last = progress.done == progress.total;
    const auto wait =
        terminal_ ? std::chrono::duration_cast<std::chrono::steady_clock::duration>(
                        std::chrono::milliseconds(100))
                  : std::chrono::duration_cast<std::chrono::steady_clock::duration>(interval_);
    if (drawn_ && !last && now - last_draw_ < wait) return;
    if (!drawn_ && !terminal_ && !last &&
        progress.elapsed < static_cast<double>(interval_.count())) {
        return;
    }
    last_draw_ = now;
    drawn_ = true;
    const std::int64_t run_now = progress.done - progress.done_before;
    const double rate = progress.elapsed > 0 ? static_cast<double>(run_now) / progress.elapsed : 0;
    const double eta =
        rate > 0 ? static_cast<double>(progress.total - progress.done) / rate : std::nan("");
    const std::string text = fmt::format(
        "[sweep] {}/{} runs ({:.0f}%)  {:.2f} runs/s  elapsed {}  ETA {}", progress.done,
        progress.total,
        progress.total > 0
            ? 100.0 * static_cast<double>(progress.done) / static_cast<double>(progress.total)
            : 100.0,
        rate, format_duration(progress.elapsed), format_duration(eta));
    if (terminal_) {
        fmt::print(stream_, "\r{}   ", text);
    } else {
        fmt::print(stream_, "{}\n", text);
    }
    std::fflush(stream_);
}

void SweepProgressLine::clear() {
    if (!drawn_ || !terminal_) return;
    fmt::print(stream_, "\r{:90}\r", "");
    std::fflush(stream_);
}

std::string format_sweep_summary(const SweepSummary& summary) {
    std::string text;
    const double rate =
        summary.seconds > 0 ? static_cast<double>(summary.runs_run) / summary.seconds : 0.0;
    const std::string where =
        summary.ranks > 1
            ? fmt::format("{} ranks × {} thread{}", summary.ranks, summary.threads,
                          summary.threads == 1 ? "" : "s")
            : fmt::format("{} thread{}", summary.threads, summary.threads == 1 ? "" : "s");
    text += fmt::format(
        "{} runs in {} ({:.2f} runs/s, {}); output {:.3f} s ({:.1f}% of the time)\n",
        summary.runs_run, format_duration(summary.seconds), rate, where, summary.output_seconds,
        summary.seconds > 0 ? 100.0 * summary.output_seconds / summary.seconds : 0.0);
    if (summary.runs_before > 0) {
        text += fmt::format("{} runs were already done (resumed)\n", summary.runs_before);
    }
    text += fmt::format("Results: {} ({}{} runs, {})\n", summary.output.string(),
                        summary.shard.count > 1 ? "shard " + summary.shard.label() + ", " : "",
                        summary.runs_in_file, summary.complete ? "complete" : "incomplete");
    return text;
}

}  // namespace kindred::sweep
