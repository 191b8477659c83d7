// Descriptive statistics and standardised mean differences (Hedges' g) for trial summaries.
#pragma once

#include <cstdint>
#include <span>

#include "analysis/resampling.hpp"

namespace kindred::analysis {

/// Arithmetic mean; NaN for an empty sample.
double mean(std::span<const double> values);

/// Sample standard deviation (n − 1 denominator); NaN for fewer than two values.
double sample_sd(std::span<const double> values);

/// Hedges' g of `treated` versus `control` with its large-sample 95% confidence interval.
struct EffectSize {
    double g = 0.0;   ///< (mean_t − mean_c) / s_pooled · J, J = 1 − 3 / (4(n_t + n_c) − 9)
    double se = 0.0;  ///< J·sqrt((n_t + n_c)/(n_t n_c) + d² / (2 (n_t + n_c))), d = g / J
    double ci_low = 0.0;   ///< g − 1.96 se
    double ci_high = 0.0;  ///< g + 1.96 se
};

/// Hedges (1981) bias-corrected standardised mean difference, with the variance of
/// Borenstein et al. (2009, Introduction to Meta-Analysis, ch. 4). Negative g on distress means
/// less distress than control. All fields NaN when either group has fewer than two values or
/// the pooled standard deviation is zero.
EffectSize hedges_g(std::span<const double> treated, std::span<const double> control);

/// Hedges' g from summary statistics (means, sample SDs, sizes) of the two groups; the same
/// formulas as hedges_g().
EffectSize hedges_g_from_summary(double mean_treated, double sd_treated, double n_treated,
                                 double mean_control, double sd_control, double n_control);

/// Percentile bootstrap 95% interval of Hedges' g: `replicates` resamples, each drawing both
/// groups with replacement within the group (sizes kept), replicate b keyed (seed, b). NaN
/// bounds when g is undefined. O(replicates · (n_t + n_c)).
Interval bootstrap_hedges_g(std::span<const double> treated, std::span<const double> control,
                            int replicates, std::uint64_t seed, double level = 0.95);

}  // namespace kindred::analysis
