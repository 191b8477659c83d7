// Hedges' g and the descriptive statistics it needs.
#include "analysis/effect_size.hpp"

#include <cmath>
#include <limits>
#include <vector>

namespace kindred::analysis {

namespace {
constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
constexpr double kZ975 = 1.959963984540054;  // standard normal 97.5% quantile
}  // namespace

double mean(std::span<const double> values) {
    if (values.empty()) return kNaN;
    double sum = 0.0;
    for (const double x : values) sum += x;
    return sum / static_cast<double>(values.size());
}

double sample_sd(std::span<const double> values) {
    if (values.size() < 2) return kNaN;
    const double m = mean(values);
    double sum_sq = 0.0;
    for (const double x : values) sum_sq += (x - m) * (x - m);
    return std::sqrt(sum_sq / static_cast<double>(values.size() - 1));
}

EffectSize hedges_g_from_summary(double mean_treated, double sd_treated, double n_treated,
                                 double mean_control, double sd_control, double n_control) {
    const double nt = n_treated, nc = n_control;
    if (!(nt >= 2 && nc >= 2)) return {kNaN, kNaN, kNaN, kNaN};
    const double st = sd_treated, sc = sd_control;
    const double pooled = std::sqrt(((nt - 1) * st * st + (nc - 1) * sc * sc) / (nt + nc - 2));
    if (!(pooled > 0.0)) return {kNaN, kNaN, kNaN, kNaN};
    const double correction = 1.0 - 3.0 / (4.0 * (nt + nc) - 9.0);
    EffectSize out;
    const double d = (mean_treated - mean_control) / pooled;
    out.g = d * correction;
    out.se = correction * std::sqrt((nt + nc) / (nt * nc) + d * d / (2.0 * (nt + nc)));
    out.ci_low = out.g - kZ975 * out.se;
    out.ci_high = out.g + kZ975 * out.se;
    return out;
}

EffectSize hedges_g(std::span<const double> treated, std::span<const double> control) {
    return hedges_g_from_summary(mean(treated), sample_sd(treated),
                                 static_cast<double>(treated.size()), mean(control),
                                 sample_sd(control), static_cast<double>(control.size()));
}

Interval bootstrap_hedges_g(std::span<const double> treated, std::span<const double> control,
                            int replicates, std::uint64_t seed, double level) {
    if (std::isnan(hedges_g(treated, control).g)) return {kNaN, kNaN};
    const std::vector<double> draws = bootstrap(replicates, seed, [&](ResampleStream& random) {
        std::vector<double> t(treated.size()), c(control.size());
        for (double& x : t) x = treated[random.below(treated.size())];
        for (double& x : c) x = control[random.below(control.size())];
        return hedges_g(t, c).g;
    });
    return percentile_interval(draws, level);
}

}  // namespace kindred::analysis
