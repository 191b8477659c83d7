// Hedges' g and the descriptive statistics it needs.
#include "analysis/effect_size.hpp"

#include <cmath>
#include <limits>

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

EffectSize hedges_g(std::span<const double> treated, std::span<const double> control) {
    const auto nt = static_cast<double>(treated.size());
    const auto nc = static_cast<double>(control.size());
    if (treated.size() < 2 || control.size() < 2) return {kNaN, kNaN, kNaN, kNaN};
    const double st = sample_sd(treated), sc = sample_sd(control);
    const double pooled = std::sqrt(((nt - 1) * st * st + (nc - 1) * sc * sc) / (nt + nc - 2));
    if (!(pooled > 0.0)) return {kNaN, kNaN, kNaN, kNaN};
    const double correction = 1.0 - 3.0 / (4.0 * (nt + nc) - 9.0);
    EffectSize out;
    const double d = (mean(treated) - mean(control)) / pooled;
    out.g = d * correction;
    out.se = correction * std::sqrt((nt + nc) / (nt * nc) + d * d / (2.0 * (nt + nc)));
    out.ci_low = out.g - kZ975 * out.se;
    out.ci_high = out.g + kZ975 * out.se;
    return out;
}

}  // namespace kindred::analysis
