// Kaplan–Meier estimator and log-rank test.
#include "analysis/survival.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>
#include <stdexcept>

namespace kindred::analysis {

namespace {
constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
constexpr double kZ975 = 1.959963984540054;

void check_sizes(std::size_t times, std::size_t events) {
    if (times != events) throw std::invalid_argument("survival: times and events differ in size");
}

/// Distinct times (ascending) with events and subjects leaving at each.
struct TimeCounts {
    std::vector<double> time;
    std::vector<int> events, censored;
};

TimeCounts count_times(std::span<const double> times, std::span<const std::uint8_t> events) {
    std::vector<std::size_t> order(times.size());
    std::iota(order.begin(), order.end(), std::size_t{0});
    std::sort(order.begin(), order.end(),
              [&](std::size_t a, std::size_t b) { return times[a] < times[b]; });
    TimeCounts out;
    for (const std::size_t i : order) {
        if (out.time.empty() || out.time.back() != times[i]) {
            out.time.push_back(times[i]);
            out.events.push_back(0);
            out.censored.push_back(0);
        }
        (events[i] != 0 ? out.events : out.censored).back() += 1;
    }
    return out;
}
}  // namespace

double KaplanMeier::survival_at(double time) const {
    double s = 1.0;
    for (const SurvivalRow& row : rows) {
        if (row.time > time) break;
        s = row.survival;
    }
    return s;
}

KaplanMeier kaplan_meier(std::span<const double> times, std::span<const std::uint8_t> events) {
    check_sizes(times.size(), events.size());
    const TimeCounts counts = count_times(times, events);
    KaplanMeier km;
    km.subjects = static_cast<int>(times.size());
    km.median = kNaN;
    int at_risk = km.subjects;
    double survival = 1.0;
    double greenwood = 0.0;  // Σ d / (n (n − d))
    for (std::size_t j = 0; j < counts.time.size(); ++j) {
        SurvivalRow row;
        row.time = counts.time[j];
        row.at_risk = at_risk;
        row.events = counts.events[j];
        row.censored = counts.censored[j];
        if (row.events > 0) {
            const double n = at_risk, d = row.events;
            survival *= 1.0 - d / n;
            greenwood += n > d ? d / (n * (n - d)) : std::numeric_limits<double>::infinity();
            km.events += row.events;
        }
        row.survival = survival;
        row.se = survival * std::sqrt(greenwood);
        if (survival > 0.0 && survival < 1.0 && std::isfinite(greenwood)) {
            // Var(log(−log S)) = Greenwood / (log S)², so the bounds are S^exp(∓z·√that).
            const double spread = kZ975 * std::sqrt(greenwood) / std::abs(std::log(survival));
            row.ci_low = std::pow(survival, std::exp(-spread));
            row.ci_high = std::pow(survival, std::exp(spread));
            // S^exp(+x) < S^exp(−x) for S in (0,1): order the bounds.
            if (row.ci_low > row.ci_high) std::swap(row.ci_low, row.ci_high);
        } else {
            row.ci_low = row.ci_high = kNaN;
        }
        if (std::isnan(km.median) && row.events > 0 && survival <= 0.5) km.median = row.time;
        km.rows.push_back(row);
        at_risk -= row.events + row.censored;
    }
    return km;
}

LogRank log_rank(std::span<const double> times_first, std::span<const std::uint8_t> events_first,
                 std::span<const double> times_second,
                 std::span<const std::uint8_t> events_second) {
    check_sizes(times_first.size(), events_first.size());
    check_sizes(times_second.size(), events_second.size());
    const TimeCounts first = count_times(times_first, events_first);
    const TimeCounts second = count_times(times_second, events_second);
    std::vector<double> all = first.time;
    all.insert(all.end(), second.time.begin(), second.time.end());
    std::sort(all.begin(), all.end());
    all.erase(std::unique(all.begin(), all.end()), all.end());

    LogRank out;
    double at_risk_1 = static_cast<double>(times_first.size());
    double at_risk_2 = static_cast<double>(times_second.size());
    std::size_t i1 = 0, i2 = 0;
    for (const double t : all) {
        double d1 = 0, c1 = 0, d2 = 0, c2 = 0;
        if (i1 < first.time.size() && first.time[i1] == t) {
            d1 = first.events[i1];
            c1 = first.censored[i1];
            ++i1;
        }
        if (i2 < second.time.size() && second.time[i2] == t) {
            d2 = second.events[i2];
            c2 = second.censored[i2];
            ++i2;
        }
        const double n = at_risk_1 + at_risk_2, d = d1 + d2;
        if (d > 0 && n > 0) {
            out.observed_first += d1;
            out.observed_second += d2;
            out.expected_first += d * at_risk_1 / n;
            out.expected_second += d * at_risk_2 / n;
            if (n > 1) out.variance += d * (at_risk_1 / n) * (at_risk_2 / n) * (n - d) / (n - 1);
        }
        at_risk_1 -= d1 + c1;
        at_risk_2 -= d2 + c2;
    }
    const double deviation = out.observed_first - out.expected_first;
    out.chi_square = out.variance > 0 ? deviation * deviation / out.variance : kNaN;
    // Upper tail of χ²(1): P(Z² > x) = erfc(sqrt(x / 2)).
    out.p_value = std::isnan(out.chi_square) ? kNaN : std::erfc(std::sqrt(out.chi_square / 2.0));
    return out;
}

}  // namespace kindred::analysis
