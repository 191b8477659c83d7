// The trial runner: the default scenario reproduces the patterns of spec §6, runs are
// reproducible, replicates differ, and the result file appears only when complete.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cmath>
#include <filesystem>

#include "config/scenario.hpp"
#include "trial/trial.hpp"

namespace kindred {
namespace {

const std::filesystem::path kSource = KINDRED_SOURCE_DIR;

class Trial : public ::testing::Test {
  protected:
    std::filesystem::path dir_ =
        std::filesystem::temp_directory_path() / ("kindred_trial_" + std::to_string(::getpid()));
    ModelCatalogue catalogue_{{kSource / "models"}};
    void SetUp() override { std::filesystem::create_directories(dir_); }
    void TearDown() override { std::filesystem::remove_all(dir_); }
};

TEST_F(Trial, DefaultScenarioShowsThePatternsOfSpecSection6) {
    const ScenarioSpec scenario =
        load_scenario_file(kSource / "scenarios/default.yaml", catalogue_);
    TrialOptions options;
    options.output = dir_ / "default.h5";
    const TrialResult result = run_trial(scenario, options);
    ASSERT_EQ(result.arms.size(), 2u);
    const ArmSummary& control = result.arms[0];
    const ArmSummary& befriending = result.arms[1];
    ASSERT_TRUE(control.control);
    EXPECT_EQ(control.patients, 500);
    EXPECT_EQ(befriending.patients, 500);
    // "control mean distress 0.70 → about 0.60 at week 52": Beta(7,3) has mean 0.7 and the
    // mean of 500 draws has SE 0.0065, so ±0.02 at week 0; "about 0.60" read as ±0.05.
    EXPECT_NEAR(control.mean_distress_start, 0.70, 0.02);
    EXPECT_NEAR(control.mean_distress_mid, 0.60, 0.05);
    // "few recoveries by week 104".
    EXPECT_LT(control.share_recovered, 0.15);
    // "program effects at week 52 between about 0.2 (befriending) and 0.9 SD": befriending
    // reduces distress, with a CI that excludes zero, and an effect no larger than 0.9 SD.
    EXPECT_LT(befriending.effect_mid.ci_high, 0.0);
    EXPECT_GT(befriending.effect_mid.g, -0.9);
    EXPECT_TRUE(std::isnan(control.effect_mid.g));
    EXPECT_TRUE(std::filesystem::exists(options.output));
}

TEST_F(Trial, SameScenarioTwiceGivesTheSameSummaryAndReplicatesPool) {
    ScenarioSpec scenario = load_scenario_file(kSource / "scenarios/default.yaml", catalogue_,
                                               {"replicates=2", "sigma=0.03"});
    scenario.population.ego.patients = 120;
    scenario.output.trajectories.enabled = false;
    TrialOptions options;
    options.output = dir_ / "a.h5";
    const TrialResult a = run_trial(scenario, options);
    options.output = dir_ / "b.h5";
    const TrialResult b = run_trial(scenario, options);
    ASSERT_EQ(a.arms.size(), b.arms.size());
    for (std::size_t i = 0; i < a.arms.size(); ++i) {
        EXPECT_EQ(a.arms[i].mean_distress_end, b.arms[i].mean_distress_end);
        EXPECT_EQ(a.arms[i].patients, 60);
        EXPECT_EQ(a.arms[i].replicates, 2);
    }
    EXPECT_EQ(a.mid_week, 52);
    // Replicates are different worlds.
    const World first = build_world(scenario, 0);
    const World second = build_world(scenario, 1);
    EXPECT_NE(first.state.distress, second.state.distress);
}

TEST_F(Trial, PairedCounterfactualSharesRandomNumbers) {
    // Without any program, the paired run is the same run: every individual effect is 0
    // exactly, although σ, p_event and φ are all on (common random numbers, spec §7).
    ScenarioSpec scenario = load_scenario_file(kSource / "scenarios/default.yaml", catalogue_,
                                               {"population.patients=150"});
    scenario.output.trajectories.enabled = false;
    scenario.output.tie_snapshot_weeks.clear();
    scenario.counterfactual = true;
    ScenarioSpec no_program = scenario;
    no_program.arms[1].programs.clear();
    TrialOptions options;
    options.output = dir_ / "none.h5";
    const TrialResult none = run_trial(no_program, options);
    for (const ArmSummary& arm : none.arms) {
        ASSERT_TRUE(arm.individual_end.available);
        EXPECT_EQ(arm.individual_end.mean, 0.0) << arm.name;
        EXPECT_EQ(arm.individual_end.sd, 0.0) << arm.name;
        EXPECT_EQ(arm.individual_end.share_improved, 0.0) << arm.name;
    }
    // With befriending, the treated patients' individual effects at week 52 are negative on
    // average, and larger in size than the control arm's (spill-over only).
    options.output = dir_ / "paired.h5";
    const TrialResult paired = run_trial(scenario, options);
    EXPECT_LT(paired.arms[1].individual_mid.mean, 0.0);
    EXPECT_GT(std::abs(paired.arms[1].individual_mid.mean),
              5 * std::abs(paired.arms[0].individual_mid.mean));
    // The counterfactual does not change the run itself.
    scenario.counterfactual = false;
    options.output = dir_ / "plain.h5";
    const TrialResult plain = run_trial(scenario, options);
    EXPECT_EQ(plain.arms[1].mean_distress_end, paired.arms[1].mean_distress_end);
}

TEST(IndividualEffects, DescribeGivesMeanSdQuartilesAndShareImproved) {
    const IndividualEffects e = describe_effects({-0.3, -0.1, 0.0, 0.2, -0.2});
    EXPECT_NEAR(e.mean, -0.08, 1e-15);
    EXPECT_NEAR(e.median, -0.1, 1e-15);
    EXPECT_NEAR(e.q25, -0.2, 1e-15);
    EXPECT_NEAR(e.q75, 0.0, 1e-15);
    EXPECT_DOUBLE_EQ(e.share_improved, 0.6);
}

TEST_F(Trial, EnrolmentsFollowArmThenProgramOrder) {
    ScenarioSpec scenario = load_scenario_file(kSource / "scenarios/default.yaml", catalogue_);
    const std::vector<Enrolment> enrolments = scenario_enrolments(scenario);
    ASSERT_EQ(enrolments.size(), 1u);
    EXPECT_EQ(enrolments[0].arm, 1);
    EXPECT_EQ(enrolments[0].program.name, "befriending");
    EXPECT_EQ(enrolments[0].start_week, 0);
    EXPECT_EQ(enrolments[0].end_week, 52);
}

TEST_F(Trial, OutputPathDefaultsToResultsFolder) {
    ScenarioSpec scenario;
    scenario.name = "demo";
    EXPECT_EQ(output_path(scenario, {}), std::filesystem::path("results/demo.h5"));
    scenario.output.path = "x/y.h5";
    EXPECT_EQ(output_path(scenario, {}), std::filesystem::path("x/y.h5"));
    EXPECT_EQ(output_path(scenario, "z.h5"), std::filesystem::path("z.h5"));
}

TEST_F(Trial, SummaryTableNamesEveryArmAndTheControl) {
    TrialResult result;
    result.weeks = 104;
    result.mid_week = 52;
    result.output = "results/x.h5";
    ArmSummary control;
    control.name = "control";
    control.control = true;
    control.patients = 10;
    control.replicates = 1;
    control.effect_mid.g = std::nan("");
    control.effect_end.g = std::nan("");
    ArmSummary treated = control;
    treated.name = "befriending";
    treated.control = false;
    treated.effect_mid = {-0.25, 0.05, -0.35, -0.15};
    treated.effect_end = {-0.1, 0.05, -0.2, 0.0};
    result.arms = {control, treated};
    const std::string table = format_summary(result);
    EXPECT_NE(table.find("control *"), std::string::npos);
    EXPECT_NE(table.find("-0.25 [-0.35, -0.15]"), std::string::npos);
    EXPECT_NE(table.find("g@52"), std::string::npos);
    EXPECT_NE(table.find("results/x.h5"), std::string::npos);
}

}  // namespace
}  // namespace kindred
