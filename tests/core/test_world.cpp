// World storage: CSR adjacency of both ends, removal keeps order.
#include <gtest/gtest.h>

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

}  // namespace
}  // namespace kindred
