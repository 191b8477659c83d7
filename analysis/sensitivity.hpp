// Global sensitivity statistics for parameter sweeps: partial rank correlation coefficients
// (PRCC; Marino et al. 2008, J Theor Biol 254:178) and first-order and total Sobol indices
// from a Saltelli design (Saltelli et al. 2010, Comput Phys Commun 181:259; total index by
// Jansen 1999), each with a percentile bootstrap interval over the design's rows.
//
// @code
//   Eigen::MatrixXd inputs = ...;   // n runs × k varied parameters
//   Eigen::VectorXd output = ...;   // n values of one outcome
//   PrccResult prcc = partial_rank_correlation(inputs, output, 1000, seed);
// @endcode
#pragma once

#include <Eigen/Dense>
#include <cstdint>
#include <span>
#include <vector>

#include "analysis/resampling.hpp"

namespace kindred::analysis {

/// Ranks 1 … n of `values` (ties get the mean of their ranks, as scipy.stats.rankdata).
/// O(n log n).
std::vector<double> ranks(std::span<const double> values);

/// Why a partial correlation has the value it has (NaN ones in particular).
enum class PartialStatus : std::uint8_t {
    defined,           ///< a finite value in [−1, 1]
    exact,             ///< exactly ±1: the output is a linear function of the columns
    too_few_rows,      ///< NaN: fewer than k + 3 rows
    constant_output,   ///< NaN: the output takes one value
    constant_input,    ///< NaN: this column takes one value
    input_collinear,   ///< NaN: this column is a linear function of the other columns
    output_explained,  ///< NaN: the output is a linear function of the other columns alone
};

/// Partial correlation of each column of `inputs` with `output`, controlling for the other
/// columns: the correlation of the residuals of the two least-squares regressions (with
/// intercept) on the other columns, computed as −P_iy / sqrt(P_ii P_yy), P the inverse of the
/// correlation matrix of the columns and the output, when that matrix is well conditioned, and
/// from the residuals themselves when it is (nearly) singular. An exact linear relation between
/// the output and the columns gives exactly ±1 (status `exact`); the value is NaN, with the
/// reason in `status` (when given), for a constant column or output, too few rows, a column
/// that the other columns determine, or an output that the other columns determine without
/// this one (nothing is left to correlate: 0/0). O(n k² + k³); O(n k³) when singular.
std::vector<double> partial_correlation(const Eigen::MatrixXd& inputs,
                                        const Eigen::VectorXd& output,
                                        std::vector<PartialStatus>* status = nullptr);

/// PRCC of each input with the output, with bootstrap intervals.
struct PrccResult {
    int n = 0;  ///< rows used (rows with a non-finite output or input are dropped)
    std::vector<double> coefficient;
    std::vector<PartialStatus> status;  ///< of each coefficient
    /// Percentile interval of the resamples' coefficients (those that are defined). For an
    /// exact ±1 with one input every resample that varies is monotone too: [±1, ±1].
    std::vector<Interval> interval;
    /// Two-sided p-value of H0: PRCC = 0, from t = r·sqrt((n − 2 − p)/(1 − r²)) with
    /// n − 2 − p degrees of freedom (p = other inputs), by the normal approximation of t
    /// (adequate for n − 2 − p ≥ 30); 0 for |r| = 1 (t is infinite), NaN when r is.
    std::vector<double> p_value;
};

/// Rank-transforms `inputs` (n × k) and `output`, then partial_correlation(); the bootstrap
/// resamples rows with replacement and ranks each resample afresh. O(B · n (k² + log n)).
PrccResult partial_rank_correlation(const Eigen::MatrixXd& inputs, const Eigen::VectorXd& output,
                                    int replicates, std::uint64_t seed);

/// Model outputs at the points of a Saltelli design with N base samples and k inputs:
/// f(A_j), f(B_j) and f(AB_j^(i)) (A_j with column i from B_j).
struct SaltelliOutputs {
    Eigen::VectorXd a;   ///< N
    Eigen::VectorXd b;   ///< N
    Eigen::MatrixXd ab;  ///< N × k
};

/// Gathers the outputs y (one per design point) of a Saltelli design stored point by point, as
/// in a sweep file's /design/saltelli: base[p] is point p's base sample j, block[p] its
/// matrix (0 = A, 1 = B, 2 = AB, 3 = BA; BA points are not used here), column[p] the input
/// i of an AB point. Throws std::invalid_argument when the design is incomplete or
/// inconsistent. O(points).
SaltelliOutputs saltelli_outputs(std::span<const std::int32_t> base,
                                 std::span<const std::int8_t> block,
                                 std::span<const std::int32_t> column, std::span<const double> y,
                                 int inputs);

/// First-order and total Sobol indices with bootstrap intervals.
struct SobolResult {
    int base_samples = 0;   ///< N used (base samples with a non-finite output are dropped)
    double variance = 0.0;  ///< V: variance of f over the A and B points together
    /// S_i = mean((f_B − f0) (f_ABi − f_A)) / V, f0 the mean over the A and B points
    std::vector<double> first_order;
    std::vector<Interval> first_order_interval;
    std::vector<double> total;  ///< ST_i = mean((f_A − f_ABi)²) / (2V)
    std::vector<Interval> total_interval;
};

/// Estimates the indices (Saltelli 2010 for S_i, with f_B centred, which leaves its
/// expectation unchanged and lowers its variance when the outputs' mean is large against their
/// spread; Jansen 1999 for ST_i). Estimates are not
/// clipped to [0,1]: small negative values mean "about zero". The bootstrap resamples base
/// samples j (each with its A, B and AB points). O(B · N · k).
SobolResult sobol_indices(const SaltelliOutputs& outputs, int replicates, std::uint64_t seed);

}  // namespace kindred::analysis
