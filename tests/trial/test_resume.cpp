// run_trial stopped between weeks (a signal) keeps the finished replicates in a file marked
// incomplete and throws Interrupted; resume runs only the missing replicates, and the summary
// and every replicate equal those of an uninterrupted run. An existing output needs force.
#include <gtest/gtest.h>
#include <unistd.h>

#include <csignal>
#include <filesystem>

#include "config/scenario.hpp"
#include "output/trial_reader.hpp"
#include "trial/interrupt.hpp"
#include "trial/trial.hpp"

namespace kindred {
namespace {

const std::filesystem::path kSource = KINDRED_SOURCE_DIR;

class Resume : public ::testing::Test {
  protected:
    std::filesystem::path dir_ =
        std::filesystem::temp_directory_path() / ("kindred_resume_" + std::to_string(::getpid()));
    ModelCatalogue catalogue_{{kSource / "models"}};
    ScenarioSpec scenario_;
    void SetUp() override {
        std::filesystem::create_directories(dir_);
        scenario_ =
            load_scenario_file(kSource / "scenarios/default.yaml", catalogue_, {"replicates=4"});
        scenario_.weeks = 60;
        scenario_.population.ego.patients = 100;
        scenario_.output.trajectories.enabled = false;
        scenario_.output.tie_snapshot_weeks = {0, 30};
        scenario_.counterfactual = true;
    }
    void TearDown() override { std::filesystem::remove_all(dir_); }
};

void expect_same_summary(const TrialResult& a, const TrialResult& b) {
    ASSERT_EQ(a.arms.size(), b.arms.size());
    for (std::size_t i = 0; i < a.arms.size(); ++i) {
        EXPECT_EQ(a.arms[i].patients, b.arms[i].patients);
        EXPECT_EQ(a.arms[i].mean_distress_start, b.arms[i].mean_distress_start);
        EXPECT_EQ(a.arms[i].mean_distress_mid, b.arms[i].mean_distress_mid);
        EXPECT_EQ(a.arms[i].mean_distress_end, b.arms[i].mean_distress_end);
        EXPECT_EQ(a.arms[i].share_recovered, b.arms[i].share_recovered);
        EXPECT_EQ(std::isnan(a.arms[i].effect_end.g), std::isnan(b.arms[i].effect_end.g));
        if (!std::isnan(a.arms[i].effect_end.g)) {
            EXPECT_EQ(a.arms[i].effect_end.g, b.arms[i].effect_end.g);
            EXPECT_EQ(a.arms[i].effect_mid.ci_low, b.arms[i].effect_mid.ci_low);
        }
        EXPECT_EQ(a.arms[i].individual_end.mean, b.arms[i].individual_end.mean);
        EXPECT_EQ(a.arms[i].individual_mid.q75, b.arms[i].individual_mid.q75);
    }
}

TEST_F(Resume, StoppedRunKeepsFinishedReplicatesAndResumeEqualsAWholeRun) {
    TrialOptions whole_options;
    whole_options.output = dir_ / "whole.h5";
    const TrialResult whole = run_trial(scenario_, whole_options);

    // Stop in the middle of replicate 2 (weeks 0 … 60 are 61 polls per replicate).
    TrialOptions options;
    options.output = dir_ / "stopped.h5";
    int polls = 0;
    options.stop_signal = [&] { return ++polls > 2 * 60 + 20 ? SIGINT : 0; };
    try {
        run_trial(scenario_, options);
        FAIL() << "the run was not stopped";
    } catch (const Interrupted& stop) {
        EXPECT_EQ(stop.exit_code(), 130);
        EXPECT_NE(std::string(stop.what()).find("holds replicates 0, 1 of 4"), std::string::npos)
            << stop.what();
        EXPECT_NE(std::string(stop.what()).find("--resume"), std::string::npos);
    }
    const TrialHeader stopped = read_trial_header(options.output);
    EXPECT_EQ(stopped.replicates_present, (std::set<int>{0, 1}));
    EXPECT_FALSE(*stopped.complete);

    // Without force or resume, the file is not touched.
    options.stop_signal = {};
    EXPECT_THROW(run_trial(scenario_, options), InputError);

    options.resume = true;
    const TrialResult resumed = run_trial(scenario_, options);
    EXPECT_EQ(resumed.replicates_before, 2);
    EXPECT_EQ(resumed.replicates_run, 2);
    EXPECT_TRUE(resumed.complete);
    expect_same_summary(whole, resumed);
    EXPECT_TRUE(*read_trial_header(options.output).complete);

    // Resuming a complete file runs nothing and gives the same summary again.
    const TrialResult again = run_trial(scenario_, options);
    EXPECT_EQ(again.replicates_run, 0);
    expect_same_summary(whole, again);
}

TEST_F(Resume, ResumeRefusesAnotherTrialsFile) {
    TrialOptions options;
    options.output = dir_ / "trial.h5";
    run_trial(scenario_, options);
    ScenarioSpec other = scenario_;
    other.seed += 1;
    options.resume = true;
    EXPECT_THROW(run_trial(other, options), InputError);
    options.resume = false;
    options.force = true;
    EXPECT_NO_THROW(run_trial(other, options));
    EXPECT_EQ(read_trial_header(options.output).seed, other.seed);
}

}  // namespace
}  // namespace kindred
