// Runs a trial scenario: builds each replicate's world, runs the weekly step, records to HDF5,
// and summarises the arms (distress, recovery, Hedges' g versus control).
//
// @code
//   ScenarioSpec scenario = load_scenario_file("scenarios/default.yaml", catalogue);
//   TrialResult result = run_trial(scenario, TrialOptions{.output = "results/default.h5"});
//   std::cout << format_summary(result);
// @endcode
#pragma once

#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "analysis/effect_size.hpp"
#include "config/scenario.hpp"
#include "core/simulation.hpp"

namespace kindred {

/// Called after each recorded week: (replicate, week just recorded, weeks).
using ProgressCallback = std::function<void(int replicate, int week, int weeks)>;

struct TrialOptions {
    std::filesystem::path output;  ///< HDF5 file; empty: the scenario's output.file
    ProgressCallback progress;     ///< optional
};

/// The distribution of individual effects (distress with − without programs) over an arm's
/// patients, from paired counterfactual runs.
struct IndividualEffects {
    bool available = false;
    double mean = 0.0, sd = 0.0, q25 = 0.0, median = 0.0, q75 = 0.0;
    double share_improved = 0.0;  ///< share with effect < 0 (less distress with the programs)
};

/// Mean, sd, quartiles and share improved of `effects`.
IndividualEffects describe_effects(std::vector<double> effects);

/// One arm's line of the summary, pooled over replicates (patients of the arm only).
struct ArmSummary {
    std::string name;
    bool control = false;
    int patients = 0;  ///< per replicate
    int replicates = 0;
    double mean_distress_start = 0.0;  ///< week 0
    double mean_distress_mid = 0.0;    ///< week min(52, T)
    double mean_distress_end = 0.0;    ///< week T
    double share_recovered = 0.0;      ///< recovered by week T
    analysis::EffectSize effect_mid;   ///< Hedges' g of distress vs control at week min(52, T)
    analysis::EffectSize effect_end;   ///< … at week T
    IndividualEffects individual_mid;  ///< paired counterfactual, week min(52, T)
    IndividualEffects individual_end;  ///< … week T
};

struct TrialResult {
    std::filesystem::path output;
    int weeks = 0;
    int mid_week = 0;  ///< min(52, T)
    std::vector<ArmSummary> arms;
    double seconds = 0.0;
};

/// The enrolments of a scenario in EnrolmentId order (arm order, then program order).
std::vector<Enrolment> scenario_enrolments(const ScenarioSpec& scenario);

/// The world of replicate `replicate`: generated (and randomised to arms) or read from CSV.
World build_world(const ScenarioSpec& scenario, int replicate);

/// Reads a CSV population (checking every row and the arm column) so that `validate` finds
/// what `run` would; generated populations need no check. Throws InputError.
void check_population(const ScenarioSpec& scenario);

/// Runs every replicate, writes the HDF5 file (atomically) and returns the summary.
TrialResult run_trial(const ScenarioSpec& scenario, const TrialOptions& options);

/// The summary table printed at the end of a run.
std::string format_summary(const TrialResult& result);

/// The output path: the option, else the scenario's output.file, else results/<name>.h5.
std::filesystem::path output_path(const ScenarioSpec& scenario,
                                  const std::filesystem::path& option);

/// Kindred's version string ("0.1.0").
std::string kindred_version();

}  // namespace kindred
