// A one-line progress display for long runs on a terminal: replicate, week, rate, ETA.
#pragma once

#include <chrono>
#include <cstdio>

namespace kindred {

class ProgressLine {
  public:
    /// Writes to `stream` (a terminal); `replicates` is the number of runs in all.
    ProgressLine(std::FILE* stream, int replicates);

    /// Redraws the line (at most ten times a second, and always at the last week).
    void update(int replicate, int week, int weeks);

    /// Erases the line.
    void clear();

  private:
    std::FILE* stream_;
    int replicates_;
    std::chrono::steady_clock::time_point start_;
    std::chrono::steady_clock::time_point last_draw_{};
    bool drawn_ = false;
};

}  // namespace kindred
