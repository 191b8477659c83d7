// The trial runner: scenario → worlds → simulation → recorder → HDF5, plus the summary.
#include "trial/trial.hpp"

#include <fmt/format.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <fstream>
#include <map>
#include <set>

#include "config/yaml_util.hpp"
#include "network/graph_models.hpp"
#include "network/population.hpp"
#include "output/hdf5_writer.hpp"
#include "output/trial_reader.hpp"
#include "trial/interrupt.hpp"
#include "trial/limits.hpp"

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
    World world = scenario.population.kind == PopulationSpec::Kind::community
                      ? build_community(scenario.population.community, scenario.seed, rep)
                      : build_ego_network(scenario.population.ego, scenario.seed, rep);
    // Arms are randomised among the patients alike for both generators.
    std::vector<std::optional<double>> shares;
    std::vector<std::optional<int>> counts;
    for (const ArmSpec& arm : scenario.arms) {
        shares.push_back(arm.share);
        counts.push_back(arm.count);
    }
    assign_arms(world, arm_sizes(scenario.population.patients(), shares, counts), scenario.seed,
                rep);
    return world;
}

void check_finite_state(const ScenarioSpec& scenario, const World& world, int week) {
    const std::vector<double>& distress = world.state.distress;
    bool any_nan = false;
    for (const double d : distress) any_nan |= std::isnan(d);
    if (!any_nan) return;
    const auto agent =
        std::find_if(distress.begin(), distress.end(), [](double d) { return std::isnan(d); }) -
        distress.begin();
    std::string changed;
    const Parameters defaults;
    for (const ParameterInfo& info : parameter_table()) {
        const double value = info.get(scenario.params);
        if (value != info.get(defaults)) {
            changed += fmt::format("{}{} = {}", changed.empty() ? "" : ", ", info.name, value);
        }
    }
    throw InputError(fmt::format(
        "{}: expected parameter values that keep the model's state finite, found distress NaN "
        "(agent {}) after week {}: a product of the parameters overflowed ({})",
        scenario.source_path.string(), agent, week,
        changed.empty() ? "all parameters at their defaults"
                        : "set away from their defaults: " + changed));
}

void check_population(const ScenarioSpec& scenario) {
    if (scenario.population.kind == PopulationSpec::Kind::csv) build_world(scenario, 0);
    const CommunityParams& community = scenario.population.community;
    if (scenario.population.kind == PopulationSpec::Kind::community &&
        community.model == NetworkModel::configuration &&
        community.degree_distribution == DegreeDistribution::file) {
        read_degree_file(community.degrees_file, static_cast<std::size_t>(community.agents));
    }
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

RunSpec replicate_run_spec(const ScenarioSpec& scenario, int replicate,
                           std::vector<Enrolment> enrolments) {
    RunSpec spec;
    spec.params = scenario.params;
    spec.mechanisms = scenario.mechanisms;
    spec.seed = scenario.seed;
    spec.replicate = static_cast<std::uint64_t>(replicate);
    spec.weeks = scenario.weeks;
    spec.enrolments = std::move(enrolments);
    return spec;
}

std::string model_digest(const std::string& source) {
    std::ifstream in(source, std::ios::binary);
    if (!in) return {};
    std::uint64_t hash = 0xcbf29ce484222325ull;
    char c = 0;
    while (in.get(c)) {
        hash ^= static_cast<unsigned char>(c);
        hash *= 0x100000001b3ull;
    }
    return fmt::format("{:016x}", hash);
}

namespace {

std::string join_lines(const std::vector<std::string>& lines) {
    std::string joined;
    for (std::size_t i = 0; i < lines.size(); ++i) joined += (i > 0 ? "\n" : "") + lines[i];
    return joined;
}

/// "0–2, 5" for {0, 1, 2, 5}.
std::string describe_replicates(const std::set<int>& replicates) {
    std::string text;
    for (auto it = replicates.begin(); it != replicates.end();) {
        const int first = *it;
        int last = first;
        while (++it != replicates.end() && *it == last + 1) ++last;
        text +=
            (text.empty() ? "" : ", ") +
            (last == first ? std::to_string(first)
                           : fmt::format("{}{}{}", first, last == first + 1 ? ", " : "–", last));
    }
    return text.empty() ? "none" : text;
}

/// Throws InputError unless the trial file at `path` (its header) holds the trial that
/// `provenance` describes: the one difference found first is named.
void check_same_trial(const TrialHeader& stored, const Provenance& planned,
                      const std::filesystem::path& path) {
    std::string difference;
    if (stored.scenario_text != planned.scenario_text) {
        difference = "the scenario text differs";
    } else if (stored.overrides != join_lines(planned.overrides)) {
        std::string shown = stored.overrides.empty() ? "none" : stored.overrides;
        std::replace(shown.begin(), shown.end(), '\n', ' ');
        difference = fmt::format("other --set options (the file's: {})", shown);
    } else if (stored.kindred_version != planned.kindred_version) {
        difference = fmt::format("written by Kindred {}, this is {}", stored.kindred_version,
                                 planned.kindred_version);
    } else if (stored.seed != planned.seed || stored.weeks != planned.weeks ||
               stored.replicates != planned.replicates) {
        difference = "seed, weeks or replicates differ";
    } else if (stored.arm_names != planned.arm_names ||
               stored.enrolments.size() != planned.enrolments.size()) {
        difference = "the arms or programs differ";
    } else {
        for (std::size_t e = 0; e < planned.enrolments.size() && difference.empty(); ++e) {
            const EnrolmentInfo& a = stored.enrolments[e];
            const EnrolmentInfo& b = planned.enrolments[e];
            if (a.arm != b.arm || a.program != b.program || a.start_week != b.start_week ||
                a.end_week != b.end_week) {
                difference = "the arms or programs differ";
            } else if (a.model_digest != b.model_digest) {
                difference =
                    fmt::format("model '{}' changed since the file was written", b.program);
            }
        }
        for (const ParameterInfo& info : parameter_table()) {
            if (!difference.empty()) break;
            const auto it = stored.parameters.find(std::string(info.name));
            const double value = info.get(planned.params);
            const double planned_value = info.integer ? std::round(value) : value;
            if (it == stored.parameters.end() || it->second != planned_value) {
                difference = fmt::format("parameter {} differs", info.name);
            }
        }
    }
    if (!difference.empty()) {
        throw InputError(fmt::format(
            "{}: expected a results file of this trial to resume, found another trial's ({}): "
            "--force replaces it, -o writes elsewhere",
            path.string(), difference));
    }
}

/// The summary samples of a replicate stored in a trial file.
std::vector<ArmSamples> stored_samples(const std::filesystem::path& path, int replicate,
                                       std::size_t arm_count, int mid_week, int end_week) {
    const StoredPatients stored = read_stored_patients(path, replicate);
    if (stored.middle_distress.empty() || stored.middle_week != mid_week) {
        throw InputError(fmt::format(
            "{}: replicate {} has no patients/mid_distress of week {} (written by an older "
            "Kindred): --force runs the trial again",
            path.string(), replicate, mid_week));
    }
    std::vector<ArmSamples> samples(arm_count);
    for (std::size_t k = 0; k < stored.id.size(); ++k) {
        const int arm = stored.arm[k];
        if (arm == kNone) continue;
        if (arm < 0 || static_cast<std::size_t>(arm) >= arm_count) {
            throw InputError(
                fmt::format("{}: replicate {}: patients/arm holds {}, expected an arm "
                            "index below {}",
                            path.string(), replicate, arm, arm_count));
        }
        ArmSamples& s = samples[static_cast<std::size_t>(arm)];
        s.start.push_back(stored.initial_distress[k]);
        s.mid.push_back(stored.middle_distress[k]);
        s.end.push_back(stored.final_distress[k]);
        ++s.patients_total;
        if (stored.recovered_week[k] != kNone) ++s.recovered;
    }
    const std::size_t p = stored.counterfactual_patient.size();
    for (std::size_t row = 0; row < stored.counterfactual_week.size(); ++row) {
        const int week = stored.counterfactual_week[row];
        if (week != mid_week && week != end_week) continue;
        for (std::size_t k = 0; k < p; ++k) {
            const double effect = stored.individual_effect[row * p + k];
            ArmSamples& arm = samples.at(static_cast<std::size_t>(stored.counterfactual_arm[k]));
            if (week == mid_week) arm.individual_mid.push_back(effect);
            if (week == end_week) arm.individual_end.push_back(effect);
        }
    }
    return samples;
}

}  // namespace

TrialResult run_trial(const ScenarioSpec& scenario, const TrialOptions& options) {
    const auto started = std::chrono::steady_clock::now();
    TrialResult result;
    result.output = output_path(scenario, options.output);
    result.weeks = scenario.weeks;
    result.mid_week = std::min(52, scenario.weeks);

    // Limits first: nothing is built or written for a scenario that cannot fit.
    check_memory(scenario, options.memory_limit);

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
        provenance.enrolments.push_back(
            {e.arm, e.program.name, e.start_week, e.end_week, model_digest(e.program.source)});
    }
    RecordingOptions recording;
    recording.trajectories = scenario.output.trajectories.enabled;
    recording.every_weeks = scenario.output.trajectories.every_weeks;
    recording.agent_fraction = scenario.output.trajectories.agent_fraction;
    recording.roles = scenario.output.trajectories.roles;
    recording.tie_snapshot_weeks = scenario.output.tie_snapshot_weeks;
    recording.compression_level = scenario.output.compression_level;
    recording.middle_week = result.mid_week;

    // The replicates wanted, and those an existing file already holds (--resume).
    std::vector<int> wanted = options.replicates;
    if (wanted.empty()) {
        for (int r = 0; r < scenario.replicates; ++r) wanted.push_back(r);
    }
    for (int r : wanted) {
        if (r < 0 || r >= scenario.replicates) {
            throw std::invalid_argument(
                fmt::format("run_trial: replicate {} of {}", r, scenario.replicates));
        }
    }
    std::error_code ec;
    const bool exists = std::filesystem::exists(std::filesystem::symlink_status(result.output, ec));
    if (std::filesystem::is_directory(result.output, ec)) {
        throw InputError(fmt::format("{}: expected a results file name, found a directory",
                                     result.output.string()));
    }
    std::optional<TrialHeader> stored_header;
    // --force replaces only a results file of this kind, and only with a complete file.
    const bool replacing = exists && options.force && !options.resume;
    if (replacing) check_replaceable(result.output, "kindred-trial", "--force");
    if (exists && options.resume) {
        stored_header = read_trial_header(result.output);
        check_same_trial(*stored_header, provenance, result.output);
    } else if (exists && !options.force) {
        std::string state = "not a kindred trial file";
        bool incomplete = false;
        try {
            const TrialHeader header = read_trial_header(result.output);
            incomplete = header.complete.has_value() && !*header.complete;
            state = incomplete ? fmt::format("an incomplete trial file with {} of {} replicates",
                                             header.replicates_present.size(), header.replicates)
                               : "a trial file";
        } catch (const InputError&) {
        }
        throw InputError(fmt::format(
            "{}: expected a new results file, found one that exists ({}): "
            "--force replaces it{}",
            result.output.string(), state, incomplete ? ", --resume completes it" : ""));
    }
    const std::set<int> stored =
        stored_header ? stored_header->replicates_present : std::set<int>{};
    std::vector<int> to_run;
    for (int r : wanted) {
        if (stored.count(r) == 0) to_run.push_back(r);
    }
    std::map<int, std::vector<ArmSamples>> samples_of;
    for (int r : wanted) {
        if (stored.count(r) != 0) {
            samples_of[r] = stored_samples(result.output, r, scenario.arms.size(), result.mid_week,
                                           scenario.weeks);
        }
    }
    result.replicates_before = static_cast<int>(samples_of.size());

    // The first world is built before the output file is created, so that bad input (a CSV
    // population) fails before anything is written.
    std::optional<World> first_world;
    if (!to_run.empty()) first_world.emplace(build_world(scenario, to_run.front()));
    std::optional<Hdf5TrialWriter> writer;
    const bool nothing_to_do =
        to_run.empty() && stored_header && stored_header->complete.value_or(true);
    if (!nothing_to_do) {
        if (stored_header) {
            writer.emplace(result.output, provenance, recording, ContinueTrialFile{});
        } else {
            writer.emplace(result.output, provenance, recording);
        }
    }
    const auto stop_signal = [&] { return options.stop_signal ? options.stop_signal() : 0; };
    // --force replaces a file only with a complete one: a run stopped early leaves the file it
    // was to replace as it was, and keeps its finished replicates beside it.
    std::filesystem::path kept_at = result.output;
    if (replacing) {
        kept_at = result.output.parent_path() /
                  fmt::format("{}.interrupted-{}{}", result.output.stem().string(),
                              static_cast<long>(getpid()), result.output.extension().string());
    }
    const auto stop = [&](int signal) {
        const std::set<int> kept =
            writer->finish_incomplete(kept_at == result.output ? std::filesystem::path{} : kept_at);
        std::string command = "kindred run " + scenario.source_path.string();
        if (!options.output.empty() || kept_at != result.output) {
            command += " -o " + (kept_at == result.output ? options.output : kept_at).string();
        }
        throw Interrupted(
            signal,
            fmt::format("interrupted by {}: {}{} holds {} of {} (complete = 0); `{} --resume`{} "
                        "runs the other {}",
                        StopSignals::name(signal),
                        kept_at == result.output
                            ? std::string()
                            : fmt::format("{} is left as it was (--force replaces it only with "
                                          "a complete file); ",
                                          result.output.string()),
                        kept_at.string(),
                        kept.empty() ? std::string("no replicate")
                                     : "replicates " + describe_replicates(kept),
                        scenario.replicates, command,
                        scenario.overrides.empty() ? "" : " (with the same --set options)",
                        scenario.replicates - static_cast<int>(kept.size())));
    };
    for (const int replicate : to_run) {
        if (const int signal = stop_signal()) stop(signal);
        std::vector<ArmSamples>& samples = samples_of[replicate];
        samples.resize(scenario.arms.size());
        RunSpec spec = replicate_run_spec(scenario, replicate, enrolments);
        World world0 = first_world ? std::move(*first_world) : build_world(scenario, replicate);
        first_world.reset();
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
        int interrupted_by = 0;
        {
            ReplicateRecorder recorder = writer->begin_replicate(replicate, scenario.seed);
            for (int week = 0;; ++week) {
                sim.begin_week();
                recorder.record(sim);
                if (options.observer) options.observer(replicate, sim);
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
                // Stop between weeks: the replicate is dropped, the finished ones are kept.
                if ((interrupted_by = stop_signal()) != 0) break;
                sim.finish_week();
                check_finite_state(scenario, sim.world(), week + 1);
            }
            if (interrupted_by == 0) {
                if (without) recorder.write_counterfactual(table);
                recorder.finish();
            }
        }
        if (interrupted_by != 0) stop(interrupted_by);
        collect(samples, sim.world(), &ArmSamples::end);
        const World& world = sim.world();
        for (std::size_t i = 0; i < world.agent_count(); ++i) {
            if (world.role[i] != Role::patient || world.arm[i] == kNone) continue;
            ++samples[world.arm[i]].patients_total;
            if (world.recovered_week[i] != kNone) ++samples[world.arm[i]].recovered;
        }
        if (without) collect_individual_effects(samples, table, result.mid_week, scenario.weeks);
        ++result.replicates_run;
    }
    if (writer) writer->finish();
    std::set<int> held = stored;
    held.insert(to_run.begin(), to_run.end());
    result.complete = static_cast<int>(held.size()) == scenario.replicates;

    // Pooled over the replicates in replicate order, whether run now or read back.
    const int replicates = static_cast<int>(wanted.size());
    for (std::size_t a = 0; a < scenario.arms.size(); ++a) {
        ArmSamples s;
        for (const auto& [replicate, of_replicate] : samples_of) {
            const ArmSamples& r = of_replicate[a];
            s.start.insert(s.start.end(), r.start.begin(), r.start.end());
            s.mid.insert(s.mid.end(), r.mid.begin(), r.mid.end());
            s.end.insert(s.end.end(), r.end.begin(), r.end.end());
            s.individual_mid.insert(s.individual_mid.end(), r.individual_mid.begin(),
                                    r.individual_mid.end());
            s.individual_end.insert(s.individual_end.end(), r.individual_end.begin(),
                                    r.individual_end.end());
            s.recovered += r.recovered;
            s.patients_total += r.patients_total;
        }
        ArmSummary row;
        row.name = scenario.arms[a].name;
        row.control = static_cast<int>(a) == scenario.control_arm;
        row.replicates = replicates;
        row.patients = s.patients_total / std::max(1, replicates);
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
            ArmSamples c;
            for (const auto& [replicate, of_replicate] : samples_of) {
                const ArmSamples& r = of_replicate[static_cast<std::size_t>(scenario.control_arm)];
                c.mid.insert(c.mid.end(), r.mid.begin(), r.mid.end());
                c.end.insert(c.end.end(), r.end.begin(), r.end.end());
            }
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
    out += fmt::format("Results: {} ({:.1f} s{}{})\n",
                       detail::printable(result.output.string(), 4096), result.seconds,
                       result.replicates_before > 0
                           ? fmt::format("; resumed: {} replicates read back, {} run",
                                         result.replicates_before, result.replicates_run)
                           : "",
                       result.complete ? "" : "; incomplete");
    return out;
}

}  // namespace kindred
