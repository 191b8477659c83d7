// World storage: CSR adjacency of both ends, removal keeps order.
#include <gtest/gtest.h>
#include <tbb/global_control.h>

#include <algorithm>
#include <set>
#include <utility>
#include <vector>

#include "core/world.hpp"
#include "world_fixtures.hpp"

namespace kindred {
namespace {

TEST(World, AdjacencyListsEveryTieAtBothEndsInTieOrder) {
    World world;
    for (int i = 0; i < 4; ++i) world.add_agent(testing::agent(Role::friend_, 0, 0, 0, 0, 0, 0, 0));
    world.add_tie(testing::natural_tie(2, 0, TieType::friend_, 0.5, 0.5));
    world.add_tie(testing::natural_tie(0, 3, TieType::family, 0.5, 0.5));
    world.add_tie(testing::natural_tie(1, 2, TieType::peer, 0.5, 0.5));
    EXPECT_FALSE(world.adjacency_valid());
    world.rebuild_adjacency();
    EXPECT_EQ(world.tie_u[0], 0);
    EXPECT_EQ(world.tie_v[0], 2) << "stored with u < v";
    ASSERT_EQ(world.degree(0), 2u);
    EXPECT_EQ(world.neighbours_begin(0)[0].neighbour, 2);
    EXPECT_EQ(world.neighbours_begin(0)[1].neighbour, 3);
    EXPECT_EQ(world.degree(2), 2u);
    EXPECT_TRUE(world.has_any_tie(3, 0));
    EXPECT_TRUE(world.has_natural_tie(1, 2));
    EXPECT_FALSE(world.has_any_tie(1, 3));

    world.remove_ties({1, 0, 0});
    world.rebuild_adjacency();
    ASSERT_EQ(world.tie_count(), 2u);
    EXPECT_EQ(world.tie_type[0], TieType::family);
    EXPECT_EQ(world.tie_type[1], TieType::peer);
    EXPECT_FALSE(world.has_any_tie(0, 2));
    EXPECT_EQ(world.degree(0), 1u);
}

/// Every agent's adjacency (neighbour, tie) list.
std::vector<std::vector<std::pair<AgentId, TieIndex>>> adjacency_of(const World& world) {
    std::vector<std::vector<std::pair<AgentId, TieIndex>>> lists(world.agent_count());
    for (std::size_t i = 0; i < world.agent_count(); ++i) {
        for (auto it = world.neighbours_begin(static_cast<AgentId>(i));
             it != world.neighbours_end(static_cast<AgentId>(i)); ++it) {
            lists[i].emplace_back(it->neighbour, it->tie);
        }
    }
    return lists;
}

/// A world of `agents` agents and about 3·agents random distinct ties (deterministic).
World random_world(int agents, std::uint64_t salt) {
    World world;
    for (int i = 0; i < agents; ++i) {
        world.add_agent(testing::agent(Role::friend_, 0.5, 0.5, 0, 0.5, 0.5, 0.5, 0.5));
    }
    std::set<std::pair<AgentId, AgentId>> seen;
    std::uint64_t x = 88172645463325252ull ^ salt;
    for (int t = 0; t < 3 * agents; ++t) {
        x ^= x << 13, x ^= x >> 7, x ^= x << 17;
        const auto i = static_cast<AgentId>(x % static_cast<std::uint64_t>(agents));
        const auto j = static_cast<AgentId>((x >> 32) % static_cast<std::uint64_t>(agents));
        if (i == j || !seen.emplace(std::min(i, j), std::max(i, j)).second) continue;
        world.add_tie(testing::natural_tie(i, j, TieType::friend_, 0.01 * (t % 100), 0.5));
    }
    return world;
}

/// A world read row by row keeps no spare capacity after shrink_to_fit(), and the same values.
TEST(World, ShrinkToFitReleasesSpareCapacityAndKeepsEveryValue) {
    World world;
    for (int i = 0; i < 37; ++i) {
        world.add_agent(testing::agent(Role::friend_, 0.01 * i, 0.5, 0.2, 0.3, 0.4, 0.6, 0.1));
    }
    for (int i = 0; i + 1 < 37; ++i) {
        world.add_tie(testing::natural_tie(i, i + 1, TieType::friend_, 0.02 * i, -0.5));
    }
    world.next.resize(37);
    const std::vector<double> distress = world.state.distress, w = world.tie_w;
    const std::vector<AgentId> u = world.tie_u;
    ASSERT_GT(world.state.distress.capacity(), world.agent_count()) << "the test needs slack";
    ASSERT_GT(world.tie_w.capacity(), world.tie_count()) << "the test needs slack";
    world.shrink_to_fit();
    for (const auto* values :
         {&world.state.distress, &world.state.agency, &world.next.recreation, &world.tau,
          &world.recreation0, &world.tie_w, &world.tie_q, &world.tie_rho}) {
        EXPECT_EQ(values->capacity(), values->size());
    }
    EXPECT_EQ(world.role.capacity(), 37U);
    EXPECT_EQ(world.recovered_week.capacity(), 37U);
    EXPECT_EQ(world.tie_u.capacity(), 36U);
    EXPECT_EQ(world.tie_type.capacity(), 36U);
    EXPECT_EQ(world.tie_element.capacity(), 36U);
    EXPECT_EQ(world.state.distress, distress);
    EXPECT_EQ(world.tie_w, w);
    EXPECT_EQ(world.tie_u, u);
    world.rebuild_adjacency();
    EXPECT_EQ(world.degree(0), 1U);
    EXPECT_EQ(world.degree(5), 2U);
}

TEST(World, PatchedAdjacencyAfterRemovalEqualsARebuild) {
    World world = random_world(3000, 1);
    world.rebuild_adjacency();
    std::vector<std::uint8_t> remove(world.tie_count(), 0);
    for (std::size_t e = 0; e < remove.size(); e += 7) remove[e] = 1;
    remove.back() = 1;
    const std::size_t kept =
        world.tie_count() - static_cast<std::size_t>(std::count(remove.begin(), remove.end(), 1));
    world.remove_ties(remove);
    ASSERT_TRUE(world.adjacency_valid()) << "a valid adjacency is patched, not invalidated";
    ASSERT_EQ(world.tie_count(), kept);
    World rebuilt = world;
    rebuilt.rebuild_adjacency();
    EXPECT_EQ(adjacency_of(world), adjacency_of(rebuilt));
}

TEST(World, MergedAdjacencyAfterAppendsEqualsARebuild) {
    World world = random_world(2000, 2);
    world.rebuild_adjacency();
    // New agents (some isolated) and ties among old and new agents, as a week's deliveries
    // and friendships add them.
    for (int i = 0; i < 50; ++i) {
        world.add_agent(testing::agent(Role::volunteer, 0.1, 0.7, 0, 0.7, 0.5, 0.5, 0));
    }
    for (int t = 0; t < 40; ++t) {
        world.add_tie(testing::natural_tie(static_cast<AgentId>(37 * t % 2000),
                                           static_cast<AgentId>(2000 + t), TieType::friend_, 0.2,
                                           0.5));
        world.add_tie(testing::natural_tie(static_cast<AgentId>(1999 - t),
                                           static_cast<AgentId>(3 * t), TieType::peer, 0.2, 0.5));
    }
    world.add_tie(testing::natural_tie(0, 1999, TieType::friend_, 0.2, 0.5));
    EXPECT_FALSE(world.adjacency_valid());
    World rebuilt = world;
    world.update_adjacency();
    rebuilt.rebuild_adjacency();
    ASSERT_TRUE(world.adjacency_valid());
    EXPECT_EQ(adjacency_of(world), adjacency_of(rebuilt));
    // Removal while the adjacency is stale falls back to a rebuild.
    std::vector<std::uint8_t> remove(world.tie_count(), 0);
    remove[3] = 1;
    world.add_tie(testing::natural_tie(5, 6, TieType::friend_, 0.2, 0.5));
    remove.push_back(0);
    world.remove_ties(remove);
    EXPECT_FALSE(world.adjacency_valid());
    world.update_adjacency();
    rebuilt = world;
    rebuilt.rebuild_adjacency();
    EXPECT_EQ(adjacency_of(world), adjacency_of(rebuilt));
}

TEST(World, RebuiltAdjacencyIsTheSameForAnyThreadCount) {
    World one = random_world(20000, 3), two = one;
    {
        tbb::global_control limit(tbb::global_control::max_allowed_parallelism, 1);
        one.rebuild_adjacency();
    }
    {
        tbb::global_control limit(tbb::global_control::max_allowed_parallelism, 2);
        two.rebuild_adjacency();
    }
    EXPECT_EQ(adjacency_of(one), adjacency_of(two));
}

}  // namespace
}  // namespace kindred
