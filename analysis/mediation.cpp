// OLS and the product-of-coefficients mediation model with bootstrap intervals.
#include "analysis/mediation.hpp"

#include <cmath>
#include <limits>
#include <map>
#include <stdexcept>

namespace kindred::analysis {

namespace {
constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

/// The complete-case data of a mediation model, one row per subject.
struct MediationData {
    Eigen::VectorXd treatment, mediator, outcome;
    Eigen::MatrixXd covariates;
    std::vector<int> stratum;
};

struct Estimates {
    double a = kNaN, a_se = kNaN, b = kNaN, b_se = kNaN, total = kNaN, direct = kNaN;
};

/// The three regressions on the subjects `rows` of `data`.
Estimates estimate(const MediationData& data, const std::vector<std::size_t>& rows) {
    const auto n = static_cast<Eigen::Index>(rows.size());
    const Eigen::Index k = data.covariates.cols();
    Eigen::MatrixXd X(n, 3 + k);  // 1, treatment, mediator, covariates
    Eigen::VectorXd m(n), y(n);
    for (Eigen::Index r = 0; r < n; ++r) {
        const auto i = static_cast<Eigen::Index>(rows[static_cast<std::size_t>(r)]);
        X(r, 0) = 1.0;
        X(r, 1) = data.treatment(i);
        X(r, 2) = data.mediator(i);
        for (Eigen::Index c = 0; c < k; ++c) X(r, 3 + c) = data.covariates(i, c);
        m(r) = data.mediator(i);
        y(r) = data.outcome(i);
    }
    Estimates e;
    if (n <= 3 + k) return e;
    Eigen::MatrixXd without_mediator(n, 2 + k);
    without_mediator.leftCols(2) = X.leftCols(2);
    if (k > 0) without_mediator.rightCols(k) = X.rightCols(k);
    const LinearFit path_a = least_squares(without_mediator, m);
    const LinearFit path_b = least_squares(X, y);
    const LinearFit path_c = least_squares(without_mediator, y);
    e.a = path_a.coefficients(1);
    e.a_se = path_a.standard_errors(1);
    e.direct = path_b.coefficients(1);
    e.b = path_b.coefficients(2);
    e.b_se = path_b.standard_errors(2);
    e.total = path_c.coefficients(1);
    return e;
}
}  // namespace

LinearFit least_squares(const Eigen::MatrixXd& X, const Eigen::VectorXd& y) {
    if (X.rows() != y.size()) throw std::invalid_argument("least_squares: X and y differ in rows");
    const Eigen::Index n = X.rows(), p = X.cols();
    LinearFit fit;
    fit.coefficients = Eigen::VectorXd::Constant(p, kNaN);
    fit.standard_errors = Eigen::VectorXd::Constant(p, kNaN);
    fit.residual_variance = kNaN;
    if (n <= p) return fit;
    const Eigen::ColPivHouseholderQR<Eigen::MatrixXd> qr(X);
    if (qr.rank() < p) return fit;
    fit.coefficients = qr.solve(y);
    const Eigen::VectorXd residuals = y - X * fit.coefficients;
    fit.residual_variance = residuals.squaredNorm() / static_cast<double>(n - p);
    // (XᵀX)⁻¹ from R of the QR: XᵀX = P Rᵀ R Pᵀ.
    const Eigen::MatrixXd R = qr.matrixR().topLeftCorner(p, p).triangularView<Eigen::Upper>();
    const Eigen::MatrixXd R_inverse =
        R.triangularView<Eigen::Upper>().solve(Eigen::MatrixXd::Identity(p, p));
    const Eigen::MatrixXd unpivoted = R_inverse * R_inverse.transpose();
    const Eigen::MatrixXd covariance =
        qr.colsPermutation() * unpivoted * qr.colsPermutation().transpose();
    fit.standard_errors = (covariance.diagonal() * fit.residual_variance).cwiseSqrt();
    return fit;
}

Mediation mediation(std::span<const double> treatment, std::span<const double> mediator,
                    std::span<const double> outcome,
                    const std::vector<std::vector<double>>& covariates, std::span<const int> strata,
                    int replicates, std::uint64_t seed) {
    const std::size_t n = treatment.size();
    if (mediator.size() != n || outcome.size() != n || (!strata.empty() && strata.size() != n)) {
        throw std::invalid_argument("mediation: inputs differ in length");
    }
    for (const auto& column : covariates) {
        if (column.size() != n) throw std::invalid_argument("mediation: covariate length");
    }
    // Complete cases only.
    std::vector<std::size_t> keep;
    for (std::size_t i = 0; i < n; ++i) {
        bool finite =
            std::isfinite(treatment[i]) && std::isfinite(mediator[i]) && std::isfinite(outcome[i]);
        for (const auto& column : covariates) finite = finite && std::isfinite(column[i]);
        if (finite) keep.push_back(i);
    }
    MediationData data;
    const auto rows = static_cast<Eigen::Index>(keep.size());
    data.treatment.resize(rows);
    data.mediator.resize(rows);
    data.outcome.resize(rows);
    data.covariates.resize(rows, static_cast<Eigen::Index>(covariates.size()));
    std::map<int, std::vector<std::size_t>> by_stratum;
    for (Eigen::Index r = 0; r < rows; ++r) {
        const std::size_t i = keep[static_cast<std::size_t>(r)];
        data.treatment(r) = treatment[i];
        data.mediator(r) = mediator[i];
        data.outcome(r) = outcome[i];
        for (std::size_t c = 0; c < covariates.size(); ++c) {
            data.covariates(r, static_cast<Eigen::Index>(c)) = covariates[c][i];
        }
        by_stratum[strata.empty() ? 0 : strata[i]].push_back(static_cast<std::size_t>(r));
    }
    std::vector<std::vector<std::size_t>> groups;
    std::vector<std::size_t> all;
    for (auto& [stratum, members] : by_stratum) {
        all.insert(all.end(), members.begin(), members.end());
        groups.push_back(std::move(members));
    }

    Mediation out;
    out.n = static_cast<int>(rows);
    const Estimates point = estimate(data, all);
    out.a = point.a;
    out.a_se = point.a_se;
    out.b = point.b;
    out.b_se = point.b_se;
    out.total = point.total;
    out.direct = point.direct;
    out.indirect = point.a * point.b;
    out.sobel_se = std::sqrt(point.b * point.b * point.a_se * point.a_se +
                             point.a * point.a * point.b_se * point.b_se);
    out.proportion_mediated = out.indirect / out.total;
    const auto draws = bootstrap_many(replicates, seed, [&](ResampleStream& random) {
        const Estimates e = estimate(data, resample_strata(groups, random));
        return std::vector<double>{e.a * e.b, e.total, e.direct};
    });
    out.indirect_ci = percentile_interval(column_of(draws, 0));
    out.total_ci = percentile_interval(column_of(draws, 1));
    out.direct_ci = percentile_interval(column_of(draws, 2));
    return out;
}

}  // namespace kindred::analysis
