// Kaplan–Meier and log-rank against the classic published example: remission times (weeks)
// of the 6-MP and placebo groups of the acute leukaemia trial of Freireich et al. (1963),
// Blood 21:699, as tabulated by Gehan (1965), Biometrika 52:203, and worked in Kleinbaum &
// Klein, Survival Analysis (3rd ed., 2012), ch. 2, and Collett, Modelling Survival Data in
// Medical Research (3rd ed., 2015), §2.1. Expected values are the published table's (3
// decimals; R survival::survfit with conf.type = "log-log" and survdiff give the same).
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <vector>

#include "analysis/survival.hpp"

namespace kindred::analysis {
namespace {

// 6-MP group, n = 21; event 0 = censored (remission continuing).
const std::vector<double> kSixMpTimes = {6,  6,  6,  6,  7,  9,  10, 10, 11, 13, 16,
                                         17, 19, 20, 22, 23, 25, 32, 32, 34, 35};
const std::vector<std::uint8_t> kSixMpEvents = {1, 1, 1, 0, 1, 0, 1, 0, 0, 1, 1,
                                                0, 0, 0, 1, 1, 0, 0, 0, 0, 0};
// Placebo group, n = 21, all relapsed.
const std::vector<double> kPlaceboTimes = {1, 1, 2,  2,  3,  4,  4,  5,  5,  8, 8,
                                           8, 8, 11, 11, 12, 12, 15, 17, 22, 23};
const std::vector<std::uint8_t> kPlaceboEvents(21, 1);

TEST(KaplanMeier, FreireichSixMpSurvivalTable) {
    const KaplanMeier km = kaplan_meier(kSixMpTimes, kSixMpEvents);
    EXPECT_EQ(km.subjects, 21);
    EXPECT_EQ(km.events, 9);
    struct Expected {
        double time;
        int at_risk, events;
        double survival, se, low, high;
    };
    // time, n at risk, events, S(t), Greenwood SE, 95% log-log interval.
    const std::vector<Expected> expected = {
        {6, 21, 3, 0.857, 0.0764, 0.620, 0.952},  {7, 17, 1, 0.807, 0.0869, 0.563, 0.923},
        {10, 15, 1, 0.753, 0.0963, 0.503, 0.889}, {13, 12, 1, 0.690, 0.1068, 0.432, 0.849},
        {16, 11, 1, 0.627, 0.1141, 0.368, 0.805}, {22, 7, 1, 0.538, 0.1282, 0.268, 0.747},
        {23, 6, 1, 0.448, 0.1346, 0.188, 0.680},
    };
    std::size_t checked = 0;
    for (const SurvivalRow& row : km.rows) {
        if (row.events == 0) continue;
        ASSERT_LT(checked, expected.size());
        const Expected& e = expected[checked++];
        EXPECT_EQ(row.time, e.time);
        EXPECT_EQ(row.at_risk, e.at_risk) << "t = " << e.time;
        EXPECT_EQ(row.events, e.events) << "t = " << e.time;
        EXPECT_NEAR(row.survival, e.survival, 5e-4) << "t = " << e.time;
        EXPECT_NEAR(row.se, e.se, 5e-5) << "t = " << e.time;
        EXPECT_NEAR(row.ci_low, e.low, 1.5e-3) << "t = " << e.time;
        EXPECT_NEAR(row.ci_high, e.high, 1.5e-3) << "t = " << e.time;
    }
    EXPECT_EQ(checked, expected.size());
    EXPECT_EQ(km.median, 23.0);  // first time with S ≤ 0.5
    EXPECT_NEAR(km.survival_at(15.9), 0.690, 5e-4);
    EXPECT_DOUBLE_EQ(km.survival_at(5.0), 1.0);
    // Censored-only times are rows too: 9 (one censored, at risk 16).
    bool saw_nine = false;
    for (const SurvivalRow& row : km.rows) {
        if (row.time == 9) {
            saw_nine = true;
            EXPECT_EQ(row.censored, 1);
            EXPECT_EQ(row.at_risk, 16);
        }
    }
    EXPECT_TRUE(saw_nine);
}

TEST(KaplanMeier, FreireichPlaceboMedianIsEightWeeks) {
    const KaplanMeier km = kaplan_meier(kPlaceboTimes, kPlaceboEvents);
    EXPECT_EQ(km.median, 8.0);
    EXPECT_DOUBLE_EQ(km.rows.back().survival, 0.0);
}

// Log-rank: O = 9, E = 19.25 in the 6-MP group; O = 21, E = 10.75 placebo;
// χ² = 16.79 on 1 df, p = 4.17e-5 (Kleinbaum & Klein, ch. 2; R survdiff: "Chisq = 16.8").
TEST(LogRank, FreireichLeukaemiaTrial) {
    const LogRank test = log_rank(kSixMpTimes, kSixMpEvents, kPlaceboTimes, kPlaceboEvents);
    EXPECT_DOUBLE_EQ(test.observed_first, 9.0);
    EXPECT_NEAR(test.expected_first, 19.25, 5e-3);
    EXPECT_DOUBLE_EQ(test.observed_second, 21.0);
    EXPECT_NEAR(test.expected_second, 10.75, 5e-3);
    EXPECT_NEAR(test.chi_square, 16.79, 5e-3);
    EXPECT_NEAR(test.p_value, 4.17e-5, 5e-7);
}

}  // namespace
}  // namespace kindred::analysis
