// The parallel backend behind two helpers, so the step never names oneTBB directly.
// Every loop body must only write to its own index: results never depend on the thread count.
#pragma once

#include <tbb/blocked_range.h>
#include <tbb/parallel_for.h>

#include <cstddef>

namespace kindred {

/// Calls body(i) for i in [0, n) in parallel; body must write only data owned by index i.
template <typename Body>
void parallel_for_each_index(std::size_t n, Body&& body, std::size_t grain = 1024) {
    tbb::parallel_for(tbb::blocked_range<std::size_t>(0, n, grain),
                      [&](const tbb::blocked_range<std::size_t>& range) {
                          for (std::size_t i = range.begin(); i != range.end(); ++i) body(i);
                      });
}

}  // namespace kindred
