// The parallel backend behind one helper, so the step never names oneTBB directly.
// Every loop body must only write to its own index: results never depend on the thread count.
//
// Builds for ThreadSanitizer (KINDRED_PARALLEL_STD_THREADS) run the same loops on plain
// std::threads, which TSan understands, instead of oneTBB's uninstrumented scheduler: a race
// in the project's own code is then reported, and none of the library's internals is.
#pragma once

#include <tbb/blocked_range.h>
#include <tbb/global_control.h>
#include <tbb/parallel_for.h>

#include <algorithm>
#include <cstddef>
#include <thread>
#include <vector>

namespace kindred {

/// Calls body(i) for i in [0, n) in parallel; body must write only data owned by index i.
template <typename Body>
void parallel_for_each_index(std::size_t n, Body&& body, std::size_t grain = 1024) {
#ifdef KINDRED_PARALLEL_STD_THREADS
    (void)grain;  // every loop is split over all threads, to exercise them
    const std::size_t threads = std::clamp<std::size_t>(
        tbb::global_control::active_value(tbb::global_control::max_allowed_parallelism), 1,
        std::max<std::size_t>(n, 1));
    std::vector<std::thread> workers;
    for (std::size_t t = 1; t < threads; ++t) {
        workers.emplace_back([&, t] {
            for (std::size_t i = n * t / threads; i < n * (t + 1) / threads; ++i) body(i);
        });
    }
    for (std::size_t i = 0; i < n / threads; ++i) body(i);
    for (std::thread& worker : workers) worker.join();
#else
    tbb::parallel_for(tbb::blocked_range<std::size_t>(0, n, grain),
                      [&](const tbb::blocked_range<std::size_t>& range) {
                          for (std::size_t i = range.begin(); i != range.end(); ++i) body(i);
                      });
#endif
}

/// Calls body(begin, end) on disjoint subranges that cover [0, n), in parallel: for loops whose
/// body is worth keeping in one function (hoisted pointers, prefetching). The same ownership
/// rule applies: body writes only data owned by the indices of its subrange.
template <typename Body>
void parallel_for_ranges(std::size_t n, Body&& body, std::size_t grain = 1024) {
#ifdef KINDRED_PARALLEL_STD_THREADS
    (void)grain;  // as parallel_for_each_index: one subrange per thread
    const std::size_t threads = std::clamp<std::size_t>(
        tbb::global_control::active_value(tbb::global_control::max_allowed_parallelism), 1,
        std::max<std::size_t>(n, 1));
    std::vector<std::thread> workers;
    for (std::size_t t = 1; t < threads; ++t) {
        workers.emplace_back([&, t] { body(n * t / threads, n * (t + 1) / threads); });
    }
    if (n / threads > 0) body(std::size_t{0}, n / threads);
    for (std::thread& worker : workers) worker.join();
#else
    tbb::parallel_for(
        tbb::blocked_range<std::size_t>(0, n, grain),
        [&](const tbb::blocked_range<std::size_t>& range) { body(range.begin(), range.end()); });
#endif
}

}  // namespace kindred
