// The per-run evaluator: world → simulation → outcome measures at the outcome weeks (and
// weekly trajectories when asked), measured from the Simulation while it runs.
#include "sweep/evaluator.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <limits>
#include <stdexcept>

#include "analysis/effect_size.hpp"
#include "core/simulation.hpp"
#include "trial/trial.hpp"

namespace kindred::sweep {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

enum Field : std::size_t {
    kDistress,
    kEffectSize,
    kEffectSizeSe,
    kShareRecovered,
    kHelpReceived,
    kHelpGiven,
    kTiesPerPatient,
    kTrajectoryDistress,
    kTrajectoryRecovered,
    kTrajectoryHelpReceived,
    kTrajectoryHelpGiven,
};

double mean_of(const std::vector<double>& values, const std::vector<AgentId>& ids) {
    if (ids.empty()) return kNaN;
    double sum = 0.0;
    for (AgentId id : ids) sum += values[static_cast<std::size_t>(id)];
    return sum / static_cast<double>(ids.size());
}

double share_recovered(const World& world, const std::vector<AgentId>& ids, int week) {
    if (ids.empty()) return kNaN;
    int recovered = 0;
    for (AgentId id : ids) {
        const int since = world.recovered_week[static_cast<std::size_t>(id)];
        if (since != kNone && since <= week) ++recovered;
    }
    return static_cast<double>(recovered) / static_cast<double>(ids.size());
}

/// Writes the outcome measures of outcome week index `w` from the current state and flows.
void measure_outcomes(const Simulation& sim, const std::vector<std::vector<AgentId>>& patients,
                      int control_arm, const OutcomeLayout& layout, std::size_t w,
                      std::vector<double>& out) {
    const World& world = sim.world();
    const Flows& flows = sim.flows();
    const auto arms = static_cast<std::size_t>(layout.arms);
    const std::size_t weeks = layout.outcome_weeks.size();
    const int week = layout.outcome_weeks[w];
    const auto at = [&](Field field, std::size_t arm) -> double& {
        return out[layout.offsets[field] + arm * weeks + w];
    };

    std::vector<std::vector<double>> distress(arms);
    for (std::size_t a = 0; a < arms; ++a) {
        for (AgentId id : patients[a]) {
            distress[a].push_back(world.state.distress[static_cast<std::size_t>(id)]);
        }
        at(kDistress, a) = analysis::mean(distress[a]);
        at(kShareRecovered, a) = share_recovered(world, patients[a], week);
        at(kHelpReceived, a) = mean_of(flows.help_received, patients[a]);
        at(kHelpGiven, a) = mean_of(flows.help_given, patients[a]);
    }
    for (std::size_t a = 0; a < arms; ++a) {
        if (control_arm == kNone || static_cast<int>(a) == control_arm) {
            at(kEffectSize, a) = kNaN;
            at(kEffectSizeSe, a) = kNaN;
            continue;
        }
        const analysis::EffectSize effect =
            analysis::hedges_g(distress[a], distress[static_cast<std::size_t>(control_arm)]);
        at(kEffectSize, a) = effect.g;
        at(kEffectSizeSe, a) = effect.se;
    }

    // Ties by type incident to each arm's patients, each end counted for its own patient.
    std::vector<double> ties(arms * kTieTypeCount, 0.0);
    for (std::size_t e = 0; e < world.tie_count(); ++e) {
        const auto type = static_cast<std::size_t>(world.tie_type[e]);
        for (AgentId end : {world.tie_u[e], world.tie_v[e]}) {
            const auto i = static_cast<std::size_t>(end);
            if (world.role[i] != Role::patient || world.arm[i] == kNone) continue;
            ties[static_cast<std::size_t>(world.arm[i]) * kTieTypeCount + type] += 1.0;
        }
    }
    for (std::size_t a = 0; a < arms; ++a) {
        const auto n = static_cast<double>(patients[a].size());
        for (std::size_t t = 0; t < kTieTypeCount; ++t) {
            out[layout.offsets[kTiesPerPatient] + (a * weeks + w) * kTieTypeCount + t] =
                patients[a].empty() ? kNaN : ties[a * kTieTypeCount + t] / n;
        }
    }
}

void measure_trajectory(const Simulation& sim, const std::vector<std::vector<AgentId>>& patients,
                        const OutcomeLayout& layout, std::vector<double>& out) {
    const World& world = sim.world();
    const Flows& flows = sim.flows();
    const auto columns = static_cast<std::size_t>(layout.weeks) + 1;
    const auto week = static_cast<std::size_t>(sim.week());
    for (std::size_t a = 0; a < patients.size(); ++a) {
        const std::size_t cell = a * columns + week;
        out[layout.offsets[kTrajectoryDistress] + cell] =
            mean_of(world.state.distress, patients[a]);
        out[layout.offsets[kTrajectoryRecovered] + cell] =
            share_recovered(world, patients[a], sim.week());
        out[layout.offsets[kTrajectoryHelpReceived] + cell] =
            mean_of(flows.help_received, patients[a]);
        out[layout.offsets[kTrajectoryHelpGiven] + cell] = mean_of(flows.help_given, patients[a]);
    }
}

}  // namespace

OutcomeLayout OutcomeLayout::make(int arms, std::vector<int> outcome_weeks, int weeks,
                                  bool trajectories) {
    OutcomeLayout layout;
    layout.arms = arms;
    layout.outcome_weeks = std::move(outcome_weeks);
    layout.weeks = weeks;
    layout.trajectories = trajectories;
    const auto a = static_cast<std::size_t>(arms);
    const std::size_t w = layout.outcome_weeks.size();
    layout.fields = {
        {"distress", {a, w}, "mean distress of the arm's patients"},
        {"effect_size", {a, w}, "Hedges' g of distress versus the control arm (NaN for control)"},
        {"effect_size_se", {a, w}, "standard error of effect_size"},
        {"share_recovered", {a, w}, "share of the arm's patients recovered by the week"},
        {"help_received", {a, w}, "mean help received H of the arm's patients"},
        {"help_given", {a, w}, "mean help given G of the arm's patients"},
        {"ties_per_patient", {a, w, kTieTypeCount}, "ties by type per patient of the arm"},
    };
    if (trajectories) {
        const auto t = static_cast<std::size_t>(weeks) + 1;
        layout.fields.push_back({"trajectories/distress", {a, t}, "weekly mean distress"});
        layout.fields.push_back({"trajectories/share_recovered", {a, t}, "weekly share recovered"});
        layout.fields.push_back(
            {"trajectories/help_received", {a, t}, "weekly mean help received"});
        layout.fields.push_back({"trajectories/help_given", {a, t}, "weekly mean help given"});
    }
    for (std::size_t f = 0; f < layout.fields.size(); ++f) {
        layout.offsets.push_back(layout.size);
        layout.size += layout.field_size(f);
    }
    return layout;
}

std::size_t OutcomeLayout::field_size(std::size_t f) const {
    std::size_t n = 1;
    for (std::size_t extent : fields[f].shape) n *= extent;
    return n;
}

std::vector<double> evaluate_run(const ScenarioSpec& scenario, std::uint64_t stream,
                                 const OutcomeLayout& layout) {
    if (static_cast<int>(scenario.arms.size()) != layout.arms || scenario.weeks != layout.weeks) {
        throw std::invalid_argument(
            fmt::format("evaluate_run: scenario with {} arms and {} weeks, layout for {} and {}",
                        scenario.arms.size(), scenario.weeks, layout.arms, layout.weeks));
    }
    if (stream > static_cast<std::uint64_t>(std::numeric_limits<int>::max())) {
        throw std::invalid_argument(fmt::format("evaluate_run: stream {} too large", stream));
    }
    const int replicate = static_cast<int>(stream);
    Simulation sim(build_world(scenario, replicate),
                   replicate_run_spec(scenario, replicate, scenario_enrolments(scenario)));

    std::vector<std::vector<AgentId>> patients(static_cast<std::size_t>(layout.arms));
    const World& world = sim.world();
    for (std::size_t i = 0; i < world.agent_count(); ++i) {
        if (world.role[i] == Role::patient && world.arm[i] != kNone) {
            patients[static_cast<std::size_t>(world.arm[i])].push_back(static_cast<AgentId>(i));
        }
    }

    std::vector<double> out(layout.size, kNaN);
    std::size_t next_outcome = 0;
    for (int week = 0;; ++week) {
        sim.begin_week();
        if (layout.trajectories) measure_trajectory(sim, patients, layout, out);
        while (next_outcome < layout.outcome_weeks.size() &&
               layout.outcome_weeks[next_outcome] == week) {
            measure_outcomes(sim, patients, scenario.control_arm, layout, next_outcome, out);
            ++next_outcome;
        }
        if (week == scenario.weeks) break;
        sim.finish_week();
        check_finite_state(scenario, sim.world(), week + 1);
    }
    return out;
}

}  // namespace kindred::sweep
