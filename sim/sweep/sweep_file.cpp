// The HDF5 sweep file: the one place that knows the layout of docs/hdf5-layout.md, "Sweep
// files". Written with the HDF5 C API; every call is checked and failures become
// RuntimeFailure naming the file, the object and HDF5's own explanation.
//
// Crash safety: the whole structure (every group, attribute and dataset, at full size) is
// written and flushed before the file gets its final name, and runs only overwrite raw data
// in place (contiguous, early-allocated datasets: no metadata changes). A run's row is
// written before its done flag, each followed by a flush, so a killed process leaves a valid
// file in which every row with done = 1 is complete.
#include "sweep/sweep_file.hpp"

#include <fmt/format.h>
#include <hdf5.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <charconv>
#include <chrono>
#include <cmath>
#include <condition_variable>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <limits>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <stdexcept>
#include <system_error>
#include <thread>
#include <utility>

#include "hdf5/common.hpp"
#include "trial/interrupt.hpp"
#include "trial/trial.hpp"

namespace kindred::sweep {

/// The longest a written run waits for its done flag (SweepFile::write_run).
constexpr auto kCommitInterval = std::chrono::seconds(1);
namespace {

constexpr const char* kFormat = "kindred-sweep";
constexpr std::int32_t kFormatVersion = 1;
constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

using hdf5::H5Types;
using hdf5::Handle;

/// Checked HDF5 operations on one file; failures throw RuntimeFailure naming the file.
/// Callers hold the HDF5 lock.
class Io : public hdf5::Checked {
  public:
    Io() = default;
    Io(std::string label, bool writing) : label_(std::move(label)), writing_(writing) {}
    /// An Io for opening a file given by the user: a failure means the file is damaged (a
    /// truncated file, a missing attribute), an InputError naming `path`.
    static Io for_input(const std::filesystem::path& path, bool writing) {
        Io io(fmt::format("'{}'", path.string()), writing);
        io.input_path_ = path.string();
        return io;
    }

    [[noreturn]] void fail(const std::string& what) const override {
        const std::string detail = hdf5::error_detail();
        if (!input_path_.empty()) {
            if (auto in_use = hdf5::in_use_message(detail, input_path_, "a sweep file")) {
                throw InputError(*in_use);
            }
        }
        if (!input_path_.empty()) {
            throw InputError(
                fmt::format("{}: expected a readable kindred sweep file, found a damaged one: {}{}",
                            input_path_, what, detail.empty() ? "" : ": " + detail));
        }
        throw RuntimeFailure(fmt::format("cannot {} sweep file {}: {}{}",
                                         writing_ ? "write" : "read", label_, what,
                                         detail.empty() ? "" : ": " + detail));
    }
    const std::string& label() const { return label_; }

    // ---- writing ----

    /// A group that does not record modification times.
    Handle group(hid_t parent, const std::string& name) const {
        const Handle properties(check(H5Pcreate(H5P_GROUP_CREATE), "cannot create " + name),
                                H5Pclose);
        check_status(H5Pset_obj_track_times(properties.get(), 0), "cannot create " + name);
        return create_group(parent, name, properties.get());
    }

    /// A contiguous dataset allocated in full at creation and filled with `fill`; `data`
    /// (when not empty) is written into it.
    template <typename T>
    Handle dataset(hid_t parent, const std::string& name, const std::vector<hsize_t>& dims, T fill,
                   const std::vector<T>& data = {}) const {
        const std::string what = "cannot write dataset " + name;
        const Handle properties(check(H5Pcreate(H5P_DATASET_CREATE), what), H5Pclose);
        check_status(H5Pset_layout(properties.get(), H5D_CONTIGUOUS), what);
        check_status(H5Pset_alloc_time(properties.get(), H5D_ALLOC_TIME_EARLY), what);
        check_status(H5Pset_fill_time(properties.get(), H5D_FILL_TIME_ALLOC), what);
        check_status(H5Pset_fill_value(properties.get(), H5Types<T>::memory(), &fill), what);
        check_status(H5Pset_obj_track_times(properties.get(), 0), what);
        return write_dataset<T>(parent, name, dims, data, properties.get());
    }

    void strings(hid_t parent, const std::string& name,
                 const std::vector<std::string>& values) const {
        const std::string what = "cannot write dataset " + name;
        const Handle properties(check(H5Pcreate(H5P_DATASET_CREATE), what), H5Pclose);
        check_status(H5Pset_obj_track_times(properties.get(), 0), what);
        write_strings(parent, name, values, properties.get());
    }

    // ---- reading ----

    bool exists(hid_t parent, const std::string& name) const {
        return H5Lexists(parent, name.c_str(), H5P_DEFAULT) > 0;
    }

    std::string read_string_attribute(hid_t object, const std::string& name) const {
        const Handle attribute = open_attribute(object, name);
        const Handle type = string_type();
        char* text = nullptr;
        check_status(H5Aread(attribute.get(), type.get(), &text), "cannot read attribute " + name);
        return hdf5::take_strings({&text, 1}).front();
    }

    std::vector<std::string> read_strings_attribute(hid_t object, const std::string& name) const {
        const Handle attribute = open_attribute(object, name);
        const Handle space(check(H5Aget_space(attribute.get()), "cannot read " + name), H5Sclose);
        return read_texts(
            space.get(), "cannot read attribute " + name,
            [&](hid_t type, void* buffer) { return H5Aread(attribute.get(), type, buffer); });
    }

    template <typename T>
    T read_attribute(hid_t object, const std::string& name) const {
        const Handle attribute = open_attribute(object, name);
        T value{};
        check_status(H5Aread(attribute.get(), H5Types<T>::memory(), &value),
                     "cannot read attribute " + name);
        return value;
    }

    template <typename T>
    std::vector<T> read_dataset(hid_t parent, const std::string& name,
                                std::vector<hsize_t>* dims_out = nullptr) const {
        const Handle dataset = open_dataset(parent, name);
        const Handle space(check(H5Dget_space(dataset.get()), "cannot read " + name), H5Sclose);
        const std::vector<hsize_t> dims = hdf5::extent(space.get());
        std::size_t count = 1;
        for (hsize_t length : dims) count *= static_cast<std::size_t>(length);
        if (dims_out != nullptr) *dims_out = dims;
        return read_values<T>(dataset.get(), count, "cannot read dataset " + name);
    }

    std::vector<std::string> read_strings(hid_t parent, const std::string& name) const {
        const Handle dataset = open_dataset(parent, name);
        const Handle space(check(H5Dget_space(dataset.get()), "cannot read " + name), H5Sclose);
        return read_texts(
            space.get(), "cannot read dataset " + name, [&](hid_t type, void* buffer) {
                return H5Dread(dataset.get(), type, H5S_ALL, H5S_ALL, H5P_DEFAULT, buffer);
            });
    }

  private:
    /// Variable-length strings, as many as `space` holds, by `read(memory type, buffer)`.
    template <typename Read>
    std::vector<std::string> read_texts(hid_t space, const std::string& what, Read read) const {
        const auto count = static_cast<std::size_t>(H5Sget_simple_extent_npoints(space));
        std::vector<char*> texts(count, nullptr);
        const Handle type = string_type();
        if (count > 0) check_status(read(type.get(), texts.data()), what);
        return hdf5::take_strings(texts);
    }

    std::string label_;
    bool writing_ = false;
    std::string input_path_;  ///< set by for_input
};

Handle file_access_properties(const Io& io) {
    Handle properties(io.check(H5Pcreate(H5P_FILE_ACCESS), "cannot create file properties"),
                      H5Pclose);
    // Raw data goes straight to the file: no sieve buffer holds a row back.
    io.check_status(H5Pset_sieve_buf_size(properties.get(), 0), "cannot set file properties");
    return properties;
}

std::string join_lines(const std::vector<std::string>& lines) {
    std::string text;
    for (const std::string& line : lines) {
        if (!text.empty()) text += '\n';
        text += line;
    }
    return text;
}

std::string_view kind_name(ValueKind kind) {
    switch (kind) {
        case ValueKind::real:
            return "real";
        case ValueKind::integer:
            return "integer";
        case ValueKind::reciprocity:
            return "reciprocity";
        case ValueKind::expertise:
            return "expertise";
    }
    return "real";
}

}  // namespace

namespace detail {

/// The state of one open sweep file.
struct OpenSweepFile {
    std::filesystem::path path;
    SweepHeader header;
    OutcomeLayout layout;
    Io io;
    Handle file;
    Handle done;
    std::vector<Handle> outcome_datasets;  ///< in layout.fields order
    bool writable = false;
    bool complete = false;
    bool sync_each_run = true;
    double output_seconds = 0.0;
    /// Rows written whose done flags wait for the next commit (sync_each_run).
    std::vector<hsize_t> pending;
    std::chrono::steady_clock::time_point last_commit = std::chrono::steady_clock::now();

    /// Sets the done flag of `row` and flushes. Caller holds the lock.
    void mark_done(hsize_t row) {
        const std::string what = "cannot mark row " + std::to_string(row) + " done";
        const hsize_t count = 1;
        const Handle file_space(io.check(H5Dget_space(done.get()), what), H5Sclose);
        io.check_status(
            H5Sselect_hyperslab(file_space.get(), H5S_SELECT_SET, &row, nullptr, &count, nullptr),
            what);
        const Handle memory_space(io.check(H5Screate_simple(1, &count, nullptr), what), H5Sclose);
        const std::int8_t one = 1;
        io.check_status(H5Dwrite(done.get(), H5T_NATIVE_INT8, memory_space.get(), file_space.get(),
                                 H5P_DEFAULT, &one),
                        what);
    }

    /// The rows written since the last commit go to the disk, then their flags are set: a
    /// flag that survives the machine's failure always has its row. Caller holds the lock.
    void commit() {
        if (background_error) std::rethrow_exception(std::exchange(background_error, nullptr));
        if (pending.empty()) return;
        io.check_status(H5Fflush(file.get(), H5F_SCOPE_LOCAL), "cannot flush the file");
        if (const int error = hdf5::sync_to_disk(file.get()); error > 0) {
            io.fail(fmt::format("cannot sync the file to the disk ({})", std::strerror(error)));
        }
        for (const hsize_t row : pending) mark_done(row);
        io.check_status(H5Fflush(file.get(), H5F_SCOPE_LOCAL), "cannot flush the file");
        pending.clear();
        last_commit = std::chrono::steady_clock::now();
    }

    /// A thread that commits what waits longer than kCommitInterval, so that a finished run's
    /// flag never waits for the next run to finish (which can take hours). Writable files
    /// only; stopped before the file is closed.
    std::thread committer;
    std::mutex wake_mutex;
    std::condition_variable wake;
    bool stopping = false;
    std::exception_ptr background_error;  ///< a failed background commit, thrown by the next

    void start_committer() {
        committer = std::thread([this] {
            std::unique_lock<std::mutex> guard(wake_mutex);
            while (!wake.wait_for(guard, kCommitInterval, [this] { return stopping; })) {
                guard.unlock();
                {
                    const hdf5::Lock lock;
                    if (!background_error && !pending.empty() &&
                        std::chrono::steady_clock::now() - last_commit >= kCommitInterval) {
                        try {
                            commit();
                        } catch (...) {
                            background_error = std::current_exception();
                        }
                    }
                }
                guard.lock();
            }
        });
    }

    OpenSweepFile() = default;
    OpenSweepFile(const OpenSweepFile&) = delete;
    OpenSweepFile& operator=(const OpenSweepFile&) = delete;
    ~OpenSweepFile() { stop_committer(); }

    void stop_committer() {
        {
            const std::lock_guard<std::mutex> guard(wake_mutex);
            stopping = true;
        }
        wake.notify_all();
        if (committer.joinable()) committer.join();
    }

    void open_datasets() {
        const Handle runs(
            io.check(H5Gopen2(file.get(), "runs", H5P_DEFAULT), "cannot open group /runs"),
            H5Gclose);
        done = Handle(
            io.check(H5Dopen2(runs.get(), "done", H5P_DEFAULT), "cannot open dataset /runs/done"),
            H5Dclose);
        outcome_datasets.clear();
        for (const OutcomeField& field : layout.fields) {
            outcome_datasets.emplace_back(
                io.check(H5Dopen2(runs.get(), field.name.c_str(), H5P_DEFAULT),
                         "cannot open dataset /runs/" + field.name),
                H5Dclose);
        }
    }
};

}  // namespace detail

std::string Shard::label() const { return fmt::format("{}/{}", index, count); }

Shard parse_shard(std::string_view text) {
    const auto fail = [&](std::string_view found) {
        throw InputError(
            fmt::format("--shard {}: expected I/N with integers 0 ≤ I < N, found {}", text, found));
    };
    const std::size_t slash = text.find('/');
    if (slash == std::string_view::npos) fail("no '/'");
    int index = -1, count = 0;
    const auto parse = [](std::string_view part, int& value) {
        const auto [end, error] = std::from_chars(part.data(), part.data() + part.size(), value);
        return error == std::errc() && end == part.data() + part.size() && !part.empty();
    };
    if (!parse(text.substr(0, slash), index) || !parse(text.substr(slash + 1), count)) {
        fail(fmt::format("'{}'", text));
    }
    if (count < 1 || index < 0 || index >= count) fail(fmt::format("{} of {}", index, count));
    return Shard{index, count};
}

std::optional<Shard> shard_from_slurm() {
    const char* id_text = std::getenv("SLURM_ARRAY_TASK_ID");
    if (id_text == nullptr || *id_text == '\0') return std::nullopt;
    const auto read = [](const char* name, const char* fallback) -> long long {
        const char* value = std::getenv(name);
        std::string_view text = value != nullptr && *value != '\0' ? value : fallback;
        long long number = 0;
        const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), number);
        if (text.empty() || error != std::errc() || end != text.data() + text.size()) {
            throw InputError(
                fmt::format("environment: {}: expected an integer, found '{}'", name, text));
        }
        return number;
    };
    const long long id = read("SLURM_ARRAY_TASK_ID", "");
    const long long min = read("SLURM_ARRAY_TASK_MIN", "0");
    const long long count = read("SLURM_ARRAY_TASK_COUNT", "");
    const long long step = read("SLURM_ARRAY_TASK_STEP", "1");
    if (step != 1) {
        throw InputError(fmt::format(
            "environment: SLURM_ARRAY_TASK_STEP: expected 1 (a job array --array=0-(N-1) with "
            "every index), found {}",
            step));
    }
    const long long max = read("SLURM_ARRAY_TASK_MAX", std::to_string(min + count - 1).c_str());
    const long long index = id - min;
    // A re-run of some tasks (--array=5,11, or --array=5) has other MIN, MAX and COUNT than the
    // array that made the shards: the shard cannot be told from them.
    if (count < 2 || max - min + 1 != count || index < 0 || index >= count) {
        throw InputError(fmt::format(
            "environment: SLURM_ARRAY_TASK_ID={} with SLURM_ARRAY_TASK_MIN={}, "
            "SLURM_ARRAY_TASK_MAX={} and SLURM_ARRAY_TASK_COUNT={}: expected a task of a "
            "contiguous array of two or more tasks (a re-run of some tasks of an array cannot "
            "say its shard: pass --shard I/N)",
            id, min, max, count));
    }
    return Shard{static_cast<int>(index), static_cast<int>(count)};
}

std::filesystem::path shard_path(const std::filesystem::path& path, const Shard& shard) {
    if (shard.count == 1) return path;
    const auto width = std::to_string(shard.count - 1).size();
    std::filesystem::path result = path;
    result.replace_filename(fmt::format("{}.shard-{:0{}}-of-{}{}", path.stem().string(),
                                        shard.index, width, shard.count,
                                        path.extension().string()));
    return result;
}

OutcomeLayout SweepHeader::layout() const {
    return OutcomeLayout::make(static_cast<int>(arm_names.size()),
                               {outcome_weeks.begin(), outcome_weeks.end()}, weeks, trajectories);
}

RunKey SweepHeader::run_key(std::int64_t run_id) const {
    RunKey key;
    key.run_id = run_id;
    key.replicate = static_cast<std::int32_t>(run_id / points);
    key.point = order[static_cast<std::size_t>(run_id % points)];
    key.stream = common_random_numbers ? static_cast<std::uint64_t>(key.replicate)
                                       : static_cast<std::uint64_t>(key.point) *
                                                 static_cast<std::uint64_t>(replicates) +
                                             static_cast<std::uint64_t>(key.replicate);
    return key;
}

SweepHeader make_header(const SweepPlan& plan, const Shard& shard) {
    SweepHeader header;
    header.kindred_version = kindred_version();
    header.scenario_name = plan.base.name;
    header.scenario_path = plan.scenario_path.string();
    header.scenario_text = plan.scenario_text;
    header.overrides = join_lines(plan.base_overrides);
    header.sweep_definition = plan.sweep.definition;
    header.digest = plan.digest;
    header.design = std::string(to_string(plan.sweep.design));
    header.design_size = plan.sweep.points;
    header.second_order = plan.sweep.second_order;
    header.common_random_numbers = plan.sweep.common_random_numbers;
    header.seed = plan.base.seed;
    header.weeks = plan.base.weeks;
    header.points = plan.point_count;
    header.replicates = plan.sweep.replicates;
    header.runs_total = plan.runs_total();
    header.shard = shard;
    for (const VariableSpec& variable : plan.sweep.variables) {
        header.variables.push_back(variable.name);
        header.variable_kinds.emplace_back(kind_name(variable.kind));
    }
    header.values = plan.values;
    header.unit = plan.unit;
    header.level = plan.level;
    header.point_overrides = plan.point_overrides;
    header.order = plan.order;
    if (plan.sweep.design == DesignKind::saltelli) {
        header.saltelli_base = plan.saltelli.base;
        header.saltelli_column = plan.saltelli.column;
        for (SaltelliBlock block : plan.saltelli.block) {
            header.saltelli_block.push_back(static_cast<std::int8_t>(block));
        }
    }
    for (std::size_t a = 0; a < plan.base.arms.size(); ++a) {
        header.arm_names.push_back(plan.base.arms[a].name);
        header.arm_control.push_back(static_cast<int>(a) == plan.base.control_arm ? 1 : 0);
    }
    header.outcome_weeks.assign(plan.sweep.outcome_weeks.begin(), plan.sweep.outcome_weeks.end());
    header.trajectories = plan.sweep.trajectories;
    return header;
}

void check_same_sweep(const SweepHeader& stored, const SweepHeader& planned,
                      const std::filesystem::path& path, bool compare_shard) {
    // compare_shard is false for kindred merge, which compares shards with one another.
    const auto differ = [&](std::string_view what) {
        throw InputError(fmt::format(
            "{}: holds a different sweep: {} ({})", path.string(), what,
            compare_shard ? "a sweep file continues only the sweep that made it; write to "
                            "another file, or --overwrite"
                          : "the shards of a merge must all come from one sweep: the same "
                            "scenario, --set options and Kindred version"));
    };
    if (stored.scenario_text != planned.scenario_text) {
        differ(fmt::format("the scenario text differs from {}'s", planned.scenario_path));
    }
    if (stored.overrides != planned.overrides) {
        differ(fmt::format("its --set overrides are [{}], these are [{}]", stored.overrides,
                           planned.overrides));
    }
    if (stored.sweep_definition != planned.sweep_definition) differ("the sweep section differs");
    if (stored.kindred_version != planned.kindred_version) {
        differ(fmt::format("it was written by Kindred {}, this is {}", stored.kindred_version,
                           planned.kindred_version));
    }
    if (compare_shard && stored.shard != planned.shard) {
        differ(fmt::format("it is shard {}, this is shard {}", stored.shard.label(),
                           planned.shard.label()));
    }
    if (stored.runs_total != planned.runs_total || stored.digest != planned.digest ||
        stored.values != planned.values) {
        differ("its design or runs differ from the ones this program computes (digest " +
               stored.digest + " vs " + planned.digest + ")");
    }
}

// ---- SweepFile ----

SweepFile::SweepFile(std::unique_ptr<detail::OpenSweepFile> file) : file_(std::move(file)) {}

SweepFile::~SweepFile() {
    if (!file_) return;
    file_->stop_committer();
    const hdf5::Lock lock;
    try {
        file_->commit();  // runs written before an error or a stop keep their flags
    } catch (...) {       // NOLINT(bugprone-empty-catch): a destructor must not throw; the rows
    }                     // without flags are run again by --resume
    file_->outcome_datasets.clear();
    file_->done.reset();
    file_->file.reset();
}

const SweepHeader& SweepFile::header() const { return file_->header; }
const std::filesystem::path& SweepFile::path() const { return file_->path; }
bool SweepFile::complete() const { return file_->complete; }
double SweepFile::output_seconds() const { return file_->output_seconds; }

std::unique_ptr<SweepFile> SweepFile::create(const std::filesystem::path& path,
                                             const SweepHeader& header, bool replace) {
    const auto started = std::chrono::steady_clock::now();
    const Io io(fmt::format("'{}'", path.string()), true);
    if (path.has_parent_path()) {
        std::error_code error;
        std::filesystem::create_directories(path.parent_path(), error);
        if (error) {
            throw RuntimeFailure(
                fmt::format("cannot write sweep file '{}': cannot create "
                            "directory '{}': {}",
                            path.string(), path.parent_path().string(), error.message()));
        }
    }
    std::filesystem::path temporary = path;
    temporary += fmt::format(".tmp-{}", static_cast<long>(getpid()));
    const OutcomeLayout layout = header.layout();
    const auto rows = static_cast<hsize_t>(header.rows());
    const auto points = static_cast<hsize_t>(header.points);
    const auto variables = static_cast<hsize_t>(header.variables.size());
    {
        const hdf5::Lock lock;
        try {
            const Handle access = file_access_properties(io);
            const Handle file(
                io.check(H5Fcreate(temporary.c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, access.get()),
                         fmt::format("cannot create '{}'", temporary.string())),
                H5Fclose);
            const hid_t root = file.get();
            io.write_attribute(root, "format", std::string(kFormat));
            io.write_attribute<std::int32_t>(root, "format_version", kFormatVersion);
            io.write_attribute(root, "kindred_version", header.kindred_version);
            io.write_attribute(root, "scenario_name", header.scenario_name);
            io.write_attribute(root, "scenario_path", header.scenario_path);
            io.write_attribute(root, "scenario_text", header.scenario_text);
            io.write_attribute(root, "overrides", header.overrides);
            io.write_attribute(root, "sweep_definition", header.sweep_definition);
            io.write_attribute(root, "digest", header.digest);
            io.write_attribute(root, "design", header.design);
            io.write_attribute<std::int64_t>(root, "design_size", header.design_size);
            io.write_attribute<std::int8_t>(root, "second_order", header.second_order ? 1 : 0);
            io.write_attribute<std::int8_t>(root, "common_random_numbers",
                                            header.common_random_numbers ? 1 : 0);
            io.write_attribute<std::uint64_t>(root, "seed", header.seed);
            io.write_attribute<std::int32_t>(root, "weeks", header.weeks);
            io.write_attribute<std::int64_t>(root, "points", header.points);
            io.write_attribute<std::int32_t>(root, "replicates", header.replicates);
            io.write_attribute<std::int64_t>(root, "runs_total", header.runs_total);
            io.write_attribute<std::int32_t>(root, "shard_index", header.shard.index);
            io.write_attribute<std::int32_t>(root, "shard_count", header.shard.count);
            io.write_attribute<std::int64_t>(root, "runs_in_file", header.rows());
            io.write_attribute<std::int8_t>(root, "trajectories", header.trajectories ? 1 : 0);
            io.write_attribute<std::int8_t>(root, "complete", 0);
            io.write_attribute(root, "created", hdf5::utc_timestamp());
            io.dataset<std::int32_t>(root, "outcome_weeks", {header.outcome_weeks.size()}, 0,
                                     header.outcome_weeks);

            const Handle design = io.group(root, "design");
            io.write_attribute(design.get(), "variables", header.variables);
            io.strings(design.get(), "variables", header.variables);
            io.strings(design.get(), "kind", header.variable_kinds);
            io.dataset<double>(design.get(), "values", {points, variables}, kNaN, header.values);
            io.dataset<double>(design.get(), "unit", {points, variables}, kNaN, header.unit);
            io.dataset<std::int32_t>(design.get(), "level", {points, variables}, -1, header.level);
            io.strings(design.get(), "overrides", header.point_overrides);
            io.dataset<std::int64_t>(design.get(), "order", {points}, -1, header.order);
            if (!header.saltelli_base.empty()) {
                const Handle saltelli = io.group(design.get(), "saltelli");
                io.dataset<std::int32_t>(saltelli.get(), "base", {points}, -1,
                                         header.saltelli_base);
                const Handle block = io.dataset<std::int8_t>(saltelli.get(), "block", {points}, -1,
                                                             header.saltelli_block);
                io.write_attribute(block.get(), "names",
                                   std::vector<std::string>{"A", "B", "AB", "BA"});
                io.dataset<std::int32_t>(saltelli.get(), "column", {points}, -1,
                                         header.saltelli_column);
            }

            const Handle arms = io.group(root, "arms");
            io.strings(arms.get(), "name", header.arm_names);
            io.dataset<std::int8_t>(arms.get(), "control", {header.arm_names.size()}, 0,
                                    header.arm_control);

            const Handle runs = io.group(root, "runs");
            std::vector<std::int64_t> run_id(rows), point(rows);
            std::vector<std::int32_t> replicate(rows);
            std::vector<std::uint64_t> stream(rows), seed(rows, header.seed);
            std::vector<double> values(rows * variables);
            for (hsize_t r = 0; r < rows; ++r) {
                const RunKey key =
                    header.run_key(header.shard.run_of_row(static_cast<std::int64_t>(r)));
                run_id[r] = key.run_id;
                point[r] = key.point;
                replicate[r] = key.replicate;
                stream[r] = key.stream;
                for (hsize_t v = 0; v < variables; ++v) {
                    values[r * variables + v] =
                        header.values[static_cast<std::size_t>(key.point) * variables + v];
                }
            }
            io.dataset<std::int8_t>(runs.get(), "done", {rows}, 0);
            io.dataset<std::int64_t>(runs.get(), "run_id", {rows}, -1, run_id);
            io.dataset<std::int64_t>(runs.get(), "point", {rows}, -1, point);
            io.dataset<std::int32_t>(runs.get(), "replicate", {rows}, -1, replicate);
            io.dataset<std::uint64_t>(runs.get(), "stream", {rows}, 0, stream);
            io.dataset<std::uint64_t>(runs.get(), "seed", {rows}, 0, seed);
            const Handle values_set =
                io.dataset<double>(runs.get(), "values", {rows, variables}, kNaN, values);
            io.write_attribute(values_set.get(), "columns", header.variables);
            std::optional<Handle> trajectories;
            if (header.trajectories) trajectories.emplace(io.group(runs.get(), "trajectories"));
            for (const OutcomeField& field : layout.fields) {
                std::vector<hsize_t> dims = {rows};
                for (std::size_t extent : field.shape) dims.push_back(extent);
                const Handle dataset = io.dataset<double>(runs.get(), field.name, dims, kNaN);
                io.write_attribute(dataset.get(), "meaning", field.meaning);
                if (field.shape.size() == 3) {
                    io.write_attribute(
                        dataset.get(), "columns",
                        std::vector<std::string>{"professional", "peer", "friend", "family"});
                }
            }
            io.check_status(H5Fflush(root, H5F_SCOPE_GLOBAL), "cannot flush the file");
            // On the disk before it gets its name: a file under the final name is whole even
            // after the machine fails.
            if (const int failed = hdf5::sync_to_disk(root); failed > 0) {
                io.fail(
                    fmt::format("cannot sync the file to the disk ({})", std::strerror(failed)));
            }
        } catch (...) {
            std::error_code ignored;
            std::filesystem::remove(temporary, ignored);
            throw;
        }
    }
    std::error_code error;
    if (replace) {
        std::filesystem::rename(temporary, path, error);
    } else if (const int failed = hdf5::rename_no_replace(temporary.string(), path.string())) {
        error = std::error_code(failed, std::generic_category());
    }
    if (error) {
        std::error_code ignored;
        std::filesystem::remove(temporary, ignored);
        if (error == std::errc::file_exists) {
            throw InputError(fmt::format(
                "{}: expected a new sweep file, found one that another process created while "
                "this one prepared it (two tasks for one shard?); it is left as it is",
                path.string()));
        }
        throw RuntimeFailure(
            fmt::format("cannot write sweep file '{}': cannot rename '{}' to "
                        "it: {}",
                        path.string(), temporary.string(), error.message()));
    }
    hdf5::sync_folder_of(path.string());
    std::unique_ptr<SweepFile> file = open(path, true);
    file->file_->output_seconds +=
        std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    return file;
}

std::unique_ptr<SweepFile> SweepFile::open(const std::filesystem::path& path, bool writable) {
    // Opening for writing changes the file (HDF5 writes its superblock): a file that is not a
    // sweep file, or a damaged one, must be rejected by a read-only open first.
    if (writable) open(path, false);
    auto state = std::make_unique<detail::OpenSweepFile>();
    state->path = path;
    state->writable = writable;
    state->io = Io::for_input(path, writable);
    const Io& io = state->io;
    std::error_code ec;
    if (!std::filesystem::is_regular_file(path, ec)) {
        throw InputError(fmt::format("{}: no such sweep file", path.string()));
    }
    const hdf5::Lock lock;
    if (H5Fis_hdf5(path.c_str()) <= 0) {
        hdf5::error_detail();
        throw InputError(
            fmt::format("{}: not an HDF5 file (expected a kindred sweep file)", path.string()));
    }
    const Handle access = file_access_properties(io);
    state->file = Handle(
        io.check(H5Fopen(path.c_str(), writable ? H5F_ACC_RDWR : H5F_ACC_RDONLY, access.get()),
                 "cannot open the file"),
        H5Fclose);
    const hid_t root = state->file.get();
    const auto not_sweep = [&](const std::string& found) {
        throw InputError(
            fmt::format("{}: expected a sweep file (format '{}' version {}), "
                        "found {}",
                        path.string(), kFormat, kFormatVersion, found));
    };
    if (H5Aexists(root, "format") <= 0) not_sweep("no 'format' attribute");
    const std::string format = io.read_string_attribute(root, "format");
    if (format != kFormat) not_sweep("format '" + format + "'");
    const auto version = io.read_attribute<std::int32_t>(root, "format_version");
    if (version != kFormatVersion) not_sweep(fmt::format("version {}", version));

    SweepHeader& header = state->header;
    header.kindred_version = io.read_string_attribute(root, "kindred_version");
    header.scenario_name = io.read_string_attribute(root, "scenario_name");
    header.scenario_path = io.read_string_attribute(root, "scenario_path");
    header.scenario_text = io.read_string_attribute(root, "scenario_text");
    header.overrides = io.read_string_attribute(root, "overrides");
    header.sweep_definition = io.read_string_attribute(root, "sweep_definition");
    header.digest = io.read_string_attribute(root, "digest");
    header.design = io.read_string_attribute(root, "design");
    header.design_size = io.read_attribute<std::int64_t>(root, "design_size");
    header.second_order = io.read_attribute<std::int8_t>(root, "second_order") != 0;
    header.common_random_numbers =
        io.read_attribute<std::int8_t>(root, "common_random_numbers") != 0;
    header.seed = io.read_attribute<std::uint64_t>(root, "seed");
    header.weeks = io.read_attribute<std::int32_t>(root, "weeks");
    header.points = io.read_attribute<std::int64_t>(root, "points");
    header.replicates = io.read_attribute<std::int32_t>(root, "replicates");
    header.runs_total = io.read_attribute<std::int64_t>(root, "runs_total");
    header.shard.index = io.read_attribute<std::int32_t>(root, "shard_index");
    header.shard.count = io.read_attribute<std::int32_t>(root, "shard_count");
    header.trajectories = io.read_attribute<std::int8_t>(root, "trajectories") != 0;
    state->complete = io.read_attribute<std::int8_t>(root, "complete") != 0;
    header.outcome_weeks = io.read_dataset<std::int32_t>(root, "outcome_weeks");

    const Handle design(io.check(H5Gopen2(root, "design", H5P_DEFAULT), "cannot open /design"),
                        H5Gclose);
    header.variables = io.read_strings(design.get(), "variables");
    header.variable_kinds = io.read_strings(design.get(), "kind");
    header.values = io.read_dataset<double>(design.get(), "values");
    header.unit = io.read_dataset<double>(design.get(), "unit");
    header.level = io.read_dataset<std::int32_t>(design.get(), "level");
    header.point_overrides = io.read_strings(design.get(), "overrides");
    header.order = io.read_dataset<std::int64_t>(design.get(), "order");
    if (io.exists(design.get(), "saltelli")) {
        const Handle saltelli(io.check(H5Gopen2(design.get(), "saltelli", H5P_DEFAULT),
                                       "cannot open /design/saltelli"),
                              H5Gclose);
        header.saltelli_base = io.read_dataset<std::int32_t>(saltelli.get(), "base");
        header.saltelli_block = io.read_dataset<std::int8_t>(saltelli.get(), "block");
        header.saltelli_column = io.read_dataset<std::int32_t>(saltelli.get(), "column");
    }
    const Handle arms(io.check(H5Gopen2(root, "arms", H5P_DEFAULT), "cannot open /arms"), H5Gclose);
    header.arm_names = io.read_strings(arms.get(), "name");
    header.arm_control = io.read_dataset<std::int8_t>(arms.get(), "control");

    // A damaged header must not reach the arithmetic of shards and runs (a division by zero).
    const auto inconsistent = [&](const std::string& what) {
        throw InputError(
            fmt::format("{}: expected a readable kindred sweep file, found a damaged one: {}",
                        path.string(), what));
    };
    const std::size_t cells = static_cast<std::size_t>(std::max<std::int64_t>(header.points, 0)) *
                              header.variables.size();
    if (header.shard.count < 1 || header.shard.index < 0 ||
        header.shard.index >= header.shard.count) {
        inconsistent(fmt::format("shard {}/{}", header.shard.index, header.shard.count));
    }
    if (header.points < 1 || header.replicates < 1 || header.weeks < 1 ||
        header.runs_total != header.points * header.replicates) {
        inconsistent(fmt::format("{} points × {} replicates, {} runs, {} weeks", header.points,
                                 header.replicates, header.runs_total, header.weeks));
    }
    if (header.order.size() != static_cast<std::size_t>(header.points) ||
        std::any_of(header.order.begin(), header.order.end(),
                    [&](std::int64_t p) { return p < 0 || p >= header.points; }) ||
        header.values.size() != cells || header.unit.size() != cells ||
        header.level.size() != cells || header.point_overrides.size() != header.order.size() ||
        header.variable_kinds.size() != header.variables.size()) {
        inconsistent("/design: datasets of inconsistent shapes or values");
    }
    if (header.arm_control.size() != header.arm_names.size() ||
        std::any_of(header.outcome_weeks.begin(), header.outcome_weeks.end(),
                    [&](std::int32_t w) { return w < 0 || w > header.weeks; })) {
        inconsistent("/arms or /outcome_weeks: inconsistent with the header");
    }
    state->layout = header.layout();
    state->open_datasets();
    // Opened and read: from now on a failure is an I/O error, not the file given.
    state->io = Io(fmt::format("'{}'", path.string()), writable);
    if (writable) state->start_committer();
    return std::unique_ptr<SweepFile>(new SweepFile(std::move(state)));
}

std::vector<double> SweepFile::read_outcome_field(std::size_t f) const {
    const hdf5::Lock lock;
    const Io& io = file_->io;
    const hid_t dataset = file_->outcome_datasets.at(f).get();
    return io.read_values<double>(
        dataset, static_cast<std::size_t>(file_->header.rows()) * file_->layout.field_size(f),
        "cannot read /runs/" + file_->layout.fields[f].name);
}

void SweepFile::commit() {
    const hdf5::Lock lock;
    file_->commit();
}

std::vector<std::int8_t> SweepFile::done() const {
    const hdf5::Lock lock;
    file_->commit();  // the flags of every run written so far
    const Io& io = file_->io;
    return io.read_values<std::int8_t>(file_->done.get(),
                                       static_cast<std::size_t>(file_->header.rows()),
                                       "cannot read /runs/done");
}

std::vector<std::int64_t> SweepFile::missing_runs() const {
    const std::vector<std::int8_t> flags = done();
    std::vector<std::int64_t> missing;
    for (std::size_t r = 0; r < flags.size(); ++r) {
        if (flags[r] == 0)
            missing.push_back(file_->header.shard.run_of_row(static_cast<std::int64_t>(r)));
    }
    return missing;
}

void SweepFile::write_run(std::int64_t run_id, std::span<const double> outcomes) {
    detail::OpenSweepFile& state = *file_;
    const SweepHeader& header = state.header;
    if (!state.writable) throw std::logic_error("SweepFile::write_run on a read-only file");
    if (run_id < 0 || run_id >= header.runs_total || !header.shard.contains(run_id)) {
        throw std::invalid_argument(fmt::format("write_run: run {} is not in shard {} of {} runs",
                                                run_id, header.shard.label(), header.runs_total));
    }
    if (outcomes.size() != state.layout.size) {
        throw std::invalid_argument(
            fmt::format("write_run: {} values, expected {}", outcomes.size(), state.layout.size));
    }
    const auto started = std::chrono::steady_clock::now();
    const hdf5::Lock lock;
    const Io& io = state.io;
    const auto row = static_cast<hsize_t>(header.shard.row_of_run(run_id));
    for (std::size_t f = 0; f < state.layout.fields.size(); ++f) {
        const OutcomeField& field = state.layout.fields[f];
        const hid_t dataset = state.outcome_datasets[f].get();
        const std::string what =
            "cannot write run " + std::to_string(run_id) + " to /runs/" + field.name;
        std::vector<hsize_t> start = {row}, count = {1};
        for (std::size_t extent : field.shape) {
            start.push_back(0);
            count.push_back(extent);
        }
        const Handle file_space(io.check(H5Dget_space(dataset), what), H5Sclose);
        io.check_status(H5Sselect_hyperslab(file_space.get(), H5S_SELECT_SET, start.data(), nullptr,
                                            count.data(), nullptr),
                        what);
        const Handle memory_space(
            io.check(H5Screate_simple(static_cast<int>(count.size()), count.data(), nullptr), what),
            H5Sclose);
        io.check_status(H5Dwrite(dataset, H5T_NATIVE_DOUBLE, memory_space.get(), file_space.get(),
                                 H5P_DEFAULT, outcomes.data() + state.layout.offsets[f]),
                        what);
    }
    io.check_status(H5Fflush(state.file.get(), H5F_SCOPE_LOCAL), "cannot flush the file");
    if (state.sync_each_run) {
        // Flags are set in commits, at most one a second: each syncs the rows written since
        // the last, then sets their flags (one sync for many runs, on slow cluster file
        // systems too). A kill loses at most a second of runs, which --resume runs again.
        state.pending.push_back(row);
        if (std::chrono::steady_clock::now() - state.last_commit >= kCommitInterval) {
            state.commit();
        }
    } else {
        state.mark_done(row);
        io.check_status(H5Fflush(state.file.get(), H5F_SCOPE_LOCAL), "cannot flush the file");
    }
    state.output_seconds +=
        std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
}

void SweepFile::set_sync_each_run(bool sync) { file_->sync_each_run = sync; }

void SweepFile::set_complete() {
    detail::OpenSweepFile& state = *file_;
    const auto started = std::chrono::steady_clock::now();
    const std::vector<std::int8_t> flags = done();
    const auto missing = std::count(flags.begin(), flags.end(), std::int8_t{0});
    if (missing > 0) {
        throw std::logic_error(fmt::format("set_complete: {} runs of '{}' are not done", missing,
                                           state.path.string()));
    }
    const hdf5::Lock lock;
    const Io& io = state.io;
    const Handle attribute = io.open_attribute(state.file.get(), "complete");
    const std::int8_t one = 1;
    io.check_status(H5Awrite(attribute.get(), H5T_NATIVE_INT8, &one), "cannot set complete");
    io.check_status(H5Fflush(state.file.get(), H5F_SCOPE_GLOBAL), "cannot flush the file");
    if (const int failed = hdf5::sync_to_disk(state.file.get()); failed > 0) {
        io.fail(fmt::format("cannot sync the file to the disk ({})", std::strerror(failed)));
    }
    state.complete = true;
    state.output_seconds +=
        std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
}

// ---- merge ----

void merge_sweep_files(const std::vector<std::filesystem::path>& inputs,
                       const std::filesystem::path& output,
                       const std::function<int()>& stop_signal) {
    if (inputs.empty()) throw InputError("merge: expected one or more shard files, found none");
    std::vector<std::unique_ptr<SweepFile>> files;
    for (const std::filesystem::path& input : inputs)
        files.push_back(SweepFile::open(input, false));
    const SweepHeader& first = files.front()->header();
    std::vector<std::int64_t> owner(static_cast<std::size_t>(first.runs_total), -1);
    for (std::size_t i = 0; i < files.size(); ++i) {
        const SweepHeader& header = files[i]->header();
        check_same_sweep(header, first, inputs[i], false);
        if (!files[i]->complete()) {
            const auto missing = files[i]->missing_runs().size();
            throw InputError(fmt::format(
                "{}: shard {} is incomplete ({} of {} runs missing): finish it with kindred sweep "
                "--resume --shard {} before merging",
                inputs[i].string(), header.shard.label(), missing, header.rows(),
                header.shard.label()));
        }
        for (std::int64_t r = 0; r < header.rows(); ++r) {
            const std::int64_t run = header.shard.run_of_row(r);
            auto& slot = owner[static_cast<std::size_t>(run)];
            if (slot >= 0) {
                throw InputError(
                    fmt::format("merge: {} (shard {}) and {} (shard {}) overlap: both hold run {}",
                                inputs[static_cast<std::size_t>(slot)].string(),
                                files[static_cast<std::size_t>(slot)]->header().shard.label(),
                                inputs[i].string(), header.shard.label(), run));
            }
            slot = static_cast<std::int64_t>(i);
        }
    }
    std::vector<std::int64_t> missing;
    for (std::size_t run = 0; run < owner.size(); ++run) {
        if (owner[run] < 0) missing.push_back(static_cast<std::int64_t>(run));
    }
    if (!missing.empty()) {
        std::set<std::string> shards;
        for (std::int64_t run : missing) {
            shards.insert(
                Shard{static_cast<int>(run % first.shard.count), first.shard.count}.label());
        }
        std::string list;
        for (const std::string& shard : shards) list += (list.empty() ? "" : ", ") + shard;
        throw InputError(fmt::format(
            "merge: runs missing: {} of {} runs are in none of the {} files (first: run {}); "
            "shards not given: {}",
            missing.size(), first.runs_total, inputs.size(), missing.front(), list));
    }

    SweepHeader merged = first;
    merged.shard = Shard{};
    std::filesystem::path temporary = output;
    temporary += fmt::format(".merge-{}", static_cast<long>(getpid()));
    try {
        {
            // The temporary name is this process's; one left by a killed merge that had the
            // same process id is replaced.
            std::unique_ptr<SweepFile> target = SweepFile::create(temporary, merged, true);
            target->set_sync_each_run(false);  // synced whole by set_complete, before its name
            const OutcomeLayout layout = merged.layout();
            std::vector<double> row(layout.size);
            for (std::size_t i = 0; i < files.size(); ++i) {
                const SweepHeader& header = files[i]->header();
                std::vector<std::vector<double>> fields;
                for (std::size_t f = 0; f < layout.fields.size(); ++f) {
                    fields.push_back(files[i]->read_outcome_field(f));
                }
                for (std::int64_t r = 0; r < header.rows(); ++r) {
                    if (const int signal = stop_signal ? stop_signal() : 0) {
                        throw Interrupted(
                            signal, fmt::format("interrupted by {}: the merge into {} was stopped "
                                                "and nothing was written (the shards are as they "
                                                "were); run it again to merge",
                                                StopSignals::name(signal), output.string()));
                    }
                    for (std::size_t f = 0; f < layout.fields.size(); ++f) {
                        const std::size_t n = layout.field_size(f);
                        std::copy_n(fields[f].begin() + static_cast<std::ptrdiff_t>(r) *
                                                            static_cast<std::ptrdiff_t>(n),
                                    n,
                                    row.begin() + static_cast<std::ptrdiff_t>(layout.offsets[f]));
                    }
                    target->write_run(header.shard.run_of_row(r), row);
                }
            }
            target->set_complete();
        }
        std::filesystem::rename(temporary, output);
        hdf5::sync_folder_of(output.string());
    } catch (...) {
        std::error_code ignored;
        std::filesystem::remove(temporary, ignored);
        throw;
    }
}

}  // namespace kindred::sweep
