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
#include "trial/limits.hpp"

namespace kindred {

/// Called after each recorded week: (replicate, week just recorded, weeks).
using ProgressCallback = std::function<void(int replicate, int week, int weeks)>;

/// Called after each recorded week with the simulation as recorded (the state at week t and
/// the flows of week t; sim.week() = t), to read what the HDF5 file does not keep. It may
/// only read: the run is the same with or without it.
using WeekObserver = std::function<void(int replicate, const Simulation& sim)>;

struct TrialOptions {
    std::filesystem::path output;  ///< HDF5 file; empty: the scenario's output.file
    ProgressCallback progress;     ///< optional
    WeekObserver observer;         ///< optional (`kindred run --narrate`)
    /// Replace an existing output file (without: an existing file is an InputError).
    bool force = false;
    /// Continue an existing output file of the same trial: run only the replicates it lacks
    /// (a run stopped by a signal leaves such a file); without a file, run everything.
    bool resume = false;
    /// Checked (estimate_memory) before anything is built or written.
    MemoryLimit memory_limit;
    /// Polled between weeks: a non-zero signal number stops the run (see run_trial).
    std::function<int()> stop_signal;
    /// Only these replicates (kindred verify); empty: 0 … replicates−1.
    std::vector<int> replicates;
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
    int replicates_run = 0;     ///< by this call
    int replicates_before = 0;  ///< read back from the file being resumed
    bool complete = true;       ///< the file holds every replicate
};

/// The enrolments of a scenario in EnrolmentId order (arm order, then program order).
std::vector<Enrolment> scenario_enrolments(const ScenarioSpec& scenario);

/// The RunSpec of replicate `replicate` of `scenario`: its parameters, mechanisms, seed and
/// weeks, with `enrolments` (scenario_enrolments(scenario), which a caller running many
/// replicates computes once).
RunSpec replicate_run_spec(const ScenarioSpec& scenario, int replicate,
                           std::vector<Enrolment> enrolments);

/// 64-bit FNV-1a of a model file's text, as hex ("" when it cannot be read): a re-run (or
/// verify) can tell that a model file changed since a result was written.
std::string model_digest(const std::string& source);

/// The world of replicate `replicate`: generated (and randomised to arms) or read from CSV.
World build_world(const ScenarioSpec& scenario, int replicate);

/// Throws InputError naming the scenario when an agent's distress is NaN after `week`: a
/// parameter so large (in its valid range, as 1e308) that a product overflowed. Lists the
/// parameters set away from their defaults. One pass over the agents.
void check_finite_state(const ScenarioSpec& scenario, const World& world, int week);

/// Reads a CSV population (checking every row and the arm column), or a configuration model's
/// degree file, so that `validate` finds what `run` would; other generated populations need no
/// check. Throws InputError.
void check_population(const ScenarioSpec& scenario);

/// Runs every replicate, writes the HDF5 file (atomically) and returns the summary.
///
/// Before anything is built: the memory check (InputError when the scenario cannot fit) and
/// the output check (InputError when the file exists, unless force or resume). With resume,
/// the replicates already in the file are read back for the summary and only the others run;
/// the file is replaced atomically when done.
///
/// When stop_signal returns a signal between two weeks, the current replicate is dropped, the
/// finished ones are written to the output with the root attribute complete = 0, and
/// Interrupted (trial/interrupt.hpp) is thrown with the message saying how to resume.
TrialResult run_trial(const ScenarioSpec& scenario, const TrialOptions& options);

/// The summary table printed at the end of a run.
std::string format_summary(const TrialResult& result);

/// The output path: the option, else the scenario's output.file, else results/<name>.h5.
std::filesystem::path output_path(const ScenarioSpec& scenario,
                                  const std::filesystem::path& option);

/// Kindred's version string ("0.1.0").
std::string kindred_version();

}  // namespace kindred
