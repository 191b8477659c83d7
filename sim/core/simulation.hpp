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
    void resize(std::size_t n);
};

/// Per-agent program exposure of spec §2 step 2.
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

  private:
    void start_enrolment(EnrolmentId e);
    void end_enrolments();  ///< all enrolments with t1 = t, their ties in creation order
    void compute_exposure();
    void compute_flows();
    void update_agents();
    void update_natural_ties();
    void form_friendships();
    void update_recovery();

    World world_;
    RunSpec spec_;
    int week_ = 0;
    bool week_begun_ = false;
    Flows flows_;
    Exposure exposure_;
    /// Enrolled patients of each arm, ascending id (fixed at construction).
    std::vector<std::vector<AgentId>> arm_patients_;
    /// Per tie, scratch for the week: activation rates (a_w, a_q), 0 when not activated.
    std::vector<double> activation_w_, activation_q_;
};

}  // namespace kindred
