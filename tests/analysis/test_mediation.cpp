// OLS and the product-of-coefficients mediation model on simulated data with a known
// indirect effect.
#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "analysis/mediation.hpp"

namespace kindred::analysis {
namespace {

// A straight line through exact points: coefficients exact, standard errors of a textbook
// fit (y = 1 + 2x + e, e = ±1 alternating: RSS = n, se(slope) = sqrt(σ² / Σ(x − x̄)²)).
TEST(LeastSquares, KnownFit) {
    const int n = 10;
    Eigen::MatrixXd X(n, 2);
    Eigen::VectorXd y(n);
    for (int i = 0; i < n; ++i) {
        X(i, 0) = 1.0;
        X(i, 1) = i;
        y(i) = 1.0 + 2.0 * i + (i % 2 == 0 ? 1.0 : -1.0);
    }
    const LinearFit fit = least_squares(X, y);
    // Residual pattern ±1 is not orthogonal to x exactly; compare with the normal equations.
    const Eigen::VectorXd beta = (X.transpose() * X).ldlt().solve(X.transpose() * y);
    EXPECT_NEAR(fit.coefficients(0), beta(0), 1e-12);
    EXPECT_NEAR(fit.coefficients(1), beta(1), 1e-12);
    const Eigen::VectorXd residuals = y - X * beta;
    const double sigma2 = residuals.squaredNorm() / (n - 2);
    const Eigen::MatrixXd covariance = sigma2 * (X.transpose() * X).inverse();
    EXPECT_NEAR(fit.standard_errors(1), std::sqrt(covariance(1, 1)), 1e-12);
    EXPECT_NEAR(fit.residual_variance, sigma2, 1e-12);
}

TEST(LeastSquares, CollinearColumnsGiveNaN) {
    Eigen::MatrixXd X(5, 3);
    Eigen::VectorXd y(5);
    for (int i = 0; i < 5; ++i) {
        X.row(i) << 1.0, i, 2.0 * i;
        y(i) = i;
    }
    EXPECT_TRUE(std::isnan(least_squares(X, y).coefficients(1)));
}

/// Simulated trial: treatment x ∈ {0,1} (alternating), baseline covariate z ~ N(0,1),
/// mediator m = 0.5 x + 0.3 z + e₁, outcome y = 0.7 m + 0.2 x + 0.4 z + e₂ (e ~ N(0,1)).
/// True a = 0.5, b = 0.7, indirect 0.35, direct 0.2, total 0.55.
struct Simulated {
    std::vector<double> x, m, y, z;
    std::vector<int> arm;
};

Simulated simulate(int n, double a, double b, double direct, std::uint64_t seed) {
    Simulated s;
    ResampleStream random(seed, 0);
    for (int i = 0; i < n; ++i) {
        const double x = i % 2;
        const double z = random.normal();
        const double m = a * x + 0.3 * z + random.normal();
        const double y = b * m + direct * x + 0.4 * z + random.normal();
        s.x.push_back(x);
        s.z.push_back(z);
        s.m.push_back(m);
        s.y.push_back(y);
        s.arm.push_back(static_cast<int>(x));
    }
    return s;
}

// With n = 4000: se(a) ≈ sqrt(1 / (n/4)) = 0.032, se(b) ≈ 0.016, se(ab) ≈ 0.019. Tolerances
// of 4 standard errors (fixed seed: the test is deterministic; 4 se leaves room for any
// seed a reader may try).
TEST(Mediation, RecoversAKnownIndirectEffect) {
    const Simulated s = simulate(4000, 0.5, 0.7, 0.2, 11);
    const Mediation result = mediation(s.x, s.m, s.y, {s.z}, s.arm, 500, 99);
    EXPECT_EQ(result.n, 4000);
    EXPECT_NEAR(result.a, 0.5, 4 * 0.032);
    EXPECT_NEAR(result.b, 0.7, 4 * 0.016);
    EXPECT_NEAR(result.indirect, 0.35, 4 * 0.019);
    EXPECT_NEAR(result.direct, 0.2, 4 * 0.035);
    EXPECT_NEAR(result.total, 0.55, 4 * 0.04);
    // OLS identity: total = indirect + direct, exactly, with the same covariates.
    EXPECT_NEAR(result.total, result.indirect + result.direct, 1e-10);
    EXPECT_NEAR(result.sobel_se, 0.019, 0.005);
    // The bootstrap interval covers the truth and has about the Sobel width.
    EXPECT_LT(result.indirect_ci.low, 0.35);
    EXPECT_GT(result.indirect_ci.high, 0.35);
    EXPECT_NEAR(result.indirect_ci.high - result.indirect_ci.low, 2 * 1.96 * result.sobel_se,
                0.3 * 2 * 1.96 * result.sobel_se);
    EXPECT_NEAR(result.proportion_mediated, 0.35 / 0.55, 0.15);
}

TEST(Mediation, NoIndirectEffectWhenTheMediatorIsUnaffected) {
    const Simulated s = simulate(4000, 0.0, 0.7, 0.3, 12);
    const Mediation result = mediation(s.x, s.m, s.y, {s.z}, s.arm, 500, 99);
    EXPECT_LT(result.indirect_ci.low, 0.0);
    EXPECT_GT(result.indirect_ci.high, 0.0);
    EXPECT_NEAR(result.direct, 0.3, 4 * 0.035);
}

TEST(Mediation, DropsIncompleteRowsAndIsSeeded) {
    Simulated s = simulate(400, 0.5, 0.7, 0.2, 13);
    s.m[3] = std::nan("");
    const Mediation first = mediation(s.x, s.m, s.y, {s.z}, s.arm, 200, 5);
    const Mediation second = mediation(s.x, s.m, s.y, {s.z}, s.arm, 200, 5);
    EXPECT_EQ(first.n, 399);
    EXPECT_EQ(first.indirect_ci.low, second.indirect_ci.low);
    EXPECT_EQ(first.indirect_ci.high, second.indirect_ci.high);
}

}  // namespace
}  // namespace kindred::analysis
