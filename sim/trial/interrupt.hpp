// Graceful stops: SIGINT and SIGTERM become a request that long runs (a trial, a sweep) poll at
// safe points — after a week, between runs — so that they finish the write in progress and
// leave a valid, resumable file instead of dying mid-write. A second signal ends the process
// at once (the default action), for a user who does not want to wait.
//
// @code
//   const StopSignals signals;                        // installs the handlers for its scope
//   options.stop_requested = [] { return StopSignals::received() != 0; };
//   try { run_trial(scenario, options); }
//   catch (const Interrupted& stop) { std::cerr << stop.what(); return stop.exit_code(); }
// @endcode
#pragma once

#include <stdexcept>
#include <string>

namespace kindred {

/// Installs handlers for SIGINT and SIGTERM for its lifetime (restoring the previous ones).
/// Not copyable; create one, in the main thread, around a long run.
class StopSignals {
  public:
    StopSignals();
    ~StopSignals();
    StopSignals(const StopSignals&) = delete;
    StopSignals& operator=(const StopSignals&) = delete;

    /// The first signal received since installation (SIGINT or SIGTERM), or 0.
    static int received();
    /// "SIGINT", "SIGTERM" or "signal N".
    static std::string name(int signal);
};

/// A run stopped on request after leaving its results in a valid state. what() is the
/// one-line message for the user (what was kept, how to resume); the exit code is 128 + the
/// signal (130 for SIGINT, 143 for SIGTERM), as a shell reports a process killed by it.
class Interrupted : public std::runtime_error {
  public:
    Interrupted(int signal, const std::string& message)
        : std::runtime_error(message), signal_(signal) {}
    int signal() const { return signal_; }
    int exit_code() const { return 128 + signal_; }

  private:
    int signal_;
};

}  // namespace kindred
