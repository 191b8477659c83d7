// trial/limits: the memory estimate counts the worlds a scenario builds (population exactly or
// to within the generators' randomness, program agents and ties exactly), --max-memory sizes
// parse, and check_memory refuses what does not fit.
#include <gtest/gtest.h>

#include <filesystem>
#include <string>

#include "config/scenario.hpp"
#include "core/simulation.hpp"
#include "trial/limits.hpp"
#include "trial/trial.hpp"

namespace kindred {
namespace {

const std::filesystem::path kSource = KINDRED_SOURCE_DIR;

class Limits : public ::testing::Test {
  protected:
    ModelCatalogue catalogue_{{kSource / "models"}};
    ScenarioSpec scenario(const std::string& population, const std::string& programs) const {
        const std::string text = "name: limits\nseed: 3\nweeks: 4\npopulation: " + population +
                                 "\narms:\n  - {name: control, control: true, share: 0.5}\n"
                                 "  - {name: treated, share: 0.5, programs: [" +
                                 programs + "]}\n";
        return load_scenario_text(text, "limits.yaml", catalogue_);
    }
};

TEST_F(Limits, EgoNetworkCountsAreTheGeneratorsExpectations) {
    const ScenarioSpec spec = scenario("{patients: 4000}", "");
    const MemoryEstimate estimate = estimate_memory(spec);
    const World world = build_world(spec, 0);
    // Sums of 4000 Poisson draws: the counts are within a few percent of their expectations;
    // the ring ties lose the pairs already tied in a family, so the estimate is an upper bound.
    EXPECT_NEAR(estimate.population_agents, static_cast<double>(world.agent_count()),
                0.03 * estimate.population_agents);
    EXPECT_GE(estimate.population_ties, static_cast<double>(world.tie_count()));
    EXPECT_LE(estimate.population_ties, 1.15 * static_cast<double>(world.tie_count()));
}

TEST_F(Limits, CommunityCountsAreTheGeneratorsExpectations) {
    const ScenarioSpec spec =
        scenario("{generator: erdos_renyi, agents: 20000, mean_degree: 6}", "");
    const MemoryEstimate estimate = estimate_memory(spec);
    const World world = build_world(spec, 0);
    EXPECT_EQ(estimate.population_agents, static_cast<double>(world.agent_count()));
    EXPECT_NEAR(estimate.population_ties, static_cast<double>(world.tie_count()),
                0.05 * estimate.population_ties);
}

TEST_F(Limits, ProgramAgentsAndTiesAreCountedExactly) {
    // 1000 patients, 500 treated. befriending: one volunteer and one tie per patient.
    const ScenarioSpec befriending = scenario("{patients: 1000}", "befriending");
    const ScenarioSpec none = scenario("{patients: 1000}", "");
    const MemoryEstimate with = estimate_memory(befriending);
    const MemoryEstimate without = estimate_memory(none);
    EXPECT_EQ(with.agents - without.agents, 500);
    EXPECT_EQ(with.ties - without.ties, 500);
    EXPECT_GT(with.bytes, without.bytes);

    // The simulation agrees: after the enrolment starts, the world has grown by as much.
    World world = build_world(befriending, 0);
    const std::size_t agents = world.agent_count(), ties = world.tie_count();
    RunSpec run;
    run.weeks = befriending.weeks;
    run.enrolments = scenario_enrolments(befriending);
    Simulation sim(std::move(world), run);
    sim.begin_week();
    EXPECT_EQ(sim.world().agent_count() - agents, 500u);
    EXPECT_EQ(sim.world().tie_count() - ties, 500u);
}

TEST_F(Limits, GroupProgramsCountEveryPairOfAGroup) {
    // One group of all 500 treated patients: 500 · 499 / 2 ties.
    const ScenarioSpec spec =
        scenario("{patients: 1000}", "{model: self_help_groups, group_size: 100000}");
    const MemoryEstimate none = estimate_memory(scenario("{patients: 1000}", ""));
    const MemoryEstimate estimate = estimate_memory(spec);
    double group_ties = 500.0 * 499.0 / 2.0;
    EXPECT_GE(estimate.ties - none.ties, group_ties);
}

TEST_F(Limits, MemoryLimitsParse) {
    EXPECT_EQ(parse_memory_limit("unlimited").kind, MemoryLimit::Kind::unlimited);
    EXPECT_EQ(parse_memory_limit("512M").bytes, 512ull << 20);
    EXPECT_EQ(parse_memory_limit("512MiB").bytes, 512ull << 20);
    EXPECT_EQ(parse_memory_limit("1.5g").bytes, 3ull << 29);
    EXPECT_EQ(parse_memory_limit("2T").bytes, 2ull << 40);
    EXPECT_EQ(parse_memory_limit("4096").bytes, 4096u);
    for (const char* bad : {"", "abc", "-1G", "0", "12XB", "1e30T", "nan", "G"}) {
        EXPECT_THROW(parse_memory_limit(bad), InputError) << bad;
    }
}

TEST_F(Limits, CheckMemoryRefusesWhatDoesNotFit) {
    const ScenarioSpec spec = scenario("{patients: 1000}", "befriending");
    EXPECT_NO_THROW(check_memory(spec, parse_memory_limit("64G")));
    EXPECT_NO_THROW(check_memory(spec, parse_memory_limit("unlimited")));
    try {
        check_memory(spec, parse_memory_limit("1M"));
        FAIL() << "1 MiB was enough";
    } catch (const InputError& error) {
        const std::string message = error.what();
        EXPECT_NE(message.find("limits.yaml: population: expected a scenario that fits"),
                  std::string::npos)
            << message;
        EXPECT_NE(message.find("1 MiB is the --max-memory limit"), std::string::npos) << message;
    }
    // Runs at once multiply the need of a run, not the program's own fixed share.
    const double one = estimate_memory(spec).bytes;
    const double two = kFixedBytes + 2 * (one - kFixedBytes);
    const auto at = [](double bytes) {
        return MemoryLimit{MemoryLimit::Kind::bytes, static_cast<std::uint64_t>(bytes)};
    };
    EXPECT_NO_THROW(check_memory(spec, at(one), 1));
    EXPECT_THROW(check_memory(spec, at(one), 2), InputError);
    EXPECT_NO_THROW(check_memory(spec, at(two + 1), 2));
    EXPECT_THROW(check_memory(spec, at(two - 4096), 2), InputError);
    EXPECT_LT(two, 2 * one);
    // 32-bit ids cannot be lifted by any limit.
    const ScenarioSpec huge = scenario("{patients: 1000000000}", "");
    EXPECT_THROW(check_memory(huge, parse_memory_limit("unlimited")), InputError);
}

TEST_F(Limits, AvailableMemoryIsKnownOnLinux) {
    const auto available = available_memory();
    ASSERT_TRUE(available.has_value());
    EXPECT_GT(*available, 0u);
}

}  // namespace
}  // namespace kindred
