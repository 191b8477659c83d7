// Random graph models over nodes 0 … n-1: the network layer of community populations.
//
// Erdős–Rényi G(n,m), Watts–Strogatz, Barabási–Albert, the stochastic block model and the
// configuration model. Every model returns a simple graph: no self-ties, each pair at most once,
// each edge as (smaller, larger), edges in ascending (u, v) order. Every draw is keyed by
// (seed, replicate, Purpose::community, entity, sub-stream) with entities that do not depend on
// the thread count (a node, an edge slot, or a fixed-size chunk), so a graph is the same for any
// number of threads. Expected cost O(n + m) for each model, parallel except where noted.
#pragma once

#include <cstdint>
#include <filesystem>
#include <vector>

#include "core/types.hpp"

namespace kindred {

/// One undirected edge, u < v after simplify().
struct Edge {
    AgentId u = 0;
    AgentId v = 0;
    bool operator==(const Edge&) const = default;
};
using EdgeList = std::vector<Edge>;

/// The (seed, replicate) key of a generated graph.
struct GraphKey {
    std::uint64_t seed = 1;
    std::uint64_t replicate = 0;
};

/// Orders each edge (u < v), drops self-ties and repeated pairs, sorts ascending by (u, v).
/// Which copy of a repeated pair survives does not matter: copies are identical. Returns the
/// number of edges dropped. O(n + m) plus sorting each node's (small) bucket; parallel.
std::size_t simplify(EdgeList& edges, std::size_t n);

/// For edges listed in a meaningful order: keep[e] = 1 for the first occurrence of each
/// unordered pair, 0 for self-ties and for later repeats of a pair. O(n + m), parallel.
std::vector<std::uint8_t> first_occurrences(const EdgeList& edges, std::size_t n);

/// G(n, m): exactly m distinct pairs, uniformly among all sets of m pairs. Pairs are drawn
/// independently and uniformly; repeats and self-pairs are discarded and the shortfall redrawn
/// in further rounds (each round keyed by its number) until m remain: the result is a uniform
/// m-subset because the procedure treats every pair alike. Requires m ≤ n(n-1)/2.
EdgeList erdos_renyi_gnm(std::size_t n, std::size_t m, GraphKey key);

/// Watts–Strogatz small world: a ring where each node is tied to its k/2 next nodes (k even,
/// 2 ≤ k < n), the far end of each tie rewired with probability beta to a uniform node other
/// than the near end. A rewired tie that repeats a pair is dropped (not redrawn), so the mean
/// degree falls short of k by about beta·k²/n (negligible for n ≫ k²).
EdgeList watts_strogatz(std::size_t n, int k, double beta, GraphKey key);

/// Barabási–Albert linear preferential attachment: a clique on nodes 0 … attach, then each node
/// v > attach brings `attach` ties whose far ends are drawn with probability proportional to
/// degree among nodes < v (Batagelj–Brandes edge-slot copying). The copy chains are followed
/// independently per slot with keyed draws (Sanders–Schulz), so the model is parallel. Repeated
/// targets of one node are dropped (the node keeps fewer ties). Degree tail P(k) ∝ k^-3.
EdgeList barabasi_albert(std::size_t n, int attach, GraphKey key);

/// Stochastic block model: blocks of the given sizes over consecutive ids (block 0 first); each
/// pair in blocks (r, s) is tied independently with probability p[r][s] (p symmetric). Pairs are
/// visited by geometric skipping in fixed chunks, so cost is O(n + m + blocks²).
EdgeList stochastic_block(const std::vector<std::size_t>& sizes,
                          const std::vector<std::vector<double>>& p, GraphKey key);

/// Erased configuration model: node i gets degrees[i] stubs; stubs are shuffled (Fisher–Yates,
/// sequential) and paired in order; self-ties and repeated pairs are dropped. When the stub
/// total is odd the last node with a positive degree loses one stub. `dropped` (optional)
/// receives the number of stub pairs dropped. O(n + Σ degrees).
EdgeList configuration_model(const std::vector<int>& degrees, GraphKey key,
                             std::size_t* dropped = nullptr);

/// How the configuration model's degree sequence is made.
enum class DegreeDistribution { fixed, poisson, power_law, file };

/// Degrees of n nodes: fixed (every node round(mean)), Poisson(mean), or a discrete power law
/// P(k) ∝ k^-exponent for min_degree ≤ k ≤ max_degree (inverse transform of the continuous
/// Pareto, floored; draws above max_degree are redrawn). Keyed per node; parallel.
std::vector<int> sample_degrees(std::size_t n, DegreeDistribution distribution, double mean,
                                double exponent, int min_degree, int max_degree, GraphKey key);

/// Reads a degree sequence: one non-negative integer per line (an optional first line
/// "degree"), exactly `count` values. Throws InputError "FILE:LINE: …" for a bad line or count.
std::vector<int> read_degree_file(const std::filesystem::path& path, std::size_t count);

}  // namespace kindred
