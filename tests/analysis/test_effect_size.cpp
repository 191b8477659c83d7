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

// The percentile bootstrap of g on the same textbook data. With 50 per group g is close to
// normal, so the percentile interval must agree with the analytic one (0.195, 0.990) to within
// the Monte Carlo error of 4000 replicates plus the difference between the bootstrap and
// Hedges' large-sample variance (about 0.03 here; tolerance 0.06).
TEST(EffectSize, BootstrapIntervalOfGAgreesWithTheAnalyticOneOnTextbookData) {
    const auto treated = sample_with(103, 5.5, 50);
    const auto control = sample_with(100, 4.5, 50);
    const EffectSize e = hedges_g(treated, control);
    const Interval ci = bootstrap_hedges_g(treated, control, 4000, 2009);
    EXPECT_NEAR(ci.low, e.ci_low, 0.06);
    EXPECT_NEAR(ci.high, e.ci_high, 0.06);
    EXPECT_LT(ci.low, e.g);
    EXPECT_GT(ci.high, e.g);
    // Seeded: the same seed gives the same interval, another seed a slightly different one.
    const Interval again = bootstrap_hedges_g(treated, control, 4000, 2009);
    EXPECT_EQ(ci.low, again.low);
    EXPECT_EQ(ci.high, again.high);
    const Interval other = bootstrap_hedges_g(treated, control, 4000, 7);
    EXPECT_NE(ci.low, other.low);
    EXPECT_NEAR(ci.low, other.low, 0.05);
}

TEST(Resampling, PercentileIntervalInterpolatesLikeNumpy) {
    std::vector<double> draws;
    for (int i = 0; i <= 100; ++i) draws.push_back(100.0 - i);  // 0 … 100, unsorted
    draws.push_back(std::nan(""));                              // dropped
    const Interval ci = percentile_interval(draws, 0.95);
    EXPECT_NEAR(ci.low, 2.5, 1e-12);  // numpy.percentile(range(101), 2.5) = 2.5
    EXPECT_NEAR(ci.high, 97.5, 1e-12);
    EXPECT_TRUE(std::isnan(percentile_interval({1.0}).low));
}

TEST(Resampling, StratifiedResamplesStayInTheirStrata) {
    const std::vector<std::vector<std::size_t>> strata = {{0, 1, 2}, {10, 11}};
    ResampleStream random(1, 2);
    const auto rows = resample_strata(strata, random);
    ASSERT_EQ(rows.size(), 5u);
    for (int k = 0; k < 3; ++k) EXPECT_LE(rows[k], 2u);
    for (int k = 3; k < 5; ++k) EXPECT_GE(rows[k], 10u);
}

TEST(EffectSize, UndefinedForTinyOrConstantSamples) {
    EXPECT_TRUE(std::isnan(hedges_g(std::vector<double>{1.0}, std::vector<double>{1, 2}).g));
    EXPECT_TRUE(std::isnan(hedges_g(std::vector<double>{1, 1}, std::vector<double>{1, 1}).g));
}

}  // namespace
}  // namespace kindred::analysis
