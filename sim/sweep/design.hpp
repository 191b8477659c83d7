// Experimental designs on the unit hypercube for parameter sweeps: full grids, Latin hypercubes,
// Sobol sequences and Saltelli's design for variance-based sensitivity analysis, plus the
// run order that makes any prefix of a sweep cover the space. Pure functions: the same
// arguments give the same design on every machine (no floating-point reductions).
//
// @code
//   UnitDesign lhs = latin_hypercube(64, 3, /*seed=*/7);        // 64 points in [0,1)^3
//   UnitDesign sobol = sobol_design(256, 3);                    // balanced when n = 2^m
//   SaltelliDesign s = saltelli_design(128, 3, false);          // 128 · (3 + 2) points
//   SensitivityIndices si = saltelli_indices(s, outputs);       // first-order and total
// @endcode
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

namespace kindred::sweep {

/// Dimensions available to Sobol and Saltelli designs (Joe & Kuo's table, first 128).
inline constexpr int kSobolMaxDimensions = 128;

/// n points in [0,1)^d, row-major: coordinate j of point i is u[i·d + j].
struct UnitDesign {
    std::size_t n = 0;
    int d = 0;
    std::vector<double> u;

    double at(std::size_t i, int j) const { return u[i * static_cast<std::size_t>(d) + j]; }
    double& at(std::size_t i, int j) { return u[i * static_cast<std::size_t>(d) + j]; }
};

/// Points first, first+1, …, first+n−1 of the Sobol sequence in `d` dimensions (1 ≤ d ≤
/// kSobolMaxDimensions), in Gray-code order with Joe & Kuo's direction numbers and 32-bit
/// precision: the points of Joe & Kuo's reference generator and of
/// scipy.stats.qmc.Sobol(d, scramble=False) after fast_forward(first). O(n·d).
UnitDesign sobol_points(std::uint64_t first, std::size_t n, int d);

/// The Sobol design of n points: points 2^m … 2^m + n − 1 of the sequence, where 2^m is the
/// smallest power of two ≥ n. Skipping a whole power of two keeps the balance of the sequence
/// (for n = 2^m every one-dimensional projection has exactly one point in each interval
/// [k/n, (k+1)/n)) and never returns the origin, so every coordinate lies in (0,1).
UnitDesign sobol_design(std::size_t n, int d);

/// A Latin hypercube of n points in d dimensions: in every dimension, exactly one point lies in
/// each stratum [k/n, (k+1)/n), at a uniformly random position within it; the strata are
/// paired across dimensions by independent random permutations. Keyed by `seed` only
/// (counter-based Philox draws). O(n·d).
UnitDesign latin_hypercube(std::size_t n, int d, std::uint64_t seed);

/// Which matrix of Saltelli's scheme a point comes from.
enum class SaltelliBlock : std::int8_t { a = 0, b = 1, ab = 2, ba = 3 };

/// Saltelli's (2010) design for first-order and total Sobol indices of k inputs, from
/// base_samples rows of two independent matrices A and B (the first and last k columns of a
/// 2k-dimensional Sobol design). For each base sample j the points are, in this order:
/// A_j; AB_j^(i) for i = 0 … k−1 (A_j with column i taken from B_j); with second_order also
/// BA_j^(i) (B_j with column i from A_j); and B_j. N(k+2) points, or N(2k+2) with second order.
struct SaltelliDesign {
    std::size_t base_samples = 0;  ///< N
    int k = 0;                     ///< inputs
    bool second_order = false;
    UnitDesign unit;                   ///< all points, in the order above
    std::vector<std::int32_t> base;    ///< base sample j of each point
    std::vector<SaltelliBlock> block;  ///< its matrix
    std::vector<std::int32_t> column;  ///< i for AB^(i) and BA^(i); −1 for A and B
};

/// Builds the design; requires 1 ≤ k ≤ kSobolMaxDimensions / 2 and base_samples ≥ 1
/// (a power of two keeps the Sobol balance).
SaltelliDesign saltelli_design(std::size_t base_samples, int k, bool second_order);

/// First-order (S1) and total (ST) Sobol indices estimated from outputs y of a Saltelli design
/// (y[p] the output at point p): S1_i = mean(f_B (f_ABi − f_A)) / V (Saltelli et al. 2010,
/// Comput. Phys. Commun. 181:259), ST_i = mean((f_A − f_ABi)²) / (2V) (Jansen 1999), with V the
/// variance of the outputs at A and B together. Estimates, not bounded to [0,1].
struct SensitivityIndices {
    std::vector<double> first_order;
    std::vector<double> total;
};
SensitivityIndices saltelli_indices(const SaltelliDesign& design, std::span<const double> y);

/// Index tuples of a full factorial grid with levels[v] levels of variable v, in lexicographic
/// order (the first variable varies slowest). Row p, column v is the level of variable v at
/// point p. The product of the levels must fit in memory.
std::vector<std::vector<std::int32_t>> grid_levels(const std::vector<std::int32_t>& levels);

/// A visiting order of n points such that every prefix is spread over them: the bit-reversal
/// (van der Corput) permutation of 0 … n−1. For a lexicographic grid, the first runs then
/// reach across the whole range of every variable instead of filling one corner.
std::vector<std::int64_t> coverage_order(std::size_t n);

/// Φ⁻¹(p) for p in (0,1) (Wichura 1988, algorithm AS 241, relative error about 1e-16);
/// −∞ at 0 and +∞ at 1.
double normal_quantile(double p);

/// Φ(x), the standard normal distribution function.
double normal_cdf(double x);

/// The squared centred L2 discrepancy of Hickernell (1998) of a design, as
/// scipy.stats.qmc.discrepancy(method="CD"): smaller is more uniform. O(n²·d).
double centered_l2_discrepancy(const UnitDesign& design);

}  // namespace kindred::sweep
