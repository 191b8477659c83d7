// Trial arms: sizes from shares or counts, and the seeded randomisation of patients to arms.
#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <numeric>

#include "core/rng.hpp"
#include "core/types.hpp"
#include "network/population.hpp"

namespace kindred {

std::vector<int> arm_sizes(int patients, const std::vector<std::optional<double>>& shares,
                           const std::vector<std::optional<int>>& counts) {
    const std::size_t arms = std::max(shares.size(), counts.size());
    std::vector<int> sizes(arms, 0);
    // Largest remainder over the arms given by share; counts are exact.
    std::vector<std::pair<double, std::size_t>> remainders;
    int assigned = 0;
    for (std::size_t a = 0; a < arms; ++a) {
        if (a < counts.size() && counts[a]) {
            sizes[a] = *counts[a];
        } else if (a < shares.size() && shares[a]) {
            const double exact = *shares[a] * patients;
            sizes[a] = static_cast<int>(std::floor(exact + 1e-9));
            remainders.emplace_back(exact - sizes[a], a);
        }
        assigned += sizes[a];
    }
    double share_total = 0.0;
    for (const auto& share : shares) share_total += share.value_or(0.0);
    const int share_target = static_cast<int>(std::llround(std::min(share_total, 1.0) * patients));
    int share_assigned = 0;
    for (const auto& [rest, a] : remainders) share_assigned += sizes[a];
    std::stable_sort(remainders.begin(), remainders.end(),
                     [](const auto& x, const auto& y) { return x.first > y.first; });
    for (std::size_t r = 0; r < remainders.size() && share_assigned < share_target; ++r) {
        ++sizes[remainders[r].second];
        ++share_assigned;
        ++assigned;
    }
    if (assigned > patients) {
        throw InputError(
            fmt::format("arms: expected at most {} patients in all arms (the population), found {}",
                        patients, assigned));
    }
    return sizes;
}

void assign_arms(World& world, const std::vector<int>& sizes, std::uint64_t seed,
                 std::uint64_t replicate) {
    std::vector<std::pair<std::uint64_t, AgentId>> order;
    for (std::size_t i = 0; i < world.agent_count(); ++i) {
        if (world.role[i] != Role::patient) continue;
        RandomStream draws(seed, replicate, kInitialisationWeek, i, Purpose::arm_assignment);
        order.emplace_back(static_cast<std::uint64_t>(draws.uniform() * 0x1.0p53),
                           static_cast<AgentId>(i));
        world.arm[i] = kNone;
    }
    std::sort(order.begin(), order.end());
    std::size_t next = 0;
    for (std::size_t a = 0; a < sizes.size(); ++a) {
        for (int c = 0; c < sizes[a] && next < order.size(); ++c) {
            world.arm[order[next++].second] = static_cast<int>(a);
        }
    }
}

}  // namespace kindred
