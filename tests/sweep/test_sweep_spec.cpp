// The sweep section and the plan: designs become points and override strings, integers are
// rounded, words are accepted where the field takes them, runs interleave points with distinct
// random streams, errors name the file and the key, and a sweep run equals the trial run with
// the same random streams.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cmath>
#include <filesystem>
#include <set>

#include "config/scenario.hpp"
#include "sweep/evaluator.hpp"
#include "sweep/sweep_spec.hpp"
#include "trial/trial.hpp"

namespace kindred::sweep {
namespace {

const std::filesystem::path kSource = KINDRED_SOURCE_DIR;

/// A 40-patient, 12-week trial; the sweep section starts on line 8.
std::string scenario_with(const std::string& sweep) {
    return "name: t\n"
           "seed: 3\n"
           "weeks: 12\n"
           "population: {generator: ego_network, patients: 40}\n"
           "arms:\n"
           "  - {name: control, control: true, share: 0.5}\n"
           "  - {name: befriending, share: 0.5, programs: [befriending]}\n" +
           sweep;
}

class SweepPlanTest : public ::testing::Test {
  protected:
    ModelCatalogue catalogue_{{kSource / "models"}};

    SweepPlan plan(const std::string& sweep, const std::vector<std::string>& overrides = {}) {
        return make_plan(scenario_with(sweep), "t.yaml", catalogue_, overrides);
    }

    /// The message of the InputError that make_plan throws.
    std::string error_of(const std::string& sweep) {
        try {
            plan(sweep);
        } catch (const InputError& error) {
            return error.what();
        }
        ADD_FAILURE() << "no InputError for:\n" << sweep;
        return {};
    }
};

TEST_F(SweepPlanTest, GridHasEveryCombinationVisitedInCoverageOrder) {
    const SweepPlan p = plan(
        "sweep:\n"
        "  replicates: 2\n"
        "  variables:\n"
        "    beta_help: [0.005, 0.01]\n"
        "    phi: {min: 0.01, max: 0.03, steps: 3}\n");
    ASSERT_EQ(p.point_count, 6);
    EXPECT_EQ(p.runs_total(), 12);
    EXPECT_EQ(p.values[0], 0.005);
    EXPECT_EQ(p.values[1], 0.01);
    EXPECT_EQ(p.values[5 * 2 + 0], 0.01);
    EXPECT_EQ(p.values[5 * 2 + 1], 0.03);
    EXPECT_EQ(p.order, coverage_order(6));
    EXPECT_EQ(p.point_overrides[1], "beta_help=0.005\nphi=0.02");
    EXPECT_EQ(p.point_scenario(5).params.beta_help, 0.01);
    EXPECT_EQ(p.point_scenario(5).params.phi, 0.03);
    // Default outcome weeks for a 12-week run: week 12 only.
    EXPECT_EQ(p.sweep.outcome_weeks, std::vector<int>{12});
}

TEST_F(SweepPlanTest, RunsInterleavePointsAndDrawFromDistinctStreams) {
    const std::string sweep =
        "sweep:\n"
        "  replicates: 3\n"
        "  variables:\n"
        "    beta_help: [0.005, 0.01, 0.02, 0.03]\n";
    const SweepPlan p = plan(sweep);
    std::set<std::uint64_t> streams;
    for (std::int64_t id = 0; id < p.runs_total(); ++id) {
        const RunKey key = p.run_key(id);
        EXPECT_EQ(key.replicate, id / 4);  // a pass over all points per replicate
        EXPECT_EQ(key.point, p.order[static_cast<std::size_t>(id % 4)]);
        EXPECT_EQ(key.stream, static_cast<std::uint64_t>(key.point * 3 + key.replicate));
        streams.insert(key.stream);
    }
    EXPECT_EQ(streams.size(), 12u);
    const SweepPlan paired = plan(sweep + "  common_random_numbers: true\n");
    for (std::int64_t id = 0; id < paired.runs_total(); ++id) {
        EXPECT_EQ(paired.run_key(id).stream, static_cast<std::uint64_t>(id / 4));
    }
}

TEST_F(SweepPlanTest, IntegerVariablesAreIntegers) {
    const SweepPlan lhs = plan(
        "sweep:\n"
        "  design: latin_hypercube\n"
        "  points: 9\n"
        "  variables:\n"
        "    rec_weeks: {min: 4, max: 12}\n");
    // Nine strata over the nine integers 4 … 12: each integer exactly once.
    std::multiset<double> values(lhs.values.begin(), lhs.values.end());
    EXPECT_EQ(values, (std::multiset<double>{4, 5, 6, 7, 8, 9, 10, 11, 12}));
    for (std::int64_t point = 0; point < 9; ++point) {
        const auto& text = lhs.point_overrides[static_cast<std::size_t>(point)];
        EXPECT_EQ(text.find('.'), std::string::npos) << text;
        EXPECT_EQ(lhs.point_scenario(point).params.rec_weeks,
                  static_cast<int>(lhs.values[static_cast<std::size_t>(point)]));
    }
    const SweepPlan grid = plan(
        "sweep:\n"
        "  variables:\n"
        "    population.patients: {min: 40, max: 61, steps: 3}\n");
    EXPECT_EQ(grid.values, (std::vector<double>{40, 51, 61}));  // 50.5 rounds away from zero
    EXPECT_EQ(grid.point_overrides[1], "population.patients=51");
    EXPECT_EQ(grid.point_scenario(1).population.ego.patients, 51);
}

TEST_F(SweepPlanTest, ProgramFieldsTakeTheirWords) {
    const SweepPlan p = plan(
        "sweep:\n"
        "  variables:\n"
        "    befriending.befriending.reciprocity: [unidirectional, partial, reciprocal]\n"
        "    '*.befriending.expertise': [none, provider]\n");
    ASSERT_EQ(p.point_count, 6);
    EXPECT_EQ(p.values[0], 0.0);
    EXPECT_EQ(p.values[2 * 2], 0.5);
    EXPECT_EQ(p.point_overrides[1],
              "befriending.befriending.reciprocity=0\n*.befriending.expertise=provider");
    const ProgramSpec& program = p.point_scenario(5).arms[1].programs[0];
    EXPECT_EQ(program.reciprocity, 1.0);
    EXPECT_EQ(program.expertise, Expertise::provider);
}

TEST_F(SweepPlanTest, DistributionsStayWithinTheirSupport) {
    const SweepPlan p = plan(
        "sweep:\n"
        "  design: sobol\n"
        "  points: 64\n"
        "  variables:\n"
        "    sigma: {distribution: normal, mean: 0.01, sd: 0.02, min: 0}\n"
        "    phi: {distribution: loguniform, min: 0.001, max: 0.1}\n"
        "    p_event: {distribution: triangular, min: 0.0, mode: 0.02, max: 0.1}\n");
    ASSERT_EQ(p.point_count, 64);
    for (std::size_t point = 0; point < 64; ++point) {
        EXPECT_GE(p.values[point * 3 + 0], 0.0);
        EXPECT_GE(p.values[point * 3 + 1], 0.001);
        EXPECT_LE(p.values[point * 3 + 1], 0.1);
        EXPECT_GE(p.values[point * 3 + 2], 0.0);
        EXPECT_LE(p.values[point * 3 + 2], 0.1);
        EXPECT_EQ(p.unit[point * 3], sobol_design(64, 3).at(point, 0));
    }
    // Log-uniform: half the points below the geometric midpoint 0.01 (Sobol is balanced).
    int below = 0;
    for (std::size_t point = 0; point < 64; ++point) below += p.values[point * 3 + 1] < 0.01;
    EXPECT_EQ(below, 32);
}

TEST_F(SweepPlanTest, SaltelliPlansNTimesKPlusTwoPoints) {
    const SweepPlan p = plan(
        "sweep:\n"
        "  design: saltelli\n"
        "  points: 8\n"
        "  variables:\n"
        "    beta_help: {min: 0.005, max: 0.02}\n"
        "    phi: {min: 0.01, max: 0.03}\n");
    EXPECT_EQ(p.point_count, 8 * (2 + 2));
    ASSERT_EQ(p.saltelli.block.size(), 32u);
    EXPECT_EQ(p.saltelli.block[0], SaltelliBlock::a);
    EXPECT_EQ(p.saltelli.block[3], SaltelliBlock::b);
    // AB^(0) takes beta_help from B and phi from A.
    EXPECT_EQ(p.values[1 * 2 + 0], p.values[3 * 2 + 0]);
    EXPECT_EQ(p.values[1 * 2 + 1], p.values[0 * 2 + 1]);
}

TEST_F(SweepPlanTest, ErrorsNameTheFileAndTheKey) {
    const std::string unknown = error_of(
        "sweep:\n"
        "  variables:\n"
        "    beta_hlp: [0.01]\n");
    EXPECT_NE(unknown.find("t.yaml:10:15: key 'sweep.variables.beta_hlp': beta_hlp=0.01"),
              std::string::npos)
        << unknown;
    EXPECT_NE(unknown.find("unknown name 'beta_hlp'"), std::string::npos) << unknown;

    const std::string out_of_range = error_of(
        "sweep:\n"
        "  variables:\n"
        "    beta_help: [0.01]\n"
        "    phi: [0.01, 5]\n");
    EXPECT_NE(out_of_range.find("t.yaml:9:3: key 'sweep': point 1 (beta_help=0.01, phi=5)"),
              std::string::npos)
        << out_of_range;

    EXPECT_NE(error_of("sweep:\n  desgin: grid\n  variables: {phi: [0.01]}\n").find("t.yaml:9:3"),
              std::string::npos);
    EXPECT_NE(error_of("sweep:\n  variables: {phi: {min: 0.01, max: 0.03}}\n").find("steps"),
              std::string::npos);
    EXPECT_NE(error_of("sweep:\n  variables: {seed: [1, 2]}\n").find("cannot vary"),
              std::string::npos);
    EXPECT_NE(error_of("sweep:\n  points: 4\n  variables: {phi: [0.01]}\n").find("grid"),
              std::string::npos);
    EXPECT_NE(error_of("sweep:\n  design: sobol\n  variables: {phi: [0.01]}\n").find("points"),
              std::string::npos);
    EXPECT_NE(error_of("sweep:\n  variables: {phi: [0.01, 0.01]}\n").find("each value once"),
              std::string::npos);
    EXPECT_NE(error_of("sweep:\n  outcome_weeks: [13]\n  variables: {phi: [0.01]}\n")
                  .find("a week in [0, 12]"),
              std::string::npos);
    EXPECT_NE(error_of("").find("sweep"), std::string::npos);
}

TEST_F(SweepPlanTest, ARunEqualsTheTrialRunWithTheSameStreams) {
    // One point whose value is the default: run 0 (point 0, replicate 0, stream 0) must be the
    // trial's replicate 0, to the bit.
    const SweepPlan p = plan(
        "sweep:\n"
        "  outcome_weeks: [6, 12]\n"
        "  variables:\n"
        "    beta_help: [0.01]\n");
    const OutcomeLayout layout = OutcomeLayout::make(2, {6, 12}, 12, false);
    const std::vector<double> outcomes = evaluate_run(p.point_scenario(0), 0, layout);

    const auto dir = std::filesystem::temp_directory_path() /
                     ("kindred_sweep_spec_" + std::to_string(::getpid()));
    TrialOptions options;
    options.output = dir / "trial.h5";
    const TrialResult trial = run_trial(p.base, options);
    std::filesystem::remove_all(dir);
    // distress [arm, week]: arm 1, week index 1 (week 12 = T).
    EXPECT_EQ(outcomes[layout.offsets[0] + 1 * 2 + 1], trial.arms[1].mean_distress_end);
    EXPECT_EQ(outcomes[layout.offsets[0] + 0 * 2 + 1], trial.arms[0].mean_distress_end);
    EXPECT_EQ(outcomes[layout.offsets[1] + 1 * 2 + 1], trial.arms[1].effect_end.g);
    EXPECT_TRUE(std::isnan(outcomes[layout.offsets[1] + 0 * 2 + 1]));  // control: no g
    EXPECT_EQ(outcomes[layout.offsets[3] + 1 * 2 + 1], trial.arms[1].share_recovered);
}

}  // namespace
}  // namespace kindred::sweep
