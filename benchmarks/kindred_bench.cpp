// The end-to-end benchmark driver: builds a world (a community network model of a given size,
// the ego network, or CSV), runs W weeks in deterministic mode (σ = 0, p_event = 0, φ = 0, no
// programs) or with the default stochastic parameters, and prints one JSON object with the
// timings, the world's size, the thread count and the peak resident memory. No trajectories are
// kept. benchmarks/run_benchmarks.py calls it.
//
//   kindred_bench --generator erdos_renyi --agents 1000000 --weeks 10 --threads 1
//   kindred_bench --generator csv --agents-csv a.csv --ties-csv t.csv --weeks 5 --dump-distress
//   d.bin kindred_bench --agents 100000 --write-csv DIR      (exports the world for the baselines)
#include <fmt/format.h>
#include <fmt/os.h>
#include <sys/resource.h>
#include <tbb/global_control.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <map>
#include <thread>
#include <vector>

#include "bench_world.hpp"

namespace {

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point start) {
    return std::chrono::duration<double>(Clock::now() - start).count();
}

/// CPU seconds used by this process so far (all threads).
double cpu_seconds() {
    timespec now{};
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &now);
    return static_cast<double>(now.tv_sec) + 1e-9 * static_cast<double>(now.tv_nsec);
}

/// CPU nanoseconds of each thread of this process so far (Linux schedstat), by thread id.
std::map<std::string, long long> thread_cpu_ns() {
    std::map<std::string, long long> result;
    std::error_code ec;
    for (const auto& task : std::filesystem::directory_iterator("/proc/self/task", ec)) {
        std::ifstream in(task.path() / "schedstat");
        long long ns = 0;
        if (in >> ns) result[task.path().filename().string()] = ns;
    }
    return result;
}

/// Peak resident set size of this process so far, in bytes (Linux reports KiB).
long long peak_rss_bytes() {
    rusage usage{};
    getrusage(RUSAGE_SELF, &usage);
    return static_cast<long long>(usage.ru_maxrss) * 1024;
}

/// Current resident set size in bytes (from /proc/self/statm), or -1.
long long current_rss_bytes() {
    std::ifstream statm("/proc/self/statm");
    long long pages_total = 0, pages_resident = 0;
    if (!(statm >> pages_total >> pages_resident)) return -1;
    return pages_resident * static_cast<long long>(sysconf(_SC_PAGESIZE));
}

/// Writes the world as the spec §5 CSV pair (full double precision).
void write_csv(const kindred::World& world, const std::filesystem::path& dir) {
    using namespace kindred;
    std::filesystem::create_directories(dir);
    {
        auto out = fmt::output_file((dir / "agents.csv").string());
        out.print("id,role,d,a,k,s,r,tau,v,arm\n");
        for (std::size_t i = 0; i < world.agent_count(); ++i) {
            out.print("{},{},{},{},{},{},{},{},{},\n", i, to_string(world.role[i]),
                      world.state.distress[i], world.state.agency[i], world.state.knowledge[i],
                      world.state.strengths[i], world.state.recreation[i], world.tau[i],
                      world.vulnerability[i]);
        }
    }
    auto out = fmt::output_file((dir / "ties.csv").string());
    out.print("i,j,type,w,q\n");
    for (std::size_t e = 0; e < world.tie_count(); ++e) {
        out.print("{},{},{},{},{}\n", world.tie_u[e], world.tie_v[e], to_string(world.tie_type[e]),
                  world.tie_w[e], world.tie_q[e]);
    }
}

}  // namespace

int main(int argc, char** argv) {
    using namespace kindred;
    CLI::App app("Kindred end-to-end benchmark driver (prints JSON)");
    bench::WorldOptions options;
    int weeks = 10;
    int threads = 0;
    bool stochastic = false;
    std::string write_csv_dir, dump_distress;
    app.add_option("--generator", options.generator,
                   "erdos_renyi | watts_strogatz | barabasi_albert | stochastic_block | "
                   "configuration | ego_network | csv");
    app.add_option("--agents", options.agents, "Agents of a community (patients of ego_network)");
    app.add_option("--mean-degree", options.mean_degree, "Network mean degree (community)");
    app.add_option("--attach", options.attach, "Ties per new node (barabasi_albert)");
    app.add_option("--patient-share", options.patient_share, "Share of patients (community)");
    app.add_option("--agents-csv", options.agents_csv, "Agents CSV (generator csv)");
    app.add_option("--ties-csv", options.ties_csv, "Ties CSV (generator csv)");
    app.add_option("--seed", options.seed, "Seed of the generator");
    app.add_option("--weeks", weeks, "Weeks to run (0: build only)");
    app.add_option("--threads", threads, "Worker threads (0: all cores)");
    app.add_flag("--stochastic", stochastic,
                 "Default spec §6 parameters (noise, events, friendships) instead of the "
                 "deterministic mode");
    app.add_option("--write-csv", write_csv_dir, "Write the world as agents.csv and ties.csv here");
    app.add_option("--dump-distress", dump_distress,
                   "Write the final distress of every agent as raw little-endian doubles");
    CLI11_PARSE(app, argc, argv);

    const int thread_count =
        threads > 0 ? threads : static_cast<int>(std::thread::hardware_concurrency());
    tbb::global_control limit(tbb::global_control::max_allowed_parallelism,
                              static_cast<std::size_t>(thread_count));

    try {
        auto start = Clock::now();
        World world = bench::make_world(options);
        const double build_seconds = seconds_since(start);
        const std::size_t agents = world.agent_count();
        const std::size_t ties = world.tie_count();
        const long long rss_after_build = current_rss_bytes();
        if (!write_csv_dir.empty()) write_csv(world, write_csv_dir);

        RunSpec spec = bench::deterministic_run(std::max(weeks, 1));
        if (stochastic) spec.params = Parameters{};
        Simulation sim(std::move(world), spec);
        std::vector<double> week_seconds;
        const double cpu_start = cpu_seconds();
        const auto threads_start = thread_cpu_ns();
        for (int t = 0; t < weeks; ++t) {
            start = Clock::now();
            sim.step();
            week_seconds.push_back(seconds_since(start));
        }
        const double cpu_total = cpu_seconds() - cpu_start;
        // CPU time of each thread during the weeks: how evenly the work was shared (on a busy
        // machine the wall-clock speed-up of more threads cannot be seen, but the split can).
        std::vector<double> per_thread;
        for (const auto& [tid, ns] : thread_cpu_ns()) {
            const auto before = threads_start.find(tid);
            const long long used = ns - (before == threads_start.end() ? 0 : before->second);
            if (used > 0) per_thread.push_back(1e-9 * static_cast<double>(used));
        }
        std::sort(per_thread.rbegin(), per_thread.rend());
        std::string thread_list;
        for (std::size_t x = 0; x < per_thread.size(); ++x) {
            thread_list += fmt::format("{}{:.4f}", x ? ", " : "", per_thread[x]);
        }
        if (!dump_distress.empty()) {
            std::ofstream out(dump_distress, std::ios::binary);
            const auto& distress = sim.world().state.distress;
            out.write(reinterpret_cast<const char*>(distress.data()),
                      static_cast<std::streamsize>(distress.size() * sizeof(double)));
        }
        double total = 0.0, best = week_seconds.empty() ? 0.0 : week_seconds.front();
        for (const double s : week_seconds) {
            total += s;
            best = std::min(best, s);
        }
        std::vector<double> sorted = week_seconds;
        std::sort(sorted.begin(), sorted.end());
        const double median =
            sorted.empty()      ? 0.0
            : sorted.size() % 2 ? sorted[sorted.size() / 2]
                                : 0.5 * (sorted[sorted.size() / 2 - 1] + sorted[sorted.size() / 2]);
        std::string list;
        for (std::size_t t = 0; t < week_seconds.size(); ++t) {
            list += fmt::format("{}{:.6f}", t ? ", " : "", week_seconds[t]);
        }
        fmt::print(
            "{{\"generator\": \"{}\", \"agents\": {}, \"ties\": {}, \"ties_final\": {}, "
            "\"threads\": {}, \"mode\": \"{}\", \"weeks\": {}, \"build_seconds\": {:.4f}, "
            "\"seconds_per_week\": {:.6f}, \"best_week_seconds\": {:.6f}, "
            "\"median_week_seconds\": {:.6f}, \"cpu_seconds_per_week\": {:.6f}, "
            "\"week_seconds\": [{}], \"thread_cpu_seconds\": [{}], \"rss_after_build_bytes\": {}, "
            "\"peak_rss_bytes\": {}}}\n",
            options.generator, agents, ties, sim.world().tie_count(), thread_count,
            stochastic ? "stochastic" : "deterministic", weeks, build_seconds,
            weeks > 0 ? total / weeks : 0.0, best, median, weeks > 0 ? cpu_total / weeks : 0.0,
            list, thread_list, rss_after_build, peak_rss_bytes());
    } catch (const std::exception& error) {
        fmt::print(stderr, "kindred_bench: {}\n", error.what());
        return 1;
    }
    return 0;
}
