// Recorded variables, summary statistics, per-arm aggregates and the trajectory subsample.
#include "output/recorder.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <stdexcept>

#include "core/rng.hpp"

namespace kindred {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

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

double quantile(std::span<double> values, double p) {
    if (values.empty()) return kNaN;
    const double index = static_cast<double>(values.size() - 1) * p;
    const double below = std::floor(index);
    const auto lower = static_cast<std::size_t>(below);
    const double fraction = index - below;
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
    summary.q25 = quantile(values, 0.25);
    summary.median = quantile(values, 0.5);
    summary.q75 = quantile(values, 0.75);
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
    for (std::size_t e = 0; e < world.tie_count(); ++e) {
        const auto type = static_cast<std::size_t>(world.tie_type[e]);
        for (AgentId end : {world.tie_u[e], world.tie_v[e]}) {
            if (world.role[end] != Role::patient) continue;
            const int arm = world.arm[end];
            if (arm != kNone) {
                tie_count[static_cast<std::size_t>(arm)][type] += 1.0;
                tie_weight[static_cast<std::size_t>(arm)][type] += world.tie_w[e];
            }
            tie_count[all][type] += 1.0;
            tie_weight[all][type] += world.tie_w[e];
        }
    }

    std::vector<double> scratch;
    for (std::size_t g = 0; g < groups; ++g) {
        PatientAggregates& group = result[g];
        const auto& ids = members[g];
        group.n_patients = static_cast<int>(ids.size());
        const double count = static_cast<double>(ids.size());
        for (int v = 0; v < kVariableCount; ++v) {
            const auto values = variable_values(static_cast<Variable>(v), world, flows);
            scratch.clear();
            for (AgentId id : ids) scratch.push_back(values[static_cast<std::size_t>(id)]);
            group.variables[static_cast<std::size_t>(v)] = summarise(scratch);
        }
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
