// The floor of the end-to-end benchmark: one sparse matrix–vector product y = A·x over the
// world's adjacency (A symmetric, A_ij = w of the tie {i,j}; CSR, double values, int indices),
// with Eigen, on one thread. Any weekly step must at least read every tie once and gather a
// neighbour value per tie end, which is what this product does. Prints JSON.
//
//   spmv_floor --agents-csv agents.csv --ties-csv ties.csv --repeats 20
//   spmv_floor --generator erdos_renyi --agents 10000000 --repeats 10   (same world as
//                                                                         kindred_bench's)
#include <fmt/format.h>
#include <sys/resource.h>
#include <tbb/global_control.h>

#include <CLI/CLI.hpp>
#include <Eigen/SparseCore>
#include <algorithm>
#include <charconv>
#include <chrono>
#include <ctime>
#include <fstream>
#include <string>
#include <vector>

#include "../bench_world.hpp"

namespace {

double cpu_seconds() {
    timespec now{};
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &now);
    return static_cast<double>(now.tv_sec) + 1e-9 * static_cast<double>(now.tv_nsec);
}

/// Reads "i,j,type,w,q" rows (header skipped): the ends and w.
void read_ties(const std::string& path, std::vector<int>& from, std::vector<int>& to,
               std::vector<double>& weight, int& agents) {
    std::ifstream in(path);
    if (!in) throw std::runtime_error("cannot open " + path);
    std::string line;
    std::getline(in, line);
    while (std::getline(in, line)) {
        const char* p = line.data();
        const char* end = p + line.size();
        int i = 0, j = 0;
        double w = 0.0;
        p = std::from_chars(p, end, i).ptr + 1;
        p = std::from_chars(p, end, j).ptr + 1;
        p = std::find(p, end, ',') + 1;  // type
        std::from_chars(p, end, w);
        from.push_back(i);
        to.push_back(j);
        weight.push_back(w);
        agents = std::max(agents, std::max(i, j) + 1);
    }
}

}  // namespace

int main(int argc, char** argv) {
    CLI::App app("Sparse matrix-vector floor (Eigen, one thread; prints JSON)");
    kindred::bench::WorldOptions options;
    int repeats = 20;
    std::string agents_csv, ties_csv;
    app.add_option("--generator", options.generator, "As kindred_bench (not csv)");
    app.add_option("--agents", options.agents, "As kindred_bench");
    app.add_option("--mean-degree", options.mean_degree, "As kindred_bench");
    app.add_option("--attach", options.attach, "As kindred_bench");
    app.add_option("--seed", options.seed, "As kindred_bench");
    app.add_option("--agents-csv", agents_csv, "Agents CSV (only its row count is used)");
    app.add_option("--ties-csv", ties_csv, "Ties CSV: the matrix");
    app.add_option("--repeats", repeats, "Products timed");
    CLI11_PARSE(app, argc, argv);

    std::vector<int> from, to;
    std::vector<double> weight;
    int agents = 0;
    std::vector<double> x;
    if (!ties_csv.empty()) {
        read_ties(ties_csv, from, to, weight, agents);
        if (!agents_csv.empty()) {
            std::ifstream in(agents_csv);
            std::string line;
            int rows = -1;
            while (std::getline(in, line)) ++rows;
            agents = std::max(agents, rows);
        }
        x.assign(static_cast<std::size_t>(agents), 0.5);
    } else {
        tbb::global_control limit(tbb::global_control::max_allowed_parallelism, 2);
        const kindred::World world = kindred::bench::make_world(options);
        agents = static_cast<int>(world.agent_count());
        from.assign(world.tie_u.begin(), world.tie_u.end());
        to.assign(world.tie_v.begin(), world.tie_v.end());
        weight = world.tie_w;
        x = world.state.distress;
    }
    const std::size_t ties = from.size();
    using Matrix = Eigen::SparseMatrix<double, Eigen::RowMajor, int>;
    Matrix a(agents, agents);
    {
        std::vector<Eigen::Triplet<double, int>> triplets;
        triplets.reserve(2 * ties);
        for (std::size_t e = 0; e < ties; ++e) {
            triplets.emplace_back(from[e], to[e], weight[e]);
            triplets.emplace_back(to[e], from[e], weight[e]);
        }
        from = {};
        to = {};
        weight = {};
        a.setFromTriplets(triplets.begin(), triplets.end());
    }
    a.makeCompressed();
    const Eigen::Map<const Eigen::VectorXd> vector_x(x.data(), agents);
    Eigen::VectorXd y(agents);
    y.noalias() = a * vector_x;  // warm up
    std::vector<double> seconds;
    double checksum = 0.0;
    const double cpu_start = cpu_seconds();
    for (int r = 0; r < repeats; ++r) {
        const auto start = std::chrono::steady_clock::now();
        y.noalias() = a * vector_x;
        seconds.push_back(
            std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
        checksum += y[r % agents];
    }
    const double cpu_per = (cpu_seconds() - cpu_start) / repeats;
    std::sort(seconds.begin(), seconds.end());
    rusage usage{};
    getrusage(RUSAGE_SELF, &usage);
    fmt::print(
        "{{\"agents\": {}, \"ties\": {}, \"nonzeros\": {}, \"threads\": 1, \"repeats\": {}, "
        "\"best_seconds\": {:.6f}, \"median_seconds\": {:.6f}, \"cpu_seconds\": {:.6f}, "
        "\"checksum\": {:.6g}, \"peak_rss_bytes\": {}}}\n",
        agents, ties, a.nonZeros(), repeats, seconds.front(), seconds[seconds.size() / 2], cpu_per,
        checksum, static_cast<long long>(usage.ru_maxrss) * 1024);
    return 0;
}
