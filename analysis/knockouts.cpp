// Re-running the stored scenario of a trial file with mechanisms knocked out.
#include "analysis/knockouts.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <map>

#include "config/scenario.hpp"
#include "core/simulation.hpp"
#include "trial/trial.hpp"

namespace kindred::analysis {

namespace {

/// Distress of `patients` at `weeks` in one run of `scenario` (every replicate in the keys).
std::vector<std::vector<double>> run_scenario(const ScenarioSpec& scenario,
                                              const std::vector<int>& weeks,
                                              const std::vector<PatientKey>& patients,
                                              const std::vector<int>& replicates) {
    std::vector<std::vector<double>> distress(weeks.size(),
                                              std::vector<double>(patients.size(), std::nan("")));
    const int last_week = *std::max_element(weeks.begin(), weeks.end());
    const std::vector<Enrolment> enrolments = scenario_enrolments(scenario);
    for (const int replicate : replicates) {
        std::vector<std::size_t> rows;  // the keys of this replicate
        for (std::size_t p = 0; p < patients.size(); ++p) {
            if (patients[p].replicate == replicate) rows.push_back(p);
        }
        Simulation sim(build_world(scenario, replicate),
                       replicate_run_spec(scenario, replicate, enrolments));
        for (int week = 0;; ++week) {
            sim.begin_week();
            for (std::size_t k = 0; k < weeks.size(); ++k) {
                if (weeks[k] != week) continue;
                const auto& d = sim.world().state.distress;
                for (const std::size_t p : rows) {
                    const auto id = static_cast<std::size_t>(patients[p].id);
                    if (id < d.size()) distress[k][p] = d[id];
                }
            }
            if (week >= last_week) break;
            sim.finish_week();
        }
    }
    return distress;
}

}  // namespace

std::vector<KnockoutRun> run_knockouts(const TrialFile& file, const ModelCatalogue& catalogue,
                                       const std::vector<int>& weeks,
                                       const std::vector<PatientKey>& patients,
                                       std::vector<std::string>& already_off,
                                       const std::function<void(const std::string&)>& progress) {
    std::vector<KnockoutRun> runs;
    if (weeks.empty()) return runs;
    const ScenarioSpec stored =
        load_scenario_text(file.scenario_text, file.scenario_path, catalogue, file.overrides);
    std::vector<std::string> mechanisms = {"none"};
    for (const MechanismInfo& info : mechanism_table()) {
        if (stored.mechanisms.*(info.flag)) {
            mechanisms.emplace_back(info.name);
        } else {
            already_off.emplace_back(info.name);
        }
    }
    for (std::size_t m = 0; m < mechanisms.size(); ++m) {
        if (progress) {
            progress(
                fmt::format("knock-out re-run {}/{}: {}", m + 1, mechanisms.size(), mechanisms[m]));
        }
        std::vector<std::string> overrides = file.overrides;
        if (m > 0) overrides.push_back(fmt::format("knockout.{}=1", mechanisms[m]));
        const ScenarioSpec scenario =
            m == 0
                ? stored
                : load_scenario_text(file.scenario_text, file.scenario_path, catalogue, overrides);
        KnockoutRun run;
        run.mechanism = mechanisms[m];
        run.distress = run_scenario(scenario, weeks, patients, file.replicates);
        if (m == 0) {
            // The stored run must reproduce the file: compare each arm's mean distress.
            for (const int replicate : file.replicates) {
                const PatientTable table = file.patients(replicate);
                std::map<std::int32_t, int> arm_by_id;
                for (std::size_t i = 0; i < table.id.size(); ++i) {
                    arm_by_id[table.id[i]] = table.arm[i];
                }
                for (std::size_t a = 0; a < file.arms.size(); ++a) {
                    const AggregateSeries series =
                        file.aggregates(replicate, static_cast<int>(a), "distress");
                    for (std::size_t k = 0; k < weeks.size(); ++k) {
                        double sum = 0.0;
                        int n = 0;
                        for (std::size_t p = 0; p < patients.size(); ++p) {
                            if (patients[p].replicate != replicate) continue;
                            const auto found = arm_by_id.find(patients[p].id);
                            if (found == arm_by_id.end() || found->second != static_cast<int>(a)) {
                                continue;
                            }
                            sum += run.distress[k][p];
                            ++n;
                        }
                        const auto w = static_cast<std::size_t>(weeks[k]);
                        if (n == 0 || w >= series.mean.size()) continue;
                        run.max_difference_from_file = std::max(run.max_difference_from_file,
                                                                std::abs(sum / n - series.mean[w]));
                    }
                }
            }
        }
        runs.push_back(std::move(run));
    }
    return runs;
}

}  // namespace kindred::analysis
