// Tests for config/scenario_loader.cpp: the shipped default scenario, every scenario field,
// per-arm program overrides, command-line overrides, and the located one-line errors.
#include <gtest/gtest.h>

#include <algorithm>
#include <bit>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <limits>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "config/scenario.hpp"
#include "config/yaml_util.hpp"
#include "config_fixtures.hpp"

namespace kindred {
namespace {

namespace fs = std::filesystem;
using config_testing::bad_input_name;
using config_testing::BadInput;
using config_testing::error_or_none;
using config_testing::input_error;
using config_testing::kModelsDir;
using config_testing::kTestData;
using config_testing::kTestModelsDir;
using config_testing::located;

const fs::path kDefaultScenario = fs::path(KINDRED_SOURCE_DIR) / "scenarios" / "default.yaml";
const fs::path kScenarioDir = kTestData / "scenarios";
/// Where inline scenario texts pretend to live (the file need not exist).
const fs::path kInline = kScenarioDir / "inline.yaml";

const ModelCatalogue& catalogue() {
    static const ModelCatalogue models({kModelsDir, kTestModelsDir});
    return models;
}

ScenarioSpec load(const std::string& text, const std::vector<std::string>& overrides = {}) {
    return load_scenario_text(text, kInline, catalogue(), overrides);
}

std::string read_file(const fs::path& path) {
    std::ifstream in(path);
    std::stringstream text;
    text << in.rdbuf();
    return text.str();
}

/// 1-based number of the first line of `text` that contains `needle` (0 if none).
int line_of(const std::string& text, const std::string& needle) {
    std::istringstream lines(text);
    std::string line;
    for (int number = 1; std::getline(lines, line); ++number) {
        if (line.find(needle) != std::string::npos) return number;
    }
    return 0;
}

constexpr const char* kOneArm = "arms:\n  - name: a\n    share: 1\n";

TEST(ScenarioLoader, DefaultScenario) {
    const ScenarioSpec spec = load_scenario_file(kDefaultScenario, ModelCatalogue({kModelsDir}));
    EXPECT_EQ(spec.name, "default");
    EXPECT_EQ(spec.source_path, kDefaultScenario);
    EXPECT_EQ(spec.source_text, read_file(kDefaultScenario));
    EXPECT_TRUE(spec.overrides.empty());
    EXPECT_EQ(spec.seed, 20261126u);
    EXPECT_EQ(spec.weeks, 104);
    EXPECT_EQ(spec.replicates, 1);
    EXPECT_EQ(spec.population.kind, PopulationSpec::Kind::ego_network);
    EXPECT_EQ(spec.population.ego.patients, 1000);
    EXPECT_DOUBLE_EQ(spec.population.ego.family_mean, 4.0);
    EXPECT_EQ(spec.population.ego.coordinator_caseload, 25);
    EXPECT_DOUBLE_EQ(spec.params.beta_help, Parameters{}.beta_help);

    ASSERT_EQ(spec.arms.size(), 2u);
    EXPECT_EQ(spec.control_arm, 0);
    const ArmSpec& control = spec.arms[0];
    EXPECT_EQ(control.name, "control");
    EXPECT_TRUE(control.control);
    ASSERT_TRUE(control.share.has_value());
    EXPECT_DOUBLE_EQ(*control.share, 0.5);
    EXPECT_FALSE(control.count.has_value());
    EXPECT_TRUE(control.programs.empty());

    const ArmSpec& befriending = spec.arms[1];
    EXPECT_EQ(befriending.name, "befriending");
    EXPECT_FALSE(befriending.control);
    ASSERT_TRUE(befriending.share.has_value());
    EXPECT_DOUBLE_EQ(*befriending.share, 0.5);
    ASSERT_EQ(befriending.programs.size(), 1u);
    EXPECT_EQ(befriending.programs[0].name, "befriending");
    EXPECT_EQ(befriending.programs[0].start_week, 0);
    EXPECT_EQ(befriending.programs[0].duration_weeks, 52);

    EXPECT_EQ(spec.output.tie_snapshot_weeks, (std::vector<int>{0, 52, 104}));
    EXPECT_TRUE(spec.output.trajectories.enabled);
    EXPECT_EQ(spec.output.trajectories.every_weeks, 1);
    EXPECT_DOUBLE_EQ(spec.output.trajectories.agent_fraction, 1.0);
    EXPECT_TRUE(spec.output.trajectories.roles.empty());
    EXPECT_EQ(spec.output.compression_level, 4);
    EXPECT_TRUE(spec.output.path.empty());
}

TEST(ScenarioLoader, DefaultsForOmittedKeys) {
    const ScenarioSpec spec = load(kOneArm);
    EXPECT_EQ(spec.name, "inline");  // the file stem
    EXPECT_EQ(spec.source_text, kOneArm);
    EXPECT_EQ(spec.seed, 1u);
    EXPECT_EQ(spec.weeks, 104);
    EXPECT_EQ(spec.replicates, 1);
    EXPECT_EQ(spec.population.kind, PopulationSpec::Kind::ego_network);
    EXPECT_EQ(spec.population.ego.patients, EgoNetworkParams{}.patients);
    EXPECT_EQ(spec.control_arm, kNone);
    EXPECT_TRUE(spec.output.tie_snapshot_weeks.empty());
    EXPECT_EQ(spec.output.compression_level, 4);
    EXPECT_TRUE(spec.output.trajectories.enabled);
}

TEST(ScenarioLoader, ReadsEveryScenarioField) {
    const ScenarioSpec spec = load(R"(name: full-run.v2
description: every field
seed: 18446744073709551615
weeks: 60
replicates: 5
population:
  generator: ego_network
  patients: 200
  family_mean: 3.5
  friends_mean: 1.5
  high_ee_share: 0.3
  rewire_probability: 0.2
  peer_ties_mean: 0.25
  coordinator_caseload: 20
parameters:
  beta_help: 0.05
  q_new: -0.25
  rec_weeks: 8
arms:
  - name: usual_care
    count: 50
  - name: Peer-2
    share: 0.5
    control: false
output:
  file: out/run.h5
  trajectories:
    enabled: false
    every_weeks: 4
    agent_fraction: 0.25
    roles: [patient, peer_worker, friend]
  tie_snapshots: [60, 0, 30]
  compression: 0
)");
    EXPECT_EQ(spec.name, "full-run.v2");
    EXPECT_EQ(spec.description, "every field");
    EXPECT_EQ(spec.seed, 18446744073709551615u);
    EXPECT_EQ(spec.weeks, 60);
    EXPECT_EQ(spec.replicates, 5);
    const EgoNetworkParams& ego = spec.population.ego;
    EXPECT_EQ(ego.patients, 200);
    EXPECT_DOUBLE_EQ(ego.family_mean, 3.5);
    EXPECT_DOUBLE_EQ(ego.friends_mean, 1.5);
    EXPECT_DOUBLE_EQ(ego.high_ee_share, 0.3);
    EXPECT_DOUBLE_EQ(ego.rewire_probability, 0.2);
    EXPECT_DOUBLE_EQ(ego.peer_ties_mean, 0.25);
    EXPECT_EQ(ego.coordinator_caseload, 20);
    EXPECT_DOUBLE_EQ(spec.params.beta_help, 0.05);
    EXPECT_DOUBLE_EQ(spec.params.q_new, -0.25);
    EXPECT_EQ(spec.params.rec_weeks, 8);
    EXPECT_DOUBLE_EQ(spec.params.phi, Parameters{}.phi);
    ASSERT_EQ(spec.arms.size(), 2u);
    EXPECT_EQ(spec.arms[0].count, 50);
    EXPECT_FALSE(spec.arms[0].share.has_value());
    EXPECT_EQ(spec.arms[1].name, "Peer-2");
    EXPECT_EQ(spec.control_arm, kNone);
    EXPECT_EQ(spec.output.path, fs::path("out/run.h5"));
    EXPECT_FALSE(spec.output.trajectories.enabled);
    EXPECT_EQ(spec.output.trajectories.every_weeks, 4);
    EXPECT_DOUBLE_EQ(spec.output.trajectories.agent_fraction, 0.25);
    EXPECT_EQ(spec.output.trajectories.roles,
              (std::vector<Role>{Role::patient, Role::peer_worker, Role::friend_}));
    EXPECT_EQ(spec.output.tie_snapshot_weeks, (std::vector<int>{0, 30, 60}));
    EXPECT_EQ(spec.output.compression_level, 0);
}

TEST(ScenarioLoader, ControlArmIsTheFlaggedOneElseTheOneNamedControl) {
    EXPECT_EQ(
        load("arms:\n  - name: a\n    share: 0.5\n  - name: control\n    share: 0.5\n").control_arm,
        1);
    EXPECT_EQ(load("arms:\n  - name: control\n    share: 0.5\n  - name: b\n    share: 0.5\n"
                   "    control: true\n")
                  .control_arm,
              1);
    const ScenarioSpec none = load(
        "arms:\n  - name: a\n    share: 0.5\n  - name: b\n"
        "    share: 0.5\n");
    EXPECT_EQ(none.control_arm, kNone);
    EXPECT_FALSE(none.arms[0].control);
}

TEST(ScenarioLoader, SharesMaySumToOneWithinRounding) {
    const ScenarioSpec spec = load(
        "arms:\n  - name: a\n    share: 0.1\n  - name: b\n"
        "    share: 0.2\n  - name: c\n    share: 0.7\n");
    EXPECT_EQ(spec.arms.size(), 3u);
    const ScenarioSpec mixed = load(
        "population:\n  patients: 10\narms:\n  - name: a\n"
        "    count: 5\n  - name: b\n    share: 0.5\n");
    EXPECT_EQ(mixed.arms[0].count, 5);
    EXPECT_DOUBLE_EQ(*mixed.arms[1].share, 0.5);
}

TEST(ScenarioLoader, AppliesPerArmProgramOverrides) {
    const ScenarioSpec spec = load(R"(weeks: 30
arms:
  - name: a
    share: 0.5
    programs:
      - model: befriending
        start_week: 4
        duration_weeks: 26
        reciprocity: partial
        expertise: patient
        resources: {recreational_activities: 0, decision_making: 0.5}
        valence: 0.6
        strength: 0.5
        group_strength: 0.2
        caseload: 4
        group_size: 5
        staff_per_group: 0
        persist_probability: 0.5
      - treatment_as_usual
  - name: b
    share: 0.5
    programs: [befriending]
)");
    const ProgramSpec& program = spec.arms[0].programs[0];
    EXPECT_EQ(program.name, "befriending");
    EXPECT_EQ(program.start_week, 4);
    EXPECT_EQ(program.duration_weeks, 26);
    EXPECT_DOUBLE_EQ(program.reciprocity, 0.5);
    EXPECT_EQ(program.expertise, Expertise::patient);
    const ResourceVector resources = {1, 0.5, 0, 0, 0, 0};  // social_relationships kept
    EXPECT_EQ(program.resources, resources);
    EXPECT_DOUBLE_EQ(program.valence, 0.6);
    EXPECT_DOUBLE_EQ(program.strength, 0.5);
    EXPECT_DOUBLE_EQ(program.group_strength, 0.2);
    EXPECT_EQ(program.caseload, 4);
    EXPECT_EQ(program.group_size, 5);
    EXPECT_EQ(program.staff_per_group, 0);
    ASSERT_EQ(program.delivery.size(), 1u);
    EXPECT_DOUBLE_EQ(program.delivery[0].persist_probability, 0.5);
    EXPECT_EQ(spec.arms[0].programs[1].name, "treatment_as_usual");
    // The other arm's copy of the model is untouched.
    const ProgramSpec& plain = spec.arms[1].programs[0];
    EXPECT_EQ(plain.duration_weeks, 52);
    EXPECT_DOUBLE_EQ(plain.reciprocity, 1.0);
    EXPECT_DOUBLE_EQ(plain.delivery[0].persist_probability, 0.0);
}

TEST(ScenarioLoader, ElementOverridesApplyToEveryMatchingElement) {
    const ScenarioSpec spec = load(R"(arms:
  - name: a
    share: 1
    programs:
      - model: family_work
        a_w: 0.05
        a_q: 0.07
      - model: peer_group
        persist_probability: 0.9
)");
    const ProgramSpec& family = spec.arms[0].programs[0];
    ASSERT_EQ(family.delivery.size(), 3u);
    for (int i : {1, 2}) {
        EXPECT_DOUBLE_EQ(family.delivery[i].a_w, 0.05);
        EXPECT_DOUBLE_EQ(family.delivery[i].a_q, 0.07);
    }
    const ProgramSpec& peer = spec.arms[0].programs[1];
    EXPECT_DOUBLE_EQ(peer.delivery[3].persist_probability, 0.9);  // peer_worker
    EXPECT_DOUBLE_EQ(peer.delivery[4].persist_probability, 0.9);  // volunteer
}

TEST(ScenarioLoader, CsvPopulationAndModelPathRelativeToTheScenario) {
    const fs::path path = kScenarioDir / "csv_population.yaml";
    const ScenarioSpec spec = load_scenario_file(path, catalogue());
    EXPECT_EQ(spec.name, "csv_population");
    EXPECT_EQ(spec.population.kind, PopulationSpec::Kind::csv);
    EXPECT_TRUE(fs::equivalent(spec.population.agents_csv, kScenarioDir / "data" / "agents.csv"));
    EXPECT_TRUE(fs::equivalent(spec.population.ties_csv, kScenarioDir / "data" / "ties.csv"));
    ASSERT_EQ(spec.arms.size(), 2u);
    EXPECT_FALSE(spec.arms[0].share.has_value() || spec.arms[0].count.has_value());
    EXPECT_EQ(spec.control_arm, 0);
    ASSERT_EQ(spec.arms[1].programs.size(), 1u);
    EXPECT_EQ(spec.arms[1].programs[0].name, "family_work");
}

TEST(ScenarioLoader, CommandLineOverrides) {
    const std::vector<std::string> overrides = {"beta_help=0.02", "seed=7",      "weeks=200",
                                                "replicates=3",   "rec_weeks=8", "phi=+1e-2"};
    const ScenarioSpec spec =
        load("weeks: 20\nparameters:\n  beta_help: 0.5\n" + std::string(kOneArm), overrides);
    EXPECT_EQ(spec.overrides, overrides);
    EXPECT_DOUBLE_EQ(spec.params.beta_help, 0.02);  // after the file's 0.5
    EXPECT_EQ(spec.seed, 7u);
    EXPECT_EQ(spec.weeks, 200);
    EXPECT_EQ(spec.replicates, 3);
    EXPECT_EQ(spec.params.rec_weeks, 8);
    EXPECT_DOUBLE_EQ(spec.params.phi, 0.01);
}

TEST(ScenarioLoader, NumbersBelowTheSmallestDoubleAreZeroAndAboveTheLargestAreRefused) {
    // from_chars reports both as out of range; only overflow is not a number.
    const auto bits = [](std::optional<double> value) {
        EXPECT_TRUE(value.has_value());
        return std::bit_cast<std::uint64_t>(value.value_or(1.0));
    };
    EXPECT_EQ(bits(detail::parse_number_text("1e-400")), std::bit_cast<std::uint64_t>(0.0));
    EXPECT_EQ(bits(detail::parse_number_text("-1e-400")), std::bit_cast<std::uint64_t>(-0.0));
    EXPECT_EQ(bits(detail::parse_number_text("4.9406564584124654e-324")),
              std::bit_cast<std::uint64_t>(std::numeric_limits<double>::denorm_min()));
    EXPECT_EQ(bits(detail::parse_number_text("1e-310")), std::bit_cast<std::uint64_t>(1e-310));
    EXPECT_FALSE(detail::parse_number_text("1e400").has_value());
    EXPECT_FALSE(detail::parse_number_text("-1e400").has_value());
    // In a scenario: q_new may be −1e-400 (−0), and h_0 any positive value, subnormal too.
    const ScenarioSpec spec = load(std::string(kOneArm), {"q_new=-1e-400", "h_0=1e-310"});
    EXPECT_EQ(spec.params.q_new, 0.0);
    EXPECT_EQ(spec.params.h_0, 1e-310);
    EXPECT_EQ(error_or_none([&] { load(std::string(kOneArm), {"h_0=0"}); }),
              "--set h_0=0: parameter 'h_0' expected a number in (0, inf), found 0");
}

TEST(ScenarioLoader, WeeksOverrideRevalidatesTieSnapshots) {
    const std::string text = read_file(kDefaultScenario);
    const std::string message = input_error(
        [&] { load_scenario_file(kDefaultScenario, ModelCatalogue({kModelsDir}), {"weeks=60"}); });
    const std::string where =
        kDefaultScenario.string() + ":" + std::to_string(line_of(text, "tie_snapshots:")) + ":";
    EXPECT_EQ(message.rfind(where, 0), 0u) << message;
    EXPECT_NE(message.find("key 'output.tie_snapshots[2]'"), std::string::npos) << message;
    EXPECT_NE(message.find("--set weeks=60"), std::string::npos) << message;
    EXPECT_NE(message.find("found '104'"), std::string::npos) << message;
}

TEST(ScenarioLoader, WeeksOverrideRevalidatesStartWeeks) {
    const std::string text = R"(arms:
  - name: a
    share: 1
    programs:
      - model: befriending
        start_week: 40
)";
    EXPECT_EQ(load(text).arms[0].programs[0].start_week, 40);
    const std::string message = input_error([&] { load(text, {"weeks=40"}); });
    EXPECT_EQ(message.rfind(kInline.string() + ":6:21: key 'arms[0].programs[0].start_week': "
                                               "expected a start_week in [0, 39]",
                            0),
              0u)
        << message;
    EXPECT_NE(message.find("--set weeks=40"), std::string::npos) << message;
}

TEST(ScenarioLoader, FileAndTextAgree) {
    const ModelCatalogue models({kModelsDir});
    const ScenarioSpec from_file = load_scenario_file(kDefaultScenario, models, {"seed=3"});
    const ScenarioSpec from_text =
        load_scenario_text(from_file.source_text, kDefaultScenario, models, from_file.overrides);
    EXPECT_EQ(from_text.seed, 3u);
    EXPECT_EQ(from_text.name, from_file.name);
    EXPECT_EQ(from_text.arms.size(), from_file.arms.size());
    EXPECT_EQ(from_text.output.tie_snapshot_weeks, from_file.output.tie_snapshot_weeks);
}

TEST(ScenarioLoader, MissingFile) {
    const fs::path path = kScenarioDir / "absent.yaml";
    EXPECT_EQ(input_error([&] { load_scenario_file(path, catalogue()); }),
              path.string() + ": cannot open scenario file (No such file or directory)");
}

/// One malformed scenario and the pieces its error message must contain.
using BadScenario = BadInput;

class ScenarioLoaderErrors : public ::testing::TestWithParam<BadScenario> {};

TEST_P(ScenarioLoaderErrors, NamesFileLineAndKey) {
    const BadScenario& bad = GetParam();
    const std::string message = input_error([&] { load(bad.text); });
    EXPECT_EQ(message.rfind(located(kInline, bad.location), 0), 0u) << message;
    EXPECT_NE(message.find(bad.key), std::string::npos) << message;
    EXPECT_NE(message.find(bad.detail), std::string::npos) << message;
}

std::string with_arm(const std::string& head) { return head + kOneArm; }

std::string one_arm_programs(const std::string& programs_block) {
    return "arms:\n  - name: a\n    share: 1\n    programs:\n" + programs_block;
}

constexpr const char* kCsvPopulation =
    "population:\n  generator: csv\n  agents: data/agents.csv\n  ties: data/ties.csv\n";

INSTANTIATE_TEST_SUITE_P(
    Cases, ScenarioLoaderErrors,
    ::testing::Values(
        BadScenario{"SyntaxError", "weeks: 10\narms: [\n", "3:1", "valid YAML", "syntax error"},
        BadScenario{"BadIndentation", "weeks: 10\n  seed: 3\n", "2:7", "valid YAML",
                    "syntax error"},
        BadScenario{"NotAMap", "- a\n- b\n", "1:1", "expected a map of scenario keys",
                    "found a list"},
        BadScenario{"UnknownKey", with_arm("weks: 10\n"), "1:1", "key 'weks'",
                    "expected one of name, description, seed, weeks, replicates, population, "
                    "parameters, arms, output, knockouts, counterfactual, sweep, found an unknown "
                    "key"},
        BadScenario{
            "DuplicateKey", with_arm("weeks: 10\nweeks: 20\n"), "2:1", "key 'weeks'",
            "expected each key once, found it again (first at " + kInline.string() + ":1:8)"},
        BadScenario{"WrongType", with_arm("weeks: many\n"), "1:8", "key 'weeks'",
                    "expected an integer in [1, 100000], found 'many'"},
        BadScenario{"WeeksNotAnInteger", with_arm("weeks: 2.5\n"), "1:8", "key 'weeks'",
                    "found '2.5'"},
        BadScenario{"WeeksTooLarge", with_arm("weeks: 99999999999\n"), "1:8", "key 'weeks'",
                    "expected an integer in [1, 100000], found '99999999999'"},
        BadScenario{"WeeksZero", with_arm("weeks: 0\n"), "1:8", "key 'weeks'", "in [1, 100000]"},
        BadScenario{"NegativeSeed", with_arm("seed: -1\n"), "1:7", "key 'seed'",
                    "expected an integer in [0, 18446744073709551615], found '-1'"},
        BadScenario{"SeedTooLarge", with_arm("seed: 18446744073709551616\n"), "1:7", "key 'seed'",
                    "[0, 18446744073709551615]"},
        BadScenario{"ReplicatesZero", with_arm("replicates: 0\n"), "1:13", "key 'replicates'",
                    "in [1, 1000000]"},
        BadScenario{"BadScenarioName", with_arm("name: a/b\n"), "1:7", "key 'name'",
                    "letters, digits"},
        BadScenario{"MissingArms", "weeks: 10\n", "1:1", "key 'arms'", "(required), found nothing"},
        BadScenario{"EmptyArms", "arms: []\n", "1:7", "key 'arms'", "found an empty list"},
        BadScenario{"UnknownParameter", with_arm("parameters:\n  beta_halp: 0.1\n"), "2:14",
                    "parameters: unknown parameter 'beta_halp'", "spec §6"},
        BadScenario{"ParameterOutOfRange", with_arm("parameters:\n  p_event: 1.5\n"), "2:12",
                    "parameter 'p_event'", "expected a number in [0, 1], found 1.5"},
        BadScenario{"ParameterNotANumber", with_arm("parameters:\n  sigma: lots\n"), "2:10",
                    "key 'parameters.sigma'", "found 'lots'"},
        BadScenario{"ParameterNotFinite", with_arm("parameters:\n  sigma: .inf\n"), "2:10",
                    "key 'parameters.sigma'", "found '.inf'"},
        BadScenario{"DuplicateParameter", with_arm("parameters:\n  phi: 0.1\n  phi: 0.2\n"), "3:3",
                    "key 'parameters.phi'", "each key once"},
        BadScenario{"IntegerParameter", with_arm("parameters:\n  rec_weeks: 2.5\n"), "2:14",
                    "parameter 'rec_weeks'", "an integer"},
        BadScenario{"UnknownGenerator", with_arm("population:\n  generator: smallworld\n"), "2:14",
                    "key 'population.generator'", "expected ego_network or csv"},
        BadScenario{"PatientsZero", with_arm("population:\n  patients: 0\n"), "2:13",
                    "key 'population.patients'", ">= 1"},
        BadScenario{"NegativeFamilyMean", with_arm("population:\n  family_mean: -1\n"), "2:16",
                    "key 'population.family_mean'", "a number >= 0"},
        BadScenario{"EgoKeyInCsvPopulation",
                    std::string(kCsvPopulation) + "  patients: 10\narms:\n  - name: a\n", "5:3",
                    "key 'population.patients'", "one of generator, agents, ties"},
        BadScenario{"CsvFileMissing",
                    "population:\n  generator: csv\n  agents: data/none.csv\n"
                    "  ties: data/ties.csv\narms:\n  - name: a\n",
                    "3:11", "key 'population.agents'", "none.csv does not exist"},
        BadScenario{"CsvTiesRequired",
                    "population:\n  generator: csv\n  agents: data/agents.csv\narms:\n"
                    "  - name: a\n",
                    "2:3", "key 'population.ties'", "(required)"},
        BadScenario{"CsvWithShare", std::string(kCsvPopulation) + kOneArm, "7:12",
                    "key 'arms[0].share'", "no share or count with a csv population"},
        BadScenario{"ArmNotAMap", "arms:\n  - a\n", "2:5", "key 'arms[0]'", "found 'a'"},
        BadScenario{"ArmWithoutName", "arms:\n  - share: 1\n", "2:5", "key 'arms[0].name'",
                    "(required)"},
        BadScenario{"BadArmName", "arms:\n  - name: my arm\n    share: 1\n", "2:11",
                    "key 'arms[0].name'", "letters, digits, '_' and '-'"},
        BadScenario{"DuplicateArmName",
                    "arms:\n  - name: a\n    share: 0.5\n  - name: a\n    share: 0.5\n", "4:11",
                    "key 'arms[1].name'", "expected a unique arm name, found 'a' again"},
        BadScenario{"TwoControlArms",
                    "arms:\n  - name: a\n    control: true\n    share: 0.5\n  - name: b\n"
                    "    control: true\n    share: 0.5\n",
                    "6:14", "key 'arms[1].control'", "at most one arm with control: true"},
        BadScenario{"ControlNotABool", "arms:\n  - name: a\n    control: yes\n    share: 1\n",
                    "3:14", "key 'arms[0].control'", "expected true or false, found 'yes'"},
        BadScenario{"SharesOverOne",
                    "arms:\n  - name: a\n    share: 0.6\n  - name: b\n    share: 0.5\n", "5:12",
                    "key 'arms[1].share'", "summing to at most 1, found a total of 1.1"},
        BadScenario{"ShareOverOne", "arms:\n  - name: a\n    share: 1.5\n", "3:12",
                    "key 'arms[0].share'", "a number in [0, 1]"},
        BadScenario{"ShareAndCount", "arms:\n  - name: a\n    share: 0.5\n    count: 10\n", "4:12",
                    "key 'arms[0].count'", "a share or a count, not both"},
        BadScenario{"NeitherShareNorCount", "arms:\n  - name: a\n", "2:5", "key 'arms[0]'",
                    "found neither"},
        BadScenario{"NegativeCount", "arms:\n  - name: a\n    count: -1\n", "3:12",
                    "key 'arms[0].count'", "an integer >= 0"},
        BadScenario{"CountsOverPatients",
                    "population:\n  patients: 10\narms:\n  - name: a\n    count: 6\n"
                    "  - name: b\n    count: 5\n",
                    "7:12", "key 'arms[1].count'", "at most population.patients = 10"},
        BadScenario{"CountsAndSharesOverPatients",
                    "population:\n  patients: 10\narms:\n  - name: a\n    count: 6\n"
                    "  - name: b\n    share: 0.5\n",
                    "7:12", "key 'arms[1].share'", "together need at most"},
        BadScenario{"ProgramsNotAList", "arms:\n  - name: a\n    share: 1\n    programs: 3\n",
                    "4:15", "key 'arms[0].programs'", "a list of programs"},
        BadScenario{"UnknownModel", one_arm_programs("      - befriendin\n"), "5:9",
                    "key 'arms[0].programs[0]'", "family_work, open_dialogue, peer_group"},
        BadScenario{"MissingModelFile", one_arm_programs("      - ../models/none.yaml\n"), "5:9",
                    "key 'arms[0].programs[0]'", "none.yaml does not exist"},
        BadScenario{"ProgramEntryWithoutModel", one_arm_programs("      - start_week: 2\n"), "5:9",
                    "key 'arms[0].programs[0].model'", "(required)"},
        BadScenario{"DuplicateProgram",
                    one_arm_programs("      - befriending\n      - model: befriending\n"
                                     "        start_week: 2\n"),
                    "6:9", "key 'arms[0].programs[1]'",
                    "each program at most once in an arm, found 'befriending' again (first at " +
                        kInline.string() + ":5:9)"},
        BadScenario{"DuplicateProgramByPath",
                    "arms:\n  - name: a\n    share: 1\n"
                    "    programs: [family_work, ../models/family_work.yaml]\n",
                    "4:29", "key 'arms[0].programs[1]'", "'family_work' again"},
        BadScenario{"UnknownOverrideKey",
                    one_arm_programs("      - model: befriending\n        colour: red\n"), "6:9",
                    "key 'arms[0].programs[0].colour'", "one of model, reciprocity, expertise"},
        BadScenario{"StartWeekPastTheRun",
                    "weeks: 10\n" + one_arm_programs("      - model: befriending\n"
                                                     "        start_week: 10\n"),
                    "7:21", "key 'arms[0].programs[0].start_week'",
                    "expected a start_week in [0, 9], found 10"},
        BadScenario{"ModelStartWeekPastTheRun",
                    "weeks: 3\n" + one_arm_programs("      - peer_group\n"), "6:9",
                    "key 'arms[0].programs[0]'", "the default start_week of model 'peer_group'"},
        BadScenario{"ZeroDuration",
                    one_arm_programs("      - model: befriending\n        duration_weeks: 0\n"),
                    "6:25", "key 'arms[0].programs[0].duration_weeks'", "an integer >= 1"},
        BadScenario{"ActivateRateWithoutActivate",
                    one_arm_programs("      - model: befriending\n        a_w: 0.1\n"), "6:14",
                    "key 'arms[0].programs[0].a_w'",
                    "expected a program with an activate element, found model 'befriending'"},
        BadScenario{
            "PersistWithoutVolunteer",
            one_arm_programs("      - model: family_work\n        persist_probability: 0.5\n"),
            "6:30", "key 'arms[0].programs[0].persist_probability'",
            "a volunteer or peer_worker element"},
        BadScenario{"OverrideOutOfRange",
                    one_arm_programs("      - model: family_work\n        a_q: 1.5\n"), "6:14",
                    "key 'arms[0].programs[0].a_q'", "a number in [0, 1]"},
        BadScenario{"UnknownResourceOverride",
                    one_arm_programs("      - model: befriending\n        resources: {joy: 1}\n"),
                    "6:21", "key 'arms[0].programs[0].resources.joy'",
                    "one of social_relationships"},
        BadScenario{"BadReciprocityOverride",
                    one_arm_programs("      - model: befriending\n        reciprocity: 1.5\n"),
                    "6:22", "key 'arms[0].programs[0].reciprocity'", "or a number in [0, 1]"},
        BadScenario{"UnknownOutputKey", with_arm("output:\n  path: x.h5\n"), "2:3",
                    "key 'output.path'", "one of file, trajectories, tie_snapshots, compression"},
        BadScenario{"CompressionOutOfRange", with_arm("output:\n  compression: 10\n"), "2:16",
                    "key 'output.compression'", "expected an integer in [0, 9], found '10'"},
        BadScenario{"TieSnapshotPastTheRun",
                    with_arm("weeks: 10\noutput:\n  tie_snapshots: [0, 11]\n"), "3:22",
                    "key 'output.tie_snapshots[1]'", "a week in [0, 10]"},
        BadScenario{"NegativeTieSnapshot", with_arm("output:\n  tie_snapshots: [-1]\n"), "2:19",
                    "key 'output.tie_snapshots[0]'", "an integer >= 0"},
        BadScenario{"RepeatedTieSnapshot", with_arm("output:\n  tie_snapshots: [5, 5]\n"), "2:22",
                    "key 'output.tie_snapshots[1]'", "each week once"},
        BadScenario{"EveryWeeksZero", with_arm("output:\n  trajectories:\n    every_weeks: 0\n"),
                    "3:18", "key 'output.trajectories.every_weeks'", "an integer >= 1"},
        BadScenario{"AgentFractionZero",
                    with_arm("output:\n  trajectories:\n    agent_fraction: 0\n"), "3:21",
                    "key 'output.trajectories.agent_fraction'", "a number in (0, 1]"},
        BadScenario{"UnknownRole",
                    with_arm("output:\n  trajectories:\n    roles: [patient, robot]\n"), "3:22",
                    "key 'output.trajectories.roles[1]'", "one of patient, family, friend"}),
    bad_input_name);

/// One bad command-line override and the exact message it must produce.
struct BadOverride {
    std::string label;
    std::string text;
    std::string message;
};

void PrintTo(const BadOverride& bad, std::ostream* out) { *out << bad.label; }

class ScenarioLoaderOverrideErrors : public ::testing::TestWithParam<BadOverride> {};

TEST_P(ScenarioLoaderOverrideErrors, NamesTheOverride) {
    const BadOverride& bad = GetParam();
    EXPECT_EQ(input_error([&] { load(kOneArm, {"seed=2", bad.text}); }), bad.message);
}

INSTANTIATE_TEST_SUITE_P(
    Cases, ScenarioLoaderOverrideErrors,
    ::testing::Values(
        BadOverride{"NoEquals", "beta_help", "--set beta_help: expected NAME=VALUE, found no '='"},
        BadOverride{"NoName", "=1", "--set =1: expected NAME=VALUE, found no name"},
        BadOverride{"UnknownName", "beta_halp=0.1",
                    "--set beta_halp=0.1: expected a spec §6 parameter name, seed, weeks, "
                    "replicates, population.KEY, ARM.PROGRAM.FIELD (ARM may be *) or "
                    "knockout.MECHANISM, found unknown name 'beta_halp'"},
        BadOverride{"NotANumber", "beta_help=abc",
                    "--set beta_help=abc: expected a finite number, found 'abc'"},
        BadOverride{"TrailingJunk", "beta_help=0.1x",
                    "--set beta_help=0.1x: expected a finite number, found '0.1x'"},
        BadOverride{"Empty", "beta_help=", "--set beta_help=: expected a finite number, found ''"},
        BadOverride{"NaN", "beta_help=nan",
                    "--set beta_help=nan: expected a finite number, found 'nan'"},
        BadOverride{"Infinity", "beta_help=inf",
                    "--set beta_help=inf: expected a finite number, found 'inf'"},
        BadOverride{"OutOfRange", "beta_help=-1",
                    "--set beta_help=-1: parameter 'beta_help' expected a number in [0, inf), "
                    "found -1"},
        BadOverride{"IntegerParameter", "rec_weeks=2.5",
                    "--set rec_weeks=2.5: parameter 'rec_weeks' expected an integer in [1, "
                    "1000000], found 2.5"},
        BadOverride{"WeeksNotAnInteger", "weeks=2.5",
                    "--set weeks=2.5: expected an integer in [1, 100000], found '2.5'"},
        BadOverride{"WeeksZero", "weeks=0",
                    "--set weeks=0: expected an integer in [1, 100000], found '0'"},
        BadOverride{"NegativeReplicates", "replicates=-3",
                    "--set replicates=-3: expected an integer in [1, 1000000], found '-3'"},
        BadOverride{"NegativeSeed", "seed=-1",
                    "--set seed=-1: expected an integer in [0, 18446744073709551615], found "
                    "'-1'"},
        BadOverride{"SeedInScientificNotation", "seed=1e3",
                    "--set seed=1e3: expected an integer in [0, 18446744073709551615], found "
                    "'1e3'"}),
    [](const ::testing::TestParamInfo<BadOverride>& info) { return info.param.label; });

}  // namespace
}  // namespace kindred

namespace kindred {
namespace {

// The override grammar shared by --set and sweeps: population.KEY, ARM.PROGRAM.FIELD and
// knockout.MECHANISM, applied to the loaded scenario with the checks of file values.
class ScenarioOverrides : public ::testing::Test {
  protected:
    const std::filesystem::path source_ = KINDRED_SOURCE_DIR;
    ModelCatalogue catalogue_{{source_ / "models"}};
    ScenarioSpec load(const std::vector<std::string>& overrides) {
        return load_scenario_file(source_ / "scenarios/default.yaml", catalogue_, overrides);
    }
    std::string error_of(const std::vector<std::string>& overrides) {
        return error_or_none([&] { load(overrides); });
    }
};

TEST_F(ScenarioOverrides, PopulationProgramAndKnockoutOverridesApply) {
    const ScenarioSpec s =
        load({"population.patients=120", "befriending.befriending.reciprocity=partial",
              "*.befriending.resources.decision_making=0.25",
              "befriending.befriending.expertise=patient",
              "befriending.befriending.persist_probability=0.5", "knockout.activation=1",
              "knockout.help_flow=0"});
    EXPECT_EQ(s.population.ego.patients, 120);
    const ProgramSpec& program = s.arms[1].programs[0];
    EXPECT_DOUBLE_EQ(program.reciprocity, 0.5);
    EXPECT_DOUBLE_EQ(program.resources[1], 0.25);
    EXPECT_EQ(program.expertise, Expertise::patient);
    EXPECT_DOUBLE_EQ(program.delivery[0].persist_probability, 0.5);
    EXPECT_FALSE(s.mechanisms.activation);
    EXPECT_TRUE(s.mechanisms.help_flow);
    EXPECT_TRUE(s.mechanisms.tie_dynamics);
}

TEST_F(ScenarioOverrides, KnockoutsKeyInTheFile) {
    const ScenarioSpec s = load_scenario_text(
        "arms:\n  - {name: control, control: true, share: 0.5}\n"
        "  - {name: b, share: 0.5, programs: [befriending]}\n"
        "knockouts: [help_flow, tie_dynamics]\ncounterfactual: true\n",
        source_ / "scenarios/inline.yaml", catalogue_);
    EXPECT_FALSE(s.mechanisms.help_flow);
    EXPECT_FALSE(s.mechanisms.tie_dynamics);
    EXPECT_TRUE(s.mechanisms.activation);
    EXPECT_TRUE(s.counterfactual);
    try {
        load_scenario_text("arms: [{name: a, share: 1}]\nknockouts: [help_flow, nonsense]\n",
                           source_ / "scenarios/inline.yaml", catalogue_);
        FAIL() << "unknown mechanism accepted";
    } catch (const InputError& e) {
        EXPECT_NE(std::string(e.what()).find("inline.yaml:2:24: key 'knockouts[1]'"),
                  std::string::npos)
            << e.what();
    }
}

TEST_F(ScenarioOverrides, BadOverridesNameWhatWasExpected) {
    const auto expect = [&](const std::string& text, const std::string& part) {
        const std::string message = error_of({text});
        EXPECT_EQ(message.rfind("--set " + text + ":", 0), 0u) << message;
        EXPECT_NE(message.find(part), std::string::npos) << message;
    };
    expect("population.famly=3", "population.KEY with KEY one of patients");
    expect("population.patients=0", "expected an integer >= 1");
    expect("knockout.sleep=1", "MECHANISM one of help_flow");
    expect("knockout.help_flow=2", "expected an integer in [0, 1]");
    expect("control.befriending.strength=0.5", "no program 'befriending' in arm 'control'");
    expect("treated.befriending.strength=0.5", "found no arm 'treated'");
    expect("*.open_dialogue.strength=0.5", "found no arm with program 'open_dialogue'");
    expect("befriending.befriending.strength=7", "expected a number in [0, 1], found '7'");
    expect("befriending.befriending.colour=1", "a program field");
    expect("befriending.befriending.resources.luck=1", "resources.NAME with NAME one of");
    expect("befriending.befriending.a_w=0.1", "a program with an activate element");
    expect("befriending.befriending.start_week=200", "a start_week in [0, 103]");
    expect("a.b=1", "unknown name 'a.b'");
}

}  // namespace
}  // namespace kindred

namespace kindred {
namespace {

// Text checks before YAML parsing: inputs on which yaml-cpp loops or recurses without bound
// (found by fuzzing) and binary garbage get one clear error instead.
TEST(YamlText, RejectsInvalidUtf8ControlCharactersDeepNestingAndHugeFiles) {
    const ModelCatalogue catalogue({std::filesystem::path(KINDRED_SOURCE_DIR) / "models"});
    const auto error_of = [&](const std::string& text) {
        return error_or_none([&] { load_scenario_text(text, "in.yaml", catalogue); });
    };
    EXPECT_EQ(error_of(",\x8b:"), "in.yaml:1:2: expected UTF-8 text, found the byte 0x8b");
    EXPECT_EQ(error_of("seed: 1\nname: \xc0\xaf"),
              "in.yaml:2:7: expected UTF-8 text, found the byte 0xc0");
    EXPECT_EQ(error_of("seed: 1\x01"),
              "in.yaml:1:8: expected text, found the control "
              "character 0x01");
    EXPECT_NE(error_of("a: " + std::string(100, '[') + std::string(100, ']'))
                  .find("in.yaml:1:68: expected lists and maps nested at most 64 deep"),
              std::string::npos);
    EXPECT_NE(error_of(std::string(300, ' ') + "a: 1").find("indentation of at most 256"),
              std::string::npos);
    EXPECT_NE(error_of(std::string(17u << 20, '#')).find("at most 16 MiB"), std::string::npos);
    // A ',' outside a flow collection made yaml-cpp report documents forever.
    EXPECT_EQ(error_of(","),
              "in.yaml:1:1: expected valid YAML, found a syntax error (',' outside "
              "a [ ] or { } collection)");
    EXPECT_NE(error_of("# comment\n\"x\",").find("outside a [ ] or { } collection"),
              std::string::npos);
    EXPECT_NE(error_of("seed: 1\n---\nseed: 2\n").find("in.yaml:2:1: expected one YAML document"),
              std::string::npos);
    // Valid UTF-8 beyond ASCII is fine.
    EXPECT_EQ(
        error_of("description: \"Gesundheit für alle — 健康\"\narms: [{name: a, share: 1}]\n"),
        "no error");
}

}  // namespace
}  // namespace kindred
