// SIGINT / SIGTERM handlers that only record the signal (async-signal-safe: one atomic store).
#include "trial/interrupt.hpp"

#include <fmt/format.h>

#include <atomic>
#include <csignal>

namespace kindred {
namespace {

std::atomic<int> g_received{0};
static_assert(std::atomic<int>::is_always_lock_free);

struct sigaction g_previous_int {};
struct sigaction g_previous_term {};

extern "C" void on_stop_signal(int signal) {
    int expected = 0;
    if (!g_received.compare_exchange_strong(expected, signal)) {
        // A second signal: give the default action back and deliver it (quit at once).
        std::signal(signal, SIG_DFL);
        std::raise(signal);
    }
}

}  // namespace

StopSignals::StopSignals() {
    g_received = 0;
    struct sigaction action {};
    action.sa_handler = on_stop_signal;
    sigemptyset(&action.sa_mask);
    action.sa_flags = SA_RESTART;  // reads and writes in progress carry on
    sigaction(SIGINT, &action, &g_previous_int);
    sigaction(SIGTERM, &action, &g_previous_term);
}

StopSignals::~StopSignals() {
    sigaction(SIGINT, &g_previous_int, nullptr);
    sigaction(SIGTERM, &g_previous_term, nullptr);
}

int StopSignals::received() { return g_received.load(); }

std::string StopSignals::name(int signal) {
    if (signal == SIGINT) return "SIGINT";
    if (signal == SIGTERM) return "SIGTERM";
    return fmt::format("signal {}", signal);
}

}  // namespace kindred
