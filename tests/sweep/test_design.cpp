// Designs: Sobol points equal Joe & Kuo's (checked against scipy.stats.qmc.Sobol), stratify
// and form nets; Latin hypercubes have one point per stratum; Saltelli's matrices have their
// block structure and recover the analytic Sobol indices of the Ishigami function; grids,
// coverage order and the normal quantile.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <numbers>
#include <set>

#include "sweep/design.hpp"

namespace kindred::sweep {
namespace {

TEST(SobolPoints, FirstPointsAreJoeKuos) {
    // scipy.stats.qmc.Sobol(5, scramble=False).random(8), which uses the same direction numbers.
    const double expected[8][5] = {{0, 0, 0, 0, 0},
                                   {0.5, 0.5, 0.5, 0.5, 0.5},
                                   {0.75, 0.25, 0.25, 0.25, 0.75},
                                   {0.25, 0.75, 0.75, 0.75, 0.25},
                                   {0.375, 0.375, 0.625, 0.875, 0.375},
                                   {0.875, 0.875, 0.125, 0.375, 0.875},
                                   {0.625, 0.125, 0.875, 0.625, 0.625},
                                   {0.125, 0.625, 0.375, 0.125, 0.125}};
    const UnitDesign points = sobol_points(0, 8, 5);
    for (std::size_t i = 0; i < 8; ++i) {
        for (int j = 0; j < 5; ++j) EXPECT_EQ(points.at(i, j), expected[i][j]) << i << "," << j;
    }
}

TEST(SobolPoints, HighDimensionsAndFastForwardMatchScipy) {
    // Sobol(128, scramble=False); fast_forward(1000); random(3): x[2,127], x[1,100], x[0,64].
    const UnitDesign points = sobol_points(1000, 3, kSobolMaxDimensions);
    EXPECT_EQ(points.at(2, 127), 0.7939453125);
    EXPECT_EQ(points.at(1, 100), 0.2685546875);
    EXPECT_EQ(points.at(0, 64), 0.1298828125);
    EXPECT_THROW(sobol_points(0, 1, kSobolMaxDimensions + 1), std::invalid_argument);
}

TEST(SobolDesign, PowerOfTwoIsStratifiedInEveryDimensionAndNeverZero) {
    const std::size_t n = 256;
    const int d = 20;
    const UnitDesign design = sobol_design(n, d);
    for (int j = 0; j < d; ++j) {
        std::set<std::size_t> strata;
        for (std::size_t i = 0; i < n; ++i) {
            const double u = design.at(i, j);
            EXPECT_GT(u, 0.0);
            EXPECT_LT(u, 1.0);
            strata.insert(static_cast<std::size_t>(u * static_cast<double>(n)));
        }
        EXPECT_EQ(strata.size(), n) << "dimension " << j;
    }
}

TEST(SobolDesign, FirstTwoDimensionsFormANet) {
    // Dimensions 1 and 2 of Sobol's sequence are a (0, m, 2)-net in base 2: every elementary
    // box of area 1/2^m, [a/2^p, (a+1)/2^p) × [b/2^q, (b+1)/2^q) with p + q = m, holds one point.
    const int m = 8;
    const std::size_t n = std::size_t{1} << m;
    const UnitDesign design = sobol_design(n, 2);
    for (int p = 0; p <= m; ++p) {
        const int q = m - p;
        std::set<std::pair<long, long>> boxes;
        for (std::size_t i = 0; i < n; ++i) {
            boxes.insert({static_cast<long>(std::ldexp(design.at(i, 0), p)),
                          static_cast<long>(std::ldexp(design.at(i, 1), q))});
        }
        EXPECT_EQ(boxes.size(), n) << "p = " << p;
    }
}

TEST(SobolDesign, IsMoreUniformThanALatinHypercube) {
    // Centred L2 discrepancy (squared; scipy gives 2.340e-4 for this Sobol design). Sobol's
    // is O(log^d n / n²), a Latin hypercube's O(1/n): an order of magnitude apart at n = 256.
    const UnitDesign sobol = sobol_design(256, 5);
    EXPECT_NEAR(centered_l2_discrepancy(sobol), 2.340199230339568e-4, 1e-12);
    const UnitDesign lhs = latin_hypercube(256, 5, 1);
    EXPECT_LT(centered_l2_discrepancy(sobol), 0.5 * centered_l2_discrepancy(lhs));
}

TEST(LatinHypercube, OnePointPerStratumInEveryDimension) {
    for (std::uint64_t seed : {1u, 2u, 99u}) {
        const std::size_t n = 37;
        const UnitDesign design = latin_hypercube(n, 4, seed);
        for (int j = 0; j < 4; ++j) {
            std::set<std::size_t> strata;
            for (std::size_t i = 0; i < n; ++i) {
                const double u = design.at(i, j);
                ASSERT_GE(u, 0.0);
                ASSERT_LT(u, 1.0);
                strata.insert(static_cast<std::size_t>(u * static_cast<double>(n)));
            }
            EXPECT_EQ(strata.size(), n);
        }
    }
}

TEST(LatinHypercube, DependsOnlyOnTheSeed) {
    EXPECT_EQ(latin_hypercube(20, 3, 5).u, latin_hypercube(20, 3, 5).u);
    EXPECT_NE(latin_hypercube(20, 3, 5).u, latin_hypercube(20, 3, 6).u);
    // Dimensions are paired by independent permutations, not all the same one.
    const UnitDesign design = latin_hypercube(20, 2, 5);
    int same = 0;
    for (std::size_t i = 0; i < 20; ++i) {
        same += static_cast<int>(design.at(i, 0) * 20) == static_cast<int>(design.at(i, 1) * 20);
    }
    EXPECT_LT(same, 20);
}

TEST(SaltelliDesign, HasTheBlocksOfSaltelli2010) {
    const std::size_t n = 16;
    const int k = 3;
    const SaltelliDesign design = saltelli_design(n, k, false);
    ASSERT_EQ(design.unit.n, n * (k + 2));
    const UnitDesign base = sobol_design(n, 2 * k);
    for (std::size_t j = 0; j < n; ++j) {
        const std::size_t first = j * (k + 2);
        EXPECT_EQ(design.block[first], SaltelliBlock::a);
        EXPECT_EQ(design.block[first + k + 1], SaltelliBlock::b);
        for (int i = 0; i < k; ++i) {
            EXPECT_EQ(design.unit.at(first, i), base.at(j, i));              // A = first k
            EXPECT_EQ(design.unit.at(first + k + 1, i), base.at(j, k + i));  // B = last k
        }
        for (int c = 0; c < k; ++c) {
            const std::size_t p = first + 1 + static_cast<std::size_t>(c);
            EXPECT_EQ(design.block[p], SaltelliBlock::ab);
            EXPECT_EQ(design.column[p], c);
            EXPECT_EQ(design.base[p], static_cast<std::int32_t>(j));
            for (int i = 0; i < k; ++i) {
                EXPECT_EQ(design.unit.at(p, i), i == c ? base.at(j, k + i) : base.at(j, i));
            }
        }
    }
    const SaltelliDesign second = saltelli_design(n, k, true);
    ASSERT_EQ(second.unit.n, n * (2 * k + 2));
    // BA^(c): B with column c from A.
    const std::size_t p = 1 + k + 1;  // base 0, BA^(1)
    EXPECT_EQ(second.block[p], SaltelliBlock::ba);
    EXPECT_EQ(second.unit.at(p, 1), base.at(0, 1));
    EXPECT_EQ(second.unit.at(p, 0), base.at(0, k + 0));
}

TEST(SaltelliDesign, RecoversTheIshigamiIndices) {
    // Ishigami (a = 7, b = 0.1) on [−π, π]³: S1 = (0.3139, 0.4424, 0), ST = (0.5576, 0.4424,
    // 0.2437), analytic (Sobol' & Levitan 1999; Saltelli et al. 2008, Global Sensitivity
    // Analysis: The Primer). With N = 8192 Sobol base samples the estimates are within 0.002
    // of them here (quasi-Monte Carlo error about log N / N); 0.02 allows for other platforms'
    // rounding yet fails for a wrong matrix (a swapped A/B block moves S1 by more than 0.1).
    const SaltelliDesign design = saltelli_design(8192, 3, false);
    std::vector<double> y(design.unit.n);
    for (std::size_t p = 0; p < y.size(); ++p) {
        const double x1 = std::numbers::pi * (2.0 * design.unit.at(p, 0) - 1.0);
        const double x2 = std::numbers::pi * (2.0 * design.unit.at(p, 1) - 1.0);
        const double x3 = std::numbers::pi * (2.0 * design.unit.at(p, 2) - 1.0);
        y[p] =
            std::sin(x1) + 7.0 * std::pow(std::sin(x2), 2) + 0.1 * std::pow(x3, 4) * std::sin(x1);
    }
    const SensitivityIndices indices = saltelli_indices(design, y);
    const double first[3] = {0.3139, 0.4424, 0.0};
    const double total[3] = {0.5576, 0.4424, 0.2437};
    for (int i = 0; i < 3; ++i) {
        EXPECT_NEAR(indices.first_order[i], first[i], 0.02) << i;
        EXPECT_NEAR(indices.total[i], total[i], 0.02) << i;
    }
}

TEST(GridLevels, AreEveryCombinationInLexicographicOrder) {
    const auto points = grid_levels({2, 3});
    ASSERT_EQ(points.size(), 6u);
    EXPECT_EQ(points[0], (std::vector<std::int32_t>{0, 0}));
    EXPECT_EQ(points[1], (std::vector<std::int32_t>{0, 1}));
    EXPECT_EQ(points[3], (std::vector<std::int32_t>{1, 0}));
    EXPECT_EQ(points[5], (std::vector<std::int32_t>{1, 2}));
}

TEST(CoverageOrder, IsAPermutationWhosePrefixesSpreadOut) {
    for (std::size_t n : {1u, 2u, 7u, 16u, 100u}) {
        std::vector<std::int64_t> order = coverage_order(n);
        ASSERT_EQ(order.size(), n);
        std::vector<std::int64_t> sorted = order;
        std::sort(sorted.begin(), sorted.end());
        for (std::size_t i = 0; i < n; ++i) EXPECT_EQ(sorted[i], static_cast<std::int64_t>(i));
    }
    // 16 points: the first four visited are 0, 8, 4, 12 (one in each quarter).
    const std::vector<std::int64_t> order = coverage_order(16);
    EXPECT_EQ((std::vector<std::int64_t>(order.begin(), order.begin() + 4)),
              (std::vector<std::int64_t>{0, 8, 4, 12}));
}

TEST(NormalQuantile, MatchesReferenceValuesAndInvertsTheCdf) {
    // scipy.special.ndtri.
    EXPECT_NEAR(normal_quantile(0.975), 1.959963984540054, 1e-15);
    EXPECT_NEAR(normal_quantile(1e-10), -6.361340902404056, 1e-14);
    EXPECT_NEAR(normal_quantile(1e-300), -37.0470962993612, 1e-12);
    EXPECT_EQ(normal_quantile(0.5), 0.0);
    EXPECT_EQ(normal_quantile(0.0), -std::numeric_limits<double>::infinity());
    for (double p : {0.001, 0.01, 0.2, 0.5, 0.7, 0.99, 0.9999}) {
        EXPECT_NEAR(normal_cdf(normal_quantile(p)), p, 1e-14 * std::max(p, 1e-3));
        EXPECT_NEAR(normal_quantile(p), -normal_quantile(1.0 - p), 1e-12);
    }
}

}  // namespace
}  // namespace kindred::sweep
