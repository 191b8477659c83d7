// Tests of output/recorder: summary statistics, per-arm aggregates, trajectory weeks and the
// deterministic trajectory subsample.
#include <gtest/gtest.h>

#include <cmath>
#include <stdexcept>
#include <vector>

#include "core/rng.hpp"
#include "output/recorder.hpp"
#include "output_fixtures.hpp"

namespace kindred {
namespace {

using output_testing::flows_for;
using output_testing::small_world;

constexpr double kTolerance = 1e-12;

TEST(Recorder, SummaryMatchesHandComputedValues) {
    // Sorted 1, 2, 3, 4: mean 2.5, sd sqrt(5/3); numpy 'linear' quartiles at positions
    // 0.75, 1.5, 2.25 → 1.75, 2.5, 3.25.
    std::vector<double> values{4.0, 1.0, 3.0, 2.0};
    const Summary summary = summarise(values);
    EXPECT_NEAR(summary.mean, 2.5, kTolerance);
    EXPECT_NEAR(summary.sd, std::sqrt(5.0 / 3.0), kTolerance);
    EXPECT_NEAR(summary.q25, 1.75, kTolerance);
    EXPECT_NEAR(summary.median, 2.5, kTolerance);
    EXPECT_NEAR(summary.q75, 3.25, kTolerance);
}

TEST(Recorder, QuantileInterpolatesLikeNumpy) {
    // numpy.quantile([10, 0, 7, 3, 5], [0, 0.1, 0.9, 1]) == [0, 1.2, 8.8, 10].
    std::vector<double> values{10.0, 0.0, 7.0, 3.0, 5.0};
    EXPECT_DOUBLE_EQ(quantile(values, 0.0), 0.0);
    EXPECT_NEAR(quantile(values, 0.1), 1.2, kTolerance);
    EXPECT_NEAR(quantile(values, 0.9), 8.8, kTolerance);
    EXPECT_DOUBLE_EQ(quantile(values, 1.0), 10.0);
}

TEST(Recorder, SummaryOfOneValueHasNoSdAndOfNoValuesIsNaN) {
    std::vector<double> one{0.3};
    const Summary single = summarise(one);
    EXPECT_DOUBLE_EQ(single.mean, 0.3);
    EXPECT_TRUE(std::isnan(single.sd));
    EXPECT_DOUBLE_EQ(single.q25, 0.3);
    EXPECT_DOUBLE_EQ(single.q75, 0.3);

    std::vector<double> none;
    const Summary empty = summarise(none);
    EXPECT_TRUE(std::isnan(empty.mean));
    EXPECT_TRUE(std::isnan(empty.sd));
    EXPECT_TRUE(std::isnan(empty.median));
}

TEST(Recorder, AggregatesCountOnlyEachArmsPatients) {
    World world = small_world();
    world.recovered_week[3] = 2;
    const auto aggregates = aggregate_patients(2, world, flows_for(world), 2);
    ASSERT_EQ(aggregates.size(), 3U);

    const PatientAggregates& control = aggregates[0];
    EXPECT_EQ(control.n_patients, 3);
    // Distress 0.9, 0.5, 0.7: mean 0.7, sd 0.2, quartiles 0.6, 0.7, 0.8.
    const Summary& d = control.variables[static_cast<int>(Variable::distress)];
    EXPECT_NEAR(d.mean, 0.7, kTolerance);
    EXPECT_NEAR(d.sd, 0.2, kTolerance);
    EXPECT_NEAR(d.q25, 0.6, kTolerance);
    EXPECT_NEAR(d.median, 0.7, kTolerance);
    EXPECT_NEAR(d.q75, 0.8, kTolerance);
    // Help received 0, 0.01, 0.02.
    EXPECT_NEAR(control.variables[static_cast<int>(Variable::help_received)].mean, 0.01,
                kTolerance);
    // Ties of patients 0 (family, professional, peer), 1 (professional), 2 (none).
    EXPECT_NEAR(control.ties_per_patient[static_cast<int>(TieType::professional)], 2.0 / 3.0,
                kTolerance);
    EXPECT_NEAR(control.ties_per_patient[static_cast<int>(TieType::peer)], 1.0 / 3.0, kTolerance);
    EXPECT_NEAR(control.ties_per_patient[static_cast<int>(TieType::family)], 1.0 / 3.0, kTolerance);
    EXPECT_DOUBLE_EQ(control.ties_per_patient[static_cast<int>(TieType::friend_)], 0.0);
    EXPECT_TRUE(std::isnan(control.mean_tie_strength[static_cast<int>(TieType::friend_)]));
    EXPECT_NEAR(control.mean_tie_strength[static_cast<int>(TieType::family)], 0.6, kTolerance);
    EXPECT_DOUBLE_EQ(control.share_recovered, 0.0);

    const PatientAggregates& program = aggregates[1];
    EXPECT_EQ(program.n_patients, 2);
    EXPECT_NEAR(program.variables[0].mean, 0.3, kTolerance);
    EXPECT_NEAR(program.variables[0].sd, std::sqrt(0.02), kTolerance);
    // Patient 3: friend 0.4; patient 4: friend 0.2 → 1 friend tie per patient, mean w 0.3.
    EXPECT_NEAR(program.ties_per_patient[static_cast<int>(TieType::friend_)], 1.0, kTolerance);
    EXPECT_NEAR(program.mean_tie_strength[static_cast<int>(TieType::friend_)], 0.3, kTolerance);
    // The peer tie 0–3 counts for patient 0 (arm 0) and patient 3 (arm 1).
    EXPECT_NEAR(program.ties_per_patient[static_cast<int>(TieType::peer)], 0.5, kTolerance);
    EXPECT_DOUBLE_EQ(program.share_recovered, 0.5);

    const PatientAggregates& all = aggregates[2];
    EXPECT_EQ(all.n_patients, 6);
    EXPECT_NEAR(all.variables[0].mean, (0.9 + 0.5 + 0.7 + 0.2 + 0.4 + 0.6) / 6.0, kTolerance);
    EXPECT_NEAR(all.ties_per_patient[static_cast<int>(TieType::peer)], 2.0 / 6.0, kTolerance);
}

TEST(Recorder, ShareRecoveredCountsOnlyWeeksUpToNow) {
    World world = small_world();
    world.recovered_week[3] = 5;
    EXPECT_DOUBLE_EQ(aggregate_patients(4, world, flows_for(world), 2)[1].share_recovered, 0.0);
    EXPECT_DOUBLE_EQ(aggregate_patients(5, world, flows_for(world), 2)[1].share_recovered, 0.5);
}

TEST(Recorder, AggregatesRejectFlowsOfAnotherSize) {
    const World world = small_world();
    Flows flows;
    flows.resize(3);
    EXPECT_THROW(aggregate_patients(0, world, flows, 2), std::invalid_argument);
}

TEST(Recorder, TrajectoryWeeksAreMultiplesAndTheFinalWeek) {
    EXPECT_EQ(trajectory_weeks(10, 4), (std::vector<int>{0, 4, 8, 10}));
    EXPECT_EQ(trajectory_weeks(8, 4), (std::vector<int>{0, 4, 8}));
    EXPECT_EQ(trajectory_weeks(3, 1), (std::vector<int>{0, 1, 2, 3}));
    EXPECT_EQ(trajectory_weeks(0, 5), (std::vector<int>{0}));
}

TEST(Recorder, TrajectorySampleIsTheRandomStreamRule) {
    RecordingOptions options;
    options.agent_fraction = 0.3;
    options.roles = {Role::patient, Role::volunteer};
    int kept = 0;
    for (AgentId id = 0; id < 2000; ++id) {
        const Role role =
            id % 3 == 0 ? Role::family : (id % 3 == 1 ? Role::patient : Role::volunteer);
        const bool expected =
            role != Role::family &&
            RandomStream(42, 3, 0, static_cast<std::uint64_t>(id), Purpose::trajectory_sample)
                    .uniform() < 0.3;
        const bool sampled = in_trajectory_sample(id, role, 42, 3, options);
        EXPECT_EQ(sampled, expected) << "agent " << id;
        EXPECT_EQ(sampled, in_trajectory_sample(id, role, 42, 3, options));
        kept += sampled ? 1 : 0;
    }
    // 1333 eligible agents kept with probability 0.3: mean 400, sd ≈ 16.7; ±5 sd.
    EXPECT_NEAR(kept, 400, 84);
}

TEST(Recorder, FullFractionKeepsEverySelectedRole) {
    RecordingOptions options;
    EXPECT_TRUE(in_trajectory_sample(7, Role::professional, 1, 0, options));
    options.roles = {Role::patient};
    EXPECT_FALSE(in_trajectory_sample(7, Role::professional, 1, 0, options));
    EXPECT_TRUE(in_trajectory_sample(7, Role::patient, 1, 0, options));
    options.agent_fraction = 0.0;
    EXPECT_FALSE(in_trajectory_sample(7, Role::patient, 1, 0, options));
}

TEST(Recorder, ValidateRejectsOutOfRangeOptions) {
    RecordingOptions options;
    EXPECT_NO_THROW(validate(options, 10));
    options.tie_snapshot_weeks = {0, 10};
    EXPECT_NO_THROW(validate(options, 10));
    options.tie_snapshot_weeks = {11};
    EXPECT_THROW(validate(options, 10), InputError);
    options.tie_snapshot_weeks.clear();
    options.every_weeks = 0;
    EXPECT_THROW(validate(options, 10), InputError);
    options.every_weeks = 1;
    options.agent_fraction = 1.5;
    EXPECT_THROW(validate(options, 10), InputError);
    options.agent_fraction = 1.0;
    options.compression_level = 10;
    EXPECT_THROW(validate(options, 10), InputError);
}

}  // namespace
}  // namespace kindred
