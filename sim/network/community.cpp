// Community populations: households, patients, care coordinators and a network model's ties
// over all agents (see community.hpp for the layout and the rules).
#include "network/community.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

#include "core/parallel.hpp"
#include "core/rng.hpp"
#include "network/initial_state.hpp"

namespace kindred {
namespace {

/// Sub-streams of Purpose::community for the population layer (graph_models.cpp uses 1 … 15);
/// fixed forever. The sub value is stream << 40.
enum CommunityStream : std::uint64_t {
    kHouseholdSize = 16,  ///< entity household: its size
    kHouseholdEe = 17,    ///< entity household: high expressed emotion
    kPatientKey = 18,     ///< entity agent: key deciding who is a patient
    kState = 19,          ///< entity agent: initial state
};

RandomStream community_stream(std::uint64_t seed, std::uint64_t replicate, std::uint64_t entity,
                              CommunityStream stream) {
    return RandomStream(seed, replicate, kInitialisationWeek, entity, Purpose::community,
                        static_cast<std::uint64_t>(stream) << 40);
}

constexpr double kFamilyW = 0.6;
constexpr double kFamilyQ = 0.6;
constexpr double kHostileQ = -0.3;
constexpr double kCoordinatorW = 0.3;
constexpr double kCoordinatorQ = 0.5;

}  // namespace

std::string_view to_string(NetworkModel model) {
    switch (model) {
        case NetworkModel::erdos_renyi:
            return "erdos_renyi";
        case NetworkModel::watts_strogatz:
            return "watts_strogatz";
        case NetworkModel::barabasi_albert:
            return "barabasi_albert";
        case NetworkModel::stochastic_block:
            return "stochastic_block";
        case NetworkModel::configuration:
            return "configuration";
    }
    return "unknown";
}

int community_patients(const CommunityParams& params) {
    return static_cast<int>(std::llround(params.patient_share * params.agents));
}

std::vector<std::size_t> block_sizes(const std::vector<double>& shares, std::size_t agents) {
    std::vector<std::size_t> sizes(shares.size(), 0);
    std::vector<std::pair<double, std::size_t>> remainders;
    std::size_t assigned = 0;
    for (std::size_t b = 0; b < shares.size(); ++b) {
        const double exact = shares[b] * static_cast<double>(agents);
        sizes[b] = static_cast<std::size_t>(std::floor(exact + 1e-9));
        assigned += sizes[b];
        remainders.emplace_back(exact - static_cast<double>(sizes[b]), b);
    }
    std::stable_sort(remainders.begin(), remainders.end(),
                     [](const auto& x, const auto& y) { return x.first > y.first; });
    for (std::size_t r = 0; assigned < agents && !remainders.empty(); ++r, ++assigned) {
        ++sizes[remainders[r % remainders.size()].second];
    }
    return sizes;
}

EdgeList community_network(const CommunityParams& params, std::uint64_t seed,
                           std::uint64_t replicate) {
    const auto n = static_cast<std::size_t>(params.agents);
    const GraphKey key{seed, replicate};
    switch (params.model) {
        case NetworkModel::erdos_renyi:
            return erdos_renyi_gnm(
                n, static_cast<std::size_t>(std::llround(params.agents * params.mean_degree / 2.0)),
                key);
        case NetworkModel::watts_strogatz:
            return watts_strogatz(n, static_cast<int>(std::lround(params.mean_degree)),
                                  params.rewire_probability, key);
        case NetworkModel::barabasi_albert:
            return barabasi_albert(n, params.attach, key);
        case NetworkModel::stochastic_block:
            return stochastic_block(block_sizes(params.block_shares, n), params.block_probabilities,
                                    key);
        case NetworkModel::configuration: {
            const std::vector<int> degrees =
                params.degree_distribution == DegreeDistribution::file
                    ? read_degree_file(params.degrees_file, n)
                    : sample_degrees(n, params.degree_distribution, params.mean_degree,
                                     params.exponent, params.min_degree, params.max_degree, key);
            return configuration_model(degrees, key);
        }
    }
    return {};
}

World build_community(const CommunityParams& params, std::uint64_t seed, std::uint64_t replicate) {
    const auto n = static_cast<std::size_t>(params.agents);
    const auto patients = static_cast<std::size_t>(community_patients(params));
    if (patients > n) {
        throw InputError(fmt::format("community: expected patient_share in [0, 1], found {}",
                                     params.patient_share));
    }

    // Households of consecutive ids (sequential: each starts where the last one ended).
    std::vector<std::int32_t> household(n);
    std::vector<std::size_t> household_start;
    for (std::size_t start = 0; start < n;) {
        const std::size_t h = household_start.size();
        RandomStream draws = community_stream(seed, replicate, h, kHouseholdSize);
        const std::size_t size =
            1 + static_cast<std::size_t>(draws.poisson(std::max(params.household_mean - 1.0, 0.0)));
        const std::size_t end = std::min(n, start + size);
        std::fill(household.begin() + static_cast<std::ptrdiff_t>(start),
                  household.begin() + static_cast<std::ptrdiff_t>(end),
                  static_cast<std::int32_t>(h));
        household_start.push_back(start);
        start = end;
    }
    const std::size_t households = household_start.size();
    household_start.push_back(n);

    // Patients: the agents with the smallest keys (exact count, O(n) expected).
    std::vector<std::pair<std::uint64_t, AgentId>> keys(n);
    parallel_for_each_index(n, [&](std::size_t i) {
        RandomStream draws = community_stream(seed, replicate, i, kPatientKey);
        keys[i] = {static_cast<std::uint64_t>(draws.uniform() * 0x1.0p53), static_cast<AgentId>(i)};
    });
    if (patients < n) {
        std::nth_element(keys.begin(), keys.begin() + static_cast<std::ptrdiff_t>(patients),
                         keys.end());
    }

    World world;
    AgentInit init;
    init.role = Role::friend_;
    world.add_agents(n, init);
    for (std::size_t x = 0; x < patients; ++x) world.role[keys[x].second] = Role::patient;
    keys.clear();
    keys.shrink_to_fit();

    std::vector<std::uint8_t> high_ee(households, 0);
    parallel_for_each_index(households, [&](std::size_t h) {
        bool has_patient = false;
        for (std::size_t i = household_start[h]; i < household_start[h + 1]; ++i) {
            has_patient = has_patient || world.role[i] == Role::patient;
        }
        if (!has_patient) return;
        for (std::size_t i = household_start[h]; i < household_start[h + 1]; ++i) {
            if (world.role[i] != Role::patient) world.role[i] = Role::family;
        }
        high_ee[h] =
            community_stream(seed, replicate, h, kHouseholdEe).bernoulli(params.high_ee_share) ? 1
                                                                                               : 0;
    });

    const std::size_t caseload = static_cast<std::size_t>(std::max(params.coordinator_caseload, 1));
    const std::size_t coordinators = (patients + caseload - 1) / caseload;
    init.role = Role::professional;
    world.add_agents(coordinators, init);
    detail::draw_initial_states(
        world, [&](std::size_t i) { return community_stream(seed, replicate, i, kState); });

    // All ties as one edge list: the network, the household cliques and the coordinator ties;
    // simplify() sorts them and keeps one tie per pair, so a network tie within a household
    // merges with the family tie (the pair is classified as family below).
    EdgeList edges = community_network(params, seed, replicate);
    std::vector<std::size_t> clique_first(households + 1, 0);
    for (std::size_t h = 0; h < households; ++h) {
        const std::size_t size = household_start[h + 1] - household_start[h];
        clique_first[h + 1] = clique_first[h] + size * (size - 1) / 2;
    }
    std::size_t next_slot = edges.size();
    edges.resize(next_slot + clique_first[households] + patients);
    parallel_for_each_index(households, [&](std::size_t h) {
        std::size_t slot = next_slot + clique_first[h];
        for (std::size_t i = household_start[h]; i < household_start[h + 1]; ++i) {
            for (std::size_t j = i + 1; j < household_start[h + 1]; ++j) {
                edges[slot++] = Edge{static_cast<AgentId>(i), static_cast<AgentId>(j)};
            }
        }
    });
    next_slot += clique_first[households];
    std::size_t patient_number = 0;
    for (std::size_t i = 0; i < n; ++i) {
        if (world.role[i] != Role::patient) continue;
        edges[next_slot + patient_number] =
            Edge{static_cast<AgentId>(i), static_cast<AgentId>(n + patient_number / caseload)};
        ++patient_number;
    }
    simplify(edges, world.agent_count());

    TieInit tie;
    world.add_ties(edges.size(), tie);
    parallel_for_each_index(edges.size(), [&](std::size_t e) {
        const AgentId u = edges[e].u, v = edges[e].v;
        world.tie_u[e] = u;
        world.tie_v[e] = v;
        const bool u_patient = world.role[u] == Role::patient;
        const bool v_patient = world.role[v] == Role::patient;
        if (static_cast<std::size_t>(v) >= n) {
            world.tie_type[e] = TieType::professional;
            world.tie_w[e] = kCoordinatorW;
            world.tie_q[e] = kCoordinatorQ;
        } else if (household[u] == household[v]) {
            world.tie_type[e] = TieType::family;
            world.tie_w[e] = kFamilyW;
            world.tie_q[e] =
                (u_patient || v_patient) && high_ee[household[u]] ? kHostileQ : kFamilyQ;
        } else {
            world.tie_type[e] = u_patient && v_patient ? TieType::peer : TieType::friend_;
            world.tie_w[e] = params.tie_strength;
            world.tie_q[e] = params.tie_valence;
        }
    });
    world.rebuild_adjacency();
    return world;
}

}  // namespace kindred
