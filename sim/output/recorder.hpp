// What the recorders measure, independent of the file format: the recorded variables, the
// per-arm summary statistics of one week, the deterministic trajectory subsample and the
// recording options. The HDF5 writer (output/hdf5_writer.hpp) stores what these compute.
#pragma once

#include <array>
#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

#include "core/simulation.hpp"
#include "core/types.hpp"
#include "core/world.hpp"

namespace kindred {

/// The per-agent quantities recorded each week (spec §1 state and §3.1 flows), in file order.
enum class Variable : std::uint8_t {
    distress,
    agency,
    knowledge,
    strengths,
    recreation,
    help_received,
    help_given,
    strain
};
inline constexpr int kVariableCount = 8;

/// File name of a variable ("distress", "help_received", …).
std::string_view to_string(Variable variable);

/// The values of `variable` for all agents: the state at the current week, or the flows
/// computed from it. Requires flows sized to world.agent_count() for the flow variables.
std::span<const double> variable_values(Variable variable, const World& world, const Flows& flows);

/// What a trial file records besides the per-arm aggregates and the per-patient table, which
/// are always written.
struct RecordingOptions {
    bool trajectories = true;  ///< write per-agent trajectories
    int every_weeks = 1;       ///< trajectory rows at weeks 0, n, 2n, … and always week T; ≥ 1
    double agent_fraction = 1.0;          ///< share of agents kept in trajectories, in [0, 1]
    std::vector<Role> roles;              ///< roles kept in trajectories; empty = all roles
    std::vector<int> tie_snapshot_weeks;  ///< weeks (0 … T) at which every tie is written
    int compression_level = 4;            ///< deflate level 0 (off) … 9
    /// ≥ 0: patients/mid_distress keeps each patient's distress at this week (the trial
    /// summary's middle week, so that a resumed run can summarise stored replicates).
    int middle_week = -1;
};

/// Throws InputError (naming the output option) when `options` is out of range for a run of
/// `weeks` weeks: every_weeks < 1, agent_fraction outside [0,1], a snapshot week outside
/// 0 … weeks, compression_level outside 0 … 9.
void validate(const RecordingOptions& options, int weeks);

/// True when week `week` gets a trajectory row: a multiple of every_weeks, or the final week.
bool is_trajectory_week(int week, int weeks, int every_weeks);

/// The trajectory weeks of a run of `weeks` weeks, ascending: 0, n, 2n, …, and `weeks`.
std::vector<int> trajectory_weeks(int weeks, int every_weeks);

/// Deterministic trajectory subsample: agent `id` of role `role` is kept iff its role is
/// selected (options.roles empty or containing it) and
/// RandomStream(seed, replicate, 0, id, Purpose::trajectory_sample).uniform() < agent_fraction.
/// The decision depends on nothing else, so agents added later extend the sample.
bool in_trajectory_sample(AgentId id, Role role, std::uint64_t seed, std::uint64_t replicate,
                          const RecordingOptions& options);

/// Summary of a sample: mean, sample standard deviation (n−1) and quartiles by linear
/// interpolation between order statistics (numpy's default 'linear' method). Empty sample:
/// all NaN; one value: sd is NaN.
struct Summary {
    double mean;
    double sd;
    double q25;
    double median;
    double q75;
};
inline constexpr int kSummaryColumns = 5;
/// Column names of a Summary in file order: mean, sd, q25, median, q75.
inline constexpr std::array<std::string_view, kSummaryColumns> kSummaryColumnNames = {
    "mean", "sd", "q25", "median", "q75"};

/// Summarises `values` (reordered in place). O(n).
Summary summarise(std::span<double> values);

/// Quantile p ∈ [0,1] of `values` by linear interpolation (numpy 'linear'); reorders
/// `values`. NaN when empty. O(n).
double quantile(std::span<double> values, double p);

/// The quartiles of a sample, as quantile() gives them.
struct Quartiles {
    double q25;
    double median;
    double q75;
};

/// quantile() at 0.25, 0.5 and 0.75, the same bits, in three passes over `values` (a
/// histogram of the values' order, then one selection within each bucket holding a needed
/// order statistic) instead of three selections over all of them; may reorder `values`.
/// Samples under 256 values, or holding a NaN or −0.0, take the three selections. O(n).
Quartiles quartiles(std::span<double> values);

/// Statistics of one group of patients (an arm, or all patients) at one week (spec §2:
/// per-arm statistics count patients only).
struct PatientAggregates {
    int n_patients = 0;
    std::array<Summary, kVariableCount> variables{};  ///< indexed by Variable
    /// Mean number of ties per patient of each TieType (natural and program ties, every tie
    /// incident to the patient counted once for that patient); NaN when the group is empty.
    std::array<double, kTieTypeCount> ties_per_patient{};
    /// Mean strength w of those ties per TieType; NaN when the group has none of that type.
    std::array<double, kTieTypeCount> mean_tie_strength{};
    /// Share of the group's patients with recovered_week set and ≤ week; NaN when empty.
    double share_recovered = 0.0;
};

/// Aggregates of week `week` for the patients of each arm 0 … arm_count−1 (world.arm), then
/// of all patients (index arm_count, including patients in no arm). Throws
/// std::invalid_argument when flows are not sized to the world or a patient's arm is not in
/// 0 … arm_count−1 or kNone. O(agents + ties).
std::vector<PatientAggregates> aggregate_patients(int week, const World& world, const Flows& flows,
                                                  int arm_count);

}  // namespace kindred
