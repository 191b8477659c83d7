// Community populations (network/community.hpp): layout (households, patients, coordinators),
// tie rules, mean degree, initial states, determinism and thread independence.
#include <gtest/gtest.h>
#include <tbb/global_control.h>

#include <cmath>
#include <vector>

#include "network/community.hpp"
#include "network/population.hpp"

namespace kindred {
namespace {

CommunityParams small(NetworkModel model) {
    CommunityParams params;
    params.model = model;
    params.agents = 5000;
    params.patient_share = 0.2;
    params.mean_degree = 8;
    params.attach = 4;
    params.block_shares = {0.4, 0.6};
    params.block_probabilities = {{2e-3, 5e-4}, {5e-4, 2e-3}};
    return params;
}

class CommunityModels : public ::testing::TestWithParam<NetworkModel> {};

TEST_P(CommunityModels, LayoutTiesAndStatesFollowTheRules) {
    const CommunityParams params = small(GetParam());
    const World world = build_community(params, 11, 0);
    const std::size_t n = 5000;
    const int patients = community_patients(params);
    ASSERT_EQ(patients, 1000);
    const std::size_t coordinators = (1000 + 24) / 25;
    ASSERT_EQ(world.agent_count(), n + coordinators);
    int patient_count = 0;
    for (std::size_t i = 0; i < n; ++i) patient_count += world.role[i] == Role::patient;
    EXPECT_EQ(patient_count, patients);
    for (std::size_t i = n; i < world.agent_count(); ++i) {
        EXPECT_EQ(world.role[i], Role::professional);
        EXPECT_DOUBLE_EQ(world.state.distress[i], 0.1);
    }
    // Ties: ascending pairs (so none twice, none a self-tie), natural, typed by the rules.
    int patient_number = 0;
    std::vector<int> coordinator_of(n, -1);
    for (std::size_t i = 0; i < n; ++i) {
        if (world.role[i] == Role::patient) coordinator_of[i] = patient_number++ / 25;
    }
    for (std::size_t e = 0; e < world.tie_count(); ++e) {
        const AgentId u = world.tie_u[e], v = world.tie_v[e];
        ASSERT_LT(u, v);
        if (e > 0) {
            ASSERT_TRUE(world.tie_u[e - 1] < u ||
                        (world.tie_u[e - 1] == u && world.tie_v[e - 1] < v));
        }
        ASSERT_EQ(world.tie_enrolment[e], kNone);
        const bool u_patient = world.role[u] == Role::patient;
        const bool v_patient = world.role[v] == Role::patient;
        switch (world.tie_type[e]) {
            case TieType::professional:
                ASSERT_TRUE(u_patient);
                ASSERT_EQ(static_cast<std::size_t>(v), n + coordinator_of[u]);
                break;
            case TieType::family:
                ASSERT_DOUBLE_EQ(world.tie_w[e], 0.6);
                if (!u_patient && !v_patient) ASSERT_DOUBLE_EQ(world.tie_q[e], 0.6);
                break;
            case TieType::peer:
                ASSERT_TRUE(u_patient && v_patient);
                ASSERT_DOUBLE_EQ(world.tie_w[e], params.tie_strength);
                break;
            case TieType::friend_:
                ASSERT_FALSE(u_patient && v_patient);
                ASSERT_DOUBLE_EQ(world.tie_q[e], params.tie_valence);
                break;
        }
    }
    // Every patient has exactly one coordinator; family members live with a patient.
    for (std::size_t i = 0; i < n; ++i) {
        if (world.role[i] == Role::patient) {
            int coordinator_ties = 0;
            for (auto it = world.neighbours_begin(static_cast<AgentId>(i));
                 it != world.neighbours_end(static_cast<AgentId>(i)); ++it) {
                coordinator_ties += world.tie_type[it->tie] == TieType::professional;
            }
            EXPECT_EQ(coordinator_ties, 1) << i;
        }
        if (world.role[i] == Role::family) {
            bool lives_with_patient = false;
            for (auto it = world.neighbours_begin(static_cast<AgentId>(i));
                 it != world.neighbours_end(static_cast<AgentId>(i)); ++it) {
                lives_with_patient =
                    lives_with_patient || (world.tie_type[it->tie] == TieType::family &&
                                           world.role[it->neighbour] == Role::patient);
            }
            EXPECT_TRUE(lives_with_patient) << i;
        }
        EXPECT_DOUBLE_EQ(world.agency0[i], world.state.agency[i]);
        EXPECT_TRUE(world.state.distress[i] >= 0.0 && world.state.distress[i] <= 1.0);
    }
}

TEST_P(CommunityModels, SameSeedSameWorldAnyThreadCount) {
    const CommunityParams params = small(GetParam());
    World one, two;
    {
        tbb::global_control limit(tbb::global_control::max_allowed_parallelism, 1);
        one = build_community(params, 5, 1);
    }
    {
        tbb::global_control limit(tbb::global_control::max_allowed_parallelism, 2);
        two = build_community(params, 5, 1);
    }
    EXPECT_EQ(one.role, two.role);
    EXPECT_EQ(one.tie_u, two.tie_u);
    EXPECT_EQ(one.tie_v, two.tie_v);
    EXPECT_EQ(one.tie_q, two.tie_q);
    EXPECT_EQ(one.state.distress, two.state.distress);
    const World other = build_community(params, 5, 2);
    EXPECT_NE(one.tie_v, other.tie_v);
}

INSTANTIATE_TEST_SUITE_P(Models, CommunityModels,
                         ::testing::Values(NetworkModel::erdos_renyi, NetworkModel::watts_strogatz,
                                           NetworkModel::barabasi_albert,
                                           NetworkModel::stochastic_block,
                                           NetworkModel::configuration),
                         [](const auto& info) { return std::string(to_string(info.param)); });

TEST(Community, MeanDegreeIsTheNetworksPlusHouseholdsPlusCoordinators) {
    // Erdős–Rényi with mean degree 8 over 20 000 agents: exactly 80 000 network ties; a network
    // tie inside a household merges with the family tie (expected 80 000 · E[pairs in
    // households] / C(n,2) ≈ 8.4 of them), so the total is 80 000 + household pairs + patients
    // minus those few merges.
    CommunityParams params = small(NetworkModel::erdos_renyi);
    params.agents = 20000;
    const World world = build_community(params, 3, 0);
    const EdgeList network = community_network(params, 3, 0);
    ASSERT_EQ(network.size(), 80000u);
    std::size_t family = 0, professional = 0;
    for (std::size_t e = 0; e < world.tie_count(); ++e) {
        family += world.tie_type[e] == TieType::family;
        professional += world.tie_type[e] == TieType::professional;
    }
    EXPECT_EQ(professional, static_cast<std::size_t>(community_patients(params)));
    const std::size_t merged = network.size() + family + professional - world.tie_count();
    EXPECT_LE(merged, 40u);
    // Household sizes 1 + Poisson(1.5): E[pairs per agent] = E[s(s−1)/2]/E[s] = 2.625/2.5
    // = 1.05; over about 8 000 households the standard error of the total is about 1.6%: ±8%.
    EXPECT_NEAR(static_cast<double>(family) / 20000.0, 1.05, 0.08);
}

TEST(Community, SingletonHouseholdsHaveNoFamily) {
    CommunityParams params = small(NetworkModel::watts_strogatz);
    params.household_mean = 1.0;
    const World world = build_community(params, 1, 0);
    for (std::size_t e = 0; e < world.tie_count(); ++e) {
        EXPECT_NE(world.tie_type[e], TieType::family);
    }
    for (const Role role : world.role) EXPECT_NE(role, Role::family);
}

TEST(Community, ArmsAreRandomisedAmongThePatients) {
    const CommunityParams params = small(NetworkModel::barabasi_albert);
    World world = build_community(params, 2, 0);
    assign_arms(world, arm_sizes(community_patients(params), {0.5, 0.5}, {}), 2, 0);
    int in_arms[2] = {0, 0};
    for (std::size_t i = 0; i < world.agent_count(); ++i) {
        if (world.arm[i] == kNone) continue;
        ASSERT_EQ(world.role[i], Role::patient);
        ++in_arms[world.arm[i]];
    }
    EXPECT_EQ(in_arms[0], 500);
    EXPECT_EQ(in_arms[1], 500);
}

}  // namespace
}  // namespace kindred
