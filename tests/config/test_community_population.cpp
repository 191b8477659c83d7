// Tests for the community populations of config/scenario_loader.cpp: `population: generator:`
// with a network model, its keys, the checks across keys, --set population.KEY, and arm sizes
// against the community's patients. Errors are one line "FILE:LINE:COL: key '…': expected …".
#include <gtest/gtest.h>

#include <filesystem>
#include <string>
#include <vector>

#include "config/scenario.hpp"
#include "config_fixtures.hpp"

namespace kindred {
namespace {

namespace fs = std::filesystem;

const fs::path kInline = config_testing::kTestData / "scenarios" / "inline.yaml";

const ModelCatalogue& catalogue() {
    static const ModelCatalogue models({config_testing::kModelsDir});
    return models;
}

ScenarioSpec load(const std::string& population, const std::vector<std::string>& overrides = {},
                  const std::string& arms = "arms:\n  - name: a\n    share: 0.5\n") {
    return load_scenario_text("population:\n" + population + arms, kInline, catalogue(), overrides);
}

std::string error_of(const std::string& population, const std::vector<std::string>& overrides = {},
                     const std::string& arms = "arms:\n  - name: a\n    share: 0.5\n") {
    return config_testing::input_error([&] { load(population, overrides, arms); });
}

void expect_contains(const std::string& message, const std::string& part) {
    EXPECT_NE(message.find(part), std::string::npos) << message << "\n  lacks: " << part;
}

TEST(CommunityPopulation, ReadsEachModelAndItsKeys) {
    const ScenarioSpec ba = load(
        "  generator: barabasi_albert\n  agents: 2000\n  attach: 3\n  patient_share: 0.25\n"
        "  household_mean: 1.5\n  tie_strength: 0.4\n  tie_valence: 0.2\n");
    ASSERT_EQ(ba.population.kind, PopulationSpec::Kind::community);
    const CommunityParams& c = ba.population.community;
    EXPECT_EQ(c.model, NetworkModel::barabasi_albert);
    EXPECT_EQ(c.agents, 2000);
    EXPECT_EQ(c.attach, 3);
    EXPECT_DOUBLE_EQ(c.household_mean, 1.5);
    EXPECT_DOUBLE_EQ(c.tie_strength, 0.4);
    EXPECT_EQ(ba.population.patients(), 500);

    const ScenarioSpec sbm = load(
        "  generator: stochastic_block\n  agents: 900\n  block_shares: [0.2, 0.8]\n"
        "  block_probabilities: [[0.1, 0.01], [0.01, 0.05]]\n");
    EXPECT_EQ(sbm.population.community.block_probabilities[1][1], 0.05);

    const ScenarioSpec ws = load("  generator: watts_strogatz\n  mean_degree: 6\n");
    EXPECT_EQ(ws.population.community.model, NetworkModel::watts_strogatz);
    EXPECT_DOUBLE_EQ(ws.population.community.mean_degree, 6.0);

    const ScenarioSpec cm = load(
        "  generator: configuration\n  degree_distribution: power_law\n  exponent: 2.2\n"
        "  min_degree: 2\n  max_degree: 100\n");
    EXPECT_EQ(cm.population.community.degree_distribution, DegreeDistribution::power_law);
    EXPECT_EQ(cm.population.community.max_degree, 100);
}

TEST(CommunityPopulation, ErrorsNameTheKeyWhatWasExpectedAndWhatWasFound) {
    // A key of another model.
    std::string message = error_of("  generator: erdos_renyi\n  attach: 3\n");
    expect_contains(message, "inline.yaml:3:3: key 'population.attach'");
    expect_contains(message, "one of generator, agents, patient_share");
    // Unknown generator.
    message = error_of("  generator: small_world\n");
    expect_contains(message, "key 'population.generator': expected ego_network or csv");
    expect_contains(message, "watts_strogatz");
    // Watts–Strogatz needs an even integer degree.
    message = error_of("  generator: watts_strogatz\n  mean_degree: 5\n");
    expect_contains(message, "inline.yaml:3:16: key 'population.mean_degree': expected an even");
    expect_contains(message, "found 5");
    // Block matrix must match the shares and be symmetric.
    message = error_of(
        "  generator: stochastic_block\n  block_shares: [0.5, 0.5]\n"
        "  block_probabilities: [[0.1, 0.2], [0.3, 0.1]]\n");
    expect_contains(message, "key 'population.block_probabilities': expected a symmetric matrix");
    message = error_of("  generator: stochastic_block\n  block_shares: [0.5, 0.4]\n");
    expect_contains(message, "key 'population.block_shares': expected one or more block shares");
    // Out of range.
    message = error_of("  generator: erdos_renyi\n  patient_share: 1.5\n");
    expect_contains(message, "key 'population.patient_share': expected a number in [0, 1]");
    message = error_of("  generator: configuration\n  degree_distribution: zipf\n");
    expect_contains(message, "expected fixed, poisson, power_law or file, found 'zipf'");
    message = error_of("  generator: configuration\n  degree_distribution: file\n");
    expect_contains(message, "key 'population': expected a degrees_file");
}

TEST(CommunityPopulation, OverridesSetTheModelsKeysOnly) {
    const ScenarioSpec spec =
        load("  generator: erdos_renyi\n", {"population.agents=4000", "population.mean_degree=4"});
    EXPECT_EQ(spec.population.community.agents, 4000);
    EXPECT_DOUBLE_EQ(spec.population.community.mean_degree, 4.0);
    const std::string message = error_of("  generator: erdos_renyi\n", {"population.attach=2"});
    expect_contains(message, "--set population.attach=2: expected population.KEY with KEY one of");
    expect_contains(message, "(the erdos_renyi generator)");
    expect_contains(error_of("  generator: watts_strogatz\n", {"population.mean_degree=3"}),
                    "--set population.mean_degree=3: key 'population.mean_degree': "
                    "expected an even integer");
}

TEST(CommunityPopulation, ArmCountsAreCheckedAgainstThePatients) {
    // 1000 agents × 0.1 = 100 patients.
    const std::string message = error_of("  generator: erdos_renyi\n  agents: 1000\n", {},
                                         "arms:\n  - name: a\n    count: 101\n");
    expect_contains(message,
                    "expected counts of all arms totalling at most the population's "
                    "patients (round(patient_share x agents)) = 100");
    EXPECT_NO_THROW(load("  generator: erdos_renyi\n  agents: 1000\n", {},
                         "arms:\n  - name: a\n    count: 100\n"));
}

}  // namespace
}  // namespace kindred
