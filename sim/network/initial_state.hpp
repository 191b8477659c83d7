// Initial agent states of spec §5, shared by the population generators (internal to network/).
#pragma once

#include <cstddef>

#include "core/parallel.hpp"
#include "core/rng.hpp"
#include "core/world.hpp"

namespace kindred::detail {

/// Draws the spec §5 initial state of every agent of `world` from its own stream
/// `stream_for(agent id)`, by role: patients d~Beta(7,3), a~Beta(2,5), k~Beta(2,6), s~Beta(2,5),
/// r~Beta(2,6), v~Beta(6,4); others d~Beta(2,8), a~Beta(5,3), k=0, s~Beta(5,3), r~Beta(4,4),
/// v~Beta(1,9); all τ~Beta(5,5); professionals (care coordinators) then d=0.1, v=0. Set points
/// a0, s0, r0 = a, s, r. Parallel over agents; the result does not depend on the thread count.
template <typename StreamFor>
void draw_initial_states(World& world, StreamFor&& stream_for) {
    parallel_for_each_index(world.agent_count(), [&](std::size_t i) {
        RandomStream draws = stream_for(i);
        const Role role = world.role[i];
        double d, a, k, s, r, v;
        if (role == Role::patient) {
            d = draws.beta(7, 3);
            a = draws.beta(2, 5);
            k = draws.beta(2, 6);
            s = draws.beta(2, 5);
            r = draws.beta(2, 6);
            v = draws.beta(6, 4);
        } else {
            d = draws.beta(2, 8);
            a = draws.beta(5, 3);
            k = 0.0;
            s = draws.beta(5, 3);
            r = draws.beta(4, 4);
            v = draws.beta(1, 9);
        }
        const double tau = draws.beta(5, 5);
        if (role == Role::professional) {  // care coordinators
            d = 0.1;
            v = 0.0;
        }
        world.state.distress[i] = d;
        world.state.agency[i] = a;
        world.state.knowledge[i] = k;
        world.state.strengths[i] = s;
        world.state.recreation[i] = r;
        world.tau[i] = tau;
        world.vulnerability[i] = v;
        world.agency0[i] = a;
        world.strengths0[i] = s;
        world.recreation0[i] = r;
    });
}

}  // namespace kindred::detail
