// Differences of proportions between two groups: risk difference with its Wald interval and
// the number needed to treat (Altman 1998, BMJ 317:1309), for "share recovered" outcomes.
#pragma once

namespace kindred::analysis {

/// Risk difference of events (here: recoveries, a good outcome) in a treated group versus a
/// control group, and the number needed to treat for one more event.
struct RiskDifference {
    double risk_treated = 0.0;  ///< p_t = events_t / n_t
    double risk_control = 0.0;  ///< p_c
    double difference = 0.0;    ///< RD = p_t − p_c
    double se = 0.0;            ///< sqrt(p_t (1 − p_t) / n_t + p_c (1 − p_c) / n_c)
    double ci_low = 0.0;        ///< RD − 1.96 se (Wald)
    double ci_high = 0.0;       ///< RD + 1.96 se
    /// NNT = 1 / RD: positive = patients treated per extra recovery (benefit), negative =
    /// per recovery lost (harm), ±∞ when RD = 0.
    double nnt = 0.0;
    /// 1 / ci_high and 1 / ci_low (Altman 1998). When the RD interval excludes 0 this is the
    /// interval of NNT. When it contains 0, nnt_ci_low > 0 > nnt_ci_high, and the interval
    /// runs from nnt_ci_low (benefit) through infinity to nnt_ci_high (harm).
    double nnt_ci_low = 0.0;
    double nnt_ci_high = 0.0;
};

/// RD and NNT of events_t of n_t versus events_c of n_c; NaN fields when a group is empty.
RiskDifference risk_difference(int events_treated, int n_treated, int events_control,
                               int n_control);

/// NNT bounds from the bounds of a risk-difference interval (as in RiskDifference).
void nnt_interval(double rd_low, double rd_high, double& nnt_low, double& nnt_high);

}  // namespace kindred::analysis
