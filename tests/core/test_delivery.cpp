// Program delivery (spec §4): each element creates the agents and ties the spec lists, with
// ids in creation order, and the end week removes or converts them as the spec says.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>

#include "core/simulation.hpp"
#include "world_fixtures.hpp"

namespace kindred {
namespace {

using testing::agent;
using testing::deterministic_parameters;
using testing::enrol;
using testing::natural_tie;
using testing::program_with;

constexpr ResourceVector kSocialOnly{0.5, 0, 0, 0, 0, 0};

/// `patients` patients in arm 0 (ids 0 … patients-1) and one family member per patient.
World trial_world(int patients) {
    World world;
    for (int i = 0; i < patients; ++i) {
        world.add_agent(agent(Role::patient, 0.7, 0.3, 0.2, 0.3, 0.3, 0.5, 0.6, 0));
    }
    for (int i = 0; i < patients; ++i) {
        world.add_agent(agent(Role::family, 0.2, 0.6, 0.0, 0.6, 0.5, 0.5, 0.1));
        world.add_tie(natural_tie(i, patients + i, TieType::family, 0.6, 0.6));
    }
    world.rebuild_adjacency();
    return world;
}

std::vector<TieIndex> ties_of_enrolment(const World& world, EnrolmentId e) {
    std::vector<TieIndex> out;
    for (std::size_t t = 0; t < world.tie_count(); ++t) {
        if (world.tie_enrolment[t] == e) out.push_back(static_cast<TieIndex>(t));
    }
    return out;
}

RunSpec spec_with(std::vector<Enrolment> enrolments) {
    RunSpec spec;
    spec.params = deterministic_parameters();
    spec.weeks = 10;
    spec.enrolments = std::move(enrolments);
    return spec;
}

TEST(Delivery, ProfessionalElementFollowsCaseload) {
    ProgramSpec program = program_with(ElementKind::professional, kSocialOnly);
    program.caseload = 2;
    program.strength = 0.4;
    program.valence = 0.7;
    program.reciprocity = 0.25;
    program.expertise = Expertise::provider;
    Simulation sim(trial_world(5), spec_with({enrol(0, program, 1, 3)}));
    sim.step();
    EXPECT_EQ(sim.world().agent_count(), 10u) << "nothing starts at week 0";
    sim.begin_week();  // week 1: ceil(5/2) = 3 professionals, ids 10, 11, 12
    const World& w = sim.world();
    ASSERT_EQ(w.agent_count(), 13u);
    for (AgentId id = 10; id < 13; ++id) {
        EXPECT_EQ(w.role[id], Role::professional);
        EXPECT_EQ(w.created_week[id], 1);
        EXPECT_DOUBLE_EQ(w.state.distress[id], 0.1);
        EXPECT_DOUBLE_EQ(w.state.agency[id], 0.7);
        EXPECT_DOUBLE_EQ(w.state.knowledge[id], 0.0);
        EXPECT_DOUBLE_EQ(w.state.strengths[id], 0.7);
        EXPECT_DOUBLE_EQ(w.state.recreation[id], 0.5);
        EXPECT_DOUBLE_EQ(w.tau[id], 0.5);
        EXPECT_DOUBLE_EQ(w.vulnerability[id], 0.0);
    }
    const auto ties = ties_of_enrolment(w, 0);
    ASSERT_EQ(ties.size(), 5u);
    for (int k = 0; k < 5; ++k) {
        const TieIndex t = ties[k];
        EXPECT_EQ(w.tie_client[t], k);
        EXPECT_EQ(w.tie_provider[t], 10 + k / 2);
        EXPECT_EQ(w.tie_type[t], TieType::professional);
        EXPECT_DOUBLE_EQ(w.tie_w[t], 0.4 * 0.5);
        EXPECT_DOUBLE_EQ(w.tie_q[t], 0.7);
        EXPECT_DOUBLE_EQ(w.tie_rho[t], 0.25);
        EXPECT_EQ(w.tie_expertise[t], Expertise::provider);
    }
    // The client gives back ρ times what it would on a natural tie.
    const double h_client = sim.help_on_tie(ties[0], 0);
    EXPECT_NEAR(h_client, 0.2 * 0.7 * (1 - w.state.distress[0]) * 0.25, 1e-15);
    EXPECT_EQ(sim.exposure().expert_provider[0], 1);
    EXPECT_EQ(sim.exposure().expert_self[0], 0);
    sim.finish_week();
    sim.step();
    sim.step();
    sim.begin_week();  // week 4 = t1: all professional ties removed, agents stay
    EXPECT_TRUE(ties_of_enrolment(sim.world(), 0).empty());
    EXPECT_EQ(sim.world().agent_count(), 13u);
    EXPECT_EQ(sim.world().degree(10), 0u);
    EXPECT_EQ(sim.exposure().expert_provider[0], 0);
}

TEST(Delivery, PeerWorkerElementCreatesPeerTiesWithExperiencedWorkers) {
    ProgramSpec program = program_with(ElementKind::peer_worker, kSocialOnly);
    program.caseload = 3;
    Simulation sim(trial_world(4), spec_with({enrol(0, program, 0, 2)}));
    sim.begin_week();
    const World& w = sim.world();
    ASSERT_EQ(w.agent_count(), 10u);
    EXPECT_EQ(w.role[8], Role::peer_worker);
    EXPECT_DOUBLE_EQ(w.state.distress[8], 0.2);
    EXPECT_DOUBLE_EQ(w.state.knowledge[8], 0.8);
    const auto ties = ties_of_enrolment(w, 0);
    ASSERT_EQ(ties.size(), 4u);
    EXPECT_EQ(w.tie_provider[ties[2]], 8);
    EXPECT_EQ(w.tie_provider[ties[3]], 9);
    EXPECT_EQ(w.tie_type[ties[3]], TieType::peer);
}

TEST(Delivery, VolunteersPersistAsNaturalTiesUnlessThePairIsAlreadyTied) {
    ProgramSpec program = program_with(ElementKind::volunteer, {1, 0, 0, 0, 1, 0});
    program.delivery[0].persist_probability = 1.0;
    program.reciprocity = 0.0;
    program.expertise = Expertise::patient;
    World world = trial_world(3);
    Simulation sim(std::move(world), spec_with({enrol(0, program, 0, 2)}));
    sim.begin_week();
    ASSERT_EQ(sim.world().agent_count(), 9u);
    for (AgentId v = 6; v < 9; ++v) EXPECT_EQ(sim.world().role[v], Role::volunteer);
    EXPECT_EQ(sim.exposure().expert_self[1], 1);
    EXPECT_DOUBLE_EQ(sim.exposure().resources[1][4], 1.0);
    sim.finish_week();
    // Give patient 2 and its volunteer (id 8) a natural tie before the end week.
    sim.mutable_world().add_tie(natural_tie(2, 8, TieType::friend_, 0.5, 0.4));
    sim.mutable_world().rebuild_adjacency();
    sim.step();
    sim.begin_week();  // week 2 = t1
    const World& w = sim.world();
    EXPECT_TRUE(ties_of_enrolment(w, 0).empty());
    int converted = 0;
    for (std::size_t t = 0; t < w.tie_count(); ++t) {
        if (w.tie_u[t] < 3 && w.tie_v[t] >= 6) {
            EXPECT_EQ(w.tie_enrolment[t], kNone);
            EXPECT_DOUBLE_EQ(w.tie_rho[t], 1.0);
            EXPECT_EQ(w.tie_expertise[t], Expertise::none);
            EXPECT_EQ(w.tie_client[t], kNone);
            EXPECT_EQ(w.tie_provider[t], kNone);
            if (w.tie_u[t] == 2) {
                EXPECT_DOUBLE_EQ(w.tie_q[t], 0.4) << "the natural tie was kept, not converted";
            } else {
                EXPECT_DOUBLE_EQ(w.tie_q[t], 0.8);
                ++converted;
            }
        }
    }
    EXPECT_EQ(converted, 2);
    EXPECT_EQ(w.degree(8), 1u);
}

TEST(Delivery, GroupElementTiesEveryPairInEachChunkAndConvertsAtTheEnd) {
    ProgramSpec program = program_with(ElementKind::group, {1, 0, 1, 0, 0, 0});
    program.group_size = 3;
    program.group_strength = 0.2;
    program.reciprocity = 0.5;
    program.expertise = Expertise::peers;
    Simulation sim(trial_world(5), spec_with({enrol(0, program, 0, 1)}));
    sim.begin_week();
    const World& w = sim.world();
    EXPECT_EQ(w.agent_count(), 10u) << "groups add no agents";
    const auto ties = ties_of_enrolment(w, 0);
    ASSERT_EQ(ties.size(), 4u);  // chunk {0,1,2}: 3 pairs; chunk {3,4}: 1 pair
    const std::vector<std::pair<AgentId, AgentId>> pairs = {{0, 1}, {0, 2}, {1, 2}, {3, 4}};
    for (std::size_t k = 0; k < ties.size(); ++k) {
        EXPECT_EQ(std::make_pair(w.tie_u[ties[k]], w.tie_v[ties[k]]), pairs[k]);
        EXPECT_EQ(w.tie_type[ties[k]], TieType::peer);
        EXPECT_DOUBLE_EQ(w.tie_w[ties[k]], 0.2);
        EXPECT_DOUBLE_EQ(w.tie_rho[ties[k]], 1.0);
        EXPECT_EQ(w.tie_client[ties[k]], kNone);
        EXPECT_EQ(w.tie_expertise[ties[k]], Expertise::peers);
    }
    sim.finish_week();
    sim.begin_week();  // t1 = 1: group ties become natural
    EXPECT_TRUE(ties_of_enrolment(sim.world(), 0).empty());
    EXPECT_EQ(sim.world().tie_count(), 5u + 4u);
}

TEST(Delivery, StaffElementAddsStaffPerGroupTiedToEveryMember) {
    ProgramSpec program = program_with(ElementKind::staff, kSocialOnly);
    program.group_size = 3;
    program.staff_per_group = 2;
    Simulation sim(trial_world(5), spec_with({enrol(0, program, 0, 2)}));
    sim.begin_week();
    const World& w = sim.world();
    ASSERT_EQ(w.agent_count(), 14u);  // 2 chunks × 2 staff
    const auto ties = ties_of_enrolment(w, 0);
    ASSERT_EQ(ties.size(), 3u * 2 + 2u * 2);
    EXPECT_EQ(w.degree(10), 3u);
    EXPECT_EQ(w.degree(11), 3u);
    EXPECT_EQ(w.degree(12), 2u);
    EXPECT_EQ(w.degree(13), 2u);
    for (const TieIndex t : ties) {
        EXPECT_EQ(w.tie_client[t], std::min(w.tie_u[t], w.tie_v[t]));
        EXPECT_EQ(w.tie_provider[t], std::max(w.tie_u[t], w.tie_v[t]));
        EXPECT_EQ(w.tie_type[t], TieType::professional);
    }
}

TEST(Delivery, ActivateRaisesNaturalTiesOfListedTypesAtTheLargestRate) {
    ProgramSpec program = program_with(ElementKind::activate, {0.5, 0, 0, 0, 0, 1});
    program.delivery[0].activate_types = {TieType::family};
    program.delivery[0].a_w = 0.02;
    program.delivery[0].a_q = 0.04;
    DeliveryElement second = program.delivery[0];
    second.a_w = 0.06;
    second.a_q = 0.01;
    program.delivery.push_back(second);
    World world = trial_world(2);
    world.add_tie(natural_tie(0, 1, TieType::peer, 0.3, 0.5));  // not a listed type
    world.rebuild_adjacency();
    RunSpec spec = spec_with({enrol(0, program, 0, 1)});
    Simulation sim(std::move(world), spec);
    const World& w = sim.world();
    const double d0 = w.state.distress[0], d2 = w.state.distress[2];
    sim.step();
    const Parameters& p = spec.params;
    const double a_w = 0.06 * 0.5, a_q = 0.04 * 0.5;  // max of each rate, times m_soc
    const double h02 = 0.6 * 0.6 * (1 - d0), h20 = 0.6 * 0.6 * (1 - d2);
    const double mutual = std::min(h02, h20) / 0.6;
    const double w_expected = 0.6 + p.kappa_reciprocity * mutual * 0.4 -
                              p.kappa_withdrawal * 0.6 * (d0 + d2) / 2 - p.kappa_decay * 0.6 +
                              a_w * 0.4;
    EXPECT_NEAR(w.tie_w[0], w_expected, 1e-12);
    EXPECT_NEAR(w.tie_q[0], 0.6 + a_q * 0.4, 1e-12);
    EXPECT_EQ(w.tie_enrolment[0], kNone) << "an activated tie stays natural";
    EXPECT_DOUBLE_EQ(w.tie_q[2], 0.5) << "peer tie is not of a listed type";
    sim.step();  // week 1: the enrolment has ended, no activation
    EXPECT_NEAR(w.tie_q[0], 0.6 + a_q * 0.4, 1e-12);
}

TEST(Delivery, ProgramWithoutSocialResourceDeliversWeightlessTiesAndActivatesNothing) {
    ProgramSpec program = program_with(ElementKind::volunteer, {0, 1, 0, 0, 0, 0});
    DeliveryElement activate;
    activate.kind = ElementKind::activate;
    activate.activate_types = {TieType::family};
    activate.a_q = 0.5;
    program.delivery.push_back(activate);
    Simulation sim(trial_world(2), spec_with({enrol(0, program, 0, 3)}));
    sim.begin_week();
    for (const TieIndex t : ties_of_enrolment(sim.world(), 0)) {
        EXPECT_DOUBLE_EQ(sim.world().tie_w[t], 0.0);
        EXPECT_DOUBLE_EQ(sim.help_on_tie(t, sim.world().tie_v[t]), 0.0);
    }
    sim.finish_week();
    EXPECT_DOUBLE_EQ(sim.world().tie_q[0], 0.6);
    EXPECT_EQ(sim.world().tie_count(), 4u) << "weightless program ties do not dissolve";
}

TEST(Delivery, NewAgentIdsFollowStartWeekThenArmThenProgramThenElementOrder) {
    World world;
    for (int i = 0; i < 4; ++i) {
        world.add_agent(agent(Role::patient, 0.7, 0.3, 0.2, 0.3, 0.3, 0.5, 0.6, i % 2));
    }
    world.rebuild_adjacency();
    ProgramSpec both = program_with(ElementKind::volunteer, kSocialOnly);
    DeliveryElement peer;
    peer.kind = ElementKind::peer_worker;
    both.delivery.push_back(peer);
    ProgramSpec professional = program_with(ElementKind::professional, kSocialOnly);
    // Enrolments in arm order: arm 0 both (week 1), arm 1 professional (week 0), arm 1 both
    // (week 1).
    Simulation sim(std::move(world), spec_with({enrol(0, both, 1, 2), enrol(1, professional, 0, 2),
                                                enrol(1, both, 1, 2)}));
    sim.step();
    sim.begin_week();
    const World& w = sim.world();
    const std::vector<Role> expected = {Role::professional,                   // week 0
                                        Role::volunteer,    Role::volunteer,  // arm 0
                                        Role::peer_worker,                    // arm 0
                                        Role::volunteer,    Role::volunteer,  // arm 1
                                        Role::peer_worker};
    ASSERT_EQ(w.agent_count(), 4u + expected.size());
    for (std::size_t k = 0; k < expected.size(); ++k) EXPECT_EQ(w.role[4 + k], expected[k]) << k;
    EXPECT_EQ(w.created_week[4], 0);
    EXPECT_EQ(w.created_week[5], 1);
}

TEST(Delivery, ExposureTakesElementwiseMaxOfActiveEnrolments) {
    ProgramSpec a = program_with(ElementKind::activate, {0.2, 1, 0, 0.5, 0, 0});
    a.expertise = Expertise::everyone;
    ProgramSpec b = program_with(ElementKind::activate, {0.7, 0, 0.3, 0.1, 0, 0});
    b.expertise = Expertise::patient;
    Simulation sim(trial_world(1), spec_with({enrol(0, a, 0, 5), enrol(0, b, 0, 5)}));
    sim.begin_week();
    const ResourceVector expected{0.7, 1, 0.3, 0.5, 0, 0};
    for (int r = 0; r < kResourceCount; ++r)
        EXPECT_DOUBLE_EQ(sim.exposure().resources[0][r], expected[r]);
    EXPECT_EQ(sim.exposure().expert_self[0], 2);
    EXPECT_EQ(sim.exposure().expert_provider[0], 0);
    EXPECT_DOUBLE_EQ(sim.exposure().resources[1][0], 0.0) << "family member is not enrolled";
}

}  // namespace
}  // namespace kindred
