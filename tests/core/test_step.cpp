// One step on hand-built worlds equals the formulas of spec §3.1–§3.5 (to 1e-12).
#include <gtest/gtest.h>

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <utility>
#include <vector>

#include "core/simulation.hpp"
#include "world_fixtures.hpp"

namespace kindred {
namespace {

using testing::agent;
using testing::deterministic_parameters;
using testing::natural_tie;
using testing::VectorKernelsSwitch;

constexpr double kTol = 1e-12;

double clip(double x) { return std::min(std::max(x, 0.0), 1.0); }

struct Agent {
    double d, a, k, s, r, tau, v;
};

/// Spec §3.2 for an agent with no enrolment (m = 0, Es = Ep = 0), given H, G, X, Kin.
struct Expected {
    double d, a, k, s, r;
};
Expected expected_update(const Parameters& p, const Agent& x, double H, double G, double X,
                         double Kin) {
    const double relief = p.beta_0 + p.beta_help * H + p.beta_agency * x.a +
                          p.beta_strengths * x.s + p.beta_recreation * x.r;
    const double stress = p.theta_0 + p.theta_vulnerability * x.v + p.theta_strain * X +
                          p.theta_loneliness * std::exp(-H / p.h_0);
    Expected e;
    e.d = clip(x.d - relief * x.d + stress * (1 - x.d));
    e.a = clip(x.a + p.alpha_help_given * G * (1 - x.a) - p.delta_distress * x.d * x.a);
    e.k = clip(x.k + p.alpha_knowledge * Kin * (1 - x.k));
    e.s = clip(x.s - p.delta_distress * x.d * x.s);
    e.r = clip(x.r - p.delta_distress * x.d * x.r);
    return e;
}

World one_tie_world(const Agent& x, const Agent& y, TieType type, double w, double q) {
    World world;
    world.add_agent(agent(Role::patient, x.d, x.a, x.k, x.s, x.r, x.tau, x.v));
    world.add_agent(agent(Role::friend_, y.d, y.a, y.k, y.s, y.r, y.tau, y.v));
    world.add_tie(natural_tie(0, 1, type, w, q));
    world.rebuild_adjacency();
    return world;
}

TEST(StepOneTie, SupportiveFriendTieMatchesSpecFormulas) {
    const Agent x{0.7, 0.3, 0.2, 0.4, 0.25, 0.6, 0.55};
    const Agent y{0.2, 0.6, 0.0, 0.5, 0.5, 0.4, 0.1};
    const double w = 0.4, q = 0.6;
    RunSpec spec;
    spec.params = deterministic_parameters();
    spec.weeks = 1;
    Simulation sim(one_tie_world(x, y, TieType::friend_, w, q), spec);
    sim.begin_week();

    const double h_xy = w * q * (1 - x.d);  // x → y
    const double h_yx = w * q * (1 - y.d);  // y → x
    EXPECT_NEAR(sim.flows().help_received[0], h_yx, kTol);
    EXPECT_NEAR(sim.flows().help_given[0], h_xy, kTol);
    EXPECT_NEAR(sim.flows().help_received[1], h_xy, kTol);
    EXPECT_NEAR(sim.flows().strain[0], 0.0, kTol);
    EXPECT_NEAR(sim.flows().knowledge_offered[0], 0.0, kTol);

    sim.finish_week();
    const Parameters& p = spec.params;
    const Expected ex = expected_update(p, x, h_yx, h_xy, 0.0, 0.0);
    const Expected ey = expected_update(p, y, h_xy, h_yx, 0.0, 0.0);
    const auto& st = sim.world().state;
    EXPECT_NEAR(st.distress[0], ex.d, kTol);
    EXPECT_NEAR(st.agency[0], ex.a, kTol);
    EXPECT_NEAR(st.knowledge[0], ex.k, kTol);
    EXPECT_NEAR(st.strengths[0], ex.s, kTol);
    EXPECT_NEAR(st.recreation[0], ex.r, kTol);
    EXPECT_NEAR(st.distress[1], ey.d, kTol);
    EXPECT_NEAR(st.agency[1], ey.a, kTol);

    // Natural tie, spec §3.3: mutual = min(h_xy, h_yx) / w.
    const double mutual = std::min(h_xy, h_yx) / w;
    const double w_next = clip(w + p.kappa_reciprocity * mutual * (1 - w) -
                               p.kappa_withdrawal * w * (x.d + y.d) / 2 - p.kappa_decay * w);
    ASSERT_EQ(sim.world().tie_count(), 1u);
    EXPECT_NEAR(sim.world().tie_w[0], w_next, kTol);
    EXPECT_NEAR(sim.world().tie_q[0], q, kTol);
    EXPECT_EQ(sim.week(), 1);
}

TEST(StepOneTie, HostileFamilyTieGivesStrainAndNoHelp) {
    const Agent x{0.6, 0.3, 0.2, 0.4, 0.25, 0.6, 0.55};
    const Agent y{0.3, 0.5, 0.0, 0.5, 0.5, 0.4, 0.1};
    const double w = 0.6, q = -0.3;
    RunSpec spec;
    spec.params = deterministic_parameters();
    Simulation sim(one_tie_world(x, y, TieType::family, w, q), spec);
    sim.step();
    const Parameters& p = spec.params;
    const double X = w * 0.3;
    const Expected ex = expected_update(p, x, 0.0, 0.0, X, 0.0);
    EXPECT_NEAR(sim.world().state.distress[0], ex.d, kTol);
    EXPECT_NEAR(sim.world().state.agency[0], ex.a, kTol);
    // No mutual help; family floor does not bind at 0.6.
    const double w_next = clip(w - p.kappa_withdrawal * w * (x.d + y.d) / 2 - p.kappa_decay * w);
    EXPECT_NEAR(sim.world().tie_w[0], w_next, kTol);
}

TEST(StepOneTie, PeerTieHelpIsWorthMoreWithKnowledge) {
    const Agent x{0.5, 0.3, 0.4, 0.4, 0.25, 0.6, 0.5};
    const Agent y{0.4, 0.5, 0.7, 0.5, 0.5, 0.4, 0.5};
    const double w = 0.3, q = 0.5;
    RunSpec spec;
    spec.params = deterministic_parameters();
    spec.params.beta_peer = 1.5;
    World world = one_tie_world(x, y, TieType::peer, w, q);
    world.role[1] = Role::patient;
    Simulation sim(std::move(world), spec);
    sim.begin_week();
    const double h_xy = w * q * (1 - x.d) * (1 + 1.5 * x.k);
    const double h_yx = w * q * (1 - y.d) * (1 + 1.5 * y.k);
    EXPECT_NEAR(sim.flows().help_received[0], h_yx, kTol);
    EXPECT_NEAR(sim.flows().help_given[0], h_xy, kTol);
    EXPECT_NEAR(sim.help_on_tie(0, 0), h_xy, kTol);
}

TEST(StepOneTie, WeakFriendTieDissolvesAndFamilyTieStopsAtFloor) {
    const Agent x{0.9, 0.3, 0.2, 0.4, 0.25, 0.6, 0.55};
    const Agent y{0.9, 0.5, 0.0, 0.5, 0.5, 0.4, 0.1};
    RunSpec spec;
    spec.params = deterministic_parameters();
    {
        Simulation sim(one_tie_world(x, y, TieType::friend_, 0.0501, 0.0), spec);
        sim.step();
        EXPECT_EQ(sim.world().tie_count(), 0u) << "w fell below w_min = 0.05";
        EXPECT_EQ(sim.world().degree(0), 0u);
    }
    {
        Simulation sim(one_tie_world(x, y, TieType::family, 0.2005, 0.5), spec);
        sim.step();
        ASSERT_EQ(sim.world().tie_count(), 1u);
        EXPECT_DOUBLE_EQ(sim.world().tie_w[0], spec.params.w_floor_family);
    }
}

TEST(StepTriangle, KnowledgeFlowsOnlyOnPeerExpertiseTies) {
    // Patients 0, 1, 2. Tie 0–1 is a group tie with expertise peers; 1–2 natural peer tie;
    // 0–2 natural friend tie. Kin_i = Σ over expertise-peers ties of w·(k_j − k_i)⁺.
    World world;
    world.add_agent(agent(Role::patient, 0.6, 0.3, 0.1, 0.4, 0.3, 0.5, 0.5));
    world.add_agent(agent(Role::patient, 0.5, 0.4, 0.6, 0.4, 0.3, 0.5, 0.5));
    world.add_agent(agent(Role::patient, 0.4, 0.5, 0.9, 0.4, 0.3, 0.5, 0.5));
    TieInit group = natural_tie(0, 1, TieType::peer, 0.1, 0.8);
    group.expertise = Expertise::peers;
    group.enrolment = 0;
    group.element = 0;
    world.add_tie(group);
    world.add_tie(natural_tie(1, 2, TieType::peer, 0.3, 0.5));
    world.add_tie(natural_tie(0, 2, TieType::friend_, 0.4, 0.6));
    world.rebuild_adjacency();
    RunSpec spec;
    spec.params = deterministic_parameters();
    // The group tie belongs to an enrolment of an arm nobody is in, active from week 5.
    spec.enrolments.push_back(
        testing::enrol(0, testing::program_with(ElementKind::group, {}), 5, 1));
    Simulation sim(std::move(world), spec);
    sim.begin_week();
    EXPECT_NEAR(sim.flows().knowledge_offered[0], 0.1 * (0.6 - 0.1), kTol);
    EXPECT_NEAR(sim.flows().knowledge_offered[1], 0.0, kTol);
    EXPECT_NEAR(sim.flows().knowledge_offered[2], 0.0, kTol);
    const Parameters& p = spec.params;
    const double h10 = 0.1 * 0.8 * (1 - 0.5) * (1 + p.beta_peer * 0.6);
    const double h20 = 0.4 * 0.6 * (1 - 0.4);
    EXPECT_NEAR(sim.flows().help_received[0], h10 + h20, kTol);
    sim.finish_week();
    EXPECT_NEAR(sim.world().state.knowledge[0],
                clip(0.1 + p.alpha_knowledge * 0.1 * 0.5 * (1 - 0.1)), kTol);
    // The program tie kept its w and q; the natural ones changed.
    EXPECT_DOUBLE_EQ(sim.world().tie_w[0], 0.1);
    EXPECT_NE(sim.world().tie_w[2], 0.4);
}

TEST(StepRecovery, StreakCountsWeeksBelowThresholdAndRecordsFirstRecovery) {
    World world;
    world.add_agent(agent(Role::patient, 0.05, 0.9, 0.9, 0.9, 0.9, 0.9, 0.0));
    world.add_agent(agent(Role::patient, 0.95, 0.1, 0.1, 0.1, 0.1, 0.1, 0.9));
    world.rebuild_adjacency();
    RunSpec spec;
    spec.params = deterministic_parameters();
    spec.params.rec_weeks = 3;
    Simulation sim(std::move(world), spec);
    for (int t = 0; t < 5; ++t) {
        sim.step();
        EXPECT_EQ(sim.world().streak[0], t + 1);
        EXPECT_EQ(sim.world().streak[1], 0);
        EXPECT_EQ(sim.world().recovered_week[0], t + 1 >= 3 ? 3 : kNone);
        EXPECT_EQ(sim.world().recovered_week[1], kNone);
    }
}

/// Eight natural ties of one agent: enough for two groups of the tie pass's vector kernel (on
/// processors with AVX2), with a hostile tie, a −0.0 valence, a family tie held at the floor,
/// a friend tie that dissolves and a peer tie. Each tie's new w against spec §3.3, H, G and X of
/// the centre against §3.1, and the two kernels against each other bit for bit.
TEST(StepEightTies, EveryKindOfNaturalTieMatchesTheSpecWithAndWithoutVectorKernels) {
    struct TieCase {
        TieType type;
        double w, q, d;  // the tie's w and q, the far end's distress
        double k = 0.0;  // the far end's experiential knowledge
    };
    const TieCase cases[] = {
        {TieType::friend_, 0.4, 0.6, 0.3},   {TieType::family, 0.6, 0.6, 0.2},
        {TieType::friend_, 0.3, -0.0, 0.5},  {TieType::friend_, 0.5, -0.4, 0.4},
        {TieType::family, 0.2001, 0.5, 0.9}, {TieType::friend_, 0.0501, 0.2, 0.95},
        {TieType::peer, 0.7, 1.0, 0.1, 0.6}, {TieType::family, 0.35, -0.3, 0.6},
    };
    const double d0 = 0.7, k0 = 0.2;
    RunSpec spec;
    spec.params = deterministic_parameters();
    const Parameters& p = spec.params;
    std::vector<std::vector<std::uint64_t>> results;
    VectorKernelsSwitch restore;
    for (const bool vector : {false, true}) {
        set_vector_kernels(vector);
        World world;
        world.add_agent(agent(Role::patient, d0, 0.3, k0, 0.4, 0.25, 0.6, 0.5));
        for (const TieCase& c : cases) {
            const Role role = c.type == TieType::peer ? Role::patient : Role::friend_;
            world.add_agent(agent(role, c.d, 0.5, c.k, 0.5, 0.5, 0.4, 0.1));
        }
        for (std::size_t e = 0; e < std::size(cases); ++e) {
            world.add_tie(
                natural_tie(0, static_cast<AgentId>(e + 1), cases[e].type, cases[e].w, cases[e].q));
        }
        world.rebuild_adjacency();
        Simulation sim(std::move(world), spec);
        sim.begin_week();
        double H = 0.0, G = 0.0, X = 0.0;
        std::vector<double> w_expected;
        for (const TieCase& c : cases) {
            const double q_plus = std::max(c.q, 0.0), q_minus = std::max(-c.q, 0.0);
            const bool peer = c.type == TieType::peer;
            const double given = c.w * q_plus * (1 - d0) * (peer ? 1 + p.beta_peer * k0 : 1.0);
            const double received = c.w * q_plus * (1 - c.d) * (peer ? 1 + p.beta_peer * c.k : 1.0);
            H += received;
            G += given;
            X += c.w * q_minus;
            const double mutual = std::min(given, received) / c.w;
            double w_next = clip(c.w + p.kappa_reciprocity * mutual * (1 - c.w) -
                                 p.kappa_withdrawal * c.w * (d0 + c.d) / 2 - p.kappa_decay * c.w);
            if (c.type == TieType::family) w_next = std::max(w_next, p.w_floor_family);
            w_expected.push_back(w_next);
        }
        EXPECT_NEAR(sim.flows().help_received[0], H, kTol);
        EXPECT_NEAR(sim.flows().help_given[0], G, kTol);
        EXPECT_NEAR(sim.flows().strain[0], X, kTol);
        sim.finish_week();
        const World& after = sim.world();
        ASSERT_EQ(after.tie_count(), std::size(cases) - 1) << "one friend tie fell below w_min";
        std::size_t kept = 0;
        for (std::size_t e = 0; e < std::size(cases); ++e) {
            if (w_expected[e] < p.w_min && cases[e].type != TieType::family) continue;
            EXPECT_NEAR(after.tie_w[kept], w_expected[e], kTol) << "tie " << e;
            ++kept;
        }
        EXPECT_DOUBLE_EQ(after.tie_w[4], p.w_floor_family) << "family tie held at the floor";
        EXPECT_FALSE(std::signbit(after.tie_q[2])) << "q = −0.0 becomes +0.0 (spec §3.3)";
        std::vector<std::uint64_t> bits(2 * after.tie_count() + after.agent_count());
        std::memcpy(bits.data(), after.tie_w.data(), after.tie_count() * sizeof(double));
        std::memcpy(bits.data() + after.tie_count(), after.tie_q.data(),
                    after.tie_count() * sizeof(double));
        std::memcpy(bits.data() + 2 * after.tie_count(), after.state.distress.data(),
                    after.agent_count() * sizeof(double));
        results.push_back(bits);
    }
    EXPECT_EQ(results[0], results[1]) << "the vector kernels changed a bit";
}

/// The per-agent sums of spec §3.1 (H, G and X) over a world whose agents have 0 to 12 ties,
/// in runs of isolated agents and with a count that is not a multiple of four (the gather's
/// vector kernel takes four agents at a time), ties added in random order so that an agent's
/// ties are interleaved with everyone else's, and hostile ties among them. Each agent's sums are
/// recomputed here in ascending tie order and must match bit for bit, with and without the
/// vector kernels.
TEST(StepGather, EachAgentsSumsFollowItsTiesInOrderWithAndWithoutVectorKernels) {
    const std::size_t n = 103;
    std::uint64_t state = 12345;
    const auto next = [&state] {  // xorshift64*, enough for a test world
        state ^= state >> 12;
        state ^= state << 25;
        state ^= state >> 27;
        return state * 2685821657736338717ULL;
    };
    const auto uniform = [&next] { return static_cast<double>(next() >> 11) * 0x1.0p-53; };
    World base;
    for (std::size_t i = 0; i < n; ++i) {
        base.add_agent(agent(Role::friend_, uniform(), 0.5, 0.0, 0.5, 0.5, 0.4, 0.1));
    }
    std::vector<std::size_t> target(n);
    for (std::size_t i = 0; i < n; ++i) {
        // Agents 20–27 and 60–63 stay isolated; the others want 1 to 12 ties.
        const bool isolated = (i >= 20 && i < 28) || (i >= 60 && i < 64);
        target[i] = isolated ? 0 : 1 + next() % 12;
    }
    std::vector<std::pair<AgentId, AgentId>> pairs;
    std::vector<std::size_t> degree(n, 0);
    for (int attempt = 0; attempt < 20000; ++attempt) {
        const auto i = static_cast<AgentId>(next() % n), j = static_cast<AgentId>(next() % n);
        if (i == j || degree[i] >= target[i] || degree[j] >= target[j]) continue;
        const std::pair<AgentId, AgentId> pair{std::min(i, j), std::max(i, j)};
        if (std::find(pairs.begin(), pairs.end(), pair) != pairs.end()) continue;
        pairs.emplace_back(pair);
        ++degree[i];
        ++degree[j];
    }
    ASSERT_GT(pairs.size(), 200U);
    int hostile = 0;
    for (const auto& [i, j] : pairs) {
        const double q = 2.0 * uniform() - 1.0;  // about a third hostile (q < 0 with w > 0)
        hostile += q < 0.0;
        base.add_tie(natural_tie(i, j, TieType::friend_, 0.05 + 0.9 * uniform(), q));
    }
    ASSERT_GT(hostile, 20);
    base.rebuild_adjacency();

    RunSpec spec;
    spec.params = deterministic_parameters();
    VectorKernelsSwitch restore;
    std::vector<std::vector<double>> results;
    for (const bool vector : {false, true}) {
        set_vector_kernels(vector);
        Simulation sim(World(base), spec);
        sim.begin_week();
        const World& world = sim.world();
        const Flows& flows = sim.flows();
        for (std::size_t i = 0; i < n; ++i) {
            double received = 0.0, given = 0.0, strain = 0.0;
            for (std::size_t e = 0; e < world.tie_count(); ++e) {  // ascending tie order
                const AgentId u = world.tie_u[e], v = world.tie_v[e];
                if (u != static_cast<AgentId>(i) && v != static_cast<AgentId>(i)) continue;
                const AgentId other = u == static_cast<AgentId>(i) ? v : u;
                const double q = world.tie_q[e];
                if (q < 0.0) {
                    strain += world.tie_w[e] * -q;
                } else {
                    received += sim.help_on_tie(static_cast<TieIndex>(e), other);
                    given += sim.help_on_tie(static_cast<TieIndex>(e), static_cast<AgentId>(i));
                }
            }
            ASSERT_EQ(flows.help_received[i], received) << "agent " << i << ", vector " << vector;
            ASSERT_EQ(flows.help_given[i], given) << "agent " << i << ", vector " << vector;
            ASSERT_EQ(flows.strain[i], strain) << "agent " << i << ", vector " << vector;
            ASSERT_EQ(flows.knowledge_offered[i], 0.0) << "agent " << i;
        }
        results.push_back(flows.help_received);
    }
    EXPECT_EQ(results[0], results[1]);
}

/// Knowledge is offered (Kin, spec §3.1) on a tie whose expertise is peers or everyone, from
/// the end that knows more, and on no other tie; the weekly check for such ties must see one
/// however far down the tie arrays it lies.
TEST(StepKnowledge, OfferedOnlyOnTiesWithExpertisePeersOrEveryone) {
    for (const Expertise expertise : {Expertise::none, Expertise::provider, Expertise::patient,
                                      Expertise::peers, Expertise::everyone}) {
        World world;
        for (int i = 0; i < 10002; ++i) {
            world.add_agent(
                agent(Role::patient, 0.5, 0.5, i == 10000 ? 0.8 : 0.2, 0.5, 0.5, 0.4, 0.1));
        }
        for (int i = 0; i < 9999; ++i) {  // ties without expertise first
            world.add_tie(natural_tie(i, i + 1, TieType::friend_, 0.5, 0.5));
        }
        TieInit teaching = natural_tie(10000, 10001, TieType::peer, 0.6, 0.5);
        teaching.expertise = expertise;
        world.add_tie(teaching);
        world.rebuild_adjacency();
        RunSpec spec;
        spec.params = deterministic_parameters();
        Simulation sim(std::move(world), spec);
        sim.begin_week();
        const bool teaches = expertise == Expertise::peers || expertise == Expertise::everyone;
        EXPECT_EQ(sim.flows().knowledge_offered[10001], teaches ? 0.6 * (0.8 - 0.2) : 0.0)
            << to_string(expertise);
        EXPECT_EQ(sim.flows().knowledge_offered[10000], 0.0) << to_string(expertise);
        EXPECT_EQ(sim.flows().knowledge_offered[5], 0.0);
    }
}

// Once no tie teaches, every agent's Kin is +0.0 again (the week after the last teaching week
// writes the zeros; later weeks leave them) and knowledge no longer moves, with and without the
// vector kernels.
TEST(StepKnowledge, OfferedIsZeroAgainOnceNoTieTeaches) {
    VectorKernelsSwitch restore;
    std::vector<std::vector<double>> knowledge_by_kernel;
    for (const bool vector : {true, false}) {
        set_vector_kernels(vector);
        World world;
        for (int i = 0; i < 9; ++i) {
            world.add_agent(agent(Role::patient, 0.5, 0.5, i == 2 ? 0.8 : 0.2, 0.5, 0.5, 0.4, 0.1));
        }
        world.add_tie(natural_tie(0, 1, TieType::friend_, 0.5, 0.5));
        TieInit teaching = natural_tie(2, 3, TieType::peer, 0.6, 0.5);
        teaching.expertise = Expertise::peers;
        world.add_tie(teaching);
        world.add_tie(natural_tie(4, 7, TieType::friend_, 0.5, 0.5));
        world.rebuild_adjacency();
        RunSpec spec;
        spec.params = deterministic_parameters();
        Simulation sim(std::move(world), spec);
        sim.begin_week();
        ASSERT_GT(sim.flows().knowledge_offered[3], 0.0);
        sim.finish_week();
        ASSERT_GT(sim.world().state.knowledge[3], 0.2);  // agent 3 learnt
        sim.mutable_world().tie_expertise[1] = Expertise::none;
        for (int week = 1; week < 4; ++week) {
            const std::vector<double> before = sim.world().state.knowledge;
            sim.begin_week();
            for (const double offered : sim.flows().knowledge_offered) {
                EXPECT_EQ(std::bit_cast<std::uint64_t>(offered), std::uint64_t{0})
                    << "week " << week << ", vector kernels " << vector;
            }
            sim.finish_week();
            EXPECT_EQ(sim.world().state.knowledge, before) << "week " << week;
        }
        knowledge_by_kernel.push_back(sim.world().state.knowledge);
    }
    EXPECT_EQ(knowledge_by_kernel[0], knowledge_by_kernel[1]);
}

}  // namespace
}  // namespace kindred
