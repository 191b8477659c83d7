// Knock-outs: each switches off exactly its mechanism, and all on is version 1 of the spec.
#include <gtest/gtest.h>

#include <cmath>

#include "core/simulation.hpp"
#include "world_fixtures.hpp"

namespace kindred {
namespace {

using testing::agent;
using testing::deterministic_parameters;
using testing::enrol;
using testing::natural_tie;

/// Patient 0 (arm 0) with a family member (1), a friend (2) and a patient peer (3, arm 0); a
/// peer group tie with expertise peers among patients 0 and 3 when the program runs.
World knockout_world() {
    World world;
    world.add_agent(agent(Role::patient, 0.7, 0.3, 0.1, 0.3, 0.3, 0.5, 0.6, 0));
    world.add_agent(agent(Role::family, 0.2, 0.6, 0.0, 0.6, 0.5, 0.5, 0.1));
    world.add_agent(agent(Role::friend_, 0.3, 0.6, 0.0, 0.6, 0.5, 0.5, 0.1));
    world.add_agent(agent(Role::patient, 0.5, 0.4, 0.8, 0.3, 0.6, 0.5, 0.6, 0));
    world.add_tie(natural_tie(0, 1, TieType::family, 0.6, 0.6));
    world.add_tie(natural_tie(0, 2, TieType::friend_, 0.4, 0.6));
    world.rebuild_adjacency();
    return world;
}

ProgramSpec everything_program(Expertise expertise) {
    ProgramSpec program;
    program.name = "everything";
    program.resources = {1, 1, 1, 1, 1, 1};
    program.expertise = expertise;
    DeliveryElement group;
    group.kind = ElementKind::group;
    DeliveryElement activate;
    activate.kind = ElementKind::activate;
    activate.activate_types = {TieType::family};
    activate.a_w = 0.2;
    activate.a_q = 0.2;
    program.delivery = {group, activate};
    return program;
}

Simulation make(const Mechanisms& mechanisms, Expertise expertise = Expertise::peers) {
    RunSpec spec;
    spec.params = deterministic_parameters();
    spec.mechanisms = mechanisms;
    spec.weeks = 10;
    spec.enrolments.push_back(enrol(0, everything_program(expertise), 0, 5));
    return Simulation(knockout_world(), spec);
}

TEST(Knockouts, AllOnIsTheDefault) {
    const Mechanisms defaults;
    for (const MechanismInfo& info : mechanism_table()) EXPECT_TRUE(defaults.*(info.flag));
    EXPECT_EQ(mechanism_table().size(), 7u);
}

TEST(Knockouts, HelpFlowOffMeansNoHelpAnywhere) {
    Mechanisms off;
    off.help_flow = false;
    Simulation sim = make(off);
    sim.begin_week();
    for (std::size_t i = 0; i < 4; ++i) {
        EXPECT_EQ(sim.flows().help_received[i], 0.0);
        EXPECT_EQ(sim.flows().help_given[i], 0.0);
    }
    Simulation on = make({});
    on.begin_week();
    EXPECT_GT(on.flows().help_received[0], 0.0);
}

TEST(Knockouts, HelperEffectOffRemovesOnlyTheHelpGivenTermOfAgency) {
    Mechanisms off;
    off.helper_effect = false;
    Simulation with = make({});
    Simulation without = make(off);
    with.begin_week();
    without.begin_week();
    const double G = with.flows().help_given[0];
    ASSERT_GT(G, 0.0);
    const double a = with.world().state.agency[0];
    with.finish_week();
    without.finish_week();
    const Parameters& p = with.spec().params;
    EXPECT_NEAR(with.world().state.agency[0] - without.world().state.agency[0],
                p.alpha_help_given * G * (1 - a), 1e-14);
    EXPECT_EQ(with.world().state.distress[0], without.world().state.distress[0]);
}

TEST(Knockouts, ExpertiseEffectsOffZeroesEsAndEp) {
    Mechanisms off;
    off.expertise_effects = false;
    for (const Expertise expertise : {Expertise::everyone, Expertise::provider}) {
        Simulation with = make({}, expertise);
        Simulation without = make(off, expertise);
        with.begin_week();
        without.begin_week();
        EXPECT_EQ(with.exposure().expert_self[0] + with.exposure().expert_provider[0], 1);
        EXPECT_EQ(without.exposure().expert_self[0], 0);
        EXPECT_EQ(without.exposure().expert_provider[0], 0);
        with.finish_week();
        without.finish_week();
        EXPECT_NE(with.world().state.agency[0], without.world().state.agency[0]);
    }
}

TEST(Knockouts, KnowledgeTransferOffZeroesKin) {
    Mechanisms off;
    off.knowledge_transfer = false;
    Simulation with = make({});
    Simulation without = make(off);
    with.begin_week();
    without.begin_week();
    EXPECT_GT(with.flows().knowledge_offered[0], 0.0) << "patient 3 knows more, on a group tie";
    EXPECT_EQ(without.flows().knowledge_offered[0], 0.0);
}

TEST(Knockouts, TieDynamicsOffKeepsNaturalTiesExceptActivation) {
    Mechanisms off;
    off.tie_dynamics = false;
    Simulation sim = make(off);
    sim.step();
    const World& w = sim.world();
    // Family tie 0–1 is activated (a_w = 0.2 × m_soc 1): only that term changes it.
    EXPECT_NEAR(w.tie_w[0], 0.6 + 0.2 * 0.4, 1e-15);
    EXPECT_DOUBLE_EQ(w.tie_w[1], 0.4) << "friend tie unchanged";
    Mechanisms none;
    none.tie_dynamics = false;
    none.activation = false;
    Simulation frozen = make(none);
    for (int t = 0; t < 6; ++t) frozen.step();
    EXPECT_DOUBLE_EQ(frozen.world().tie_w[0], 0.6);
    EXPECT_DOUBLE_EQ(frozen.world().tie_q[0], 0.6);
}

TEST(Knockouts, ActivationOffLeavesValenceAlone) {
    Mechanisms off;
    off.activation = false;
    Simulation with = make({});
    Simulation without = make(off);
    with.step();
    without.step();
    EXPECT_NEAR(with.world().tie_q[0], 0.6 + 0.2 * 0.4, 1e-15);
    EXPECT_DOUBLE_EQ(without.world().tie_q[0], 0.6);
}

TEST(Knockouts, FriendshipFormationOffFormsNoTies) {
    // Twenty isolated patients with r = 1 and d = 0 form a tie each week with φ = 1.
    const auto run = [](const Mechanisms& mechanisms) {
        World world;
        for (int i = 0; i < 20; ++i) {
            world.add_agent(agent(Role::patient, 0.0, 0.5, 0.0, 0.5, 1.0, 0.5, 0.0));
        }
        world.rebuild_adjacency();
        RunSpec spec;
        spec.params = deterministic_parameters();
        spec.params.phi = 1.0;
        spec.params.theta_0 = spec.params.theta_loneliness = 0.0;  // d stays 0
        spec.mechanisms = mechanisms;
        Simulation sim(std::move(world), spec);
        sim.step();
        return sim.world().tie_count();
    };
    Mechanisms off;
    off.friendship_formation = false;
    EXPECT_GE(run({}), 10u) << "20 attempts, pairs chosen twice count once";
    EXPECT_EQ(run(off), 0u);
}

}  // namespace
}  // namespace kindred
