// Community populations: a network model over all agents (Erdős–Rényi, Watts–Strogatz,
// Barabási–Albert, stochastic block, configuration), households as family cliques, a share of
// patients, and care coordinators. The alternative to the ego-network population of spec §5
// for worlds of millions of agents; parameters in docs/scenario-format.md.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string_view>
#include <vector>

#include "core/world.hpp"
#include "network/graph_models.hpp"

namespace kindred {

/// The network model of a community population.
enum class NetworkModel {
    erdos_renyi,
    watts_strogatz,
    barabasi_albert,
    stochastic_block,
    configuration
};

std::string_view to_string(NetworkModel model);

/// Parameters of a community population. Defaults give a 10 000-person Erdős–Rényi community
/// with mean degree 10, 10% patients and households of mean size 2.5.
struct CommunityParams {
    NetworkModel model = NetworkModel::erdos_renyi;
    int agents = 10000;             ///< people in the community (care coordinators come on top)
    double patient_share = 0.1;     ///< patients = round(patient_share · agents), chosen at random
    double household_mean = 2.5;    ///< household size 1 + Poisson(household_mean − 1); ≥ 1
    double high_ee_share = 0.45;    ///< a household with a patient is high expressed emotion
    int coordinator_caseload = 25;  ///< patients per care coordinator (spec §5)
    double tie_strength = 0.3;      ///< w of network ties
    double tie_valence = 0.5;       ///< q of network ties
    // erdos_renyi (m = round(agents · mean_degree / 2)), watts_strogatz (even k), configuration
    // (fixed and poisson degrees)
    double mean_degree = 10.0;
    double rewire_probability = 0.1;  ///< watts_strogatz β
    int attach = 5;                   ///< barabasi_albert: ties brought by each new node
    // stochastic_block: shares of the agents in each block (consecutive ids), and the tie
    // probability of each pair of blocks (symmetric)
    std::vector<double> block_shares{0.5, 0.5};
    std::vector<std::vector<double>> block_probabilities{{1e-3, 1e-4}, {1e-4, 1e-3}};
    // configuration
    DegreeDistribution degree_distribution = DegreeDistribution::poisson;
    double exponent = 2.5;               ///< power_law exponent (> 1)
    int min_degree = 1;                  ///< power_law smallest degree (≥ 1)
    int max_degree = 0;                  ///< power_law largest degree; 0 = agents − 1
    std::filesystem::path degrees_file;  ///< degree_distribution file: one degree per agent
};

/// The number of patients of a community: round(patient_share · agents).
int community_patients(const CommunityParams& params);

/// Block sizes of the stochastic block model: shares of `agents` by largest remainder.
std::vector<std::size_t> block_sizes(const std::vector<double>& shares, std::size_t agents);

/// The network layer alone: the model's simple graph over agents 0 … agents−1.
EdgeList community_network(const CommunityParams& params, std::uint64_t seed,
                           std::uint64_t replicate);

/// Builds a community world (arms not assigned):
///  - agents 0 … agents−1 in households of consecutive ids (sizes 1 + Poisson(mean − 1), the
///    last one cut to fit), then the care coordinators;
///  - patients: the round(patient_share · agents) agents with the smallest keyed random keys;
///    the other members of a household with a patient are family, everyone else friend (a
///    community member); care coordinators professional;
///  - ties: each household a family clique (w 0.6, q 0.6; a patient's ties to the household
///    q −0.3 in a high-EE household); the network model's ties (type peer between two patients,
///    else friend; w tie_strength, q tie_valence), except pairs of one household, which keep
///    their family tie; patient k (ascending id) tied to coordinator ⌊k/caseload⌋
///    (professional, w 0.3, q 0.5). Ties are stored in ascending (smaller id, larger id).
///  - initial states as spec §5 (patients, others, coordinators d = 0.1, v = 0).
/// Expected O(agents + ties); parallel apart from the household sizes and the configuration
/// model's stub shuffle. Independent of the thread count.
World build_community(const CommunityParams& params, std::uint64_t seed, std::uint64_t replicate);

}  // namespace kindred
