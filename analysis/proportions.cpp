// Risk difference and number needed to treat.
#include "analysis/proportions.hpp"

#include <cmath>
#include <limits>

namespace kindred::analysis {

namespace {
constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
constexpr double kZ975 = 1.959963984540054;
}  // namespace

void nnt_interval(double rd_low, double rd_high, double& nnt_low, double& nnt_high) {
    nnt_low = 1.0 / rd_high;
    nnt_high = 1.0 / rd_low;
}

RiskDifference risk_difference(int events_treated, int n_treated, int events_control,
                               int n_control) {
    RiskDifference out;
    if (n_treated <= 0 || n_control <= 0) {
        return {kNaN, kNaN, kNaN, kNaN, kNaN, kNaN, kNaN, kNaN, kNaN};
    }
    const double nt = n_treated, nc = n_control;
    out.risk_treated = events_treated / nt;
    out.risk_control = events_control / nc;
    out.difference = out.risk_treated - out.risk_control;
    out.se = std::sqrt(out.risk_treated * (1.0 - out.risk_treated) / nt +
                       out.risk_control * (1.0 - out.risk_control) / nc);
    out.ci_low = out.difference - kZ975 * out.se;
    out.ci_high = out.difference + kZ975 * out.se;
    out.nnt = 1.0 / out.difference;
    nnt_interval(out.ci_low, out.ci_high, out.nnt_ci_low, out.nnt_ci_high);
    return out;
}

}  // namespace kindred::analysis
