// The weekly step (spec §2–§4): program delivery, help flows, agent and tie updates,
// dissolution, friendship formation and recovery bookkeeping, run in parallel with oneTBB.
//
// Usage:
// @code
//   Simulation sim(std::move(world), spec);
//   for (int t = 0; t < spec.weeks; ++t) {
//       sim.begin_week();            // deliveries of week t, then flows from the state at t
//       record(sim);                 // state at t and the flows of week t
//       sim.finish_week();           // state t → t+1
//   }
//   sim.begin_week();  record(sim);  // week T: ends at T, then the flows of the final state
// @endcode
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/huge_pages.hpp"
#include "core/parameters.hpp"
#include "core/program.hpp"
#include "core/world.hpp"

namespace kindred {

/// Mechanisms of the model that a run can switch off everywhere ("knock-outs"), to measure how
/// much of an effect each one carries. All on by default: version 1 of the spec.
struct Mechanisms {
    bool help_flow = true;             ///< off: no help on any tie (h = 0: H = G = 0, mutual = 0)
    bool helper_effect = true;         ///< off: help given does not raise agency (α_G term)
    bool expertise_effects = true;     ///< off: Es = Ep = 0 (α_E and δ_dep terms)
    bool knowledge_transfer = true;    ///< off: Kin = 0 (α_K term)
    bool tie_dynamics = true;          ///< off: natural ties keep w (no κ terms, no dissolution)
    bool friendship_formation = true;  ///< off: no new friendships (as φ = 0)
    bool activation = true;            ///< off: programs activate no natural ties (a_w = a_q = 0)
    bool operator==(const Mechanisms&) const = default;
};

/// One entry per mechanism: its name in files ("help_flow", …) and its flag.
struct MechanismInfo {
    std::string_view name;
    std::string_view meaning;
    bool Mechanisms::*flag;
};
std::span<const MechanismInfo> mechanism_table();

/// Whether the weekly step may use its vectorised (AVX2) kernels on processors that have them
/// (the default). They give the same bits as the scalar code; the tests switch them off to
/// prove it. Process-wide; set it before runs start.
void set_vector_kernels(bool enabled);
/// True when the vectorised kernels are enabled and the processor has AVX2.
bool vector_kernels_active();

/// What one run needs besides its World: parameters, randomness keys, length, enrolments.
struct RunSpec {
    Parameters params;
    Mechanisms mechanisms;
    std::uint64_t seed = 1;
    std::uint64_t replicate = 0;
    int weeks = 104;                    ///< T
    std::vector<Enrolment> enrolments;  ///< EnrolmentId = index here (arm order, program order)
};

/// Help flows and related sums of spec §3.1, per agent, computed from the state at week t.
struct Flows {
    std::vector<double> help_received;      ///< H
    std::vector<double> help_given;         ///< G
    std::vector<double> strain;             ///< X
    std::vector<double> knowledge_offered;  ///< Kin
    /// n agents; new entries are 0 and existing ones keep their values until overwritten (the
    /// gather writes every agent's sums each week).
    void resize(std::size_t n);
};

/// Per-agent program exposure of spec §2 step 2. Empty (all zero) until an enrolment has been
/// active; from then on sized to the agents.
struct Exposure {
    std::vector<ResourceVector> resources;  ///< m_i, element-wise max over active enrolments
    std::vector<int> expert_self;           ///< Es_i
    std::vector<int> expert_provider;       ///< Ep_i
    void resize(std::size_t n);
};

/// Runs the weekly dynamics on one World. Not copyable; one per run.
class Simulation {
  public:
    /// Validates the spec (enrolment arms, weeks) and takes ownership of the world.
    Simulation(World world, RunSpec spec);

    /// Week step 1–3 for the current week t: starts enrolments with t0 = t, ends those with
    /// t1 = t, computes exposure and flows from the state at t. Call once per week.
    void begin_week();

    /// Week step 4: updates agents and natural ties, dissolves and forms ties, t ← t+1,
    /// recovery bookkeeping. Requires begin_week() for this week first.
    void finish_week();

    /// begin_week() + finish_week().
    void step();

    int week() const { return week_; }
    const World& world() const { return world_; }
    /// Direct access for tests and tools: add agents or ties only between finish_week() and
    /// the next begin_week() (finish_week() refuses a world changed in between).
    World& mutable_world() { return world_; }
    const Flows& flows() const { return flows_; }
    const Exposure& exposure() const { return exposure_; }
    const RunSpec& spec() const { return spec_; }
    /// True while enrolment e is active in the current week.
    bool enrolment_active(EnrolmentId e) const;

    /// Help on tie e from end `from` to the other end (spec §3.1), from the current state.
    double help_on_tie(TieIndex e, AgentId from) const;

    /// What one tie contributes to the flows of its two ends this week, computed once per tie
    /// (the help on a tie is needed by both ends and by the tie update). Help is zero on a tie
    /// with q < 0, and strain zero on one with q ≥ 0, so one slot holds either:
    ///   to_u ≥ 0: h(v→u) (help received by u), and the tie adds no strain;
    ///   to_u < 0: −w·q⁻ (strain on both ends), and no help flows.
    /// to_v is h(u→v). Knowledge offered lives in tie_knowledge_ (only while some tie has
    /// expertise peers or everyone).
    struct TieFlow {
        double to_u;
        double to_v;
    };

  private:
    /// benchmarks/bench_step.cpp times the phases of a week one by one.
    friend class SimulationPhases;

    void start_enrolment(EnrolmentId e);
    void end_enrolments();  ///< all enrolments with t1 = t, their ties in creation order
    void compute_exposure();
    void update_agents();
    void update_natural_ties();  ///< applies the new w, q and dissolution of compute_tie_pass()
    void form_friendships();
    /// The new friend of patient `index` this week (spec §3.4), or kNone.
    AgentId choose_partner(std::size_t index, std::uint64_t week) const;
    void update_recovery();

    void compute_tie_pass();  ///< TieFlow and the natural-tie update of every tie
    void gather_flows();      ///< per agent, the tie flows in ascending tie order

    World world_;
    RunSpec spec_;
    int week_ = 0;
    bool week_begun_ = false;
    Flows flows_;
    Exposure exposure_;
    bool exposure_zero_ = true;  ///< exposure_ holds only zeros (no active enrolment)
    /// Enrolled patients of each arm, ascending id (fixed at construction).
    std::vector<std::vector<AgentId>> arm_patients_;
    /// Per tie, scratch for the week: activation rates (a_w, a_q), 0 when not activated; empty
    /// (all zero) while activation_on_ is false.
    std::vector<double> activation_w_, activation_q_;
    bool activation_on_ = false;
    // Per tie, computed in begin_week() from the state at t, used by finish_week():
    std::vector<TieFlow, HugePageAllocator<TieFlow>> tie_flow_;
    std::vector<double, HugePageAllocator<double>>
        tie_knowledge_;                 ///< > 0: offered to u; < 0: −(offered to v); 0: none
    bool knowledge_on_ = false;         ///< tie_knowledge_ is filled this week
    bool offered_zero_ = true;          ///< flows_.knowledge_offered holds +0.0 for every agent
    std::vector<double> w_next_;        ///< w at t+1 (program ties: unchanged)
    std::vector<double> q_next_;        ///< q at t+1, only while activation_on_
    std::vector<TieIndex> dissolving_;  ///< natural ties that dissolve after the update
    bool negative_zero_q_ = false;      ///< a natural tie has q = −0.0 (set to +0.0, as q + 0)
    std::size_t agents_at_begin_ = 0, ties_at_begin_ = 0;
    /// Agents whose role is not professional, ascending (friendship partners); covers the
    /// first eligible_covered_ agents, extended when agents are added (roles never change).
    std::vector<AgentId> eligible_pool_;
    std::size_t eligible_covered_ = 0;
};

}  // namespace kindred
