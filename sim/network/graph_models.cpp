// Random graph models (Erdős–Rényi G(n,m), Watts–Strogatz, Barabási–Albert, stochastic block,
// configuration) as simple edge lists, keyed by counter-based streams so that the result does
// not depend on the thread count.
#include "network/graph_models.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <fstream>
#include <numeric>
#include <string>

#include "core/parallel.hpp"
#include "core/rng.hpp"

namespace kindred {
namespace {

/// Sub-streams of Purpose::community used here; fixed forever. The sub value is
/// (stream << 40) | extra, where extra is a round or a block pair.
enum GraphStream : std::uint64_t {
    kGnmPairs = 1,         ///< entity chunk, extra round: candidate pairs of G(n,m)
    kWattsStrogatz = 2,    ///< entity node: rewiring of its k/2 ring ties
    kBarabasiAlbert = 3,   ///< entity edge: the slot its far end copies
    kStochasticBlock = 4,  ///< entity chunk, extra block pair: geometric skips
    kConfigShuffle = 5,    ///< entity 0: the stub shuffle
    kDegrees = 6,          ///< entity node: its degree
};

/// Items per keyed chunk: fixed, so chunks (and draws) do not depend on the thread count.
constexpr std::size_t kChunk = std::size_t{1} << 16;

RandomStream graph_stream(const GraphKey& key, std::uint64_t entity, GraphStream stream,
                          std::uint64_t extra = 0) {
    return RandomStream(key.seed, key.replicate, kInitialisationWeek, entity, Purpose::community,
                        (static_cast<std::uint64_t>(stream) << 40) | extra);
}

std::size_t chunk_count(std::size_t items) { return (items + kChunk - 1) / kChunk; }

/// Number of unordered pairs of n nodes.
std::size_t pair_count(std::size_t n) { return n < 2 ? 0 : n * (n - 1) / 2; }

}  // namespace

std::size_t simplify(EdgeList& edges, std::size_t n) {
    const std::size_t m = edges.size();
    // Bucket the far ends by the smaller end (counting sort with atomic cursors: the order
    // inside a bucket is arbitrary, but each bucket is then sorted, so the result is not).
    std::vector<std::size_t> offsets(n + 1, 0);
    parallel_for_each_index(m, [&](std::size_t e) {
        Edge& edge = edges[e];
        if (edge.u > edge.v) std::swap(edge.u, edge.v);
        if (edge.u != edge.v) {
            std::atomic_ref<std::size_t>(offsets[static_cast<std::size_t>(edge.u) + 1])
                .fetch_add(1, std::memory_order_relaxed);
        }
    });
    std::partial_sum(offsets.begin(), offsets.end(), offsets.begin());
    std::vector<AgentId> far(offsets[n]);
    {
        std::vector<std::size_t> cursor(offsets.begin(), offsets.end() - 1);
        parallel_for_each_index(m, [&](std::size_t e) {
            const Edge edge = edges[e];
            if (edge.u == edge.v) return;
            const std::size_t slot =
                std::atomic_ref<std::size_t>(cursor[static_cast<std::size_t>(edge.u)])
                    .fetch_add(1, std::memory_order_relaxed);
            far[slot] = edge.v;
        });
    }
    std::vector<std::size_t> kept(n + 1, 0);
    parallel_for_each_index(n, [&](std::size_t u) {
        const auto begin = far.begin() + static_cast<std::ptrdiff_t>(offsets[u]);
        const auto end = far.begin() + static_cast<std::ptrdiff_t>(offsets[u + 1]);
        std::sort(begin, end);
        kept[u + 1] = static_cast<std::size_t>(std::unique(begin, end) - begin);
    });
    std::partial_sum(kept.begin(), kept.end(), kept.begin());
    edges.resize(kept[n]);
    parallel_for_each_index(n, [&](std::size_t u) {
        for (std::size_t x = 0; x < kept[u + 1] - kept[u]; ++x) {
            edges[kept[u] + x] = Edge{static_cast<AgentId>(u), far[offsets[u] + x]};
        }
    });
    return m - kept[n];
}

std::vector<std::uint8_t> first_occurrences(const EdgeList& edges, std::size_t n) {
    const std::size_t m = edges.size();
    std::vector<std::uint8_t> keep(m, 0);
    // Bucket edge indices by the smaller end; sort each bucket by (larger end, edge index); the
    // first of each run of equal pairs is the first occurrence.
    std::vector<std::size_t> offsets(n + 1, 0);
    parallel_for_each_index(m, [&](std::size_t e) {
        const Edge edge = edges[e];
        if (edge.u == edge.v) return;
        std::atomic_ref<std::size_t>(
            offsets[static_cast<std::size_t>(std::min(edge.u, edge.v)) + 1])
            .fetch_add(1, std::memory_order_relaxed);
    });
    std::partial_sum(offsets.begin(), offsets.end(), offsets.begin());
    std::vector<std::size_t> cursor(offsets.begin(), offsets.end() - 1);
    std::vector<std::size_t> index(offsets[n]);
    parallel_for_each_index(m, [&](std::size_t e) {
        const Edge edge = edges[e];
        if (edge.u == edge.v) return;
        const auto smaller = static_cast<std::size_t>(std::min(edge.u, edge.v));
        const std::size_t slot =
            std::atomic_ref<std::size_t>(cursor[smaller]).fetch_add(1, std::memory_order_relaxed);
        index[slot] = e;
    });
    parallel_for_each_index(n, [&](std::size_t u) {
        const auto begin = index.begin() + static_cast<std::ptrdiff_t>(offsets[u]);
        const auto end = index.begin() + static_cast<std::ptrdiff_t>(offsets[u + 1]);
        const auto larger = [&](std::size_t e) { return std::max(edges[e].u, edges[e].v); };
        std::sort(begin, end, [&](std::size_t x, std::size_t y) {
            return larger(x) != larger(y) ? larger(x) < larger(y) : x < y;
        });
        for (auto it = begin; it != end; ++it) {
            if (it == begin || larger(*it) != larger(*(it - 1))) keep[*it] = 1;
        }
    });
    return keep;
}

EdgeList erdos_renyi_gnm(std::size_t n, std::size_t m, GraphKey key) {
    if (m > pair_count(n)) {
        throw InputError(fmt::format("erdos_renyi: expected at most n(n-1)/2 = {} ties, found {}",
                                     pair_count(n), m));
    }
    EdgeList edges;
    edges.reserve(m + m / 8);
    for (std::uint64_t round = 0; edges.size() < m; ++round) {
        const std::size_t have = edges.size();
        const std::size_t need = m - have;
        edges.resize(have + need);
        parallel_for_each_index(
            chunk_count(need),
            [&](std::size_t chunk) {
                RandomStream draws = graph_stream(key, chunk, kGnmPairs, round);
                const std::size_t end = std::min(need, (chunk + 1) * kChunk);
                for (std::size_t x = chunk * kChunk; x < end; ++x) {
                    const auto u = static_cast<AgentId>(draws.below(n));
                    const auto v = static_cast<AgentId>(draws.below(n));
                    edges[have + x] = Edge{u, v};
                }
            },
            1);
        simplify(edges, n);
    }
    return edges;
}

EdgeList watts_strogatz(std::size_t n, int k, double beta, GraphKey key) {
    if (k < 2 || k % 2 != 0 || static_cast<std::size_t>(k) >= n) {
        throw InputError(fmt::format(
            "watts_strogatz: expected an even mean degree k with 2 <= k < n = {}, found {}", n, k));
    }
    const auto half = static_cast<std::size_t>(k / 2);
    EdgeList edges(n * half);
    parallel_for_each_index(n, [&](std::size_t node) {
        RandomStream draws = graph_stream(key, node, kWattsStrogatz);
        for (std::size_t step = 1; step <= half; ++step) {
            std::size_t far = (node + step) % n;
            if (beta > 0.0 && draws.bernoulli(beta)) {
                do {
                    far = draws.below(n);
                } while (far == node);
            }
            edges[node * half + step - 1] =
                Edge{static_cast<AgentId>(node), static_cast<AgentId>(far)};
        }
    });
    simplify(edges, n);
    return edges;
}

EdgeList barabasi_albert(std::size_t n, int attach, GraphKey key) {
    if (attach < 1) {
        throw InputError(fmt::format("barabasi_albert: expected attach >= 1, found {}", attach));
    }
    const auto a = static_cast<std::size_t>(attach);
    const std::size_t seed_nodes = std::min(n, a + 1);
    // Seed clique, edges in lexicographic order.
    EdgeList seed;
    for (std::size_t i = 0; i < seed_nodes; ++i) {
        for (std::size_t j = i + 1; j < seed_nodes; ++j) {
            seed.push_back(Edge{static_cast<AgentId>(i), static_cast<AgentId>(j)});
        }
    }
    const std::size_t seed_edges = seed.size();
    const std::size_t grown = n - seed_nodes;
    // Edge e ≥ seed_edges belongs to node seed_nodes + (e − seed_edges) / a; its slot 2e is that
    // node, its slot 2e+1 copies slot r, drawn uniformly among the slots of all earlier nodes'
    // edges (so a node is chosen with probability proportional to its degree).
    const auto source = [&](std::size_t e) { return seed_nodes + (e - seed_edges) / a; };
    const auto copied_slot = [&](std::size_t e) {
        const std::size_t first_edge_of_node = seed_edges + (source(e) - seed_nodes) * a;
        return graph_stream(key, e, kBarabasiAlbert).below(2 * first_edge_of_node);
    };
    const auto resolve = [&](std::size_t e) {
        std::size_t slot = copied_slot(e);
        for (;;) {
            const std::size_t edge = slot / 2;
            if (edge < seed_edges) {
                return static_cast<std::size_t>(slot % 2 == 0 ? seed[edge].u : seed[edge].v);
            }
            if (slot % 2 == 0) return source(edge);
            slot = copied_slot(edge);  // the far end of an earlier edge: follow its copy
        }
    };
    EdgeList edges(seed_edges + grown * a);
    std::copy(seed.begin(), seed.end(), edges.begin());
    parallel_for_each_index(grown * a, [&](std::size_t x) {
        const std::size_t e = seed_edges + x;
        edges[e] = Edge{static_cast<AgentId>(source(e)), static_cast<AgentId>(resolve(e))};
    });
    simplify(edges, n);
    return edges;
}

namespace {

/// The pair with index `index` among the pairs (i, j), i < j, of `size` nodes, listed row by row.
std::pair<std::size_t, std::size_t> triangle_pair(std::size_t index, std::size_t size) {
    // Pairs before row i: i·size − i(i+1)/2. Solve for i in floating point, then correct.
    const double b = 2.0 * static_cast<double>(size) - 1.0;
    auto row = static_cast<std::size_t>(
        std::max(0.0, std::floor((b - std::sqrt(b * b - 8.0 * static_cast<double>(index))) / 2.0)));
    const auto before = [size](std::size_t i) { return i * size - i * (i + 1) / 2; };
    while (row > 0 && before(row) > index) --row;
    while (before(row + 1) <= index) ++row;
    return {row, row + 1 + (index - before(row))};
}

}  // namespace

EdgeList stochastic_block(const std::vector<std::size_t>& sizes,
                          const std::vector<std::vector<double>>& p, GraphKey key) {
    const std::size_t blocks = sizes.size();
    std::vector<std::size_t> first(blocks + 1, 0);
    for (std::size_t b = 0; b < blocks; ++b) first[b + 1] = first[b] + sizes[b];
    EdgeList edges;
    for (std::size_t r = 0; r < blocks; ++r) {
        for (std::size_t s = r; s < blocks; ++s) {
            const double probability = p[r][s];
            const std::size_t pairs = r == s ? pair_count(sizes[r]) : sizes[r] * sizes[s];
            if (probability <= 0.0 || pairs == 0) continue;
            // Chunks of pairs that hold about kChunk ties each: O(ties) chunks, not O(pairs).
            const auto span = static_cast<std::size_t>(std::max(
                1.0, std::min(static_cast<double>(pairs), std::ceil(kChunk / probability))));
            const std::size_t chunks = (pairs + span - 1) / span;
            const double log_q = std::log1p(-probability);
            std::vector<EdgeList> found(chunks);
            parallel_for_each_index(
                chunks,
                [&](std::size_t chunk) {
                    RandomStream draws = graph_stream(key, chunk, kStochasticBlock, r * blocks + s);
                    const std::size_t begin = chunk * span;
                    const std::size_t end = std::min(pairs, begin + span);
                    for (std::size_t index = begin;; ++index) {
                        if (probability < 1.0) {  // skip the pairs left out before the next tie
                            const double skip = std::floor(std::log(draws.uniform_open()) / log_q);
                            if (skip >= static_cast<double>(end - index)) break;
                            index += static_cast<std::size_t>(skip);
                        }
                        if (index >= end) break;
                        std::size_t i, j;
                        if (r == s) {
                            std::tie(i, j) = triangle_pair(index, sizes[r]);
                        } else {
                            i = index / sizes[s];
                            j = index % sizes[s];
                        }
                        found[chunk].push_back(Edge{static_cast<AgentId>(first[r] + i),
                                                    static_cast<AgentId>(first[s] + j)});
                    }
                },
                1);
            for (const EdgeList& part : found) edges.insert(edges.end(), part.begin(), part.end());
        }
    }
    simplify(edges, first[blocks]);
    return edges;
}

EdgeList configuration_model(const std::vector<int>& degrees, GraphKey key, std::size_t* dropped) {
    const std::size_t n = degrees.size();
    std::vector<std::size_t> offsets(n + 1, 0);
    for (std::size_t i = 0; i < n; ++i) offsets[i + 1] = offsets[i] + std::max(degrees[i], 0);
    std::size_t stubs = offsets[n];
    std::vector<AgentId> stub(stubs);
    parallel_for_each_index(n, [&](std::size_t i) {
        std::fill(stub.begin() + static_cast<std::ptrdiff_t>(offsets[i]),
                  stub.begin() + static_cast<std::ptrdiff_t>(offsets[i + 1]),
                  static_cast<AgentId>(i));
    });
    if (stubs % 2 == 1) stub.resize(--stubs);  // the last stub belongs to the last such node
    RandomStream draws = graph_stream(key, 0, kConfigShuffle);
    for (std::size_t x = stubs; x > 1; --x) std::swap(stub[x - 1], stub[draws.below(x)]);
    EdgeList edges(stubs / 2);
    parallel_for_each_index(edges.size(), [&](std::size_t e) {
        edges[e] = Edge{stub[2 * e], stub[2 * e + 1]};
    });
    const std::size_t removed = simplify(edges, n);
    if (dropped != nullptr) *dropped = removed;
    return edges;
}

std::vector<int> sample_degrees(std::size_t n, DegreeDistribution distribution, double mean,
                                double exponent, int min_degree, int max_degree, GraphKey key) {
    std::vector<int> degrees(n, 0);
    const int cap = max_degree > 0 ? max_degree : static_cast<int>(std::max<std::size_t>(n, 2) - 1);
    parallel_for_each_index(n, [&](std::size_t i) {
        RandomStream draws = graph_stream(key, i, kDegrees);
        switch (distribution) {
            case DegreeDistribution::fixed:
                degrees[i] = static_cast<int>(std::lround(mean));
                break;
            case DegreeDistribution::poisson:
                degrees[i] = draws.poisson(mean);
                break;
            case DegreeDistribution::power_law: {
                for (;;) {
                    const double k =
                        std::floor(static_cast<double>(min_degree) *
                                   std::pow(draws.uniform_open(), -1.0 / (exponent - 1.0)));
                    if (k <= cap) {
                        degrees[i] = static_cast<int>(k);
                        break;
                    }
                }
                break;
            }
            case DegreeDistribution::file:
                break;
        }
    });
    return degrees;
}

std::vector<int> read_degree_file(const std::filesystem::path& path, std::size_t count) {
    std::ifstream in(path);
    if (!in) throw InputError(fmt::format("{}: cannot open the degree file", path.string()));
    std::vector<int> degrees;
    degrees.reserve(count);
    std::string line;
    for (std::size_t number = 1; std::getline(in, line); ++number) {
        if (!line.empty() && line.back() == '\r') line.pop_back();
        if (number == 1 && line == "degree") continue;
        if (line.empty()) continue;
        std::size_t used = 0;
        long long value = -1;
        try {
            value = std::stoll(line, &used);
        } catch (const std::exception&) {
            used = 0;
        }
        if (used != line.size() || value < 0 || value > std::numeric_limits<int>::max()) {
            throw InputError(
                fmt::format("{}:{}: expected a non-negative integer degree, found '{}'",
                            path.string(), number, line));
        }
        degrees.push_back(static_cast<int>(value));
    }
    if (degrees.size() != count) {
        throw InputError(fmt::format("{}: expected {} degrees (one per agent), found {}",
                                     path.string(), count, degrees.size()));
    }
    return degrees;
}

}  // namespace kindred
