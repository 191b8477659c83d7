// Tests of output/recorder: summary statistics, per-arm aggregates, trajectory weeks and the
// deterministic trajectory subsample.
#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <bit>
#include <cmath>
#include <cstdint>
#include <limits>
#include <stdexcept>
#include <string>
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

/// The bits of a double (== would take −0.0 for +0.0 and fail every NaN).
std::uint64_t bits_of(double value) { return std::bit_cast<std::uint64_t>(value); }

/// quartiles(values) against three calls of quantile() and against the order statistics of a
/// sorted copy, bit for bit.
void expect_quartiles_of(const std::vector<double>& values, const std::string& what) {
    std::vector<double> fast = values;
    const Quartiles q = quartiles(fast);
    const std::array<double, 3> got = {q.q25, q.median, q.q75};
    const std::array<double, 3> probabilities = {0.25, 0.5, 0.75};
    std::vector<double> sorted = values;
    std::sort(sorted.begin(), sorted.end());
    for (std::size_t k = 0; k < 3; ++k) {
        std::vector<double> copy = values;
        EXPECT_EQ(bits_of(got[k]), bits_of(quantile(copy, probabilities[k])))
            << what << ", n = " << values.size() << ", p = " << probabilities[k];
        EXPECT_EQ(bits_of(got[k]), bits_of(quantile(sorted, probabilities[k])))
            << what << ", n = " << values.size() << ", p = " << probabilities[k] << " (sorted)";
    }
}

TEST(Recorder, QuartilesAreTheQuantilesBitForBit) {
    // Sizes on both sides of the histogram's minimum (256) and of its bucket counts, and
    // samples that put many values in one bucket (few distinct values, all equal, +0.0 runs),
    // spread them over the whole range of doubles, or mix signs, infinities and subnormals.
    for (const std::size_t n : {5, 255, 256, 257, 1023, 1025, 2047, 4096, 10001, 65536, 200003}) {
        RandomStream stream(11, 0, 0, n, Purpose::trajectory_sample);
        std::vector<double> uniform, skewed, few, equal, zeros, wide, mixed;
        for (std::size_t i = 0; i < n; ++i) {
            const double u = stream.uniform();
            uniform.push_back(u);
            skewed.push_back(u * u * u * u);
            few.push_back(std::floor(u * 5.0) / 4.0);
            equal.push_back(0.7);
            zeros.push_back(u < 0.6 ? 0.0 : u);
            wide.push_back(std::ldexp(1.0 + u, static_cast<int>(stream.below(2000)) - 1000));
            const double pick = stream.uniform();
            mixed.push_back(pick < 0.01   ? std::numeric_limits<double>::infinity()
                            : pick < 0.02 ? -std::numeric_limits<double>::infinity()
                            : pick < 0.05 ? std::numeric_limits<double>::denorm_min() * u * 1e6
                            : pick < 0.5  ? -u
                                          : u);
        }
        expect_quartiles_of(uniform, "uniform");
        expect_quartiles_of(skewed, "u^4");
        expect_quartiles_of(few, "five values");
        expect_quartiles_of(equal, "all equal");
        expect_quartiles_of(zeros, "60% zeros");
        expect_quartiles_of(wide, "2^-1000 … 2^1000");
        expect_quartiles_of(mixed, "signs, infinities, subnormals");
    }
}

TEST(Recorder, QuartilesWithNegativeZeroOrNaNAreTheSelections) {
    // −0.0 == +0.0 and NaN is unordered: such samples take quantile()'s three selections, so
    // the result is theirs whatever std::nth_element picks among equal values.
    for (const double odd : {-0.0, std::numeric_limits<double>::quiet_NaN()}) {
        std::vector<double> values;
        RandomStream stream(12, 0, 0, 0, Purpose::trajectory_sample);
        for (int i = 0; i < 5000; ++i) {
            const double u = stream.uniform();
            values.push_back(u < 0.3 ? 0.0 : u < 0.31 ? odd : u);
        }
        std::vector<double> fast = values;
        const Quartiles q = quartiles(fast);
        std::vector<double> slow = values;
        EXPECT_EQ(bits_of(q.q25), bits_of(quantile(slow, 0.25)));
        EXPECT_EQ(bits_of(q.median), bits_of(quantile(slow, 0.5)));
        EXPECT_EQ(bits_of(q.q75), bits_of(quantile(slow, 0.75)));
    }
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

TEST(Recorder, AggregatesOfManyArmsCountTiesForTheirArm) {
    // More arms than a byte per agent can name (the tie counts then use an int per agent):
    // patient 3 moves to arm 150 of 200 and takes its friend tie (w 0.4) and its peer tie.
    World world = small_world();
    world.arm[3] = 150;
    const auto aggregates = aggregate_patients(2, world, flows_for(world), 200);
    ASSERT_EQ(aggregates.size(), 201U);
    const PatientAggregates& moved = aggregates[150];
    EXPECT_EQ(moved.n_patients, 1);
    EXPECT_DOUBLE_EQ(moved.ties_per_patient[static_cast<int>(TieType::friend_)], 1.0);
    EXPECT_DOUBLE_EQ(moved.ties_per_patient[static_cast<int>(TieType::peer)], 1.0);
    EXPECT_NEAR(moved.mean_tie_strength[static_cast<int>(TieType::friend_)], 0.4, kTolerance);
    EXPECT_EQ(aggregates[1].n_patients, 1);
    EXPECT_NEAR(aggregates[1].mean_tie_strength[static_cast<int>(TieType::friend_)], 0.2,
                kTolerance);
    EXPECT_EQ(aggregates[2].n_patients, 0);
    EXPECT_TRUE(std::isnan(aggregates[2].ties_per_patient[0]));
    EXPECT_NEAR(aggregates[200].ties_per_patient[static_cast<int>(TieType::peer)], 2.0 / 6.0,
                kTolerance);
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
