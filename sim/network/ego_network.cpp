// The default "ego network" population of spec §5.
#include <algorithm>
#include <cstdint>
#include <unordered_set>
#include <vector>

#include "core/parallel.hpp"
#include "core/rng.hpp"
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

/// Appends natural ties; `add_unless_tied` keeps the first tie of a pair (spec §5) using a set
/// of the pairs that can collide. Household, friend and coordinator ties are distinct by
/// construction, so only ring ties (among members) and peer ties (among patients) are kept in
/// sets, and a ring tie between two family members of one household is found through
/// `household` instead.
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

    /// Adds the tie unless i == j or `pairs` already holds the pair; returns whether it did.
    bool add_unless_tied(std::unordered_set<std::uint64_t>& pairs, AgentId i, AgentId j,
                         TieType type, double w, double q) {
        if (i == j) return false;
        if (!pairs.insert(tie_entity(std::min(i, j), std::max(i, j))).second) return false;
        add(i, j, type, w, q);
        return true;
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

    parallel_for_each_index(world.agent_count(), [&](std::size_t i) {
        RandomStream draws = stream(i, kState);
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
    std::vector<std::pair<std::uint64_t, AgentId>> ring;
    ring.reserve(static_cast<std::size_t>(first_coordinator - n));
    for (AgentId member = n; member < first_coordinator; ++member) {
        RandomStream draws = stream(static_cast<std::uint64_t>(member), kRingOrder);
        ring.emplace_back(static_cast<std::uint64_t>(draws.uniform() * 0x1.0p53), member);
    }
    std::sort(ring.begin(), ring.end());
    const std::size_t members = ring.size();
    std::unordered_set<std::uint64_t> ring_pairs;
    ring_pairs.reserve(2 * members);
    const auto same_family = [&](AgentId a, AgentId b) {
        return world.role[a] == Role::family && world.role[b] == Role::family &&
               household[a - n] == household[b - n];
    };
    for (std::size_t pos = 0; pos < members; ++pos) {
        const AgentId origin = ring[pos].second;
        RandomStream draws = stream(static_cast<std::uint64_t>(origin), kRingRewire);
        for (std::size_t step = 1; step <= 2; ++step) {
            AgentId far = ring[(pos + step) % members].second;
            if (draws.bernoulli(params.rewire_probability)) {
                far = ring[draws.below(members)].second;
            }
            if (same_family(origin, far)) continue;  // already tied in the family clique
            ties.add_unless_tied(ring_pairs, origin, far, TieType::friend_, 0.3, 0.5);
        }
    }

    // Patient–patient peer ties.
    std::unordered_set<std::uint64_t> peer_pairs;
    peer_pairs.reserve(static_cast<std::size_t>(n * params.peer_ties_mean * 1.2) + 16);
    for (int p = 0; p < n; ++p) {
        RandomStream draws = stream(static_cast<std::uint64_t>(p), kPeerTies);
        const int count = draws.poisson(params.peer_ties_mean);
        for (int c = 0; c < count; ++c) {
            const auto other = static_cast<AgentId>(draws.below(static_cast<std::uint64_t>(n)));
            ties.add_unless_tied(peer_pairs, p, other, TieType::peer, 0.3, 0.5);
        }
    }

    // Treatment as usual: each patient's care coordinator.
    for (int p = 0; p < n; ++p) {
        ties.add(p, first_coordinator + p / params.coordinator_caseload, TieType::professional, 0.3,
                 0.5);
    }

    world.rebuild_adjacency();
    return world;
}

}  // namespace kindred
