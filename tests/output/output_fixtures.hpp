// The small hand-built world and its help flows shared by the sim/output tests.
#pragma once

#include <cstddef>
#include <vector>

#include "core/simulation.hpp"
#include "core/types.hpp"
#include "core/world.hpp"

namespace kindred::output_testing {

/// Patients 0,1,2 in arm 0, patients 3,4 in arm 1, patient 5 in no arm, then a family
/// member (6), a friend (7) and a professional (8).
inline World small_world() {
    World world;
    const std::vector<double> distress{0.9, 0.5, 0.7, 0.2, 0.4, 0.6};
    const std::vector<int> arms{0, 0, 0, 1, 1, kNone};
    for (std::size_t i = 0; i < distress.size(); ++i) {
        world.add_agent(
            {.role = Role::patient, .d = distress[i], .a = 0.1 * double(i), .arm = arms[i]});
    }
    world.add_agent({.role = Role::family, .d = 0.1});
    world.add_agent({.role = Role::friend_, .d = 0.2});
    world.add_agent({.role = Role::professional, .d = 0.1});
    world.add_tie({.i = 0, .j = 6, .type = TieType::family, .w = 0.6, .q = 0.6});
    world.add_tie({.i = 0, .j = 8, .type = TieType::professional, .w = 0.3, .q = 0.5});
    world.add_tie({.i = 1, .j = 8, .type = TieType::professional, .w = 0.3, .q = 0.5});
    world.add_tie({.i = 3, .j = 8, .type = TieType::professional, .w = 0.3, .q = 0.5});
    world.add_tie({.i = 3, .j = 7, .type = TieType::friend_, .w = 0.4, .q = 0.6});
    world.add_tie({.i = 0, .j = 3, .type = TieType::peer, .w = 0.3, .q = 0.5});
    world.add_tie({.i = 4, .j = 7, .type = TieType::friend_, .w = 0.2, .q = -0.3});
    world.rebuild_adjacency();
    return world;
}

/// Help received 0.01·i + 0.001·week, help given 0.02·i and strain 0.03·i for agent i.
inline Flows flows_for(const World& world, int week = 0) {
    Flows flows;
    flows.resize(world.agent_count());
    for (std::size_t i = 0; i < world.agent_count(); ++i) {
        flows.help_received[i] = 0.01 * double(i) + 0.001 * week;
        flows.help_given[i] = 0.02 * double(i);
        flows.strain[i] = 0.03 * double(i);
    }
    return flows;
}

}  // namespace kindred::output_testing
