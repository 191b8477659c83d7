// Worlds and run specs shared by the benchmarks: a community (or ego-network) world of a given
// size, or one read from CSV, and the deterministic run (σ = 0, p_event = 0, φ = 0, no programs)
// that the baselines reproduce.
#pragma once

#include <fmt/format.h>

#include <stdexcept>
#include <string>

#include "core/simulation.hpp"
#include "network/community.hpp"
#include "network/population.hpp"

namespace kindred::bench {

/// What world to build.
struct WorldOptions {
    std::string generator = "erdos_renyi";  ///< a community model, ego_network, or csv
    long long agents = 100000;              ///< community: people; ego_network: patients
    double mean_degree = 8.0;               ///< community network ties per agent × 2
    int attach = 4;                         ///< barabasi_albert
    double patient_share = 0.1;
    std::string agents_csv, ties_csv;  ///< generator csv
    std::uint64_t seed = 1;
};

inline World make_world(const WorldOptions& options) {
    if (options.generator == "csv") {
        return load_csv_population(options.agents_csv, options.ties_csv, {});
    }
    if (options.generator == "ego_network") {
        EgoNetworkParams params;
        params.patients = static_cast<int>(options.agents);
        return build_ego_network(params, options.seed, 0);
    }
    CommunityParams params;
    params.agents = static_cast<int>(options.agents);
    params.mean_degree = options.mean_degree;
    params.attach = options.attach;
    params.patient_share = options.patient_share;
    params.block_shares = {0.5, 0.5};
    // Two blocks with 4/5 of each agent's network ties inside its own block.
    const double n = static_cast<double>(options.agents);
    params.block_probabilities = {
        {0.8 * options.mean_degree / (n / 2), 0.2 * options.mean_degree / (n / 2)},
        {0.2 * options.mean_degree / (n / 2), 0.8 * options.mean_degree / (n / 2)}};
    bool known = false;
    for (const NetworkModel model :
         {NetworkModel::erdos_renyi, NetworkModel::watts_strogatz, NetworkModel::barabasi_albert,
          NetworkModel::stochastic_block, NetworkModel::configuration}) {
        if (to_string(model) == options.generator) {
            params.model = model;
            known = true;
        }
    }
    if (!known) throw std::invalid_argument("unknown generator " + options.generator);
    return build_community(params, options.seed, 0);
}

/// The deterministic run of the baselines: spec §6 defaults with σ = 0, p_event = 0, φ = 0 and
/// no programs, so nothing random happens after initialisation.
inline RunSpec deterministic_run(int weeks) {
    RunSpec spec;
    spec.weeks = weeks;
    spec.params.sigma = 0.0;
    spec.params.p_event = 0.0;
    spec.params.phi = 0.0;
    return spec;
}

}  // namespace kindred::bench
