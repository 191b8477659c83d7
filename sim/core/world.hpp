// The World: agents as struct-of-arrays, ties stored once plus a CSR adjacency for both ends.
//
// Agents   one array per state variable, indexed by AgentId 0 … N-1. The five dynamic variables
//          (d, a, k, s, r) are double-buffered: a week reads `state` and writes `next`, then
//          swaps, so no agent sees another's t+1 value.
// Ties     one array per field, indexed by TieIndex in creation order. Each tie is stored once
//          with u < v. Removal compacts the arrays and keeps the order.
// Adjacency
//          offsets[i] … offsets[i+1] index `entries` for agent i; every tie {u,v} appears once
//          in u's range (neighbour v) and once in v's range (neighbour u); within a range,
//          entries are in ascending tie index. Valid only after rebuild_adjacency() or
//          update_adjacency() and until the tie arrays next change (adjacency_valid() says
//          which); remove_ties() patches a valid adjacency and keeps it valid.
//          Between updates the adjacency covers the first covered_agents_ agents and
//          covered_ties_ ties exactly (appends only add after them), so update_adjacency() can
//          merge the appended ties in instead of rebuilding.
#pragma once

#include <cstdint>
#include <vector>

#include "core/types.hpp"

namespace kindred {

/// The double-buffered dynamic state of all agents (spec §1), each value in [0,1].
struct DynamicState {
    std::vector<double> distress;    ///< d
    std::vector<double> agency;      ///< a
    std::vector<double> knowledge;   ///< k, experiential knowledge
    std::vector<double> strengths;   ///< s
    std::vector<double> recreation;  ///< r

    void resize(std::size_t n);
    std::size_t size() const { return distress.size(); }
};

/// Initial values of a new agent. a0, s0, r0 are set from a, s, r.
struct AgentInit {
    Role role = Role::patient;
    double d = 0.0, a = 0.0, k = 0.0, s = 0.0, r = 0.0;
    double tau = 0.0;  ///< τ, self-actualising tendency (constant)
    double v = 0.0;    ///< vulnerability (constant)
    int arm = kNone;   ///< trial arm of a patient, or kNone
    int created_week = 0;
};

/// Fields of a new tie. The World orders the ends so that u < v.
struct TieInit {
    AgentId i = 0, j = 0;
    TieType type = TieType::friend_;
    double w = 0.0;    ///< strength in [0,1]
    double q = 0.0;    ///< valence in [-1,1]
    double rho = 1.0;  ///< reciprocity, 1 on natural and group ties
    Expertise expertise = Expertise::none;
    AgentId client = kNone;
    AgentId provider = kNone;
    EnrolmentId enrolment = kNone;  ///< kNone: natural tie
    std::int32_t element = kNone;   ///< index of the delivery element that made it, or kNone
};

/// One entry of the adjacency: the neighbour and the tie that joins them.
struct AdjacencyEntry {
    AgentId neighbour;
    TieIndex tie;
};

class World {
  public:
    // ---- agents (struct-of-arrays) ----
    std::vector<Role> role;
    DynamicState state;  ///< values at the current week t
    DynamicState next;   ///< scratch buffer for t+1, swapped in by swap_state()
    std::vector<double> tau;
    std::vector<double> vulnerability;
    std::vector<double> agency0, strengths0, recreation0;  ///< set points a0, s0, r0
    std::vector<int> streak;                               ///< weeks in a row with d < d_rec
    std::vector<int> recovered_week;  ///< first week counted as recovered, or kNone
    std::vector<int> arm;             ///< trial arm of a patient, or kNone
    std::vector<int> created_week;    ///< week the agent came into the world (0 for initial)

    // ---- ties (stored once, u < v, creation order) ----
    std::vector<AgentId> tie_u, tie_v;
    std::vector<TieType> tie_type;
    std::vector<double> tie_w, tie_q, tie_rho;
    std::vector<Expertise> tie_expertise;
    std::vector<AgentId> tie_client, tie_provider;
    std::vector<EnrolmentId> tie_enrolment;
    std::vector<std::int32_t> tie_element;  ///< delivery element of a program tie, or kNone

    std::size_t agent_count() const { return role.size(); }
    std::size_t tie_count() const { return tie_u.size(); }

    /// Appends an agent; returns its id (= previous agent_count()). Invalidates the adjacency.
    AgentId add_agent(const AgentInit& init);

    /// Appends `count` agents initialised like `init`; returns the first new id. For
    /// generators that then fill the arrays in parallel. Invalidates the adjacency.
    AgentId add_agents(std::size_t count, const AgentInit& init);

    /// Appends a tie; returns its index. Invalidates the adjacency. Requires i ≠ j, both valid.
    TieIndex add_tie(const TieInit& init);

    /// Appends `count` ties with the fields of `init` (ends included); returns the first new
    /// index. The caller then sets each new tie's fields, keeping u < v, i ≠ j, both valid.
    /// Invalidates the adjacency.
    TieIndex add_ties(std::size_t count, const TieInit& init);

    /// Removes the ties with remove[e] != 0, keeping the order of the rest. A valid adjacency
    /// is patched (entries of removed ties dropped, tie indices renumbered) and stays valid.
    /// O(agents + ties): a parallel pass plus a sequential block move of each array.
    void remove_ties(const std::vector<std::uint8_t>& remove);

    /// Releases the spare capacity of every agent and tie array (a world built one agent and
    /// one tie at a time holds up to twice what it uses). O(agents + ties), one array at a time.
    void shrink_to_fit();

    /// Rebuilds the CSR adjacency from the tie arrays. O(agents + ties), parallel.
    void rebuild_adjacency();

    /// Brings the adjacency up to date: merges the agents and ties appended since the last
    /// update (O(agents + ties) streaming, O(new ties · log) sorting), or rebuilds it when ties
    /// were removed while it was invalid. Requires that ties already covered were not edited
    /// (their ends) except through remove_ties(); rebuild_adjacency() has no such requirement.
    void update_adjacency();
    bool adjacency_valid() const { return adjacency_valid_; }

    /// The adjacency entries of agent i (requires adjacency_valid()).
    const AdjacencyEntry* neighbours_begin(AgentId i) const {
        return entries_.data() + offsets_[i];
    }
    const AdjacencyEntry* neighbours_end(AgentId i) const {
        return entries_.data() + offsets_[i + 1];
    }
    std::size_t degree(AgentId i) const { return offsets_[i + 1] - offsets_[i]; }
    /// The whole adjacency (requires adjacency_valid()): agent i's entries are
    /// adjacency_entries()[adjacency_offsets()[i] .. adjacency_offsets()[i + 1]).
    const std::size_t* adjacency_offsets() const { return offsets_.data(); }
    const AdjacencyEntry* adjacency_entries() const { return entries_.data(); }

    /// The other end of tie e seen from agent i.
    AgentId other_end(TieIndex e, AgentId i) const { return tie_u[e] == i ? tie_v[e] : tie_u[e]; }

    /// Swaps `state` and `next` (the end of a synchronous update).
    void swap_state() { std::swap(state, next); }

    /// True when agents i and j share a natural tie (linear in the smaller degree).
    bool has_natural_tie(AgentId i, AgentId j) const;
    /// True when agents i and j share any tie (linear in the smaller degree).
    bool has_any_tie(AgentId i, AgentId j) const;

  private:
    std::vector<std::size_t> offsets_{0};
    std::vector<AdjacencyEntry> entries_;
    bool adjacency_valid_ = true;
    /// The adjacency holds exactly agents [0, covered_agents_) and ties [0, covered_ties_)
    /// while covered_prefix_ is true (see the file comment).
    bool covered_prefix_ = true;
    std::size_t covered_agents_ = 0;
    std::size_t covered_ties_ = 0;
};

}  // namespace kindred
