// The progress line: "\r[replicate 1/3] week 52/104  33%  elapsed 1.2 s  ETA 2.4 s".
#include "trial/progress.hpp"

#include <fmt/format.h>

namespace kindred {

ProgressLine::ProgressLine(std::FILE* stream, int replicates)
    : stream_(stream), replicates_(replicates), start_(std::chrono::steady_clock::now()) {}

void ProgressLine::update(int replicate, int week, int weeks) {
    const auto now = std::chrono::steady_clock::now();
    const bool last = week == weeks;
    if (drawn_ && !last && now - last_draw_ < std::chrono::milliseconds(100)) return;
    last_draw_ = now;
    drawn_ = true;
    const double done = (static_cast<double>(replicate) * (weeks + 1) + week + 1) /
                        (static_cast<double>(replicates_) * (weeks + 1));
    const double elapsed = std::chrono::duration<double>(now - start_).count();
    const double eta = done > 0 ? elapsed * (1.0 - done) / done : 0.0;
    fmt::print(stream_,
               "\r[replicate {}/{}] week {}/{}  {:3.0f}%  elapsed {:.1f} s  ETA {:.1f} s   ",
               replicate + 1, replicates_, week, weeks, 100.0 * done, elapsed, eta);
    std::fflush(stream_);
}

void ProgressLine::clear() {
    if (!drawn_) return;
    fmt::print(stream_, "\r{:80}\r", "");
    std::fflush(stream_);
}

}  // namespace kindred
