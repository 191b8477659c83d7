// Patient stories: the seeded sample covers every arm and is reproducible; the stories tell a
// program's ties arriving and leaving, help, and recovery; and observing a trial changes
// nothing in it.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <set>

#include "narrate/narrate.hpp"
#include "trial/trial.hpp"

namespace kindred {
namespace {

const std::filesystem::path kSource = KINDRED_SOURCE_DIR;

class Narrate : public ::testing::Test {
  protected:
    std::filesystem::path dir_ =
        std::filesystem::temp_directory_path() / ("kindred_narrate_" + std::to_string(::getpid()));
    ModelCatalogue catalogue_{{kSource / "models"}};

    void SetUp() override { std::filesystem::create_directories(dir_); }
    void TearDown() override { std::filesystem::remove_all(dir_); }

    /// Control against befriending, small and short.
    ScenarioSpec scenario(int patients, int weeks, std::vector<std::string> overrides = {}) {
        overrides.push_back("population.patients=" + std::to_string(patients));
        overrides.push_back("weeks=" + std::to_string(weeks));
        const std::string text = R"(
name: narrate
seed: 20261126
population: {generator: ego_network}
arms:
  - {name: control, control: true, share: 0.5}
  - {name: befriending, share: 0.5, programs: [befriending]}
output: {trajectories: {enabled: false}}
)";
        return load_scenario_text(text, dir_ / "narrate.yaml", catalogue_, overrides);
    }

    TrialResult run(const ScenarioSpec& spec, PatientStories* stories, const std::string& name) {
        TrialOptions options;
        options.output = dir_ / name;
        if (stories != nullptr) {
            options.observer = [stories](int replicate, const Simulation& sim) {
                if (replicate == 0) stories->observe(sim);
            };
        }
        return run_trial(spec, options);
    }
};

TEST_F(Narrate, SampleIsSeededAndCoversEveryArm) {
    const ScenarioSpec spec = scenario(100, 4);
    const World world = build_world(spec, 0);
    const std::vector<AgentId> a = sample_patients(world, 2, 5, spec.seed);
    EXPECT_EQ(a, sample_patients(world, 2, 5, spec.seed));
    ASSERT_EQ(a.size(), 5u);
    int per_arm[2] = {0, 0};
    for (const AgentId id : a) {
        ASSERT_EQ(world.role[id], Role::patient);
        ++per_arm[world.arm[id]];
    }
    EXPECT_EQ(per_arm[0], 3);  // dealt one at a time, control first
    EXPECT_EQ(per_arm[1], 2);
    EXPECT_NE(a, sample_patients(world, 2, 5, spec.seed + 1));
    // Asking for more patients than the arms hold gives all of them, once each.
    const std::vector<AgentId> all = sample_patients(world, 2, 1000, spec.seed);
    EXPECT_EQ(all.size(), 100u);
    EXPECT_EQ(std::set<AgentId>(all.begin(), all.end()).size(), 100u);
}

TEST_F(Narrate, ObservingATrialChangesNothingInIt) {
    const ScenarioSpec spec = scenario(120, 30, {"replicates=2"});
    PatientStories stories(spec, 4);
    const TrialResult with = run(spec, &stories, "with.h5");
    const TrialResult without = run(spec, nullptr, "without.h5");
    ASSERT_EQ(with.arms.size(), without.arms.size());
    for (std::size_t a = 0; a < with.arms.size(); ++a) {
        EXPECT_EQ(with.arms[a].mean_distress_end, without.arms[a].mean_distress_end);
        EXPECT_EQ(with.arms[a].share_recovered, without.arms[a].share_recovered);
    }
    // Replicate 0 only: weeks 0 … 30 once each.
    ASSERT_EQ(stories.stories().size(), 4u);
    EXPECT_EQ(stories.stories().front().weeks.size(), 31u);
}

TEST_F(Narrate, TellsTheProgramsTiesHelpAndTurningPoints) {
    // Befriending for 20 weeks of 40, volunteers' ties never persist: every treated patient
    // gets a volunteer at week 0 and loses that tie at week 20.
    const ScenarioSpec spec = scenario(60, 40, {"befriending.befriending.duration_weeks=20"});
    PatientStories stories(spec, 2);
    run(spec, &stories, "story.h5");
    ASSERT_EQ(stories.stories().size(), 2u);
    const PatientStories::Story& treated = stories.stories()[1];
    ASSERT_EQ(treated.arm, 1);
    ASSERT_EQ(treated.distress.size(), 41u);
    int formed = 0, lost = 0;
    for (const PatientStories::TieEvent& event : treated.events) {
        if (event.key.second == kNone) continue;
        EXPECT_EQ(event.tie.partner_role, Role::volunteer);
        if (event.kind == PatientStories::TieEvent::Kind::formed) {
            EXPECT_EQ(event.week, 0);
            ++formed;
        }
        if (event.kind == PatientStories::TieEvent::Kind::lost) {
            EXPECT_EQ(event.week, 20);
            ++lost;
        }
    }
    EXPECT_EQ(formed, 1);
    EXPECT_EQ(lost, 1);
    for (const auto& [key, tie] : treated.ties_start) EXPECT_EQ(key.second, kNone);
    EXPECT_GT(treated.received_on_program_ties, 0.0);

    const std::string text = stories.format();
    for (const char* phrase :
         {"What happened to 2 patients", "(arm control)", "none beyond usual care",
          "Programs: Befriending, weeks 0–20", "Befriending brought a friend tie to volunteer",
          "Befriending ended, and with it", "At the start: distress", "At week 40: distress",
          "Help received:", "Help given:", "largest weekly fall in distress",
          "largest weekly rise in distress"}) {
        EXPECT_NE(text.find(phrase), std::string::npos) << phrase << "\n" << text;
    }
}

TEST_F(Narrate, AFallIsAFallAndARiseARise) {
    // In 8 weeks some patients' distress only rises or only falls: they get no turning point
    // of the other kind, and every value pair printed goes the way its words say.
    const ScenarioSpec spec = scenario(200, 8);
    PatientStories stories(spec, 200);
    run(spec, &stories, "turns.h5");
    int monotone = 0;
    for (const PatientStories::Story& story : stories.stories()) {
        bool rises = false, falls = false;
        for (std::size_t k = 1; k < story.distress.size(); ++k) {
            rises |= story.distress[k] > story.distress[k - 1];
            falls |= story.distress[k] < story.distress[k - 1];
        }
        monotone += rises != falls ? 1 : 0;
    }
    ASSERT_GT(monotone, 0) << "no patient to test on";
    const std::string text = stories.format();
    int checked = 0;
    for (const auto& [words, sign] :
         {std::pair<std::string, int>{"largest weekly fall in distress, ", -1},
          {"largest weekly rise in distress, ", 1}}) {
        for (std::size_t at = text.find(words); at != std::string::npos;
             at = text.find(words, at + 1)) {
            const std::size_t start = at + words.size();
            const std::size_t arrow = text.find(" → ", start);
            const double before = std::stod(text.substr(start, arrow - start));
            const double after = std::stod(text.substr(arrow + std::string(" → ").size()));
            EXPECT_EQ((after - before) * sign > 0, true) << text.substr(at, 60);
            ++checked;
        }
    }
    EXPECT_EQ(checked, 2 * 200 - monotone);
}

TEST_F(Narrate, TellsRecoveryWhenItComes) {
    // Little stress and strong relief: every patient recovers within the run.
    const ScenarioSpec spec = scenario(
        20, 60, {"theta_vulnerability=0", "theta_loneliness=0", "beta_0=0.1", "p_event=0"});
    PatientStories stories(spec, 2);
    run(spec, &stories, "recovery.h5");
    for (const PatientStories::Story& story : stories.stories()) {
        EXPECT_NE(story.recovered_week, kNone);
    }
    EXPECT_NE(stories.format().find("recovered: distress below 0.30 for 12 weeks in a row"),
              std::string::npos);
}

}  // namespace
}  // namespace kindred
