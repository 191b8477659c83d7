// Ordinary least squares and the product-of-coefficients mediation analysis (Baron & Kenny
// 1986; MacKinnon 2008, Introduction to Statistical Mediation Analysis) with a percentile
// bootstrap interval of the indirect effect (Preacher & Hayes 2008).
//
//     mediator = i₁ + a · treatment + Σ γ₁ covariates + e₁
//     outcome  = i₂ + c' · treatment + b · mediator + Σ γ₂ covariates + e₂
//     outcome  = i₃ + c · treatment + Σ γ₃ covariates + e₃
//
// indirect effect a·b, direct effect c', total effect c (= a·b + c' exactly for OLS).
#pragma once

#include <Eigen/Dense>
#include <cstdint>
#include <span>
#include <vector>

#include "analysis/resampling.hpp"

namespace kindred::analysis {

/// OLS fit of y on the columns of X (include a column of ones for an intercept).
struct LinearFit {
    Eigen::VectorXd coefficients;
    Eigen::VectorXd standard_errors;  ///< sqrt(diag(σ² (XᵀX)⁻¹)), σ² = RSS / (n − p)
    double residual_variance = 0.0;
};

/// Least squares by column-pivoting Householder QR (rank-revealing; collinear columns give
/// NaN coefficients). Requires X.rows() == y.size() > X.cols(). O(n p²).
LinearFit least_squares(const Eigen::MatrixXd& X, const Eigen::VectorXd& y);

/// The result of a single-mediator model.
struct Mediation {
    int n = 0;
    double a = 0.0;  ///< treatment → mediator
    double a_se = 0.0;
    double b = 0.0;  ///< mediator → outcome, given treatment
    double b_se = 0.0;
    double total = 0.0;      ///< c
    double direct = 0.0;     ///< c'
    double indirect = 0.0;   ///< a · b
    double sobel_se = 0.0;   ///< sqrt(b² se_a² + a² se_b²) (first-order delta method)
    Interval indirect_ci{};  ///< percentile bootstrap
    Interval total_ci{};
    Interval direct_ci{};
    double proportion_mediated = 0.0;  ///< a·b / c (meaningful when c is clearly non-zero)
};

/// Fits the three regressions above to n subjects and bootstraps (seeded, resampling subjects
/// with replacement within each stratum: `strata[i]` is subject i's stratum, e.g. its trial
/// arm; empty = one stratum). `covariates` are extra columns of length n (e.g. baseline
/// distress). Rows with a non-finite value anywhere are dropped first. O(replicates · n).
Mediation mediation(std::span<const double> treatment, std::span<const double> mediator,
                    std::span<const double> outcome,
                    const std::vector<std::vector<double>>& covariates, std::span<const int> strata,
                    int replicates, std::uint64_t seed);

}  // namespace kindred::analysis
