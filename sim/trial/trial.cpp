// The trial runner: scenario → worlds → simulation → recorder → HDF5, plus the summary.
#include "trial/trial.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <cmath>

#include "network/population.hpp"
#include "output/hdf5_writer.hpp"

#ifndef KINDRED_VERSION
#define KINDRED_VERSION "unknown"
#endif

namespace kindred {

std::string kindred_version() { return KINDRED_VERSION; }

std::vector<Enrolment> scenario_enrolments(const ScenarioSpec& scenario) {
    std::vector<Enrolment> enrolments;
    for (std::size_t a = 0; a < scenario.arms.size(); ++a) {
        for (const ProgramSpec& program : scenario.arms[a].programs) {
            Enrolment enrolment;
            enrolment.arm = static_cast<int>(a);
            enrolment.program = program;
            enrolment.start_week = program.start_week;
            // An enrolment ending after week T never ends within the run: clamp (no overflow).
            enrolment.end_week = static_cast<int>(
                std::min<std::int64_t>(std::int64_t{program.start_week} + program.duration_weeks,
                                       std::int64_t{scenario.weeks} + 1));
            enrolments.push_back(std::move(enrolment));
        }
    }
    return enrolments;
}

World build_world(const ScenarioSpec& scenario, int replicate) {
    std::vector<std::string> arm_names;
    for (const ArmSpec& arm : scenario.arms) arm_names.push_back(arm.name);
    const auto rep = static_cast<std::uint64_t>(replicate);
    if (scenario.population.kind == PopulationSpec::Kind::csv) {
        return load_csv_population(scenario.population.agents_csv, scenario.population.ties_csv,
                                   arm_names);
    }
    World world = build_ego_network(scenario.population.ego, scenario.seed, rep);
    std::vector<std::optional<double>> shares;
    std::vector<std::optional<int>> counts;
    for (const ArmSpec& arm : scenario.arms) {
        shares.push_back(arm.share);
        counts.push_back(arm.count);
    }
    assign_arms(world, arm_sizes(scenario.population.ego.patients, shares, counts), scenario.seed,
                rep);
    return world;
}

void check_population(const ScenarioSpec& scenario) {
    if (scenario.population.kind == PopulationSpec::Kind::csv) build_world(scenario, 0);
}

std::filesystem::path output_path(const ScenarioSpec& scenario,
                                  const std::filesystem::path& option) {
    if (!option.empty()) return option;
    if (!scenario.output.path.empty()) return scenario.output.path;
    return std::filesystem::path("results") / (scenario.name + ".h5");
}

namespace {

/// Distress of each arm's patients at the summary weeks, pooled over replicates.
struct ArmSamples {
    std::vector<double> start, mid, end;
    std::vector<double> individual_mid, individual_end;  ///< paired counterfactual effects
    int recovered = 0;
    int patients_total = 0;
};

/// Individual effects (with − without) of each arm's patients at the middle and last week.
void collect_individual_effects(std::vector<ArmSamples>& samples, const CounterfactualTable& table,
                                int mid_week, int end_week) {
    const std::size_t p = table.patient.size();
    for (std::size_t row = 0; row < table.weeks.size(); ++row) {
        const int week = table.weeks[row];
        if (week != mid_week && week != end_week) continue;
        for (std::size_t k = 0; k < p; ++k) {
            const double effect =
                table.distress_with[row * p + k] - table.distress_without[row * p + k];
            ArmSamples& arm = samples[table.arm[k]];
            if (week == mid_week) arm.individual_mid.push_back(effect);
            if (week == end_week) arm.individual_end.push_back(effect);
        }
    }
}

void collect(std::vector<ArmSamples>& samples, const World& world,
             std::vector<double> ArmSamples::*which) {
    for (std::size_t i = 0; i < world.agent_count(); ++i) {
        if (world.role[i] == Role::patient && world.arm[i] != kNone) {
            (samples[world.arm[i]].*which).push_back(world.state.distress[i]);
        }
    }
}

}  // namespace

IndividualEffects describe_effects(std::vector<double> effects) {
    IndividualEffects out;
    out.available = true;
    out.mean = analysis::mean(effects);
    out.sd = analysis::sample_sd(effects);
    if (!effects.empty()) {
        std::sort(effects.begin(), effects.end());
        const auto quantile = [&](double q) {
            const double position = q * static_cast<double>(effects.size() - 1);
            const auto below = static_cast<std::size_t>(position);
            const std::size_t above = std::min(below + 1, effects.size() - 1);
            return effects[below] +
                   (position - static_cast<double>(below)) * (effects[above] - effects[below]);
        };
        out.q25 = quantile(0.25);
        out.median = quantile(0.5);
        out.q75 = quantile(0.75);
        out.share_improved = static_cast<double>(std::count_if(effects.begin(), effects.end(),
                                                               [](double e) { return e < 0.0; })) /
                             static_cast<double>(effects.size());
    }
    return out;
}

TrialResult run_trial(const ScenarioSpec& scenario, const TrialOptions& options) {
    const auto started = std::chrono::steady_clock::now();
    TrialResult result;
    result.output = output_path(scenario, options.output);
    result.weeks = scenario.weeks;
    result.mid_week = std::min(52, scenario.weeks);

    const std::vector<Enrolment> enrolments = scenario_enrolments(scenario);
    Provenance provenance;
    provenance.kindred_version = kindred_version();
    provenance.scenario_name = scenario.name;
    provenance.scenario_path = scenario.source_path.string();
    provenance.scenario_text = scenario.source_text;
    provenance.overrides = scenario.overrides;
    provenance.seed = scenario.seed;
    provenance.weeks = scenario.weeks;
    provenance.replicates = scenario.replicates;
    provenance.params = scenario.params;
    provenance.control_arm = scenario.control_arm;
    for (const ArmSpec& arm : scenario.arms) provenance.arm_names.push_back(arm.name);
    for (const Enrolment& e : enrolments) {
        provenance.enrolments.push_back({e.arm, e.program.name, e.start_week, e.end_week});
    }
    RecordingOptions recording;
    recording.trajectories = scenario.output.trajectories.enabled;
    recording.every_weeks = scenario.output.trajectories.every_weeks;
    recording.agent_fraction = scenario.output.trajectories.agent_fraction;
    recording.roles = scenario.output.trajectories.roles;
    recording.tie_snapshot_weeks = scenario.output.tie_snapshot_weeks;
    recording.compression_level = scenario.output.compression_level;

    // The first world is built before the output file is created, so that bad input (a CSV
    // population) fails before anything is written.
    World first_world = build_world(scenario, 0);
    Hdf5TrialWriter writer(result.output, provenance, recording);
    std::vector<ArmSamples> samples(scenario.arms.size());
    for (int replicate = 0; replicate < scenario.replicates; ++replicate) {
        RunSpec spec;
        spec.params = scenario.params;
        spec.mechanisms = scenario.mechanisms;
        spec.seed = scenario.seed;
        spec.replicate = static_cast<std::uint64_t>(replicate);
        spec.weeks = scenario.weeks;
        spec.enrolments = enrolments;
        World world0 = replicate == 0 ? std::move(first_world) : build_world(scenario, replicate);
        // The paired counterfactual: the same world and random numbers, no program at all.
        std::optional<Simulation> without;
        if (scenario.counterfactual) {
            RunSpec bare = spec;
            bare.enrolments.clear();
            without.emplace(world0, std::move(bare));
        }
        Simulation sim(std::move(world0), std::move(spec));
        CounterfactualTable table;
        if (without) {
            for (std::size_t i = 0; i < sim.world().agent_count(); ++i) {
                if (sim.world().role[i] != Role::patient || sim.world().arm[i] == kNone) continue;
                table.patient.push_back(static_cast<std::int32_t>(i));
                table.arm.push_back(sim.world().arm[i]);
            }
        }
        ReplicateRecorder recorder = writer.begin_replicate(replicate, scenario.seed);
        for (int week = 0;; ++week) {
            sim.begin_week();
            recorder.record(sim);
            if (without) {
                without->begin_week();
                table.weeks.push_back(week);
                for (const std::int32_t i : table.patient) {
                    table.distress_with.push_back(sim.world().state.distress[i]);
                    table.distress_without.push_back(without->world().state.distress[i]);
                }
                if (week < scenario.weeks) without->finish_week();
            }
            if (week == 0) collect(samples, sim.world(), &ArmSamples::start);
            if (week == result.mid_week) collect(samples, sim.world(), &ArmSamples::mid);
            if (options.progress) options.progress(replicate, week, scenario.weeks);
            if (week == scenario.weeks) break;
            sim.finish_week();
        }
        collect(samples, sim.world(), &ArmSamples::end);
        const World& world = sim.world();
        for (std::size_t i = 0; i < world.agent_count(); ++i) {
            if (world.role[i] != Role::patient || world.arm[i] == kNone) continue;
            ++samples[world.arm[i]].patients_total;
            if (world.recovered_week[i] != kNone) ++samples[world.arm[i]].recovered;
        }
        if (without) {
            recorder.write_counterfactual(table);
            collect_individual_effects(samples, table, result.mid_week, scenario.weeks);
        }
        recorder.finish();
    }
    writer.finish();

    for (std::size_t a = 0; a < scenario.arms.size(); ++a) {
        const ArmSamples& s = samples[a];
        ArmSummary row;
        row.name = scenario.arms[a].name;
        row.control = static_cast<int>(a) == scenario.control_arm;
        row.replicates = scenario.replicates;
        row.patients = s.patients_total / std::max(1, scenario.replicates);
        row.mean_distress_start = analysis::mean(s.start);
        row.mean_distress_mid = analysis::mean(s.mid);
        row.mean_distress_end = analysis::mean(s.end);
        if (scenario.counterfactual) {
            row.individual_mid = describe_effects(s.individual_mid);
            row.individual_end = describe_effects(s.individual_end);
        }
        row.share_recovered = s.patients_total > 0
                                  ? static_cast<double>(s.recovered) / s.patients_total
                                  : std::nan("");
        if (scenario.control_arm != kNone && !row.control) {
            const ArmSamples& c = samples[scenario.control_arm];
            row.effect_mid = analysis::hedges_g(s.mid, c.mid);
            row.effect_end = analysis::hedges_g(s.end, c.end);
        } else {
            row.effect_mid =
                row.effect_end = {std::nan(""), std::nan(""), std::nan(""), std::nan("")};
        }
        result.arms.push_back(row);
    }
    result.seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    return result;
}

std::string format_summary(const TrialResult& result) {
    const auto number = [](double x) {
        return std::isnan(x) ? std::string("-") : fmt::format("{:.3f}", x);
    };
    const auto effect = [](const analysis::EffectSize& e) {
        if (std::isnan(e.g)) return std::string("-");
        return fmt::format("{:+.2f} [{:+.2f}, {:+.2f}]", e.g, e.ci_low, e.ci_high);
    };
    // The week-52 columns only when the run is longer than 52 weeks.
    const bool show_mid = result.mid_week < result.weeks;
    std::vector<std::vector<std::string>> rows;
    std::vector<std::string> header = {"arm", "n", "d@0"};
    if (show_mid) header.push_back(fmt::format("d@{}", result.mid_week));
    header.push_back(fmt::format("d@{}", result.weeks));
    header.push_back("recovered");
    if (show_mid) header.push_back(fmt::format("g@{} [95% CI]", result.mid_week));
    header.push_back(fmt::format("g@{} [95% CI]", result.weeks));
    rows.push_back(header);
    for (const ArmSummary& arm : result.arms) {
        std::vector<std::string> row = {arm.control ? arm.name + " *" : arm.name,
                                        std::to_string(arm.patients),
                                        number(arm.mean_distress_start)};
        if (show_mid) row.push_back(number(arm.mean_distress_mid));
        row.push_back(number(arm.mean_distress_end));
        row.push_back(std::isnan(arm.share_recovered)
                          ? std::string("-")
                          : fmt::format("{:.1f}%", 100.0 * arm.share_recovered));
        if (show_mid) row.push_back(effect(arm.effect_mid));
        row.push_back(effect(arm.effect_end));
        rows.push_back(std::move(row));
    }
    // Column widths; the arm name and the effect columns are left-aligned, numbers right.
    std::vector<std::size_t> width(header.size(), 0);
    for (const auto& row : rows) {
        for (std::size_t c = 0; c < row.size(); ++c) width[c] = std::max(width[c], row[c].size());
    }
    std::string out;
    for (const auto& row : rows) {
        std::string line;
        for (std::size_t c = 0; c < row.size(); ++c) {
            const bool left = c == 0 || row.size() - c <= (show_mid ? 2u : 1u);
            if (c > 0) line += "  ";
            line += left ? fmt::format("{:<{}}", row[c], width[c])
                         : fmt::format("{:>{}}", row[c], width[c]);
        }
        line.erase(line.find_last_not_of(' ') + 1);
        out += line + "\n";
    }
    const int replicates = result.arms.empty() ? 0 : result.arms.front().replicates;
    out += fmt::format(
        "* control arm. d@w: mean distress of the arm's patients at week w{}. g: Hedges' g of "
        "distress versus control (negative = less distress).\n",
        replicates > 1 ? fmt::format(", pooled over {} replicates", replicates) : "");
    if (!result.arms.empty() && result.arms.front().individual_end.available) {
        out += fmt::format(
            "\nIndividual effects (paired counterfactual: same world and random numbers without "
            "any program; distress with − without)\n");
        const auto stats = [](const IndividualEffects& e) {
            return fmt::format(
                "{:+.3f} (sd {:.3f}; quartiles {:+.3f} {:+.3f} {:+.3f}; "
                "{:.0f}% improved)",
                e.mean, e.sd, e.q25, e.median, e.q75, 100.0 * e.share_improved);
        };
        for (const ArmSummary& arm : result.arms) {
            if (show_mid) {
                out += fmt::format("  {} week {}: {}\n", arm.name, result.mid_week,
                                   stats(arm.individual_mid));
            }
            out += fmt::format("  {} week {}: {}\n", arm.name, result.weeks,
                               stats(arm.individual_end));
        }
    }
    out += fmt::format("Results: {} ({:.1f} s)\n", result.output.string(), result.seconds);
    return out;
}

}  // namespace kindred
