// Hedges' g against the worked example of Borenstein et al. (2009), Introduction to
// Meta-Analysis, chapter 4: means 103 vs 100, SDs 5.5 vs 4.5, n = 50 each →
// d = 0.5970, g = 0.5924, SE(g) = 0.2028.
#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "analysis/effect_size.hpp"

namespace kindred::analysis {
namespace {

/// n values with exactly the given mean and sample SD (half at mean + a, half at mean − a).
std::vector<double> sample_with(double mean_value, double sd, int n) {
    const double a = sd * std::sqrt((n - 1.0) / n);
    std::vector<double> values;
    for (int i = 0; i < n; ++i) values.push_back(mean_value + (i % 2 == 0 ? a : -a));
    return values;
}

TEST(EffectSize, MeanAndSampleSd) {
    const std::vector<double> x = {2, 4, 4, 4, 5, 5, 7, 9};
    EXPECT_DOUBLE_EQ(mean(x), 5.0);
    EXPECT_NEAR(sample_sd(x), std::sqrt(32.0 / 7.0), 1e-15);
    EXPECT_TRUE(std::isnan(mean(std::vector<double>{})));
    EXPECT_TRUE(std::isnan(sample_sd(std::vector<double>{1.0})));
}

TEST(EffectSize, HedgesGMatchesTheBorensteinWorkedExample) {
    const auto treated = sample_with(103, 5.5, 50);
    const auto control = sample_with(100, 4.5, 50);
    ASSERT_NEAR(sample_sd(treated), 5.5, 1e-12);
    const EffectSize e = hedges_g(treated, control);
    EXPECT_NEAR(e.g, 0.5924, 5e-5);
    EXPECT_NEAR(e.se, 0.2028, 5e-5);
    EXPECT_NEAR(e.ci_low, 0.5924 - 1.96 * 0.2028, 5e-4);
    EXPECT_NEAR(e.ci_high, 0.5924 + 1.96 * 0.2028, 5e-4);
    const EffectSize reversed = hedges_g(control, treated);
    EXPECT_NEAR(reversed.g, -e.g, 1e-12);
}

TEST(EffectSize, UndefinedForTinyOrConstantSamples) {
    EXPECT_TRUE(std::isnan(hedges_g(std::vector<double>{1.0}, std::vector<double>{1, 2}).g));
    EXPECT_TRUE(std::isnan(hedges_g(std::vector<double>{1, 1}, std::vector<double>{1, 1}).g));
}

}  // namespace
}  // namespace kindred::analysis
