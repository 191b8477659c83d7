// The HDF5 sweep file (layout in docs/hdf5-layout.md, "Sweep files"): provenance, the design,
// and the runs table, one row per run in ascending run id, preallocated when the file is
// created. A finished run writes its row in place and then sets its `done` flag, so a sweep
// killed at any moment leaves a readable file with every finished run; `--resume` runs the
// rows not done. The root attribute `complete` is 0 until every row is done.
//
// Shards: shard I/N of a sweep holds the runs with run_id mod N = I (row r is run I + r·N);
// merge_sweep_files joins a complete set of shards into the file a single process writes.
//
// @code
//   auto file = SweepFile::create("results/sweep.h5", make_header(plan, Shard{}));
//   for (std::int64_t run : file->missing_runs()) file->write_run(run, evaluate(run));
//   file->set_complete();
// @endcode
//
// Thread safety: every HDF5 call of this module runs under the process-wide HDF5 mutex
// (hdf5/common.hpp; the trial file writer takes the same one); write_run may be called from
// several threads.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "sweep/evaluator.hpp"
#include "sweep/sweep_spec.hpp"

namespace kindred::sweep {

/// Shard I of N (0 ≤ I < N): the runs with run_id mod N = I.
struct Shard {
    int index = 0;
    int count = 1;

    bool contains(std::int64_t run_id) const { return run_id % count == index; }
    /// Runs of this shard among `runs_total`.
    std::int64_t rows(std::int64_t runs_total) const {
        return runs_total > index ? (runs_total - index + count - 1) / count : 0;
    }
    std::int64_t run_of_row(std::int64_t row) const { return index + row * count; }
    std::int64_t row_of_run(std::int64_t run_id) const { return run_id / count; }
    std::string label() const;  ///< "I/N"
    bool operator==(const Shard&) const = default;
};

/// Parses "I/N" (0 ≤ I < N). Throws InputError "--shard TEXT: expected …, found …".
Shard parse_shard(std::string_view text);

/// The shard from SLURM job-array variables, or nullopt when SLURM_ARRAY_TASK_ID is unset:
/// I = SLURM_ARRAY_TASK_ID − SLURM_ARRAY_TASK_MIN (0 when unset), N = SLURM_ARRAY_TASK_COUNT.
/// Throws InputError for inconsistent values or an array with a step other than 1.
std::optional<Shard> shard_from_slurm();

/// "DIR/STEM.shard-I-of-N.EXT" for shard I/N of "DIR/STEM.EXT" (I zero-padded); the path
/// itself for the single shard 0/1.
std::filesystem::path shard_path(const std::filesystem::path& path, const Shard& shard);

/// Everything in a sweep file but the outcomes: provenance, design, arms, layout, shard.
struct SweepHeader {
    std::string kindred_version;
    std::string scenario_name;
    std::string scenario_path;
    std::string scenario_text;
    std::string overrides;         ///< base overrides, one per line
    std::string sweep_definition;  ///< the sweep section as canonical YAML
    std::string digest;            ///< SweepPlan::digest
    std::string design;            ///< grid | latin_hypercube | sobol | saltelli
    std::int64_t design_size = 0;  ///< the sweep's `points` (0 for a grid)
    bool second_order = false;
    bool common_random_numbers = false;
    std::uint64_t seed = 0;
    int weeks = 0;
    std::int64_t points = 0;  ///< P
    int replicates = 1;       ///< R
    std::int64_t runs_total = 0;
    Shard shard;

    std::vector<std::string> variables;        ///< V names
    std::vector<std::string> variable_kinds;   ///< real | integer | reciprocity | expertise
    std::vector<double> values;                ///< P × V
    std::vector<double> unit;                  ///< P × V
    std::vector<std::int32_t> level;           ///< P × V
    std::vector<std::string> point_overrides;  ///< P
    std::vector<std::int64_t> order;           ///< P
    std::vector<std::int32_t> saltelli_base;   ///< P (saltelli only, else empty)
    std::vector<std::int8_t> saltelli_block;
    std::vector<std::int32_t> saltelli_column;

    std::vector<std::string> arm_names;
    std::vector<std::int8_t> arm_control;
    std::vector<std::int32_t> outcome_weeks;
    bool trajectories = false;

    std::int64_t rows() const { return shard.rows(runs_total); }
    OutcomeLayout layout() const;
    /// The identity of a run (the same formula as SweepPlan::run_key).
    RunKey run_key(std::int64_t run_id) const;
};

/// The header of the file of `shard` of `plan`.
SweepHeader make_header(const SweepPlan& plan, const Shard& shard);

/// Throws InputError naming `path` and the first difference unless the sweep stored in a file
/// (`stored`) is the one `planned` describes: same scenario text, overrides, sweep section,
/// Kindred version, design and (when `compare_shard`) shard.
void check_same_sweep(const SweepHeader& stored, const SweepHeader& planned,
                      const std::filesystem::path& path, bool compare_shard = true);

namespace detail {
struct OpenSweepFile;
}

/// One sweep file, open for reading or writing. Not copyable.
class SweepFile {
  public:
    /// Writes a new file with every row not done (under "<path>.tmp-<pid>", synced to disk,
    /// then renamed to `path` when its structure is complete) and opens it for writing. A file
    /// at `path` is replaced only when `replace` (--overwrite); otherwise one there, even one
    /// another process created meanwhile, is an InputError and is left alone. Throws
    /// RuntimeFailure on I/O errors.
    static std::unique_ptr<SweepFile> create(const std::filesystem::path& path,
                                             const SweepHeader& header, bool replace = false);
    /// Opens an existing sweep file. Throws InputError when it is not a sweep file (format,
    /// version), RuntimeFailure on I/O errors.
    static std::unique_ptr<SweepFile> open(const std::filesystem::path& path, bool writable);

    ~SweepFile();
    SweepFile(const SweepFile&) = delete;
    SweepFile& operator=(const SweepFile&) = delete;

    const SweepHeader& header() const;
    const std::filesystem::path& path() const;
    bool complete() const;

    /// Per row: 1 when the run is done.
    std::vector<std::int8_t> done() const;
    /// Run ids of this file not yet done, ascending.
    std::vector<std::int64_t> missing_runs() const;

    /// Writes run `run_id`'s outcomes (header().layout().size values) into its row and
    /// flushes the file. Its done flag is set by the next commit, at most a second later:
    /// the rows written since the last commit are synced to the disk, then their flags set
    /// (without set_sync_each_run, at once). done(), missing_runs(), set_complete() and the
    /// destructor commit first. Throws std::invalid_argument for a run not in this file or a
    /// wrong size, RuntimeFailure on I/O errors.
    void write_run(std::int64_t run_id, std::span<const double> outcomes);

    /// Syncs the rows written so far and sets their done flags now.
    void commit();

    /// Whether write_run's rows are synced to the disk before their flags are set (default:
    /// yes, so that done runs survive the machine's failure). A file that gets its name only
    /// when whole (kindred merge's) is synced once by set_complete instead.
    void set_sync_each_run(bool sync);

    /// Sets the root attribute complete = 1 (every row must be done), flushes and syncs.
    void set_complete();

    /// Seconds spent in write_run, create and set_complete (the output share of a sweep).
    double output_seconds() const;

    /// All rows of outcome field f of header().layout(), row-major.
    std::vector<double> read_outcome_field(std::size_t f) const;

  private:
    explicit SweepFile(std::unique_ptr<detail::OpenSweepFile> file);
    std::unique_ptr<detail::OpenSweepFile> file_;
};

/// Joins the complete shard files `inputs` into `output` (written under a temporary name and
/// renamed when complete), equal to the file one process would have written for the whole
/// sweep. Throws InputError naming the files when they are not sweep files, come from
/// different sweeps, are incomplete, overlap or leave runs missing. `stop_signal` (when given)
/// is asked between rows: a signal it returns stops the merge, removes the temporary file and
/// throws Interrupted (nothing is written under `output`).
void merge_sweep_files(const std::vector<std::filesystem::path>& inputs,
                       const std::filesystem::path& output,
                       const std::function<int()>& stop_signal = {});

}  // namespace kindred::sweep
