// Random graph models (network/graph_models.hpp): simple graphs, exact counts, determinism and
// thread independence, and each model's known statistics with tolerances argued per test.
#include <gtest/gtest.h>
#include <tbb/global_control.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <vector>

#include "network/graph_models.hpp"

namespace kindred {
namespace {

std::vector<int> degrees_of(const EdgeList& edges, std::size_t n) {
    std::vector<int> degree(n, 0);
    for (const Edge& e : edges) {
        ++degree[static_cast<std::size_t>(e.u)];
        ++degree[static_cast<std::size_t>(e.v)];
    }
    return degree;
}

/// Simple graph: u < v, within range, strictly ascending (so no pair twice).
void expect_simple_and_sorted(const EdgeList& edges, std::size_t n) {
    for (std::size_t e = 0; e < edges.size(); ++e) {
        ASSERT_LT(edges[e].u, edges[e].v) << e;
        ASSERT_GE(edges[e].u, 0);
        ASSERT_LT(static_cast<std::size_t>(edges[e].v), n);
        if (e > 0) {
            ASSERT_TRUE(edges[e - 1].u < edges[e].u ||
                        (edges[e - 1].u == edges[e].u && edges[e - 1].v < edges[e].v))
                << e;
        }
    }
}

/// Mean local clustering coefficient (nodes of degree < 2 count as 0).
double mean_clustering(const EdgeList& edges, std::size_t n) {
    std::vector<std::vector<AgentId>> adjacency(n);
    for (const Edge& e : edges) {
        adjacency[e.u].push_back(e.v);
        adjacency[e.v].push_back(e.u);
    }
    for (auto& list : adjacency) std::sort(list.begin(), list.end());
    double total = 0.0;
    for (std::size_t i = 0; i < n; ++i) {
        const auto& nb = adjacency[i];
        const std::size_t d = nb.size();
        if (d < 2) continue;
        std::size_t triangles = 0;
        for (std::size_t x = 0; x < d; ++x) {
            for (std::size_t y = x + 1; y < d; ++y) {
                const auto& other = adjacency[nb[x]];
                triangles += std::binary_search(other.begin(), other.end(), nb[y]) ? 1 : 0;
            }
        }
        total += 2.0 * static_cast<double>(triangles) / (static_cast<double>(d) * (d - 1.0));
    }
    return total / static_cast<double>(n);
}

/// Runs `make` with one thread and with two; the graphs must be identical.
template <typename Make>
void expect_thread_independent(Make make) {
    EdgeList one, two;
    {
        tbb::global_control limit(tbb::global_control::max_allowed_parallelism, 1);
        one = make();
    }
    {
        tbb::global_control limit(tbb::global_control::max_allowed_parallelism, 2);
        two = make();
    }
    EXPECT_EQ(one, two);
}

TEST(Simplify, OrdersEndsDropsSelfTiesAndRepeatsAndSorts) {
    EdgeList edges{{3, 1}, {2, 2}, {1, 3}, {0, 4}, {4, 0}, {1, 2}, {0, 1}};
    EXPECT_EQ(simplify(edges, 5), 3u);
    EXPECT_EQ(edges, (EdgeList{{0, 1}, {0, 4}, {1, 2}, {1, 3}}));
}

TEST(FirstOccurrences, KeepsTheEarliestCopyOfEachPairAndNoSelfTies) {
    const EdgeList edges{{3, 1}, {2, 2}, {1, 3}, {0, 4}, {4, 0}, {1, 2}, {1, 3}};
    EXPECT_EQ(first_occurrences(edges, 5), (std::vector<std::uint8_t>{1, 0, 0, 1, 0, 1, 0}));
}

TEST(ErdosRenyi, HasExactlyMDistinctPairs) {
    // m close to the maximum forces many repeats and several redraw rounds.
    for (const std::size_t m : {0, 1000, 4000, 4950}) {
        const EdgeList edges = erdos_renyi_gnm(100, m, {7, 0});
        EXPECT_EQ(edges.size(), m);
        expect_simple_and_sorted(edges, 100);
    }
    EXPECT_THROW(erdos_renyi_gnm(100, 4951, {7, 0}), InputError);
}

TEST(ErdosRenyi, DegreesArePoissonLike) {
    // n = 50 000, m = 250 000: mean degree exactly 10. Degrees are Binomial(n-1, p) ≈
    // Poisson(10) with variance 10 (minus 10/n for the fixed m); the sample variance of 50 000
    // values has standard error about sqrt(2·10²/50 000) ≈ 0.063 (plus the excess kurtosis term,
    // 0.1·10 ≈ 1, negligible): ±0.4 is over six standard errors.
    const std::size_t n = 50000;
    const EdgeList edges = erdos_renyi_gnm(n, 250000, {1, 0});
    const std::vector<int> degree = degrees_of(edges, n);
    double sum = 0.0, sum_sq = 0.0;
    for (const int d : degree) {
        sum += d;
        sum_sq += static_cast<double>(d) * d;
    }
    const double mean = sum / n;
    EXPECT_DOUBLE_EQ(mean, 10.0);
    EXPECT_NEAR(sum_sq / n - mean * mean, 10.0, 0.4);
}

TEST(ErdosRenyi, SameKeySameGraphOtherReplicateOtherGraphAnyThreadCount) {
    EXPECT_EQ(erdos_renyi_gnm(2000, 9000, {3, 1}), erdos_renyi_gnm(2000, 9000, {3, 1}));
    EXPECT_NE(erdos_renyi_gnm(2000, 9000, {3, 1}), erdos_renyi_gnm(2000, 9000, {3, 2}));
    expect_thread_independent([] { return erdos_renyi_gnm(300000, 600000, {5, 0}); });
}

TEST(WattsStrogatz, BetaZeroIsTheRingLatticeWithItsExactClustering) {
    const std::size_t n = 2000;
    const int k = 6;
    const EdgeList edges = watts_strogatz(n, k, 0.0, {1, 0});
    EXPECT_EQ(edges.size(), n * k / 2);
    for (const int d : degrees_of(edges, n)) EXPECT_EQ(d, k);
    // C(0) = 3(k−2) / (4(k−1)) exactly for the ring lattice.
    EXPECT_NEAR(mean_clustering(edges, n), 3.0 * (k - 2) / (4.0 * (k - 1)), 1e-12);
}

TEST(WattsStrogatz, ClusteringFallsAsOneMinusBetaCubed) {
    // Barrat & Weigt (2000): C(β) ≈ C(0)(1−β)³, ignoring triangles closed by rewired ties
    // (O(k/n)) and the ties dropped as repeats (about β·k/n of them). For n = 20 000, k = 10 the
    // mean of 20 000 local coefficients (sd about 0.15) has a standard error near 0.001;
    // measured offsets from the formula are +0.002 … +0.005 (the approximation's own bias).
    // ±0.015 allows both with room, while a wrong exponent ((1−β)² at β = 0.2 is 0.427 against
    // 0.341) fails clearly.
    const std::size_t n = 20000;
    const int k = 10;
    const double c0 = 3.0 * (k - 2) / (4.0 * (k - 1));
    for (const double beta : {0.1, 0.2, 0.4}) {
        const EdgeList edges = watts_strogatz(n, k, beta, {2, 0});
        expect_simple_and_sorted(edges, n);
        // Repeats are dropped, so a few ties are missing, never more than about β·k²/2·(n/n).
        EXPECT_LE(edges.size(), n * k / 2);
        EXPECT_GE(edges.size(), n * k / 2 - 50);
        EXPECT_NEAR(mean_clustering(edges, n), c0 * std::pow(1.0 - beta, 3), 0.015) << beta;
    }
    EXPECT_THROW(watts_strogatz(100, 5, 0.1, {1, 0}), InputError);
    expect_thread_independent([] { return watts_strogatz(200000, 8, 0.3, {4, 0}); });
}

TEST(BarabasiAlbert, DegreeDistributionFollowsTheExactPowerLaw) {
    // For linear preferential attachment with `a` ties per node, P(k) = 2a(a+1)/(k(k+1)(k+2))
    // for k ≥ a (Dorogovtsev–Mendes–Samukhin; Bollobás et al.), so P(k = a) = 2/(a+2) and the
    // tail P(k ≥ K) = a(a+1)/(K(K+1)), a k^-3 density. With n = 100 000 and a = 3:
    //  - P(k = 3) = 0.4: binomial standard error sqrt(0.24/n) = 0.0015; tolerance 0.01;
    //  - P(k ≥ 20) = 0.02857: 2857 nodes expected, relative standard error 1.9%; ±10%;
    //  - P(k ≥ 50) = 0.00471: 471 nodes, relative standard error 4.6%; ±20%.
    // Measured over three seeds: 0.3986 … 0.4023, 0.0283 … 0.0287, 0.0046 … 0.0050.
    const std::size_t n = 100000;
    const int a = 3;
    const EdgeList edges = barabasi_albert(n, a, {1, 0});
    expect_simple_and_sorted(edges, n);
    // A repeated target is dropped, so slightly fewer than the seed clique + (n − a − 1)·a ties.
    const std::size_t full = 6 + (n - 4) * 3;
    EXPECT_LE(edges.size(), full);
    EXPECT_GE(edges.size(), full - full / 1000);
    const std::vector<int> degree = degrees_of(edges, n);
    std::size_t at_a = 0, at_least_20 = 0, at_least_50 = 0;
    for (const int d : degree) {
        at_a += d == a;
        at_least_20 += d >= 20;
        at_least_50 += d >= 50;
    }
    EXPECT_NEAR(static_cast<double>(at_a) / n, 2.0 / (a + 2), 0.01);
    const double tail20 = a * (a + 1.0) / (20.0 * 21.0);
    const double tail50 = a * (a + 1.0) / (50.0 * 51.0);
    EXPECT_NEAR(static_cast<double>(at_least_20) / n, tail20, 0.1 * tail20);
    EXPECT_NEAR(static_cast<double>(at_least_50) / n, tail50, 0.2 * tail50);
    expect_thread_independent([] { return barabasi_albert(300000, 4, {9, 0}); });
}

TEST(StochasticBlock, BlockDensitiesMatchTheProbabilities) {
    // Each block pair's tie count is Binomial(pairs, p): expected 44 985, 21 000 and 97 986
    // with standard deviations 211, 145 and 313. Five standard deviations each.
    const std::vector<std::size_t> sizes{3000, 7000};
    const std::vector<std::vector<double>> p{{0.01, 0.001}, {0.001, 0.004}};
    const EdgeList edges = stochastic_block(sizes, p, {1, 0});
    expect_simple_and_sorted(edges, 10000);
    double within0 = 0, between = 0, within1 = 0;
    for (const Edge& e : edges) {
        const bool u1 = e.u >= 3000, v1 = e.v >= 3000;
        (u1 && v1 ? within1 : (!u1 && !v1 ? within0 : between)) += 1;
    }
    const auto expect_binomial = [](double count, double pairs, double probability) {
        const double mean = pairs * probability;
        EXPECT_NEAR(count, mean, 5.0 * std::sqrt(mean * (1.0 - probability)));
    };
    expect_binomial(within0, 3000.0 * 2999.0 / 2.0, 0.01);
    expect_binomial(between, 3000.0 * 7000.0, 0.001);
    expect_binomial(within1, 7000.0 * 6999.0 / 2.0, 0.004);
}

TEST(StochasticBlock, ProbabilityOneGivesCompleteBlocksAndZeroNone) {
    const EdgeList edges = stochastic_block({5, 4}, {{1.0, 0.0}, {0.0, 1.0}}, {1, 0});
    EXPECT_EQ(edges.size(), 10u + 6u);
    for (const Edge& e : edges) EXPECT_EQ(e.u < 5, e.v < 5);
    expect_thread_independent([] {
        return stochastic_block({150000, 150000}, {{4e-5, 1e-5}, {1e-5, 4e-5}}, {3, 0});
    });
}

TEST(Configuration, DegreesAreExactUpToDroppedPairs) {
    // Every node keeps its degree except for the stub pairs dropped as self-ties or repeats:
    // no degree exceeds its target and the missing degree totals twice the dropped pairs. For a
    // 4-regular sequence the expected number of self-ties is (k−1)/2 = 1.5 and of repeated pairs
    // ((k−1)/2)² = 2.25 (Bollobás); at most 30 is far outside any plausible draw.
    const std::vector<int> target(10000, 4);
    std::size_t dropped = 0;
    const EdgeList edges = configuration_model(target, {1, 0}, &dropped);
    expect_simple_and_sorted(edges, target.size());
    EXPECT_EQ(edges.size() + dropped, 20000u);
    EXPECT_LE(dropped, 30u);
    const std::vector<int> degree = degrees_of(edges, target.size());
    long long missing = 0;
    for (std::size_t i = 0; i < target.size(); ++i) {
        ASSERT_LE(degree[i], target[i]);
        missing += target[i] - degree[i];
    }
    EXPECT_EQ(missing, 2 * static_cast<long long>(dropped));
}

TEST(Configuration, AnOddStubTotalCostsTheLastNodeOneStub) {
    std::size_t dropped = 0;
    const EdgeList edges = configuration_model({1, 1, 0, 1, 0}, {1, 0}, &dropped);
    EXPECT_EQ(dropped, 0u);
    EXPECT_EQ(edges, (EdgeList{{0, 1}}));
}

TEST(Configuration, SampledDegreesHaveTheirMeans) {
    // Poisson(6) over 100 000 nodes: standard error of the mean 0.008; ±0.05.
    // Power law with exponent 2.5 from k_min = 2 (continuous Pareto floored): the fraction at
    // the minimum is 1 − (2/3)^1.5 = 0.456, standard error 0.0016; ±0.01.
    const std::size_t n = 100000;
    const std::vector<int> poisson =
        sample_degrees(n, DegreeDistribution::poisson, 6.0, 0, 1, 0, {1, 0});
    double sum = 0;
    for (const int d : poisson) sum += d;
    EXPECT_NEAR(sum / n, 6.0, 0.05);
    const std::vector<int> power =
        sample_degrees(n, DegreeDistribution::power_law, 0, 2.5, 2, 1000, {1, 0});
    EXPECT_EQ(*std::min_element(power.begin(), power.end()), 2);
    EXPECT_LE(*std::max_element(power.begin(), power.end()), 1000);
    const auto at_min = static_cast<double>(std::count(power.begin(), power.end(), 2));
    EXPECT_NEAR(at_min / n, 1.0 - std::pow(2.0 / 3.0, 1.5), 0.01);
    const std::vector<int> fixed = sample_degrees(10, DegreeDistribution::fixed, 3.4, 0, 1, 0, {});
    EXPECT_EQ(fixed, std::vector<int>(10, 3));
    expect_thread_independent([&] { return configuration_model(power, {2, 0}); });
}

TEST(Configuration, DegreeFileIsReadAndCheckedByLine) {
    const auto dir = std::filesystem::temp_directory_path() / "kindred_test_degrees";
    std::filesystem::create_directories(dir);
    const auto good = dir / "good.txt";
    std::ofstream(good) << "degree\n2\n1\n1\n";
    EXPECT_EQ(read_degree_file(good, 3), (std::vector<int>{2, 1, 1}));
    try {
        read_degree_file(good, 4);
        FAIL() << "expected InputError";
    } catch (const InputError& error) {
        EXPECT_NE(std::string(error.what()).find("expected 4 degrees"), std::string::npos);
    }
    const auto bad = dir / "bad.txt";
    std::ofstream(bad) << "2\n-1\n";
    try {
        read_degree_file(bad, 2);
        FAIL() << "expected InputError";
    } catch (const InputError& error) {
        EXPECT_NE(std::string(error.what()).find("bad.txt:2: expected a non-negative integer"),
                  std::string::npos)
            << error.what();
    }
}

}  // namespace
}  // namespace kindred
