// Risk difference and NNT against hand-computed values (Altman 1998, BMJ 317:1309, method).
#include <gtest/gtest.h>

#include <cmath>

#include "analysis/proportions.hpp"

namespace kindred::analysis {
namespace {

// 60/100 versus 40/100: RD = 0.2, SE = sqrt(0.24/100 + 0.24/100) = 0.0692820,
// 95% CI 0.2 ± 1.959964 · 0.069282 = (0.064210, 0.335790); NNT 5 (2.978, 15.574).
TEST(Proportions, RiskDifferenceAndNnt) {
    const RiskDifference rd = risk_difference(60, 100, 40, 100);
    EXPECT_DOUBLE_EQ(rd.risk_treated, 0.6);
    EXPECT_DOUBLE_EQ(rd.risk_control, 0.4);
    EXPECT_NEAR(rd.difference, 0.2, 1e-15);
    EXPECT_NEAR(rd.se, 0.0692820323, 1e-9);
    EXPECT_NEAR(rd.ci_low, 0.0642097, 1e-6);
    EXPECT_NEAR(rd.ci_high, 0.3357903, 1e-6);
    EXPECT_NEAR(rd.nnt, 5.0, 1e-12);
    EXPECT_NEAR(rd.nnt_ci_low, 2.978045, 1e-5);
    EXPECT_NEAR(rd.nnt_ci_high, 15.574, 1e-3);
}

// An interval of RD through zero gives Altman's "NNT(benefit) to ∞ to NNT(harm)".
TEST(Proportions, NntIntervalThroughInfinity) {
    const RiskDifference rd = risk_difference(12, 100, 10, 100);
    EXPECT_LT(rd.ci_low, 0.0);
    EXPECT_GT(rd.ci_high, 0.0);
    EXPECT_GT(rd.nnt_ci_low, 0.0);   // benefit side
    EXPECT_LT(rd.nnt_ci_high, 0.0);  // harm side
    EXPECT_NEAR(rd.nnt, 50.0, 1e-9);
}

TEST(Proportions, EmptyGroupIsUndefined) {
    EXPECT_TRUE(std::isnan(risk_difference(0, 0, 1, 10).difference));
}

}  // namespace
}  // namespace kindred::analysis
