// Bootstrap replicates, stratified resampling and percentile intervals.
#include "analysis/resampling.hpp"

#include <tbb/parallel_for.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <numbers>

namespace kindred::analysis {

namespace {
constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

/// Quantile p of sorted values by linear interpolation (numpy "linear").
double sorted_quantile(const std::vector<double>& sorted, double p) {
    const double position = p * static_cast<double>(sorted.size() - 1);
    const auto below = static_cast<std::size_t>(std::floor(position));
    const std::size_t above = std::min(below + 1, sorted.size() - 1);
    return sorted[below] +
           (position - static_cast<double>(below)) * (sorted[above] - sorted[below]);
}
}  // namespace

double ResampleStream::normal() {
    double u1 = uniform();
    while (u1 == 0.0) u1 = uniform();
    const double u2 = uniform();
    return std::sqrt(-2.0 * std::log(u1)) * std::cos(2.0 * std::numbers::pi * u2);
}

Interval percentile_interval(std::vector<double> draws, double level) {
    std::erase_if(draws, [](double x) { return !std::isfinite(x); });
    if (draws.size() < 2) return {kNaN, kNaN};
    std::sort(draws.begin(), draws.end());
    const double tail = (1.0 - level) / 2.0;
    return {sorted_quantile(draws, tail), sorted_quantile(draws, 1.0 - tail)};
}

std::vector<std::size_t> resample_strata(const std::vector<std::vector<std::size_t>>& strata,
                                         ResampleStream& random) {
    std::size_t total = 0;
    for (const auto& stratum : strata) total += stratum.size();
    std::vector<std::size_t> rows;
    rows.reserve(total);
    for (const auto& stratum : strata) {
        for (std::size_t k = 0; k < stratum.size(); ++k) {
            rows.push_back(stratum[random.below(stratum.size())]);
        }
    }
    return rows;
}

std::vector<double> bootstrap(int replicates, std::uint64_t seed,
                              const std::function<double(ResampleStream&)>& statistic) {
    std::vector<double> draws(static_cast<std::size_t>(std::max(replicates, 0)), kNaN);
    tbb::parallel_for(std::size_t{0}, draws.size(), [&](std::size_t b) {
        ResampleStream random(seed, b);
        draws[b] = statistic(random);
    });
    return draws;
}

std::vector<std::vector<double>> bootstrap_many(
    int replicates, std::uint64_t seed,
    const std::function<std::vector<double>(ResampleStream&)>& statistic) {
    std::vector<std::vector<double>> rows(static_cast<std::size_t>(std::max(replicates, 0)));
    tbb::parallel_for(std::size_t{0}, rows.size(), [&](std::size_t b) {
        ResampleStream random(seed, b);
        rows[b] = statistic(random);
    });
    return rows;
}

std::vector<double> column_of(const std::vector<std::vector<double>>& rows, std::size_t column) {
    std::vector<double> values;
    values.reserve(rows.size());
    for (const auto& row : rows) values.push_back(column < row.size() ? row[column] : kNaN);
    return values;
}

}  // namespace kindred::analysis
