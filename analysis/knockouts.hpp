// Knock-out re-runs for the analysis: the scenario stored in a trial file's provenance, run
// again in memory (no file written) once as stored and once with each mechanism switched off
// (`knockout.NAME=1`, docs/scenario-format.md), recording every patient's distress at the
// outcome weeks. Runs share the world and random numbers (spec §7), so patient i of one run
// is patient i of every other.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "analysis/trial_file.hpp"

namespace kindred {
class ModelCatalogue;
}

namespace kindred::analysis {

/// The patients whose distress a re-run records: (replicate, agent id) pairs.
struct PatientKey {
    int replicate = 0;
    std::int32_t id = 0;
};

/// One re-run of the stored scenario (all replicates of the file).
struct KnockoutRun {
    std::string mechanism;  ///< "none" for the scenario as stored, else the mechanism off
    /// distress[k][p]: patient p (index into the keys) at outcome week k.
    std::vector<std::vector<double>> distress;
    /// Largest |mean distress of an arm (re-run) − the file's aggregate mean| over the arms,
    /// replicates and outcome weeks; set for the "none" run only (0 when it reproduces the
    /// file, as it must with the same Kindred version and models).
    double max_difference_from_file = 0.0;
};

/// The mechanisms the scenario has on (those it already knocks out are left out and named
/// in `already_off`), each re-run with every replicate in `file` up to the largest of
/// `weeks`. The first run is "none" (the scenario as stored). Throws InputError when the
/// stored scenario cannot be loaded (a model or CSV file that moved).
std::vector<KnockoutRun> run_knockouts(const TrialFile& file, const ModelCatalogue& catalogue,
                                       const std::vector<int>& weeks,
                                       const std::vector<PatientKey>& patients,
                                       std::vector<std::string>& already_off,
                                       const std::function<void(const std::string&)>& progress);

}  // namespace kindred::analysis
