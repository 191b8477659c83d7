// Time-to-event statistics: the Kaplan–Meier estimator with Greenwood's variance and
// log–log confidence intervals, the median time, and the log-rank test of two groups.
// Here the event is recovery (spec §3.5) and time is in weeks; patients not recovered by
// the last week T are censored at T.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

namespace kindred::analysis {

/// One distinct event time of a Kaplan–Meier table.
struct SurvivalRow {
    double time = 0.0;
    int at_risk = 0;        ///< n_j: subjects with time ≥ t_j
    int events = 0;         ///< d_j: events at t_j
    int censored = 0;       ///< subjects censored at t_j (counted at risk at t_j)
    double survival = 1.0;  ///< S(t_j) = Π_{i ≤ j} (1 − d_i / n_i)
    double se = 0.0;        ///< Greenwood: S · sqrt(Σ d_i / (n_i (n_i − d_i)))
    /// 95% interval on the log(−log S) scale (Kalbfleisch & Prentice; R's conf.type =
    /// "log-log"): S^exp(±1.96 · se / (S · |log S|)). NaN when S is 0 or 1.
    double ci_low = 0.0;
    double ci_high = 0.0;
};

/// The Kaplan–Meier estimate of S(t) = P(T > t).
struct KaplanMeier {
    int subjects = 0;
    int events = 0;
    /// One row per distinct time with an event or a censoring, ascending.
    std::vector<SurvivalRow> rows;
    /// The smallest event time with S ≤ 0.5; NaN when S stays above 0.5.
    double median = 0.0;
    /// S just after `time` (1 before the first event).
    double survival_at(double time) const;
};

/// Kaplan–Meier estimate from times and event flags (1 = event, 0 = censored at that time).
/// At a time with both, events come first (censored subjects count at risk). O(n log n).
KaplanMeier kaplan_meier(std::span<const double> times, std::span<const std::uint8_t> events);

/// The log-rank (Mantel–Cox) test of equal hazards in two groups.
struct LogRank {
    double observed_first = 0.0;   ///< events in the first group
    double expected_first = 0.0;   ///< expected under equal hazards
    double observed_second = 0.0;  ///< events in the second group
    double expected_second = 0.0;
    double variance = 0.0;    ///< hypergeometric variance of observed_first − expected_first
    double chi_square = 0.0;  ///< (O₁ − E₁)² / V, 1 degree of freedom
    double p_value = 0.0;
};
LogRank log_rank(std::span<const double> times_first, std::span<const std::uint8_t> events_first,
                 std::span<const double> times_second, std::span<const std::uint8_t> events_second);

}  // namespace kindred::analysis
