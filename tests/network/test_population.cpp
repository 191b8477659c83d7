// Populations (spec §5): the ego-network generator's layout and statistics, arm sizes and
// randomisation, and the CSV import with its errors.
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <set>

#include "core/types.hpp"
#include "network/population.hpp"

namespace kindred {
namespace {

TEST(EgoNetwork, IdsFollowPatientsThenMembersThenCoordinators) {
    EgoNetworkParams params;
    params.patients = 60;
    const World world = build_ego_network(params, 11, 0);
    for (int i = 0; i < 60; ++i) EXPECT_EQ(world.role[i], Role::patient);
    const std::size_t n = world.agent_count();
    // ceil(60 / 25) = 3 care coordinators at the end.
    for (std::size_t i = n - 3; i < n; ++i) {
        EXPECT_EQ(world.role[i], Role::professional);
        EXPECT_DOUBLE_EQ(world.state.distress[i], 0.1);
        EXPECT_DOUBLE_EQ(world.vulnerability[i], 0.0);
    }
    for (std::size_t i = 60; i < n - 3; ++i) {
        EXPECT_TRUE(world.role[i] == Role::family || world.role[i] == Role::friend_);
        EXPECT_DOUBLE_EQ(world.state.knowledge[i], 0.0);
    }
    // Patient k is tied to coordinator ⌊k/25⌋ with a natural professional tie.
    for (int k = 0; k < 60; ++k) {
        const AgentId coordinator = static_cast<AgentId>(n - 3 + k / 25);
        EXPECT_TRUE(world.has_natural_tie(k, coordinator)) << k;
    }
    // A patient's family members follow each other and form a clique with the patient.
    for (int p = 0; p < 60; ++p) {
        std::vector<AgentId> family;
        for (auto it = world.neighbours_begin(p); it != world.neighbours_end(p); ++it) {
            if (world.tie_type[it->tie] == TieType::family) family.push_back(it->neighbour);
        }
        for (std::size_t x = 0; x < family.size(); ++x) {
            for (std::size_t y = x + 1; y < family.size(); ++y) {
                EXPECT_TRUE(world.has_any_tie(family[x], family[y]));
            }
        }
    }
}

TEST(EgoNetwork, NoSelfTiesNoDuplicatePairsAndStatesInRange) {
    EgoNetworkParams params;
    params.patients = 500;
    const World world = build_ego_network(params, 3, 2);
    std::set<std::pair<AgentId, AgentId>> pairs;
    for (std::size_t e = 0; e < world.tie_count(); ++e) {
        ASSERT_LT(world.tie_u[e], world.tie_v[e]);
        ASSERT_TRUE(pairs.emplace(world.tie_u[e], world.tie_v[e]).second);
        ASSERT_EQ(world.tie_enrolment[e], kNone);
    }
    for (std::size_t i = 0; i < world.agent_count(); ++i) {
        for (const double x : {world.state.distress[i], world.state.agency[i], world.tau[i],
                               world.vulnerability[i]}) {
            ASSERT_TRUE(x >= 0.0 && x <= 1.0);
        }
        EXPECT_DOUBLE_EQ(world.agency0[i], world.state.agency[i]);
    }
}

TEST(EgoNetwork, SampleMeansMatchTheSpecDistributions) {
    // 4000 patients: the standard error of the mean family size is sqrt(4/4000) = 0.032, of a
    // Beta(7,3) mean sqrt(0.021/4000) = 0.0023, of the high-EE share 0.008. Tolerances are
    // about four standard errors.
    EgoNetworkParams params;
    params.patients = 4000;
    const World world = build_ego_network(params, 5, 0);
    double family = 0, friends = 0, hostile = 0, distress = 0, vulnerability = 0, peers = 0;
    for (int p = 0; p < 4000; ++p) {
        distress += world.state.distress[p];
        vulnerability += world.vulnerability[p];
        bool any_hostile = false;
        for (auto it = world.neighbours_begin(p); it != world.neighbours_end(p); ++it) {
            const AgentId j = it->neighbour;
            if (world.role[j] == Role::family) {
                ++family;
                any_hostile = any_hostile || world.tie_q[it->tie] < 0;
            }
            if (world.role[j] == Role::friend_ && world.tie_type[it->tie] == TieType::friend_ &&
                world.tie_w[it->tie] == 0.4) {
                ++friends;
            }
            if (world.tie_type[it->tie] == TieType::peer) ++peers;
        }
        hostile += any_hostile;
    }
    EXPECT_NEAR(family / 4000, 4.0, 0.13);
    EXPECT_NEAR(friends / 4000, 2.0, 0.09);
    EXPECT_NEAR(distress / 4000, 0.7, 0.01);
    EXPECT_NEAR(vulnerability / 4000, 0.6, 0.01);
    // Households with at least one member: P(family ≥ 1) = 1 − e^−4.
    EXPECT_NEAR(hostile / 4000, 0.45 * (1 - std::exp(-4.0)), 0.035);
    // Each drawn peer tie (mean 0.5 per patient) counts at both ends, minus rare drops.
    EXPECT_NEAR(peers / 4000, 1.0, 0.05);
}

TEST(EgoNetwork, SameSeedSameWorldOtherReplicateOtherWorld) {
    EgoNetworkParams params;
    params.patients = 100;
    const World a = build_ego_network(params, 1, 0);
    const World b = build_ego_network(params, 1, 0);
    const World c = build_ego_network(params, 1, 1);
    EXPECT_EQ(a.state.distress, b.state.distress);
    EXPECT_EQ(a.tie_u, b.tie_u);
    EXPECT_EQ(a.tie_v, b.tie_v);
    EXPECT_NE(a.state.distress, c.state.distress);
}

TEST(Arms, SizesFromSharesUseLargestRemainderAndCountsAreExact) {
    EXPECT_EQ(arm_sizes(1000, {0.5, 0.5}, {}), (std::vector<int>{500, 500}));
    EXPECT_EQ(arm_sizes(7, {0.5, 0.5}, {}), (std::vector<int>{4, 3}));
    EXPECT_EQ(arm_sizes(10, {1.0 / 3, 1.0 / 3, 1.0 / 3}, {}), (std::vector<int>{4, 3, 3}));
    EXPECT_EQ(arm_sizes(10, {std::nullopt, 0.5}, {3, std::nullopt}), (std::vector<int>{3, 5}));
    EXPECT_THROW(arm_sizes(10, {}, {6, 5}), InputError);
}

TEST(Arms, AssignmentIsASeededPermutation) {
    EgoNetworkParams params;
    params.patients = 200;
    World world = build_ego_network(params, 9, 0);
    assign_arms(world, {50, 100}, 9, 0);
    std::vector<int> counts(3, 0);
    for (int p = 0; p < 200; ++p) ++counts[world.arm[p] + 1];
    EXPECT_EQ(counts, (std::vector<int>{50, 50, 100}));
    for (std::size_t i = 200; i < world.agent_count(); ++i) EXPECT_EQ(world.arm[i], kNone);
    World again = build_ego_network(params, 9, 0);
    assign_arms(again, {50, 100}, 9, 0);
    EXPECT_EQ(world.arm, again.arm);
    assign_arms(again, {50, 100}, 10, 0);
    EXPECT_NE(world.arm, again.arm);
}

class CsvImport : public ::testing::Test {
  protected:
    std::filesystem::path dir_ =
        std::filesystem::temp_directory_path() / ("kindred_csv_" + std::to_string(::getpid()));
    void SetUp() override { std::filesystem::create_directories(dir_); }
    void TearDown() override { std::filesystem::remove_all(dir_); }
    std::filesystem::path write(const std::string& name, const std::string& text) {
        std::ofstream(dir_ / name) << text;
        return dir_ / name;
    }
    static constexpr const char* kAgents =
        "id,role,d,a,k,s,r,tau,v,arm\n"
        "0,patient,0.7,0.3,0.2,0.3,0.3,0.5,0.6,treated\n"
        "1,patient,0.6,0.3,0.2,0.3,0.3,0.5,0.6,\n"
        "2,family,0.2,0.6,0,0.6,0.5,0.5,0.1,\n";
    std::string error_of(const std::string& agents, const std::string& ties) {
        try {
            load_csv_population(write("agents.csv", agents), write("ties.csv", ties),
                                {"control", "treated"});
        } catch (const InputError& e) {
            return e.what();
        }
        return "no error";
    }
};

TEST_F(CsvImport, ReadsAgentsTiesAndArms) {
    const World world = load_csv_population(
        write("agents.csv", kAgents),
        write("ties.csv", "i,j,type,w,q\n2,0,family,0.6,-0.3\n0,1,peer,0.3,0.5\n"),
        {"control", "treated"});
    ASSERT_EQ(world.agent_count(), 3u);
    EXPECT_EQ(world.arm[0], 1);
    EXPECT_EQ(world.arm[1], kNone);
    EXPECT_DOUBLE_EQ(world.state.distress[1], 0.6);
    EXPECT_DOUBLE_EQ(world.recreation0[0], 0.3);
    ASSERT_EQ(world.tie_count(), 2u);
    EXPECT_EQ(world.tie_u[0], 0);
    EXPECT_EQ(world.tie_v[0], 2);
    EXPECT_DOUBLE_EQ(world.tie_q[0], -0.3);
    EXPECT_DOUBLE_EQ(world.tie_rho[0], 1.0);
    EXPECT_EQ(world.tie_expertise[0], Expertise::none);
}

TEST_F(CsvImport, ErrorsNameFileLineColumnExpectedAndFound) {
    const std::string ok_ties = "i,j,type,w,q\n";
    const auto expect = [&](const std::string& agents, const std::string& ties,
                            const std::vector<std::string>& parts) {
        const std::string message = error_of(agents, ties);
        for (const auto& part : parts) {
            EXPECT_NE(message.find(part), std::string::npos)
                << "message '" << message << "' lacks '" << part << "'";
        }
    };
    expect("id,role,d\n", ok_ties, {"agents.csv:1:", "expected the header"});
    expect("", ok_ties, {"agents.csv", "empty file"});
    expect(std::string(kAgents) + "3,patient,1.5,0,0,0,0,0,0,\n", ok_ties,
           {"agents.csv:5:", "column 'd'", "[0, 1]", "'1.5'"});
    expect(std::string(kAgents) + "4,patient,0.5,0,0,0,0,0,0,\n", ok_ties,
           {"agents.csv:5:", "column 'id'", "3 here", "found 4"});
    expect(std::string(kAgents) + "3,doctor,0.5,0,0,0,0,0,0,\n", ok_ties,
           {"agents.csv:5:", "column 'role'", "'doctor'"});
    expect(std::string(kAgents) + "3,family,0.5,0,0,0,0,0,0,treated\n", ok_ties,
           {"agents.csv:5:", "an arm only on a patient"});
    expect(std::string(kAgents) + "3,patient,0.5,0,0,0,0,0,0,placebo\n", ok_ties,
           {"agents.csv:5:", "column 'arm'", "'placebo'"});
    expect(std::string(kAgents) + "3,patient,nan,0,0,0,0,0,0,\n", ok_ties,
           {"agents.csv:5:", "column 'd'", "'nan'"});
    expect(std::string(kAgents) + "3,patient,0.5,0,0\n", ok_ties,
           {"agents.csv:5:", "expected 10", "found 5"});
    expect(kAgents, "i,j,type,w,q\n0,0,friend,0.3,0.5\n", {"ties.csv:2:", "self-tie"});
    expect(kAgents, "i,j,type,w,q\n0,1,friend,0.3,0.5\n1,0,peer,0.3,0.5\n",
           {"ties.csv:3:", "second tie", "1 and 0"});
    // Errors are reported in file order: the first repeated pair (its second row) before a
    // later bad row, a bad row before a later repeat; rows between do not matter.
    expect(kAgents,
           "i,j,type,w,q\n0,1,friend,0.3,0.5\n2,0,family,0.5,0.5\n1,2,friend,0.3,0.5\n"
           "2,1,peer,0.3,0.5\n0,2,friend,0.3,0.5\n1,0,friend,0.3,0.5\n0,1,enemy,0.3,0.5\n",
           {"ties.csv:5:", "second tie", "between agents 2 and 1"});
    expect(kAgents, "i,j,type,w,q\n0,1,friend,0.3,0.5\n0,2,friend,0.3,9\n1,0,friend,0.3,0.5\n",
           {"ties.csv:3:", "column 'q'"});
    expect(kAgents, "i,j,type,w,q\n0,7,friend,0.3,0.5\n", {"ties.csv:2:", "column 'j'", "'7'"});
    expect(kAgents, "i,j,type,w,q\n0,1,enemy,0.3,0.5\n",
           {"ties.csv:2:", "column 'type'", "'enemy'"});
    expect(kAgents, "i,j,type,w,q\n0,1,friend,0.3,-2\n", {"ties.csv:2:", "column 'q'", "[-1, 1]"});
    const std::string missing = error_of(kAgents, ok_ties);
    EXPECT_EQ(missing, "no error");
    EXPECT_THROW(load_csv_population(dir_ / "absent.csv", dir_ / "ties.csv", {}), InputError);
}

}  // namespace
}  // namespace kindred
