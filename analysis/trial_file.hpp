// Reads a Kindred trial file (docs/hdf5-layout.md, format "kindred-trial" version 1) for the
// analysis: provenance, arms and enrolments, per-arm aggregates, the per-patient table,
// trajectory rows and tie snapshots. Read-only; the file is never changed.
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

namespace kindred::analysis {

/// One trial arm as stored in /arms.
struct TrialArm {
    std::string name;
    bool control = false;
    std::vector<std::string> programs;  ///< catalogue names of its enrolments, in order
    int first_start_week = -1;          ///< earliest enrolment start (−1: no programs)
    int last_end_week = -1;             ///< latest enrolment end
};

/// /replicate_R/patients: one row per patient, ascending id.
struct PatientTable {
    std::vector<std::int32_t> id;
    std::vector<std::int32_t> arm;             ///< −1 for none
    std::vector<std::int32_t> recovered_week;  ///< −1 for not recovered by week T
    std::vector<double> initial_distress;
    std::vector<double> final_distress;
    /// d at `middle_week` (min(52, T), the run summary's middle week); empty in files without
    /// the column (middle_week −1).
    std::vector<double> middle_distress;
    int middle_week = -1;
};

/// One arm's weekly aggregates of one variable: rows 0 … T.
struct AggregateSeries {
    std::vector<std::int32_t> n_patients;
    std::vector<double> mean, sd;
    std::vector<double> share_recovered;
};

/// The ties of one snapshot week (natural and program ties).
struct TieSnapshot {
    int week = 0;
    std::vector<std::int32_t> u, v;
    std::vector<std::int8_t> type;  ///< professional, peer, friend, family
    std::vector<double> w, q;
    std::vector<std::int32_t> enrolment;  ///< −1 for a natural tie
};

namespace detail {
struct OpenTrialFile;
}

/// An open trial file. Not copyable; movable.
class TrialFile {
  public:
    /// Opens `path` and reads its header as `kindred verify` does (read_trial_header). Throws
    /// InputError naming the file, the attribute or dataset, what was expected and what was
    /// found when it is missing, not HDF5, not a trial file of a supported version, or damaged;
    /// the readers below throw the same for a damaged or inconsistent replicate (a missing
    /// dataset, columns of different lengths, a patient in an arm the file does not have).
    explicit TrialFile(const std::filesystem::path& path);
    ~TrialFile();
    TrialFile(TrialFile&&) noexcept;
    TrialFile& operator=(TrialFile&&) noexcept;

    const std::filesystem::path& path() const;

    // Provenance (root attributes).
    std::string kindred_version;
    std::string scenario_name;
    std::string scenario_path;
    std::string scenario_text;
    std::vector<std::string> overrides;  ///< "name=value", in order
    std::uint64_t seed = 0;
    int weeks = 0;  ///< T
    std::vector<TrialArm> arms;
    int control_arm = -1;          ///< index into arms, −1 when there is none
    std::vector<int> replicates;   ///< indices of the replicate groups present, ascending
    int replicates_requested = 0;  ///< the scenario's replicates (root attribute)
    /// Root attribute `complete` (1 when absent): 0 for a run stopped early, whose file holds
    /// only the replicates that finished.
    bool complete = true;

    PatientTable patients(int replicate) const;
    /// Aggregates of `variable` ("distress", "agency", …) of arm `arm` (index into arms).
    AggregateSeries aggregates(int replicate, int arm, const std::string& variable) const;

    bool has_trajectories(int replicate) const;
    std::vector<std::int32_t> trajectory_weeks(int replicate) const;
    std::vector<std::int32_t> trajectory_agents(int replicate) const;
    /// Values of `variable` for every trajectory agent at trajectory week `week` (which must
    /// be one of trajectory_weeks()); throws std::out_of_range otherwise.
    std::vector<double> trajectory_row(int replicate, const std::string& variable, int week) const;

    /// Weeks with a tie snapshot, ascending.
    std::vector<int> snapshot_weeks(int replicate) const;
    TieSnapshot ties(int replicate, int week) const;

  private:
    std::unique_ptr<detail::OpenTrialFile> file_;
};

/// Group name of replicate r ("replicate_000").
std::string replicate_group(int replicate);

}  // namespace kindred::analysis
