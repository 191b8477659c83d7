// Populations (spec §5): the default ego-network generator, CSV import, arm assignment.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "core/world.hpp"

namespace kindred {

/// Parameters of the ego-network generator. Defaults are spec §5 (version 1).
struct EgoNetworkParams {
    int patients = 1000;              ///< n
    double family_mean = 4.0;         ///< Poisson mean of family members per patient
    double friends_mean = 2.0;        ///< Poisson mean of friends per patient
    double high_ee_share = 0.45;      ///< probability a household is high expressed emotion
    double rewire_probability = 0.1;  ///< far end of a ring tie rewired
    double peer_ties_mean = 0.5;      ///< Poisson mean of patient–patient peer ties
    int coordinator_caseload = 25;    ///< patients per care coordinator
};

/// Builds the ego-network world of spec §5 (patients, families, friends, ring ties, peer ties,
/// care coordinators, initial states). Every draw is keyed by (seed, replicate). Arms are not
/// assigned here. Complexity O(n) expected.
World build_ego_network(const EgoNetworkParams& params, std::uint64_t seed,
                        std::uint64_t replicate);

/// Reads agents and ties from the two CSV files of spec §5. `arm_names` are the scenario's arms:
/// the agents' arm column is matched against them (empty = no arm). Throws InputError
/// "FILE:LINE: …" for every malformed row.
World load_csv_population(const std::filesystem::path& agents_csv,
                          const std::filesystem::path& ties_csv,
                          const std::vector<std::string>& arm_names);

/// How many patients each arm receives: exact counts, or shares of `patients` rounded by the
/// largest-remainder method. Throws InputError when they need more patients than exist.
std::vector<int> arm_sizes(int patients, const std::vector<std::optional<double>>& shares,
                           const std::vector<std::optional<int>>& counts);

/// Randomises the patients of `world` to arms of the given sizes (a uniformly random
/// permutation keyed by (seed, replicate)); patients beyond the total belong to no arm.
void assign_arms(World& world, const std::vector<int>& sizes, std::uint64_t seed,
                 std::uint64_t replicate);

}  // namespace kindred
