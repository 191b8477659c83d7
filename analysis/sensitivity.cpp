// PRCC and Sobol indices with bootstrap intervals.
#include "analysis/sensitivity.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>
#include <stdexcept>

namespace kindred::analysis {

namespace {
constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

/// Smallest eigenvalue of a correlation matrix that is inverted as it is; below it, an exact
/// linear relation is looked for in the residuals.
constexpr double kWellConditioned = 1e-8;
/// A residual of a unit-length centred column (or the part of one residual that another does
/// not explain) at most this long is zero: an exact relation, up to rounding.
constexpr double kResidualTolerance = 1e-9;

Eigen::VectorXd rank_vector(const Eigen::VectorXd& values) {
    const std::vector<double> r = ranks(std::span<const double>(values.data(), values.size()));
    return Eigen::Map<const Eigen::VectorXd>(r.data(), static_cast<Eigen::Index>(r.size()));
}

std::vector<double> prcc_of_rows(const Eigen::MatrixXd& inputs, const Eigen::VectorXd& output,
                                 const std::vector<std::size_t>& rows,
                                 std::vector<PartialStatus>* status = nullptr) {
    const auto n = static_cast<Eigen::Index>(rows.size());
    Eigen::MatrixXd x(n, inputs.cols());
    Eigen::VectorXd y(n);
    for (Eigen::Index r = 0; r < n; ++r) {
        const auto i = static_cast<Eigen::Index>(rows[static_cast<std::size_t>(r)]);
        x.row(r) = inputs.row(i);
        y(r) = output(i);
    }
    for (Eigen::Index c = 0; c < x.cols(); ++c) x.col(c) = rank_vector(x.col(c));
    return partial_correlation(x, rank_vector(y), status);
}

/// Saltelli's (2010) estimator with f_B centred on the mean f0 of the A and B outputs: the
/// expectation is unchanged (E[f_ABi − f_A] = 0) and the variance is much smaller when |f0|
/// is large against the spread of f (a distress level of 0.6 varying by 0.02).
double sobol_first(const Eigen::VectorXd& a, const Eigen::VectorXd& b, const Eigen::VectorXd& ab,
                   double variance, double mean) {
    return ((b.array() - mean) * (ab - a).array()).mean() / variance;
}

double sobol_total(const Eigen::VectorXd& a, const Eigen::VectorXd& ab, double variance) {
    return 0.5 * (a - ab).array().square().mean() / variance;
}

double pooled_mean(const Eigen::VectorXd& a, const Eigen::VectorXd& b) {
    return (a.sum() + b.sum()) / static_cast<double>(a.size() + b.size());
}

double pooled_variance(const Eigen::VectorXd& a, const Eigen::VectorXd& b) {
    const double n = static_cast<double>(a.size() + b.size());
    const double mean = pooled_mean(a, b);
    return ((a.array() - mean).square().sum() + (b.array() - mean).square().sum()) / n;
}
}  // namespace

std::vector<double> ranks(std::span<const double> values) {
    std::vector<std::size_t> order(values.size());
    std::iota(order.begin(), order.end(), std::size_t{0});
    std::stable_sort(order.begin(), order.end(),
                     [&](std::size_t a, std::size_t b) { return values[a] < values[b]; });
    std::vector<double> out(values.size());
    std::size_t start = 0;
    while (start < order.size()) {
        std::size_t end = start + 1;
        while (end < order.size() && values[order[end]] == values[order[start]]) ++end;
        const double mean_rank = (static_cast<double>(start + end - 1) / 2.0) + 1.0;
        for (std::size_t k = start; k < end; ++k) out[order[k]] = mean_rank;
        start = end;
    }
    return out;
}

std::vector<double> partial_correlation(const Eigen::MatrixXd& inputs,
                                        const Eigen::VectorXd& output,
                                        std::vector<PartialStatus>* status) {
    const Eigen::Index n = inputs.rows(), k = inputs.cols();
    std::vector<double> out(static_cast<std::size_t>(k), kNaN);
    std::vector<PartialStatus> why(static_cast<std::size_t>(k), PartialStatus::defined);
    const auto finish = [&] {
        if (status != nullptr) *status = why;
        return out;
    };
    if (n < k + 3) {
        std::fill(why.begin(), why.end(), PartialStatus::too_few_rows);
        return finish();
    }
    if (!(output.maxCoeff() > output.minCoeff())) {
        std::fill(why.begin(), why.end(), PartialStatus::constant_output);
        return finish();
    }
    // Keep the non-constant columns; constant ones get NaN.
    std::vector<Eigen::Index> used;
    for (Eigen::Index c = 0; c < k; ++c) {
        if (inputs.col(c).maxCoeff() > inputs.col(c).minCoeff()) {
            used.push_back(c);
        } else {
            why[static_cast<std::size_t>(c)] = PartialStatus::constant_input;
        }
    }
    const auto m = static_cast<Eigen::Index>(used.size());
    if (m == 0) return finish();
    Eigen::MatrixXd z(n, m + 1);
    for (Eigen::Index c = 0; c < m; ++c) z.col(c) = inputs.col(used[static_cast<std::size_t>(c)]);
    z.col(m) = output;
    const Eigen::MatrixXd centred = z.rowwise() - z.colwise().mean();
    const Eigen::MatrixXd covariance = centred.transpose() * centred;
    const Eigen::VectorXd scale = covariance.diagonal().cwiseSqrt().cwiseInverse();
    const Eigen::MatrixXd correlation = scale.asDiagonal() * covariance * scale.asDiagonal();
    const Eigen::SelfAdjointEigenSolver<Eigen::MatrixXd> eigen(correlation, Eigen::EigenvaluesOnly);
    if (eigen.info() == Eigen::Success && eigen.eigenvalues().minCoeff() > kWellConditioned) {
        const Eigen::MatrixXd precision = correlation.inverse();
        for (Eigen::Index c = 0; c < m; ++c) {
            const double r = -precision(c, m) / std::sqrt(precision(c, c) * precision(m, m));
            out[static_cast<std::size_t>(used[static_cast<std::size_t>(c)])] =
                std::clamp(r, -1.0, 1.0);
        }
        return finish();
    }
    // (Nearly) singular: an exact linear relation among the columns and the output. Correlate
    // the residuals of the regressions on the other columns directly.
    const Eigen::VectorXd y = centred.col(m) * scale(m);
    for (Eigen::Index c = 0; c < m; ++c) {
        const auto slot = static_cast<std::size_t>(used[static_cast<std::size_t>(c)]);
        const Eigen::VectorXd x = centred.col(c) * scale(c);  // unit length, mean 0
        Eigen::VectorXd residual_x = x, residual_y = y;
        if (m > 1) {
            Eigen::MatrixXd others(n, m - 1);
            for (Eigen::Index o = 0, j = 0; o < m; ++o) {
                if (o != c) others.col(j++) = centred.col(o) * scale(o);
            }
            Eigen::ColPivHouseholderQR<Eigen::MatrixXd> qr(others);
            qr.setThreshold(kResidualTolerance);
            residual_x -= others * qr.solve(x);
            residual_y -= others * qr.solve(y);
        }
        const double norm_x = residual_x.norm(), norm_y = residual_y.norm();
        if (norm_x <= kResidualTolerance) {
            why[slot] = PartialStatus::input_collinear;
            continue;
        }
        if (norm_y <= kResidualTolerance) {
            why[slot] = PartialStatus::output_explained;
            continue;
        }
        const double slope = residual_x.dot(residual_y) / (norm_x * norm_x);
        if ((residual_y - slope * residual_x).norm() <= kResidualTolerance * norm_y) {
            out[slot] = slope > 0 ? 1.0 : -1.0;
            why[slot] = PartialStatus::exact;
        } else {
            out[slot] = std::clamp(residual_x.dot(residual_y) / (norm_x * norm_y), -1.0, 1.0);
        }
    }
    return finish();
}

PrccResult partial_rank_correlation(const Eigen::MatrixXd& inputs, const Eigen::VectorXd& output,
                                    int replicates, std::uint64_t seed) {
    if (inputs.rows() != output.size()) {
        throw std::invalid_argument("partial_rank_correlation: inputs and output differ in rows");
    }
    std::vector<std::size_t> rows;
    for (Eigen::Index i = 0; i < inputs.rows(); ++i) {
        if (std::isfinite(output(i)) && inputs.row(i).allFinite()) {
            rows.push_back(static_cast<std::size_t>(i));
        }
    }
    const auto k = static_cast<std::size_t>(inputs.cols());
    PrccResult result;
    result.n = static_cast<int>(rows.size());
    result.coefficient = prcc_of_rows(inputs, output, rows, &result.status);
    const auto draws = bootstrap_many(replicates, seed, [&](ResampleStream& random) {
        return prcc_of_rows(inputs, output, resample_strata({rows}, random));
    });
    const double df = static_cast<double>(result.n) - 2.0 - static_cast<double>(k - 1);
    for (std::size_t c = 0; c < k; ++c) {
        result.interval.push_back(percentile_interval(column_of(draws, c)));
        const double r = result.coefficient[c];
        if (df <= 0 || !std::isfinite(r)) {
            result.p_value.push_back(kNaN);
        } else if (std::abs(r) == 1.0) {
            result.p_value.push_back(0.0);  // t = ±∞
        } else {
            const double t = r * std::sqrt(df / (1.0 - r * r));
            result.p_value.push_back(std::erfc(std::abs(t) / std::sqrt(2.0)));
        }
    }
    return result;
}

SaltelliOutputs saltelli_outputs(std::span<const std::int32_t> base,
                                 std::span<const std::int8_t> block,
                                 std::span<const std::int32_t> column, std::span<const double> y,
                                 int inputs) {
    const std::size_t points = y.size();
    if (base.size() != points || block.size() != points || column.size() != points || inputs < 1) {
        throw std::invalid_argument("saltelli_outputs: design and outputs differ in points");
    }
    std::int32_t samples = 0;
    for (const std::int32_t j : base) samples = std::max(samples, j + 1);
    SaltelliOutputs out;
    out.a = Eigen::VectorXd::Constant(samples, kNaN);
    out.b = Eigen::VectorXd::Constant(samples, kNaN);
    out.ab = Eigen::MatrixXd::Constant(samples, inputs, kNaN);
    // Every (j, matrix, column) must appear exactly once.
    std::vector<std::uint8_t> seen(static_cast<std::size_t>(samples) * (inputs + 2), 0);
    for (std::size_t p = 0; p < points; ++p) {
        const std::int32_t j = base[p];
        std::size_t slot = 0;
        if (j < 0) throw std::invalid_argument("saltelli_outputs: negative base sample");
        if (block[p] == 0) {
            out.a(j) = y[p];
            slot = 0;
        } else if (block[p] == 1) {
            out.b(j) = y[p];
            slot = 1;
        } else if (block[p] == 2) {
            if (column[p] < 0 || column[p] >= inputs) {
                throw std::invalid_argument("saltelli_outputs: AB column out of range");
            }
            out.ab(j, column[p]) = y[p];
            slot = 2 + static_cast<std::size_t>(column[p]);
        } else {
            continue;  // BA (second-order) points
        }
        std::uint8_t& flag = seen[static_cast<std::size_t>(j) * (inputs + 2) + slot];
        if (flag != 0) throw std::invalid_argument("saltelli_outputs: a design point twice");
        flag = 1;
    }
    for (const std::uint8_t flag : seen) {
        if (flag == 0) throw std::invalid_argument("saltelli_outputs: incomplete design");
    }
    return out;
}

SobolResult sobol_indices(const SaltelliOutputs& outputs, int replicates, std::uint64_t seed) {
    const Eigen::Index n = outputs.a.size(), k = outputs.ab.cols();
    if (outputs.b.size() != n || outputs.ab.rows() != n) {
        throw std::invalid_argument("sobol_indices: A, B and AB differ in base samples");
    }
    std::vector<Eigen::Index> keep;
    for (Eigen::Index j = 0; j < n; ++j) {
        if (std::isfinite(outputs.a(j)) && std::isfinite(outputs.b(j)) &&
            outputs.ab.row(j).allFinite()) {
            keep.push_back(j);
        }
    }
    const auto estimate = [&](const std::vector<Eigen::Index>& rows) {
        const auto m = static_cast<Eigen::Index>(rows.size());
        Eigen::VectorXd a(m), b(m);
        Eigen::MatrixXd ab(m, k);
        for (Eigen::Index r = 0; r < m; ++r) {
            const Eigen::Index j = rows[static_cast<std::size_t>(r)];
            a(r) = outputs.a(j);
            b(r) = outputs.b(j);
            ab.row(r) = outputs.ab.row(j);
        }
        std::vector<double> values(static_cast<std::size_t>(2 * k + 1), kNaN);
        const double variance = m > 1 ? pooled_variance(a, b) : kNaN;
        values[static_cast<std::size_t>(2 * k)] = variance;
        if (!(variance > 0.0)) return values;
        for (Eigen::Index i = 0; i < k; ++i) {
            values[static_cast<std::size_t>(i)] =
                sobol_first(a, b, ab.col(i), variance, pooled_mean(a, b));
            values[static_cast<std::size_t>(k + i)] = sobol_total(a, ab.col(i), variance);
        }
        return values;
    };
    SobolResult result;
    result.base_samples = static_cast<int>(keep.size());
    const std::vector<double> point = estimate(keep);
    result.variance = point[static_cast<std::size_t>(2 * k)];
    std::vector<std::size_t> indices(keep.size());
    std::iota(indices.begin(), indices.end(), std::size_t{0});
    const auto draws = bootstrap_many(replicates, seed, [&](ResampleStream& random) {
        std::vector<Eigen::Index> rows;
        for (const std::size_t r : resample_strata({indices}, random)) rows.push_back(keep[r]);
        return estimate(rows);
    });
    for (Eigen::Index i = 0; i < k; ++i) {
        const auto c = static_cast<std::size_t>(i);
        result.first_order.push_back(point[c]);
        result.total.push_back(point[static_cast<std::size_t>(k) + c]);
        result.first_order_interval.push_back(percentile_interval(column_of(draws, c)));
        result.total_interval.push_back(
            percentile_interval(column_of(draws, static_cast<std::size_t>(k) + c)));
    }
    return result;
}

}  // namespace kindred::analysis
