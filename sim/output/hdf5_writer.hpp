// The HDF5 trial file (layout in docs/hdf5-layout.md): provenance, per-arm weekly aggregates,
// per-agent trajectories, tie snapshots and the per-patient table of every replicate.
//
// The file is written under a temporary name next to the final one and renamed only by
// finish(), so a result file under the final name is always complete.
//
// @code
//   Hdf5TrialWriter writer("results/trial.h5", provenance, options);
//   for (int r = 0; r < replicates; ++r) {
//       ReplicateRecorder recorder = writer.begin_replicate(r, seed);
//       Simulation sim(make_world(r), make_spec(r));
//       for (int t = 0; t < weeks; ++t) {
//           sim.begin_week();
//           recorder.record(sim);
//           sim.finish_week();
//       }
//       sim.begin_week();
//       recorder.record(sim);
//       recorder.finish();
//   }
//   writer.finish();  // renames results/trial.h5.tmp-<pid> to results/trial.h5
// @endcode
//
// Thread safety: every HDF5 call of this module runs under the process-wide HDF5 mutex
// (hdf5/common.hpp; the sweep file takes the same one), so recorders of different replicates
// may record from different threads at the same time (the summary statistics are computed
// outside the lock). One recorder or writer object must not be used from two threads at once.
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "core/parameters.hpp"
#include "core/simulation.hpp"
#include "core/world.hpp"
#include "output/recorder.hpp"

namespace kindred {

namespace detail {
struct TrialFile;
struct ReplicateState;
}  // namespace detail

/// One enrolment of the trial (spec §1): a program applied to an arm's patients.
struct EnrolmentInfo {
    int arm = 0;               ///< index into Provenance::arm_names
    std::string program;       ///< catalogue name of the program
    int start_week = 0;        ///< t0
    int end_week = 0;          ///< t1 = t0 + duration (active while t0 ≤ t < t1)
    std::string model_digest;  ///< hex FNV-1a of the model file's text ("" when unknown)
};

/// Tag of the constructor that continues an existing, incomplete trial file.
struct ContinueTrialFile {};

/// Everything needed to reproduce a trial file, written to its root, /parameters and /arms.
struct Provenance {
    std::string kindred_version;
    std::string scenario_name;
    std::string scenario_path;
    std::string scenario_text;           ///< full text of the scenario file
    std::vector<std::string> overrides;  ///< "name=value" settings applied after parsing
    std::uint64_t seed = 1;
    int weeks = 104;     ///< T: the run records weeks 0 … T
    int replicates = 1;  ///< replicates the scenario asks for
    Parameters params;
    std::vector<std::string> arm_names;  ///< in scenario order; each a valid group name
    int control_arm = kNone;             ///< index of the control arm, or kNone
    std::vector<EnrolmentInfo> enrolments;
};

/// A paired counterfactual (spec §7): the same world and random numbers without any program.
/// Distress of every patient in an arm at each recorded week, with and without the programs.
struct CounterfactualTable {
    std::vector<int> weeks;                ///< W weeks, ascending
    std::vector<std::int32_t> patient;     ///< P patient ids
    std::vector<std::int32_t> arm;         ///< P arm indices
    std::vector<double> distress_with;     ///< W × P, row-major: the run as scenario'd
    std::vector<double> distress_without;  ///< W × P: the paired run without programs
};

class ReplicateRecorder;

/// Call first in main(), before any other HDF5 use: HDF5 then skips its own clean-up at exit,
/// which after reading a damaged file prints lines of its internal state ("infinite loop
/// closing library") to stderr. Files are always closed explicitly before, so nothing is lost.
void skip_hdf5_exit_cleanup();

/// Writes one trial file. Not copyable or movable; create one per output file.
class Hdf5TrialWriter {
  public:
    /// Creates the parent directories of `path` and the temporary file "<path>.tmp-<pid>",
    /// and writes the provenance. Throws InputError when `options` are out of range or an
    /// arm name cannot name an HDF5 group (empty, ".", containing '/', or "all_patients"),
    /// RuntimeFailure (naming the path) when the file cannot be created or written.
    Hdf5TrialWriter(std::filesystem::path path, const Provenance& provenance,
                    RecordingOptions options);

    /// Continues the trial file at `path` (kindred run --resume): copies it to the temporary
    /// name and opens the copy for writing; the replicates it holds count as recorded
    /// (recorded_before()). The file itself is only replaced by finish() or
    /// finish_incomplete(). The caller checks first that the file holds this trial
    /// (read_trial_header); throws InputError when it is not a trial file, RuntimeFailure on
    /// I/O errors.
    Hdf5TrialWriter(std::filesystem::path path, const Provenance& provenance,
                    RecordingOptions options, ContinueTrialFile);

    /// Without a successful finish(): closes and deletes the temporary file. Never throws.
    ~Hdf5TrialWriter();

    Hdf5TrialWriter(const Hdf5TrialWriter&) = delete;
    Hdf5TrialWriter& operator=(const Hdf5TrialWriter&) = delete;

    /// Starts group /replicate_<RRR> (attributes replicate, seed). `seed` and `replicate`
    /// key the trajectory subsample (see in_trajectory_sample). Throws RuntimeFailure when
    /// the replicate was already begun or the writer is finished.
    ReplicateRecorder begin_replicate(int replicate, std::uint64_t seed);

    /// Flushes and closes the file and renames it to the final path (replacing a file that
    /// is there). The root attribute `complete` becomes 1 when the file holds every replicate
    /// 0 … replicates−1. Throws RuntimeFailure when a begun replicate was not finished, or on
    /// an I/O error; the temporary file is then deleted by the destructor.
    void finish();

    /// For a run stopped early (a signal): deletes the groups of replicates begun but not
    /// finished, sets `complete` = 0, and renames the file to the final path like finish(),
    /// so that the finished replicates are kept and `kindred run --resume` can add the rest.
    /// Recorders of unfinished replicates must be destroyed first. Returns the replicates the
    /// file holds. With `elsewhere`, the file is renamed to that path instead and the final
    /// path is left as it was (a run that was to replace a file, stopped before it could).
    std::set<int> finish_incomplete(const std::filesystem::path& elsewhere = {});

    /// Replicates the file held when it was continued (empty for a new file).
    const std::set<int>& recorded_before() const;

    /// The final path given to the constructor.
    const std::filesystem::path& path() const;
    /// "<path>.tmp-<pid>", where the file lives until finish().
    const std::filesystem::path& temporary_path() const;

  private:
    std::shared_ptr<detail::TrialFile> file_;
};

/// Records one replicate into its writer's file: call record() once for every week 0 … T in
/// order, then finish(). Movable, not copyable; a moved-from recorder may only be destroyed
/// or assigned to. Destroying it without finish() leaves the replicate incomplete, and the
/// writer's finish() then fails.
class ReplicateRecorder {
  public:
    ReplicateRecorder(ReplicateRecorder&&) noexcept;
    ReplicateRecorder& operator=(ReplicateRecorder&&) noexcept;
    ~ReplicateRecorder();

    /// Records week `week` (0 … T, each once, in order) from the state at that week and the
    /// flows computed from it (flows sized to world.agent_count()): the aggregates of every
    /// arm, the trajectory row (at trajectory weeks) and the tie snapshot (at snapshot
    /// weeks). Throws std::invalid_argument when a week is out of order or the flows do not
    /// match the world; RuntimeFailure on an HDF5 error.
    void record(int week, const World& world, const Flows& flows);

    /// record(sim.week(), sim.world(), sim.flows()); call after sim.begin_week().
    void record(const Simulation& sim);

    /// Writes group counterfactual/ of this replicate (layout in docs/hdf5-layout.md): the
    /// table's columns, and individual_effect = with − without (W × P). Call before finish().
    void write_counterfactual(const CounterfactualTable& table);

    /// Writes the aggregates and the per-patient table (id, arm, recovered week, initial and
    /// final distress) and closes the replicate's group. Throws std::logic_error unless
    /// weeks 0 … T were recorded; RuntimeFailure on an HDF5 error.
    void finish();

    /// The replicate index given to begin_replicate().
    int replicate() const;

  private:
    friend class Hdf5TrialWriter;
    explicit ReplicateRecorder(std::unique_ptr<detail::ReplicateState> state);
    std::unique_ptr<detail::ReplicateState> state_;
};

}  // namespace kindred
