// PRCC and Sobol indices on the Ishigami function f = sin x₁ + a sin² x₂ + b x₃⁴ sin x₁,
// x_i ~ U(−π, π), a = 7, b = 0.1 (Ishigami & Homma 1990), whose indices are known
// analytically: S₁ = 0.3139, S₂ = 0.4424, S₃ = 0, ST₁ = 0.5576, ST₂ = 0.4424, ST₃ = 0.2437
// (Saltelli et al. 2008, Global Sensitivity Analysis: The Primer, §4.8; Sobol' & Levitan 1999).
#include <gtest/gtest.h>

#include <cmath>
#include <initializer_list>
#include <numbers>
#include <vector>

#include "analysis/sensitivity.hpp"
#include "sweep/design.hpp"

namespace kindred::analysis {
namespace {

const double kFirst[3] = {0.3139, 0.4424, 0.0};
const double kTotal[3] = {0.5576, 0.4424, 0.2437};

double ishigami(double x1, double x2, double x3) {
    return std::sin(x1) + 7.0 * std::pow(std::sin(x2), 2) + 0.1 * std::pow(x3, 4) * std::sin(x1);
}

double uniform_pi(ResampleStream& random) {
    return std::numbers::pi * (2.0 * random.uniform() - 1.0);
}

TEST(Sensitivity, RanksAverageTies) {
    const std::vector<double> values = {10, 30, 20, 20, 5};
    const std::vector<double> r = ranks(values);
    EXPECT_EQ(r, (std::vector<double>{2, 5, 3.5, 3.5, 1}));  // scipy.stats.rankdata
}

// Linear model with independent normal inputs: the partial (Pearson) correlation of x_i with
// y = Σ c_i x_i + e is c_i / sqrt(c_i² + σ_e²). On ranks of normal data the rank version is
// within about 0.02 of it (Spearman ≈ (6/π) asin(r/2)); n = 20000 keeps sampling error
// near 0.005.
TEST(Sensitivity, PartialCorrelationOfALinearModel) {
    const int n = 20000;
    ResampleStream random(3, 0);
    Eigen::MatrixXd x(n, 3);
    Eigen::VectorXd y(n);
    const double c[3] = {1.0, -0.5, 0.0};
    for (int i = 0; i < n; ++i) {
        for (int j = 0; j < 3; ++j) x(i, j) = random.normal();
        y(i) = c[0] * x(i, 0) + c[1] * x(i, 1) + c[2] * x(i, 2) + random.normal();
    }
    const std::vector<double> pearson = partial_correlation(x, y);
    for (int j = 0; j < 3; ++j) {
        EXPECT_NEAR(pearson[j], c[j] / std::sqrt(c[j] * c[j] + 1.0), 0.015) << j;
    }
    const PrccResult prcc = partial_rank_correlation(x, y, 50, 1);
    for (int j = 0; j < 3; ++j) {
        EXPECT_NEAR(prcc.coefficient[j], c[j] / std::sqrt(c[j] * c[j] + 1.0), 0.03) << j;
    }
    EXPECT_LT(prcc.p_value[0], 1e-10);
    EXPECT_GT(prcc.p_value[2], 1e-3);
}

Eigen::VectorXd vector_of(std::initializer_list<double> values) {
    Eigen::VectorXd out(static_cast<Eigen::Index>(values.size()));
    Eigen::Index i = 0;
    for (const double v : values) out(i++) = v;
    return out;
}

// A strictly decreasing outcome of one parameter (the shape of a 5-point sweep of beta_help):
// Spearman's rho is exactly −1, so is the PRCC; t is infinite (p = 0), and every bootstrap
// resample that varies is strictly decreasing too, so the interval is [−1, −1].
TEST(Sensitivity, PrccOfAMonotoneOutcomeIsExactlyMinusOne) {
    Eigen::MatrixXd x(5, 1);
    x.col(0) = vector_of({0.01, 0.1, 0.2, 0.4, 0.8});
    const Eigen::VectorXd y = vector_of({0.6626, 0.3017, 0.1635, 0.0783, 0.0374});
    const PrccResult prcc = partial_rank_correlation(x, y, 200, 3);
    EXPECT_EQ(prcc.n, 5);
    EXPECT_EQ(prcc.coefficient[0], -1.0);
    EXPECT_EQ(prcc.status[0], PartialStatus::exact);
    EXPECT_EQ(prcc.p_value[0], 0.0);
    EXPECT_EQ(prcc.interval[0].low, -1.0);
    EXPECT_EQ(prcc.interval[0].high, -1.0);
    // Increasing but far from linear: still exactly +1 on ranks.
    const Eigen::VectorXd cubed = x.col(0).array().cube();
    const PrccResult up = partial_rank_correlation(x, cubed, 0, 3);
    EXPECT_EQ(up.coefficient[0], 1.0);
    EXPECT_EQ(up.p_value[0], 0.0);
    EXPECT_TRUE(std::isnan(up.interval[0].low));  // no bootstrap
}

// Hand-computed: x = 1…5, y = (2, 1, 4, 3, 5): Σd² = 4, rho = 1 − 6·4/(5·24) = 0.8;
// t = 0.8·sqrt(3/0.36) = 2.3094, p = erfc(t/√2) = 0.020921.
TEST(Sensitivity, PrccOfOneParameterIsSpearmansRho) {
    Eigen::MatrixXd x(5, 1);
    x.col(0) = vector_of({1, 2, 3, 4, 5});
    const PrccResult prcc = partial_rank_correlation(x, vector_of({2, 1, 4, 3, 5}), 0, 1);
    EXPECT_NEAR(prcc.coefficient[0], 0.8, 1e-12);
    EXPECT_EQ(prcc.status[0], PartialStatus::defined);
    EXPECT_NEAR(prcc.p_value[0], 0.020921335, 1e-8);
}

// Hand-computed with two parameters: x1 = 1…6, x2 = (2,1,4,3,6,5), y = (1,3,2,6,4,5) have
// Spearman r12 = 29/35, r1y = 27/35, r2y = 13/35, so
// PRCC1 = (27·35 − 29·13) / sqrt((35² − 29²)(35² − 13²)) = 568 / sqrt(384·1056) = 0.891971,
// PRCC2 = (13·35 − 29·27) / sqrt((35² − 29²)(35² − 27²)) = −328 / sqrt(384·496) = −0.751566.
TEST(Sensitivity, PrccOfTwoParametersByHand) {
    Eigen::MatrixXd x(6, 2);
    x.col(0) = vector_of({1, 2, 3, 4, 5, 6});
    x.col(1) = vector_of({2, 1, 4, 3, 6, 5});
    const PrccResult prcc = partial_rank_correlation(x, vector_of({1, 3, 2, 6, 4, 5}), 0, 1);
    EXPECT_NEAR(prcc.coefficient[0], 568.0 / std::sqrt(384.0 * 1056.0), 1e-12);
    EXPECT_NEAR(prcc.coefficient[1], -328.0 / std::sqrt(384.0 * 496.0), 1e-12);
}

// Exact linear relations of the output with several columns: y = 2 x1 − 3 x2 gives partial
// correlations of exactly +1 and −1; y = x1 leaves nothing of y for x2 to explain once x1 is
// controlled for (0/0: NaN, output_explained) while x1's is +1.
TEST(Sensitivity, PartialCorrelationOfAnExactLinearOutput) {
    Eigen::MatrixXd x(6, 2);
    x.col(0) = vector_of({0.3, 1.2, -0.7, 2.5, 0.1, -1.4});
    x.col(1) = vector_of({1.1, -0.2, 0.4, 0.9, -1.3, 0.6});
    std::vector<PartialStatus> status;
    const std::vector<double> both = partial_correlation(x, 2 * x.col(0) - 3 * x.col(1), &status);
    EXPECT_EQ(both, (std::vector<double>{1.0, -1.0}));
    EXPECT_EQ(status, (std::vector<PartialStatus>{PartialStatus::exact, PartialStatus::exact}));
    const std::vector<double> first = partial_correlation(x, x.col(0), &status);
    EXPECT_EQ(first[0], 1.0);
    EXPECT_TRUE(std::isnan(first[1]));
    EXPECT_EQ(status[1], PartialStatus::output_explained);
}

// The undefined cases, each NaN with its reason.
TEST(Sensitivity, PartialCorrelationDegenerateCases) {
    const Eigen::VectorXd y = vector_of({2, 1, 4, 3, 5});
    std::vector<PartialStatus> status;
    // A constant column: NaN; the other is then the plain correlation (here 0.8).
    Eigen::MatrixXd constant(5, 2);
    constant.col(0) = vector_of({1, 2, 3, 4, 5});
    constant.col(1) = Eigen::VectorXd::Constant(5, 0.5);
    const std::vector<double> r = partial_correlation(constant, y, &status);
    EXPECT_NEAR(r[0], 0.8, 1e-12);
    EXPECT_TRUE(std::isnan(r[1]));
    EXPECT_EQ(status[1], PartialStatus::constant_input);
    // A column that is a linear function of another: neither has a partial correlation.
    Eigen::MatrixXd collinear(5, 2);
    collinear.col(0) = vector_of({1, 2, 3, 4, 5});
    collinear.col(1) = 2 * collinear.col(0).array() + 1;
    const std::vector<double> c = partial_correlation(collinear, y, &status);
    EXPECT_TRUE(std::isnan(c[0]) && std::isnan(c[1]));
    EXPECT_EQ(status, (std::vector<PartialStatus>{PartialStatus::input_collinear,
                                                  PartialStatus::input_collinear}));
    // A constant output.
    const std::vector<double> flat =
        partial_correlation(constant, Eigen::VectorXd::Constant(5, 1.0), &status);
    EXPECT_TRUE(std::isnan(flat[0]));
    EXPECT_EQ(status[0], PartialStatus::constant_output);
    // Fewer than k + 3 rows.
    const std::vector<double> few = partial_correlation(constant.topRows(4), y.head(4), &status);
    EXPECT_TRUE(std::isnan(few[0]));
    EXPECT_EQ(status[0], PartialStatus::too_few_rows);
    // PRCC of a constant output: NaN coefficient, interval and p-value.
    const PrccResult prcc = partial_rank_correlation(constant, Eigen::VectorXd::Ones(5), 50, 1);
    EXPECT_TRUE(std::isnan(prcc.coefficient[0]) && std::isnan(prcc.p_value[0]) &&
                std::isnan(prcc.interval[0].low) && std::isnan(prcc.interval[0].high));
}

// PRCC on Ishigami: x₂ enters through sin² x₂ and x₃ through x₃⁴ sin x₁, both even functions
// on a symmetric range, so neither has a monotone association with f: their PRCC is 0 and
// their bootstrap intervals contain 0. x₁ (sin x₁, increasing over most of (−π, π) in rank
// terms) has a clearly positive PRCC. n = 4096, so sampling error is about 1/√n = 0.016.
TEST(Sensitivity, PrccOnIshigami) {
    const int n = 4096;
    ResampleStream random(5, 0);
    Eigen::MatrixXd x(n, 3);
    Eigen::VectorXd y(n);
    for (int i = 0; i < n; ++i) {
        for (int j = 0; j < 3; ++j) x(i, j) = uniform_pi(random);
        y(i) = ishigami(x(i, 0), x(i, 1), x(i, 2));
    }
    const PrccResult prcc = partial_rank_correlation(x, y, 200, 8);
    EXPECT_EQ(prcc.n, n);
    EXPECT_GT(prcc.coefficient[0], 0.3);
    EXPECT_GT(prcc.interval[0].low, 0.2);
    for (int j = 1; j < 3; ++j) {
        EXPECT_NEAR(prcc.coefficient[j], 0.0, 0.05) << j;
        EXPECT_LT(prcc.interval[j].low, 0.0) << j;
        EXPECT_GT(prcc.interval[j].high, 0.0) << j;
    }
}

// Sobol indices from a Monte Carlo Saltelli sample of N = 2^16 base samples (5 · 2^16
// evaluations). At this N the estimators' standard errors are about 0.004 (S_i) and 0.003
// (ST_i); each estimate must lie within 4 bootstrap standard errors (interval half-width /
// 1.96) of the analytic value: this checks the estimates and the scale of the bootstrap
// intervals together, and fails by chance with probability about 1e-4 per index.
TEST(Sensitivity, SobolIndicesOfIshigamiMonteCarlo) {
    const int n = 1 << 16;
    ResampleStream random(17, 0);
    Eigen::MatrixXd a(n, 3), b(n, 3);
    for (int i = 0; i < n; ++i) {
        for (int j = 0; j < 3; ++j) {
            a(i, j) = uniform_pi(random);
            b(i, j) = uniform_pi(random);
        }
    }
    SaltelliOutputs outputs;
    outputs.a.resize(n);
    outputs.b.resize(n);
    outputs.ab.resize(n, 3);
    for (int i = 0; i < n; ++i) {
        outputs.a(i) = ishigami(a(i, 0), a(i, 1), a(i, 2));
        outputs.b(i) = ishigami(b(i, 0), b(i, 1), b(i, 2));
        for (int j = 0; j < 3; ++j) {
            Eigen::RowVector3d point = a.row(i);
            point(j) = b(i, j);
            outputs.ab(i, j) = ishigami(point(0), point(1), point(2));
        }
    }
    const SobolResult sobol = sobol_indices(outputs, 400, 23);
    EXPECT_EQ(sobol.base_samples, n);
    // Analytic variance: a²/8 + b π⁴/5 + b² π⁸/18 + 1/2 = 13.8446.
    EXPECT_NEAR(sobol.variance, 13.8446, 0.3);
    const auto z_score = [](double estimate, Interval ci, double truth) {
        return (estimate - truth) / ((ci.high - ci.low) / (2 * 1.96));
    };
    for (int j = 0; j < 3; ++j) {
        EXPECT_NEAR(sobol.first_order[j], kFirst[j], 0.04) << "S" << j + 1;
        EXPECT_NEAR(sobol.total[j], kTotal[j], 0.02) << "ST" << j + 1;
        EXPECT_LT(std::abs(z_score(sobol.first_order[j], sobol.first_order_interval[j], kFirst[j])),
                  4.0)
            << "S" << j + 1;
        EXPECT_LT(std::abs(z_score(sobol.total[j], sobol.total_interval[j], kTotal[j])), 4.0)
            << "ST" << j + 1;
    }
}

// The same on the sweep layer's Saltelli design (Sobol sequence, Joe & Kuo directions),
// stored point by point as in a sweep file and gathered by saltelli_outputs(): the
// quasi-random design is far more accurate (error about 0.005 at N = 2^13).
TEST(Sensitivity, SobolIndicesOfIshigamiOnTheSweepDesign) {
    const std::size_t n = 1 << 13;
    const sweep::SaltelliDesign design = sweep::saltelli_design(n, 3, false);
    std::vector<double> y(design.unit.n);
    std::vector<std::int8_t> block;
    for (std::size_t p = 0; p < design.unit.n; ++p) {
        const auto x = [&](int j) { return std::numbers::pi * (2.0 * design.unit.at(p, j) - 1.0); };
        y[p] = ishigami(x(0), x(1), x(2));
        block.push_back(static_cast<std::int8_t>(design.block[p]));
    }
    const SaltelliOutputs outputs = saltelli_outputs(design.base, block, design.column, y, 3);
    const SobolResult sobol = sobol_indices(outputs, 200, 29);
    EXPECT_EQ(sobol.base_samples, static_cast<int>(n));
    for (int j = 0; j < 3; ++j) {
        EXPECT_NEAR(sobol.first_order[j], kFirst[j], 0.015) << "S" << j + 1;
        EXPECT_NEAR(sobol.total[j], kTotal[j], 0.015) << "ST" << j + 1;
        EXPECT_LT(sobol.first_order_interval[j].low, sobol.first_order[j]);
        EXPECT_GT(sobol.first_order_interval[j].high, sobol.first_order[j]);
    }
    // The sweep layer's estimator (the same formulas without centring f_B) agrees: the total
    // indices exactly, the first-order ones within their estimation error.
    const sweep::SensitivityIndices theirs = sweep::saltelli_indices(design, y);
    for (int j = 0; j < 3; ++j) {
        EXPECT_NEAR(theirs.first_order[j], sobol.first_order[j], 0.02);
        EXPECT_NEAR(theirs.total[j], sobol.total[j], 1e-9);
    }
}

TEST(Sensitivity, SaltelliOutputsRejectAnIncompleteDesign) {
    const std::vector<std::int32_t> base = {0, 0, 0};
    const std::vector<std::int8_t> block = {0, 2, 1};  // A, AB(0), B; AB(1) missing for k = 2
    const std::vector<std::int32_t> column = {-1, 0, -1};
    const std::vector<double> y = {1, 2, 3};
    EXPECT_THROW(saltelli_outputs(base, block, column, y, 2), std::invalid_argument);
    EXPECT_NO_THROW(saltelli_outputs(base, block, column, y, 1));
}

}  // namespace
}  // namespace kindred::analysis
