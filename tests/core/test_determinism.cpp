// Whole runs: bit-identical results for 1, 2 and 8 threads (spec §7), and the invariants that
// must hold every week of a stochastic run with programs.
#include <gtest/gtest.h>
#include <tbb/global_control.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <set>

#include "core/simulation.hpp"
#include "network/population.hpp"
#include "world_fixtures.hpp"

namespace kindred {
namespace {

/// A stochastic trial with every delivery element, on a 200-patient ego network.
RunSpec stochastic_trial() {
    RunSpec spec;  // default parameters: σ, p_event, φ all on
    spec.seed = 7;
    spec.replicate = 1;
    spec.weeks = 30;
    ProgramSpec mixed;
    mixed.name = "mixed";
    mixed.resources = {0.9, 0.8, 0.7, 0.6, 0.5, 0.4};  // distinct: a resource mixed up shows
    mixed.reciprocity = 0.5;
    mixed.expertise = Expertise::peers;
    for (const ElementKind kind :
         {ElementKind::professional, ElementKind::peer_worker, ElementKind::volunteer,
          ElementKind::group, ElementKind::staff, ElementKind::activate}) {
        DeliveryElement element;
        element.kind = kind;
        element.persist_probability = 0.5;
        element.activate_types = {TieType::family, TieType::friend_};
        mixed.delivery.push_back(element);
    }
    spec.enrolments.push_back(testing::enrol(1, mixed, 2, 10));
    return spec;
}

World stochastic_world() {
    EgoNetworkParams params;
    params.patients = 200;
    World world = build_ego_network(params, 7, 1);
    assign_arms(world, arm_sizes(200, {0.5, 0.5}, {}), 7, 1);
    return world;
}

struct Snapshot {
    std::vector<double> d, a, k, s, r, w, q;
    std::vector<AgentId> u, v;
    std::vector<int> recovered;
    bool operator==(const Snapshot&) const = default;
};

Snapshot run_with_threads(int threads) {
    tbb::global_control limit(tbb::global_control::max_allowed_parallelism,
                              static_cast<std::size_t>(threads));
    RunSpec spec = stochastic_trial();
    Simulation sim(stochastic_world(), spec);
    for (int t = 0; t < spec.weeks; ++t) sim.step();
    const World& w = sim.world();
    return Snapshot{
        w.state.distress, w.state.agency, w.state.knowledge, w.state.strengths, w.state.recreation,
        w.tie_w,          w.tie_q,        w.tie_u,           w.tie_v,           w.recovered_week};
}

TEST(Determinism, SameSeedGivesBitIdenticalResultsForAnyThreadCount) {
    const Snapshot one = run_with_threads(1);
    EXPECT_EQ(run_with_threads(2), one);
    EXPECT_EQ(run_with_threads(8), one);
    EXPECT_EQ(run_with_threads(1), one) << "repeat run";
}

/// The bits of a vector of doubles (== would take −0.0 for +0.0).
std::vector<std::uint64_t> bits(const std::vector<double>& values) {
    std::vector<std::uint64_t> out(values.size());
    std::memcpy(out.data(), values.data(), values.size() * sizeof(double));
    return out;
}

TEST(Determinism, VectorKernelsGiveTheScalarBitsEveryWeek) {
    if (!vector_kernels_active()) GTEST_SKIP() << "this processor has no AVX2";
    testing::VectorKernelsSwitch restore;
    // The trial has weeks with program ties, activation and knowledge transfer (the scalar path
    // of the tie pass) and weeks without (the vector path, with the peer ties among patients
    // and the program ties taken one by one); the fast decay makes ties dissolve. The gather
    // and the agent update (with exposure while the program runs, noise and life events) take
    // their vector path in the `vector` run's weeks and their scalar path in the other's.
    for (const double decay : {0.002, 0.1}) {
        RunSpec spec = stochastic_trial();
        spec.params.kappa_decay = decay;
        set_vector_kernels(false);
        Simulation scalar(stochastic_world(), spec);
        Simulation vector(stochastic_world(), spec);
        const std::size_t ties_at_start = scalar.world().tie_count();
        for (int t = 0; t < spec.weeks; ++t) {
            set_vector_kernels(false);
            scalar.begin_week();
            set_vector_kernels(true);
            vector.begin_week();
            const Flows& a = scalar.flows();
            const Flows& b = vector.flows();
            ASSERT_EQ(bits(a.help_received), bits(b.help_received)) << "week " << t;
            ASSERT_EQ(bits(a.help_given), bits(b.help_given)) << "week " << t;
            ASSERT_EQ(bits(a.strain), bits(b.strain)) << "week " << t;
            ASSERT_EQ(bits(a.knowledge_offered), bits(b.knowledge_offered)) << "week " << t;
            set_vector_kernels(false);
            scalar.finish_week();
            set_vector_kernels(true);
            vector.finish_week();
            const World& x = scalar.world();
            const World& y = vector.world();
            ASSERT_EQ(bits(x.state.distress), bits(y.state.distress)) << "week " << t;
            ASSERT_EQ(bits(x.state.agency), bits(y.state.agency)) << "week " << t;
            ASSERT_EQ(bits(x.state.knowledge), bits(y.state.knowledge)) << "week " << t;
            ASSERT_EQ(bits(x.tie_w), bits(y.tie_w)) << "week " << t;
            ASSERT_EQ(bits(x.tie_q), bits(y.tie_q)) << "week " << t;
            ASSERT_EQ(x.tie_u, y.tie_u) << "week " << t;
            ASSERT_EQ(x.tie_v, y.tie_v) << "week " << t;
            ASSERT_EQ(x.recovered_week, y.recovered_week) << "week " << t;
        }
        if (decay > 0.01) {
            EXPECT_LT(scalar.world().tie_count(), ties_at_start / 2) << "ties should dissolve";
        }
    }
}

TEST(Determinism, DifferentReplicateGivesDifferentResults) {
    RunSpec spec = stochastic_trial();
    spec.replicate = 2;
    Simulation a(stochastic_world(), stochastic_trial());
    Simulation b(stochastic_world(), spec);
    for (int t = 0; t < 3; ++t) {
        a.step();
        b.step();
    }
    EXPECT_NE(a.world().state.distress, b.world().state.distress);
}

void expect_invariants(const Simulation& sim) {
    const World& w = sim.world();
    ASSERT_TRUE(w.adjacency_valid());
    // Every tie appears exactly once in each end's adjacency, and nowhere else.
    std::vector<int> seen(w.tie_count(), 0);
    for (std::size_t i = 0; i < w.agent_count(); ++i) {
        for (auto it = w.neighbours_begin(static_cast<AgentId>(i));
             it != w.neighbours_end(static_cast<AgentId>(i)); ++it) {
            const TieIndex e = it->tie;
            ASSERT_TRUE(w.tie_u[e] == static_cast<AgentId>(i) ||
                        w.tie_v[e] == static_cast<AgentId>(i));
            ASSERT_EQ(it->neighbour, w.other_end(e, static_cast<AgentId>(i)));
            ++seen[e];
        }
    }
    for (std::size_t e = 0; e < w.tie_count(); ++e) ASSERT_EQ(seen[e], 2) << "tie " << e;
    // No self-ties, u < v, at most one natural tie per pair, ranges.
    std::set<std::pair<AgentId, AgentId>> natural;
    for (std::size_t e = 0; e < w.tie_count(); ++e) {
        ASSERT_LT(w.tie_u[e], w.tie_v[e]);
        ASSERT_GE(w.tie_w[e], 0.0);
        ASSERT_LE(w.tie_w[e], 1.0);
        ASSERT_GE(w.tie_q[e], -1.0);
        ASSERT_LE(w.tie_q[e], 1.0);
        if (w.tie_enrolment[e] == kNone) {
            ASSERT_TRUE(natural.emplace(w.tie_u[e], w.tie_v[e]).second)
                << "duplicate natural tie " << w.tie_u[e] << "-" << w.tie_v[e];
            if (w.tie_type[e] == TieType::family) {
                ASSERT_GE(w.tie_w[e], sim.spec().params.w_floor_family);
            }
        } else {
            ASSERT_TRUE(sim.enrolment_active(w.tie_enrolment[e]))
                << "program tie outlived its enrolment";
        }
    }
    const DynamicState& s = w.state;
    for (std::size_t i = 0; i < w.agent_count(); ++i) {
        for (const double x :
             {s.distress[i], s.agency[i], s.knowledge[i], s.strengths[i], s.recreation[i]}) {
            ASSERT_TRUE(x >= 0.0 && x <= 1.0) << "agent " << i;
        }
    }
}

TEST(Invariants, HoldEveryWeekOfAStochasticTrialWithEveryElement) {
    RunSpec spec = stochastic_trial();
    spec.params.phi = 0.2;  // many new friendships, to exercise formation
    Simulation sim(stochastic_world(), spec);
    bool saw_program_ties = false;
    bool saw_formation = false;
    std::size_t natural_before = 0;
    for (int t = 0; t <= spec.weeks; ++t) {
        sim.begin_week();
        expect_invariants(sim);
        if (HasFatalFailure()) return;
        const World& w = sim.world();
        const auto program_ties = static_cast<std::size_t>(std::count_if(
            w.tie_enrolment.begin(), w.tie_enrolment.end(), [](int e) { return e != kNone; }));
        if (t >= 2 && t < 12) {
            EXPECT_GT(program_ties, 0u);
            saw_program_ties = true;
        } else {
            EXPECT_EQ(program_ties, 0u) << "week " << t;
        }
        if (t == spec.weeks) break;
        natural_before = w.tie_count();
        sim.finish_week();
        if (sim.world().tie_count() > natural_before) saw_formation = true;
    }
    EXPECT_TRUE(saw_program_ties);
    EXPECT_TRUE(saw_formation);
}

}  // namespace
}  // namespace kindred
