// The default "ego network" population of spec §5.
#include <algorithm>
#include <cstdint>
#include <vector>

#include "core/parallel.hpp"
#include "core/rng.hpp"
#include "network/graph_models.hpp"
#include "network/initial_state.hpp"
#include "network/population.hpp"

namespace kindred {
namespace {

/// Sub-streams of Purpose::population; fixed forever (changing one changes every world).
enum PopulationStream : std::uint64_t {
    kHousehold = 1,   ///< entity patient: family size, friends, expressed emotion
    kState = 2,       ///< entity agent: initial state
    kRingOrder = 3,   ///< entity member: position in the ring
    kRingRewire = 4,  ///< entity member: rewiring of its two ring ties
    kPeerTies = 5,    ///< entity patient: peer ties
};

struct Household {
    int family = 0;
    int friends = 0;
    bool high_expressed_emotion = false;
};

/// Appends natural ties to the world.
class TieBuilder {
  public:
    explicit TieBuilder(World& world) : world_(world) {}

    void add(AgentId i, AgentId j, TieType type, double w, double q) {
        TieInit tie;
        tie.i = i;
        tie.j = j;
        tie.type = type;
        tie.w = w;
        tie.q = q;
        world_.add_tie(tie);
    }

    /// Adds the candidate ties in order, except self-ties and repeats of an earlier candidate's
    /// pair (the first tie of a pair wins, spec §5). `skip[c]` != 0 leaves candidate c out
    /// before the comparison. O(agents + candidates) (graph_models' first_occurrences).
    void add_first_of_each_pair(const EdgeList& candidates, const std::vector<std::uint8_t>& skip,
                                TieType type, double w, double q) {
        EdgeList considered;
        considered.reserve(candidates.size());
        for (std::size_t c = 0; c < candidates.size(); ++c) {
            if (!skip[c]) considered.push_back(candidates[c]);
        }
        const std::vector<std::uint8_t> keep = first_occurrences(considered, world_.agent_count());
        for (std::size_t c = 0; c < considered.size(); ++c) {
            if (keep[c]) add(considered[c].u, considered[c].v, type, w, q);
        }
    }

  private:
    World& world_;
};

}  // namespace

World build_ego_network(const EgoNetworkParams& params, std::uint64_t seed,
                        std::uint64_t replicate) {
    const int n = params.patients;
    const auto stream = [&](std::uint64_t entity, PopulationStream sub) {
        return RandomStream(seed, replicate, kInitialisationWeek, entity, Purpose::population, sub);
    };

    std::vector<Household> households(static_cast<std::size_t>(n));
    for (int p = 0; p < n; ++p) {
        RandomStream draws = stream(static_cast<std::uint64_t>(p), kHousehold);
        households[p].family = draws.poisson(params.family_mean);
        households[p].friends = draws.poisson(params.friends_mean);
        households[p].high_expressed_emotion = draws.bernoulli(params.high_ee_share);
    }
    const int coordinators = (n + params.coordinator_caseload - 1) / params.coordinator_caseload;

    // Agents: patients, then each patient's family and friends in patient order, then the
    // care coordinators. States are drawn afterwards, in parallel, keyed by agent id.
    World world;
    AgentInit init;
    for (int p = 0; p < n; ++p) {
        init.role = Role::patient;
        world.add_agent(init);
    }
    std::vector<AgentId> first_member(static_cast<std::size_t>(n));
    std::vector<int> household;  // member id − n → its patient
    for (int p = 0; p < n; ++p) {
        first_member[p] = static_cast<AgentId>(world.agent_count());
        household.insert(household.end(),
                         static_cast<std::size_t>(households[p].family + households[p].friends), p);
        init.role = Role::family;
        for (int f = 0; f < households[p].family; ++f) world.add_agent(init);
        init.role = Role::friend_;
        for (int f = 0; f < households[p].friends; ++f) world.add_agent(init);
    }
    const auto first_coordinator = static_cast<AgentId>(world.agent_count());
    init.role = Role::professional;
    for (int c = 0; c < coordinators; ++c) world.add_agent(init);

    detail::draw_initial_states(world, [&](std::size_t i) { return stream(i, kState); });

    TieBuilder ties(world);
    // Households: family cliques and ties to the patient, then the patient's friends.
    for (int p = 0; p < n; ++p) {
        const Household& h = households[p];
        const AgentId family = first_member[p];
        const double patient_q = h.high_expressed_emotion ? -0.3 : 0.6;
        for (int f = 0; f < h.family; ++f) ties.add(p, family + f, TieType::family, 0.6, patient_q);
        for (int f = 0; f < h.family; ++f) {
            for (int g = f + 1; g < h.family; ++g) {
                ties.add(family + f, family + g, TieType::family, 0.6, 0.6);
            }
        }
        const AgentId friends = family + h.family;
        for (int f = 0; f < h.friends; ++f) ties.add(p, friends + f, TieType::friend_, 0.4, 0.6);
    }

    // Ring over all family members and friends in a random order, each tied to the next two;
    // the far end is rewired to a uniform random member with rewire_probability.
    std::vector<std::pair<std::uint64_t, AgentId>> ring(
        static_cast<std::size_t>(first_coordinator - n));
    parallel_for_each_index(ring.size(), [&](std::size_t x) {
        const auto member = static_cast<AgentId>(n + static_cast<AgentId>(x));
        RandomStream draws = stream(static_cast<std::uint64_t>(member), kRingOrder);
        ring[x] = {static_cast<std::uint64_t>(draws.uniform() * 0x1.0p53), member};
    });
    std::sort(ring.begin(), ring.end());
    const std::size_t members = ring.size();
    const auto same_family = [&](AgentId a, AgentId b) {
        return world.role[a] == Role::family && world.role[b] == Role::family &&
               household[a - n] == household[b - n];
    };
    // Candidates in ring order (two per member); a pair within one family is already tied in
    // the family clique and left out; of the rest, the first tie of each pair is kept.
    EdgeList ring_ties(2 * members);
    std::vector<std::uint8_t> in_family(2 * members, 0);
    parallel_for_each_index(members, [&](std::size_t pos) {
        const AgentId origin = ring[pos].second;
        RandomStream draws = stream(static_cast<std::uint64_t>(origin), kRingRewire);
        for (std::size_t step = 1; step <= 2; ++step) {
            AgentId far = ring[(pos + step) % members].second;
            if (draws.bernoulli(params.rewire_probability)) {
                far = ring[draws.below(members)].second;
            }
            ring_ties[2 * pos + step - 1] = Edge{origin, far};
            in_family[2 * pos + step - 1] = same_family(origin, far) ? 1 : 0;
        }
    });
    ties.add_first_of_each_pair(ring_ties, in_family, TieType::friend_, 0.3, 0.5);

    // Patient–patient peer ties (a tie drawn to the patient itself or to an existing pair is
    // dropped).
    EdgeList peer_ties;
    for (int p = 0; p < n; ++p) {
        RandomStream draws = stream(static_cast<std::uint64_t>(p), kPeerTies);
        const int count = draws.poisson(params.peer_ties_mean);
        for (int c = 0; c < count; ++c) {
            const auto other = static_cast<AgentId>(draws.below(static_cast<std::uint64_t>(n)));
            peer_ties.push_back(Edge{p, other});
        }
    }
    ties.add_first_of_each_pair(peer_ties, std::vector<std::uint8_t>(peer_ties.size(), 0),
                                TieType::peer, 0.3, 0.5);

    // Treatment as usual: each patient's care coordinator.
    for (int p = 0; p < n; ++p) {
        ties.add(p, first_coordinator + p / params.coordinator_caseload, TieType::professional, 0.3,
                 0.5);
    }

    world.rebuild_adjacency();
    return world;
}

}  // namespace kindred
