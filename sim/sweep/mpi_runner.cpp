// The MPI sweep runner: rank 0 coordinates (hands out run ids, records results) while every
// rank computes on its own threads. Messages (MPI_COMM_WORLD):
//
//     worker → 0   kRequest  int k          "I can take k more runs"
//     0 → worker   kAssign   int64[≤ k]     run ids; empty = no more runs, stop asking
//     worker → 0   kResult   bytes          int64 run id, then the run's outcome doubles
//     worker → 0   kError    chars          a run failed: rank 0 prints it and aborts
#include "sweep/mpi_runner.hpp"

#include <fmt/format.h>

#include <cstdlib>

#if KINDRED_WITH_MPI
#include <mpi.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstring>
#include <deque>
#include <exception>
#include <mutex>
#include <thread>
#endif

namespace kindred::sweep {

bool launched_by_mpi() {
    for (const char* name :
         {"OMPI_COMM_WORLD_SIZE", "PMI_SIZE", "PMIX_RANK", "MV2_COMM_WORLD_SIZE"}) {
        const char* value = std::getenv(name);
        if (value != nullptr && *value != '\0') return true;
    }
    return false;
}

#if !KINDRED_WITH_MPI

bool mpi_built() { return false; }

MpiSession::MpiSession() {
    throw RuntimeFailure(
        "this kindred was built without MPI (configure with -DKINDRED_WITH_MPI=ON and "
        "libopenmpi-dev installed); run without mpirun, or use --shard");
}

MpiSession::~MpiSession() = default;

SweepSummary run_sweep_mpi(const SweepPlan&, const SweepOptions&, const MpiSession&) {
    throw RuntimeFailure("this kindred was built without MPI");
}

#else

namespace {

constexpr int kRequest = 1;
constexpr int kAssign = 2;
constexpr int kResult = 3;
constexpr int kError = 4;
/// How long an idle coordinator or worker main thread sleeps between polls: short against a
/// run (milliseconds to seconds), long enough not to busy-spin a core.
constexpr auto kPollInterval = std::chrono::microseconds(200);

std::vector<char> encode_result(std::int64_t run, const std::vector<double>& outcomes) {
    std::vector<char> bytes(sizeof(std::int64_t) + outcomes.size() * sizeof(double));
    std::memcpy(bytes.data(), &run, sizeof(run));
    std::memcpy(bytes.data() + sizeof(run), outcomes.data(), outcomes.size() * sizeof(double));
    return bytes;
}

void decode_result(const std::vector<char>& bytes, std::int64_t& run,
                   std::vector<double>& outcomes) {
    std::memcpy(&run, bytes.data(), sizeof(run));
    outcomes.resize((bytes.size() - sizeof(run)) / sizeof(double));
    std::memcpy(outcomes.data(), bytes.data() + sizeof(run), outcomes.size() * sizeof(double));
}

[[noreturn]] void abort_all(const std::string& message) {
    fmt::print(stderr, "kindred: failed: {}\n", message);
    std::fflush(stderr);
    MPI_Abort(MPI_COMM_WORLD, 1);
    std::abort();
}

SweepSummary coordinate(const SweepPlan& plan, const SweepOptions& options, const MpiSession& mpi) {
    std::unique_ptr<SweepFile> file;
    int status = 0;
    std::exception_ptr setup_error;
    try {
        file = open_sweep_output(plan, options);
    } catch (const InputError&) {
        status = 2;
        setup_error = std::current_exception();
    } catch (...) {
        status = 1;
        setup_error = std::current_exception();
    }
    MPI_Bcast(&status, 1, MPI_INT, 0, MPI_COMM_WORLD);
    if (setup_error) std::rethrow_exception(setup_error);

    SweepRecorder recorder(*file, options);
    recorder.summary().ranks = mpi.size();
    const std::vector<std::int64_t>& missing = recorder.missing();

    std::mutex dispatch_mutex;
    std::size_t next = 0;
    const auto take = [&](std::size_t count) {
        const std::lock_guard<std::mutex> lock(dispatch_mutex);
        std::vector<std::int64_t> runs;
        while (runs.size() < count && next < missing.size()) runs.push_back(missing[next++]);
        return runs;
    };

    std::exception_ptr local_error;
    std::atomic<bool> local_done{false};
    std::thread local([&] {
        try {
            execute_runs(
                plan, recorder.layout(),
                [&]() -> std::optional<std::int64_t> {
                    const std::vector<std::int64_t> runs = take(1);
                    if (runs.empty()) return std::nullopt;
                    return runs.front();
                },
                [&](std::int64_t run, std::vector<double>&& outcomes) {
                    recorder.record(run, outcomes);
                });
        } catch (...) {
            local_error = std::current_exception();
        }
        local_done = true;
    });

    try {
        int active_workers = mpi.size() - 1;
        const auto expected = static_cast<std::int64_t>(missing.size());
        std::vector<char> bytes;
        std::vector<double> outcomes;
        for (;;) {
            if (local_done && local_error) std::rethrow_exception(local_error);
            if (active_workers == 0 && recorder.recorded() == expected && local_done) break;
            int flag = 0;
            MPI_Status probe;
            MPI_Iprobe(MPI_ANY_SOURCE, MPI_ANY_TAG, MPI_COMM_WORLD, &flag, &probe);
            if (flag == 0) {
                std::this_thread::sleep_for(kPollInterval);
                continue;
            }
            const int source = probe.MPI_SOURCE;
            if (probe.MPI_TAG == kRequest) {
                int count = 0;
                MPI_Recv(&count, 1, MPI_INT, source, kRequest, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
                const std::vector<std::int64_t> runs =
                    take(static_cast<std::size_t>(std::max(count, 1)));
                MPI_Send(runs.data(), static_cast<int>(runs.size()), MPI_INT64_T, source, kAssign,
                         MPI_COMM_WORLD);
                if (runs.empty()) --active_workers;
            } else if (probe.MPI_TAG == kResult) {
                int size = 0;
                MPI_Get_count(&probe, MPI_BYTE, &size);
                bytes.resize(static_cast<std::size_t>(size));
                MPI_Recv(bytes.data(), size, MPI_BYTE, source, kResult, MPI_COMM_WORLD,
                         MPI_STATUS_IGNORE);
                std::int64_t run = 0;
                decode_result(bytes, run, outcomes);
                recorder.record(run, outcomes);
            } else if (probe.MPI_TAG == kError) {
                int size = 0;
                MPI_Get_count(&probe, MPI_CHAR, &size);
                std::string text(static_cast<std::size_t>(size), '\0');
                MPI_Recv(text.data(), size, MPI_CHAR, source, kError, MPI_COMM_WORLD,
                         MPI_STATUS_IGNORE);
                throw RuntimeFailure(fmt::format("rank {}: {}", source, text));
            } else {
                throw RuntimeFailure(fmt::format("unexpected MPI message (tag {}) from rank {}",
                                                 probe.MPI_TAG, source));
            }
        }
        local.join();
        if (!file->complete()) file->set_complete();
    } catch (const std::exception& error) {
        // MPI_Abort ends every rank without destructors: the runs finished so far get their
        // flags first.
        try {
            file->commit();
        } catch (...) {  // NOLINT(bugprone-empty-catch): the error above is the one to report
        }
        abort_all(error.what());
    }
    recorder.summary().complete = true;
    return recorder.finish();
}

SweepSummary work(const SweepPlan& plan, const SweepOptions& options) {
    int status = 0;
    MPI_Bcast(&status, 1, MPI_INT, 0, MPI_COMM_WORLD);
    if (status != 0) throw PeerFailure(status);

    const int slots = worker_threads();
    const OutcomeLayout layout =
        OutcomeLayout::make(static_cast<int>(plan.base.arms.size()), plan.sweep.outcome_weeks,
                            plan.base.weeks, plan.sweep.trajectories);

    std::mutex mutex;
    std::condition_variable ready;
    std::deque<std::int64_t> queue;
    bool no_more = false;
    int in_flight = 0;
    std::deque<std::pair<std::int64_t, std::vector<double> > > results;
    std::exception_ptr compute_error;
    std::atomic<bool> compute_done{false};
    std::int64_t computed = 0;

    std::thread compute([&] {
        try {
            execute_runs(
                plan, layout,
                [&]() -> std::optional<std::int64_t> {
                    std::unique_lock<std::mutex> lock(mutex);
                    ready.wait(lock, [&] { return !queue.empty() || no_more; });
                    if (queue.empty()) return std::nullopt;
                    const std::int64_t run = queue.front();
                    queue.pop_front();
                    ++in_flight;
                    return run;
                },
                [&](std::int64_t run, std::vector<double>&& outcomes) {
                    const std::lock_guard<std::mutex> lock(mutex);
                    results.emplace_back(run, std::move(outcomes));
                    --in_flight;
                    ++computed;
                });
        } catch (...) {
            const std::lock_guard<std::mutex> lock(mutex);
            compute_error = std::current_exception();
        }
        compute_done = true;
    });

    bool request_pending = false;
    for (;;) {
        bool busy = false;
        std::deque<std::pair<std::int64_t, std::vector<double> > > outgoing;
        int outstanding = 0;
        bool stop = false;
        std::exception_ptr error;
        {
            const std::lock_guard<std::mutex> lock(mutex);
            outgoing.swap(results);
            outstanding = static_cast<int>(queue.size()) + in_flight;
            error = compute_error;
            stop = compute_done;
        }
        for (const auto& [run, outcomes] : outgoing) {
            const std::vector<char> bytes = encode_result(run, outcomes);
            MPI_Send(bytes.data(), static_cast<int>(bytes.size()), MPI_BYTE, 0, kResult,
                     MPI_COMM_WORLD);
            busy = true;
        }
        if (error) {
            std::string text;
            try {
                std::rethrow_exception(error);
            } catch (const std::exception& e) {
                text = e.what();
            } catch (...) {
                text = "unknown error";
            }
            MPI_Send(text.data(), static_cast<int>(text.size()), MPI_CHAR, 0, kError,
                     MPI_COMM_WORLD);
            compute.join();
            // Rank 0 aborts every rank on receipt; wait for it.
            for (;;) std::this_thread::sleep_for(std::chrono::seconds(1));
        }
        if (stop) {
            const std::lock_guard<std::mutex> lock(mutex);
            if (results.empty()) break;
            continue;
        }
        if (!no_more && !request_pending && outstanding < slots) {
            int count = slots - outstanding;
            MPI_Send(&count, 1, MPI_INT, 0, kRequest, MPI_COMM_WORLD);
            request_pending = true;
            busy = true;
        }
        if (request_pending) {
            int flag = 0;
            MPI_Status probe;
            MPI_Iprobe(0, kAssign, MPI_COMM_WORLD, &flag, &probe);
            if (flag != 0) {
                int count = 0;
                MPI_Get_count(&probe, MPI_INT64_T, &count);
                std::vector<std::int64_t> runs(static_cast<std::size_t>(count));
                MPI_Recv(runs.data(), count, MPI_INT64_T, 0, kAssign, MPI_COMM_WORLD,
                         MPI_STATUS_IGNORE);
                {
                    const std::lock_guard<std::mutex> lock(mutex);
                    queue.insert(queue.end(), runs.begin(), runs.end());
                    if (runs.empty()) no_more = true;
                }
                ready.notify_all();
                request_pending = false;
                busy = true;
            }
        }
        if (!busy) std::this_thread::sleep_for(kPollInterval);
    }
    compute.join();
    SweepSummary summary;
    summary.output = options.output;
    summary.shard = options.shard;
    summary.runs_run = computed;
    summary.threads = slots;
    return summary;
}

}  // namespace

bool mpi_built() { return true; }

MpiSession::MpiSession() {
    int provided = 0;
    if (MPI_Init_thread(nullptr, nullptr, MPI_THREAD_FUNNELED, &provided) != MPI_SUCCESS) {
        throw RuntimeFailure("cannot start MPI (MPI_Init_thread failed)");
    }
    MPI_Comm_rank(MPI_COMM_WORLD, &rank_);
    MPI_Comm_size(MPI_COMM_WORLD, &size_);
    if (provided < MPI_THREAD_FUNNELED) {
        MPI_Finalize();
        throw RuntimeFailure("MPI does not provide MPI_THREAD_FUNNELED");
    }
}

MpiSession::~MpiSession() { MPI_Finalize(); }

SweepSummary run_sweep_mpi(const SweepPlan& plan, const SweepOptions& options,
                           const MpiSession& mpi) {
    return mpi.rank() == 0 ? coordinate(plan, options, mpi) : work(plan, options);
}

#endif

}  // namespace kindred::sweep
