// Recorded variables, summary statistics, per-arm aggregates and the trajectory subsample.
#include "output/recorder.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstdint>
#include <limits>
#include <stdexcept>

#include "core/parallel.hpp"
#include "core/rng.hpp"

namespace kindred {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
constexpr std::uint64_t kNegativeZero = std::uint64_t{1} << 63;

constexpr std::array<std::string_view, kVariableCount> kVariableNames = {
    "distress",   "agency",        "knowledge",  "strengths",
    "recreation", "help_received", "help_given", "strain"};

/// numpy's _lerp: a + (b−a)·t, computed from b for t ≥ 0.5 so that t = 1 gives b exactly.
double lerp(double a, double b, double t) {
    const double difference = b - a;
    return t >= 0.5 ? b - difference * (1.0 - t) : a + difference * t;
}

}  // namespace

std::string_view to_string(Variable variable) {
    return kVariableNames[static_cast<std::size_t>(variable)];
}

std::span<const double> variable_values(Variable variable, const World& world, const Flows& flows) {
    switch (variable) {
        case Variable::distress:
            return world.state.distress;
        case Variable::agency:
            return world.state.agency;
        case Variable::knowledge:
            return world.state.knowledge;
        case Variable::strengths:
            return world.state.strengths;
        case Variable::recreation:
            return world.state.recreation;
        case Variable::help_received:
            return flows.help_received;
        case Variable::help_given:
            return flows.help_given;
        case Variable::strain:
            return flows.strain;
    }
    throw std::invalid_argument("variable_values: unknown variable");
}

void validate(const RecordingOptions& options, int weeks) {
    if (options.every_weeks < 1) {
        throw InputError(
            fmt::format("output.trajectories.every_weeks: expected an integer ≥ 1, found {}",
                        options.every_weeks));
    }
    if (!(options.agent_fraction >= 0.0 && options.agent_fraction <= 1.0)) {
        throw InputError(
            fmt::format("output.trajectories.agent_fraction: expected a number in [0, 1], found {}",
                        options.agent_fraction));
    }
    for (int week : options.tie_snapshot_weeks) {
        if (week < 0 || week > weeks) {
            throw InputError(fmt::format(
                "output.tie_snapshot_weeks: expected weeks in 0 … {} (the run's weeks), found {}",
                weeks, week));
        }
    }
    if (options.compression_level < 0 || options.compression_level > 9) {
        throw InputError(
            fmt::format("output.compression_level: expected an integer in 0 … 9, found {}",
                        options.compression_level));
    }
}

bool is_trajectory_week(int week, int weeks, int every_weeks) {
    return week == weeks || (week >= 0 && week < weeks && week % every_weeks == 0);
}

std::vector<int> trajectory_weeks(int weeks, int every_weeks) {
    std::vector<int> result;
    for (int week = 0; week <= weeks; ++week) {
        if (is_trajectory_week(week, weeks, every_weeks)) result.push_back(week);
    }
    return result;
}

bool in_trajectory_sample(AgentId id, Role role, std::uint64_t seed, std::uint64_t replicate,
                          const RecordingOptions& options) {
    if (!options.roles.empty() &&
        std::find(options.roles.begin(), options.roles.end(), role) == options.roles.end()) {
        return false;
    }
    if (options.agent_fraction >= 1.0) return true;
    RandomStream stream(seed, replicate, 0, static_cast<std::uint64_t>(id),
                        Purpose::trajectory_sample);
    return stream.uniform() < options.agent_fraction;
}

namespace {

/// Where quantile p of a sorted sample of n > 0 values lies: the lower order statistic and the
/// interpolation fraction towards the next one.
struct QuantilePosition {
    std::size_t lower;
    double fraction;
};
QuantilePosition quantile_position(std::size_t n, double p) {
    const double index = static_cast<double>(n - 1) * p;
    const double below = std::floor(index);
    return {static_cast<std::size_t>(below), index - below};
}

/// A key that orders doubles as `<` does, for values that are neither NaN nor −0.0 (the two
/// cases where bits and order part ways: NaN is unordered, −0.0 == +0.0).
std::uint64_t order_key(double value) {
    const auto bits = std::bit_cast<std::uint64_t>(value);
    return (bits >> 63) != 0 ? ~bits : bits | kNegativeZero;
}

/// Below this size three selections are as cheap as the histogram's passes.
constexpr std::size_t kHistogramMinimum = 256;

}  // namespace

double quantile(std::span<double> values, double p) {
    if (values.empty()) return kNaN;
    const auto [lower, fraction] = quantile_position(values.size(), p);
    std::nth_element(values.begin(), values.begin() + static_cast<std::ptrdiff_t>(lower),
                     values.end());
    const double low = values[lower];
    if (lower + 1 >= values.size()) return low;
    // After nth_element every value right of `lower` is ≥ low; the next order statistic is
    // their minimum.
    const double high =
        *std::min_element(values.begin() + static_cast<std::ptrdiff_t>(lower) + 1, values.end());
    return lerp(low, high, fraction);
}

Quartiles quartiles(std::span<double> values) {
    constexpr std::array<double, 3> kProbabilities = {0.25, 0.5, 0.75};
    const std::size_t n = values.size();
    const auto by_selection = [&] {
        return Quartiles{quantile(values, kProbabilities[0]), quantile(values, kProbabilities[1]),
                         quantile(values, kProbabilities[2])};
    };
    if (n < kHistogramMinimum) return by_selection();

    // Pass 1: the range of the keys. With a NaN or a −0.0 in the sample the order statistics
    // are left to std::nth_element, whose choice among values that compare equal is its own.
    std::uint64_t low_key = ~std::uint64_t{0}, high_key = 0;
    bool unordered = false;
    for (const double value : values) {
        unordered |= std::isnan(value) || std::bit_cast<std::uint64_t>(value) == kNegativeZero;
        const std::uint64_t key = order_key(value);
        low_key = std::min(low_key, key);
        high_key = std::max(high_key, key);
    }
    if (unordered) return by_selection();

    // Pass 2: a histogram of the keys in at most `buckets` equal spans of their range.
    const std::size_t buckets = std::clamp<std::size_t>(std::bit_ceil(n / 2), 256, 65536);
    int shift = 0;
    while (((high_key - low_key) >> shift) >= buckets) ++shift;
    const auto bucket_of_value = [&](double value) {
        return static_cast<std::size_t>((order_key(value) - low_key) >> shift);
    };
    std::vector<std::uint32_t> count(buckets, 0);
    for (const double value : values) ++count[bucket_of_value(value)];

    // The order statistics the quartiles need, each lower one and the one above it (ascending:
    // n ≥ 256 keeps the quartiles' positions more than one apart), and the bucket holding each:
    // rank r lies in bucket b when start(b) ≤ r < start(b) + count[b].
    constexpr std::size_t kMaxRanks = 2 * kProbabilities.size();
    std::array<std::size_t, kMaxRanks> rank{}, bucket{}, start{};
    std::size_t ranks = 0;
    for (const double p : kProbabilities) {
        const std::size_t lower = quantile_position(n, p).lower;
        rank[ranks++] = lower;
        if (lower + 1 < n) rank[ranks++] = lower + 1;
    }
    for (std::size_t r = 0, b = 0, first = 0; r < ranks; ++r) {
        while (first + count[b] <= rank[r]) first += count[b++];
        bucket[r] = b;
        start[r] = first;
    }

    // Pass 3: the values of those buckets (at most six distinct, usually three), then an exact
    // selection within each. Equal keys are equal bits, so each order statistic is the value
    // std::nth_element finds.
    std::array<std::size_t, kMaxRanks> pool_of{}, pool_bucket{};
    std::array<std::vector<double>, kMaxRanks> pool;
    std::size_t pools = 0;
    for (std::size_t r = 0; r < ranks; ++r) {
        std::size_t k = 0;
        while (k < pools && pool_bucket[k] != bucket[r]) ++k;
        if (k == pools) {
            pool_bucket[pools] = bucket[r];
            pool[pools++].reserve(count[bucket[r]]);
        }
        pool_of[r] = k;
    }
    std::vector<std::uint32_t>& pool_at = count;  // reused: the counts are no longer needed
    constexpr std::uint32_t kNoPool = ~std::uint32_t{0};
    std::fill(pool_at.begin(), pool_at.end(), kNoPool);
    for (std::size_t k = 0; k < pools; ++k) pool_at[pool_bucket[k]] = static_cast<std::uint32_t>(k);
    for (const double value : values) {
        const std::uint32_t k = pool_at[bucket_of_value(value)];
        if (k != kNoPool) pool[k].push_back(value);
    }
    std::array<double, kMaxRanks> statistic{};
    for (std::size_t r = 0; r < ranks; ++r) {
        std::vector<double>& members = pool[pool_of[r]];
        const auto offset = static_cast<std::ptrdiff_t>(rank[r] - start[r]);
        std::nth_element(members.begin(), members.begin() + offset, members.end());
        statistic[r] = members[static_cast<std::size_t>(offset)];
    }

    std::array<double, kProbabilities.size()> result{};
    for (std::size_t q = 0, r = 0; q < kProbabilities.size(); ++q) {
        const auto [lower, fraction] = quantile_position(n, kProbabilities[q]);
        const double low = statistic[r++];
        result[q] = lower + 1 >= n ? low : lerp(low, statistic[r++], fraction);
    }
    return Quartiles{result[0], result[1], result[2]};
}

Summary summarise(std::span<double> values) {
    Summary summary{kNaN, kNaN, kNaN, kNaN, kNaN};
    const std::size_t n = values.size();
    if (n == 0) return summary;
    double sum = 0.0;
    for (double value : values) sum += value;
    summary.mean = sum / static_cast<double>(n);
    if (n > 1) {
        double squares = 0.0;
        for (double value : values) {
            const double deviation = value - summary.mean;
            squares += deviation * deviation;
        }
        summary.sd = std::sqrt(squares / static_cast<double>(n - 1));
    }
    const Quartiles q = quartiles(values);
    summary.q25 = q.q25;
    summary.median = q.median;
    summary.q75 = q.q75;
    return summary;
}

std::vector<PatientAggregates> aggregate_patients(int week, const World& world, const Flows& flows,
                                                  int arm_count) {
    const std::size_t n = world.agent_count();
    if (flows.help_received.size() != n || flows.help_given.size() != n ||
        flows.strain.size() != n) {
        throw std::invalid_argument(fmt::format(
            "aggregate_patients: flows hold {} values, the world has {} agents (compute the "
            "week's flows before recording it)",
            flows.help_received.size(), n));
    }
    const auto groups = static_cast<std::size_t>(arm_count) + 1;
    const std::size_t all = groups - 1;

    std::vector<std::vector<AgentId>> members(groups);
    for (std::size_t i = 0; i < n; ++i) {
        if (world.role[i] != Role::patient) continue;
        const int arm = world.arm[i];
        if (arm != kNone && (arm < 0 || arm >= arm_count)) {
            throw std::invalid_argument(
                fmt::format("aggregate_patients: patient {} is in arm {}, expected 0 … {} or none",
                            i, arm, arm_count - 1));
        }
        if (arm != kNone) members[static_cast<std::size_t>(arm)].push_back(static_cast<AgentId>(i));
        members[all].push_back(static_cast<AgentId>(i));
    }

    std::vector<PatientAggregates> result(groups);
    std::vector<std::array<double, kTieTypeCount>> tie_count(groups), tie_weight(groups);
    // Every tie end that is a patient counts for its arm and for all patients, in tie order.
    // Each agent's group is looked up in one small array (a byte per agent for up to 126
    // arms): an arm, kInNoArm for a patient in no arm, kNotPatient for everyone else.
    const auto count_ties = [&]<typename Group>(Group) {
        constexpr Group kNotPatient = -2, kInNoArm = -1;
        static_assert(kNone == kInNoArm);
        std::vector<Group> group_of(n, kNotPatient);
        for (std::size_t i = 0; i < n; ++i) {
            if (world.role[i] == Role::patient) group_of[i] = static_cast<Group>(world.arm[i]);
        }
        // A block of ties at a time: first, without branches, the ties with a patient at an
        // end (most have none), then those in order.
        constexpr std::size_t kBlock = 4096;
        std::array<std::uint32_t, kBlock> with_patient;
        const std::size_t m = world.tie_count();
        for (std::size_t first = 0; first < m; first += kBlock) {
            const std::size_t last = std::min(m, first + kBlock);
            std::size_t found = 0;
            for (std::size_t e = first; e < last; ++e) {
                with_patient[found] = static_cast<std::uint32_t>(e - first);
                found += static_cast<std::size_t>(
                    (group_of[static_cast<std::size_t>(world.tie_u[e])] != kNotPatient) |
                    (group_of[static_cast<std::size_t>(world.tie_v[e])] != kNotPatient));
            }
            for (std::size_t j = 0; j < found; ++j) {
                const std::size_t e = first + with_patient[j];
                const auto type = static_cast<std::size_t>(world.tie_type[e]);
                const double w = world.tie_w[e];
                for (const AgentId end : {world.tie_u[e], world.tie_v[e]}) {
                    const Group group = group_of[static_cast<std::size_t>(end)];
                    if (group == kNotPatient) continue;
                    if (group != kInNoArm) {
                        tie_count[static_cast<std::size_t>(group)][type] += 1.0;
                        tie_weight[static_cast<std::size_t>(group)][type] += w;
                    }
                    tie_count[all][type] += 1.0;
                    tie_weight[all][type] += w;
                }
            }
        }
    };

    // The tie counts and the summaries of each variable are independent: one task each (the
    // counts first, the longest). A variable's task reads the variable of every patient once
    // (at scattered ids), then deals the values out to the arms in id order, so that every
    // group summarises the same values in the same order as when read one group at a time.
    parallel_for_each_index(
        kVariableCount + 1,
        [&](std::size_t task) {
            if (task == 0) {
                if (arm_count <= std::numeric_limits<std::int8_t>::max() - 1) {
                    count_ties(std::int8_t{});
                } else {
                    count_ties(int{});
                }
                return;
            }
            const std::size_t v = task - 1;
            const auto values = variable_values(static_cast<Variable>(v), world, flows);
            std::vector<double> of_all;
            of_all.reserve(members[all].size());
            for (AgentId id : members[all]) of_all.push_back(values[static_cast<std::size_t>(id)]);
            std::vector<std::vector<double>> of_arm(all);
            for (std::size_t g = 0; g < all; ++g) of_arm[g].reserve(members[g].size());
            for (std::size_t j = 0; j < of_all.size(); ++j) {
                const int arm = world.arm[static_cast<std::size_t>(members[all][j])];
                if (arm != kNone) of_arm[static_cast<std::size_t>(arm)].push_back(of_all[j]);
            }
            for (std::size_t g = 0; g < all; ++g) result[g].variables[v] = summarise(of_arm[g]);
            result[all].variables[v] = summarise(of_all);
        },
        // Few patients: all in one task, as the threads would cost more than they save.
        members[all].size() < 4096 ? kVariableCount + 1 : 1);
    for (std::size_t g = 0; g < groups; ++g) {
        PatientAggregates& group = result[g];
        const auto& ids = members[g];
        group.n_patients = static_cast<int>(ids.size());
        const double count = static_cast<double>(ids.size());
        for (std::size_t t = 0; t < kTieTypeCount; ++t) {
            group.ties_per_patient[t] = ids.empty() ? kNaN : tie_count[g][t] / count;
            group.mean_tie_strength[t] =
                tie_count[g][t] > 0.0 ? tie_weight[g][t] / tie_count[g][t] : kNaN;
        }
        int recovered = 0;
        for (AgentId id : ids) {
            const int since = world.recovered_week[static_cast<std::size_t>(id)];
            if (since != kNone && since <= week) ++recovered;
        }
        group.share_recovered = ids.empty() ? kNaN : static_cast<double>(recovered) / count;
    }
    return result;
}

}  // namespace kindred
