// `kindred verify`: structural checks of trial and sweep files with the HDF5 C API, and re-runs
// of a sample of their runs compared bit for bit.
#include "verify/verify.hpp"

#include <fmt/format.h>
#include <hdf5.h>
#include <tbb/global_control.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstring>
#include <map>
#include <optional>
#include <set>
#include <utility>
#include <vector>

#include "config/scenario.hpp"
#include "core/parameters.hpp"
#include "hdf5/common.hpp"
#include "output/trial_reader.hpp"
#include "sweep/evaluator.hpp"
#include "sweep/sweep_file.hpp"
#include "sweep/sweep_spec.hpp"
#include "trial/trial.hpp"

namespace kindred::verify {
namespace {

// ---- HDF5 plumbing ------------------------------------------------------------------------

using hdf5::Handle;

/// HDF5's explanation of the last failure, and clears it.
std::string hdf5_detail() {
    const std::string detail = hdf5::error_detail();
    return detail.empty() ? "unknown HDF5 error" : detail;
}

Handle open_file(const std::filesystem::path& path) {
    const hid_t file = H5Fopen(path.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT);
    if (file < 0) {
        throw InputError(
            fmt::format("{}: expected a readable HDF5 file, found one HDF5 cannot "
                        "open: {}",
                        path.string(), hdf5_detail()));
    }
    return {file, H5Fclose};
}

/// The names of the links of a group, in name order.
std::vector<std::string> children(hid_t group) {
    std::vector<std::string> names;
    H5G_info_t info{};
    if (H5Gget_info(group, &info) < 0) return names;
    for (hsize_t k = 0; k < info.nlinks; ++k) {
        if (std::optional<std::string> name = hdf5::link_name(group, k)) {
            names.push_back(std::move(*name));
        }
    }
    return names;
}

/// What is found at a path: nothing, a group or a dataset.
enum class Kind { missing, group, dataset, other };

Kind kind_of(hid_t file, const std::string& path) {
    if (H5Lexists(file, path.c_str(), H5P_DEFAULT) <= 0) return Kind::missing;
    const hid_t object = H5Oopen(file, path.c_str(), H5P_DEFAULT);
    if (object < 0) {
        H5Eclear2(H5E_DEFAULT);
        return Kind::other;
    }
    const H5I_type_t type = H5Iget_type(object);
    H5Oclose(object);
    if (type == H5I_GROUP) return Kind::group;
    if (type == H5I_DATASET) return Kind::dataset;
    return Kind::other;
}

/// Every dataset under `group` (recursively), as full paths, in name order.
void list_datasets(hid_t file, const std::string& group, std::vector<std::string>& out) {
    const hid_t id = H5Gopen2(file, group.c_str(), H5P_DEFAULT);
    if (id < 0) {
        H5Eclear2(H5E_DEFAULT);
        return;
    }
    const Handle handle(id, H5Gclose);
    for (const std::string& name : children(id)) {
        const std::string path = (group == "/" ? "/" : group + "/") + name;
        const Kind kind = kind_of(file, path);
        if (kind == Kind::group) list_datasets(file, path, out);
        if (kind == Kind::dataset) out.push_back(path);
    }
}

/// Opened dataset with its shape and a memory type to read it in (native numbers, or
/// variable-length strings).
struct Dataset {
    Handle data;
    Handle memory_type;
    std::vector<hsize_t> dims;
    bool strings = false;
    std::size_t element_size = 0;
    H5T_class_t type_class = H5T_NO_CLASS;
};

std::optional<Dataset> open_dataset(hid_t file, const std::string& path, std::string& error) {
    Dataset d;
    d.data = Handle(H5Dopen2(file, path.c_str(), H5P_DEFAULT), H5Dclose);
    if (!d.data.valid()) {
        error = "cannot open: " + hdf5_detail();
        return std::nullopt;
    }
    const Handle space(H5Dget_space(d.data.get()), H5Sclose);
    const Handle type(H5Dget_type(d.data.get()), H5Tclose);
    if (!space.valid() || !type.valid()) {
        error = "cannot read its shape or type: " + hdf5_detail();
        return std::nullopt;
    }
    d.dims = hdf5::extent(space.get());
    d.type_class = H5Tget_class(type.get());
    if (d.type_class == H5T_STRING) {
        d.strings = true;
        d.memory_type = hdf5::utf8_string_type();
        d.element_size = sizeof(char*);
    } else {
        d.memory_type = Handle(H5Tget_native_type(type.get(), H5T_DIR_DEFAULT), H5Tclose);
        if (!d.memory_type.valid()) {
            error = "cannot read its type: " + hdf5_detail();
            return std::nullopt;
        }
        d.element_size = H5Tget_size(d.memory_type.get());
    }
    return d;
}

/// Reads rows [first, first + count) of the first axis into `bytes` (strings: converted to
/// '\0'-separated text). Returns false with `error` set when HDF5 cannot read them.
bool read_rows(const Dataset& d, hsize_t first, hsize_t count, std::vector<char>& bytes,
               std::string& error) {
    std::size_t elements = 1;
    std::vector<hsize_t> start(d.dims.size(), 0), extent = d.dims;
    if (!d.dims.empty()) {
        start[0] = first;
        extent[0] = count;
    }
    for (hsize_t e : extent) elements *= static_cast<std::size_t>(e);
    bytes.assign(elements * d.element_size, 0);
    if (elements == 0) return true;
    const Handle file_space(H5Dget_space(d.data.get()), H5Sclose);
    hid_t memory_space = H5S_ALL;
    Handle memory;
    if (!d.dims.empty()) {
        H5Sselect_hyperslab(file_space.get(), H5S_SELECT_SET, start.data(), nullptr, extent.data(),
                            nullptr);
        memory = Handle(H5Screate_simple(static_cast<int>(extent.size()), extent.data(), nullptr),
                        H5Sclose);
        memory_space = memory.get();
    }
    if (H5Dread(d.data.get(), d.memory_type.get(), memory_space,
                d.dims.empty() ? H5S_ALL : file_space.get(), H5P_DEFAULT, bytes.data()) < 0) {
        error = "cannot read its values: " + hdf5_detail();
        return false;
    }
    if (d.strings) {
        std::vector<char> text;
        for (std::size_t k = 0; k < elements; ++k) {
            char* value = nullptr;
            std::memcpy(&value, bytes.data() + k * sizeof(char*), sizeof(char*));
            if (value != nullptr) text.insert(text.end(), value, value + std::strlen(value));
            text.push_back('\0');
            H5free_memory(value);
        }
        bytes = std::move(text);
    }
    return true;
}

/// Rows of the first axis per slab: about 32 MiB at a time.
hsize_t slab_rows(const Dataset& d) {
    std::size_t row = d.element_size;
    for (std::size_t k = 1; k < d.dims.size(); ++k) row *= static_cast<std::size_t>(d.dims[k]);
    return std::max<hsize_t>(1, (32u << 20) / std::max<std::size_t>(row, 1));
}

std::string shape_text(const std::vector<hsize_t>& dims) {
    if (dims.empty()) return "scalar";
    std::string text;
    for (std::size_t k = 0; k < dims.size(); ++k)
        text += (k ? " × " : "") + std::to_string(dims[k]);
    return "[" + text + "]";
}

/// Reads every value of every dataset of the file; a problem per dataset that fails.
void read_everything(hid_t file, std::vector<std::string>& problems, std::size_t& datasets) {
    std::vector<std::string> paths;
    list_datasets(file, "/", paths);
    std::vector<char> bytes;
    for (const std::string& path : paths) {
        ++datasets;
        std::string error;
        const std::optional<Dataset> d = open_dataset(file, path, error);
        bool ok = d.has_value();
        if (ok) {
            const hsize_t rows = d->dims.empty() ? 1 : d->dims[0];
            const hsize_t step = slab_rows(*d);
            for (hsize_t first = 0; ok && first < rows; first += step) {
                ok = read_rows(*d, d->dims.empty() ? 0 : first,
                               d->dims.empty() ? 1 : std::min(step, rows - first), bytes, error);
            }
        }
        if (!ok) problems.push_back(fmt::format("{}: {}", path, error));
    }
}

/// Compares dataset `path` of two files bit for bit; "" when equal.
std::string compare_dataset(hid_t a_file, hid_t b_file, const std::string& path) {
    std::string error;
    const std::optional<Dataset> a = open_dataset(a_file, path, error);
    if (!a) return "stored: " + error;
    const std::optional<Dataset> b = open_dataset(b_file, path, error);
    if (!b) return "re-run: " + error;
    if (a->dims != b->dims) {
        return fmt::format("shape {} stored, {} re-run", shape_text(a->dims), shape_text(b->dims));
    }
    if (a->strings != b->strings || a->element_size != b->element_size ||
        a->type_class != b->type_class) {
        return "of another type";
    }
    const hsize_t rows = a->dims.empty() ? 1 : a->dims[0];
    const hsize_t step = slab_rows(*a);
    std::vector<char> x, y;
    for (hsize_t first = 0; first < rows; first += step) {
        const hsize_t count = a->dims.empty() ? 1 : std::min(step, rows - first);
        if (!read_rows(*a, first, count, x, error)) return "stored: " + error;
        if (!read_rows(*b, first, count, y, error)) return "re-run: " + error;
        if (x == y) continue;
        if (a->strings) return "strings differ";
        std::size_t element = 0;
        while ((element + 1) * a->element_size <= std::min(x.size(), y.size()) &&
               std::memcmp(x.data() + element * a->element_size,
                           y.data() + element * a->element_size, a->element_size) == 0) {
            ++element;
        }
        std::size_t row_elements = 1;
        for (std::size_t k = 1; k < a->dims.size(); ++k) row_elements *= a->dims[k];
        const std::size_t index = static_cast<std::size_t>(first) * row_elements + element;
        if (a->type_class == H5T_FLOAT && a->element_size == sizeof(double) &&
            (element + 1) * sizeof(double) <= std::min(x.size(), y.size())) {
            double u = 0, v = 0;
            std::memcpy(&u, x.data() + element * sizeof(double), sizeof(double));
            std::memcpy(&v, y.data() + element * sizeof(double), sizeof(double));
            return fmt::format(
                "values differ (first at element {}: {:.17g} stored, {:.17g} "
                "re-run)",
                index, u, v);
        }
        return fmt::format("values differ (first at element {})", index);
    }
    return {};
}

// ---- reports ------------------------------------------------------------------------------

/// Collects the lines of the report and whether anything failed.
class Report {
  public:
    explicit Report(std::ostream& out) : out_(out) {}
    void ok(const std::string& text) { out_ << "ok    " << text << '\n'; }
    void note(const std::string& text) { out_ << "note  " << text << '\n'; }
    void fail(const std::string& text) {
        out_ << "FAIL  " << text << '\n';
        ++failures_;
    }
    int failures() const { return failures_; }

  private:
    std::ostream& out_;
    int failures_ = 0;
};

/// `count` items spread evenly over `items` (first and last included).
template <typename T>
std::vector<T> spread_sample(const std::vector<T>& items, int count) {
    if (count <= 0 || items.empty()) return {};
    if (static_cast<std::size_t>(count) >= items.size()) return items;
    std::vector<T> chosen;
    for (int k = 0; k < count; ++k) {
        const std::size_t index =
            count == 1 ? 0
                       : static_cast<std::size_t>(std::llround(
                             static_cast<double>(k) * static_cast<double>(items.size() - 1) /
                             static_cast<double>(count - 1)));
        if (chosen.empty() || chosen.back() != items[index]) chosen.push_back(items[index]);
    }
    return chosen;
}

std::vector<std::string> split_lines(const std::string& text) {
    std::vector<std::string> lines;
    std::size_t start = 0;
    while (start < text.size()) {
        const std::size_t end = text.find('\n', start);
        lines.push_back(text.substr(start, end - start));
        if (end == std::string::npos) break;
        start = end + 1;
    }
    return lines;
}

/// A scratch folder removed on destruction.
class ScratchFolder {
  public:
    ScratchFolder() {
        path_ = std::filesystem::temp_directory_path() /
                fmt::format("kindred-verify-{}", static_cast<long>(getpid()));
        std::filesystem::create_directories(path_);
    }
    ~ScratchFolder() {
        std::error_code ignored;
        std::filesystem::remove_all(path_, ignored);
    }
    ScratchFolder(const ScratchFolder&) = delete;
    ScratchFolder& operator=(const ScratchFolder&) = delete;
    const std::filesystem::path& path() const { return path_; }

  private:
    std::filesystem::path path_;
};

// ---- trial files --------------------------------------------------------------------------

/// Checks that dataset `path` exists with shape `dims` (−1: any extent on that axis).
void expect_shape(hid_t file, const std::string& path, const std::vector<long long>& dims,
                  std::vector<std::string>& problems) {
    const Kind kind = kind_of(file, path);
    if (kind != Kind::dataset) {
        problems.push_back(path + ": missing");
        return;
    }
    std::string error;
    const std::optional<Dataset> d = open_dataset(file, path, error);
    if (!d) {
        problems.push_back(path + ": " + error);
        return;
    }
    bool ok = d->dims.size() == dims.size();
    for (std::size_t k = 0; ok && k < dims.size(); ++k) {
        ok = dims[k] < 0 || static_cast<long long>(d->dims[k]) == dims[k];
    }
    if (!ok) {
        std::vector<hsize_t> wanted;
        std::string text;
        for (std::size_t k = 0; k < dims.size(); ++k) {
            text += (k ? " × " : "") + (dims[k] < 0 ? std::string("any") : std::to_string(dims[k]));
        }
        problems.push_back(
            fmt::format("{}: expected shape [{}], found {}", path, text, shape_text(d->dims)));
    }
}

long long extent_of(hid_t file, const std::string& path, std::size_t axis) {
    std::string error;
    const std::optional<Dataset> d = open_dataset(file, path, error);
    if (!d || d->dims.size() <= axis) {
        H5Eclear2(H5E_DEFAULT);
        return -2;  // reported by expect_shape
    }
    return static_cast<long long>(d->dims[axis]);
}

std::vector<std::string> trial_structure(hid_t file, const TrialHeader& header) {
    std::vector<std::string> problems;
    const long long weeks = header.weeks + 1;
    const auto arms = static_cast<long long>(header.arm_names.size());
    expect_shape(file, "/arms/control", {arms}, problems);
    for (const ParameterInfo& info : parameter_table()) {
        if (header.parameters.count(std::string(info.name)) == 0) {
            problems.push_back(fmt::format("/parameters: attribute {} missing", info.name));
        }
    }
    static const std::array<const char*, 8> kVariables = {
        "distress",   "agency",        "knowledge",  "strengths",
        "recreation", "help_received", "help_given", "strain"};
    for (const int r : header.replicates_present) {
        const std::string g = fmt::format("/replicate_{:03d}", r);
        expect_shape(file, g + "/aggregates/week", {weeks}, problems);
        std::vector<std::string> groups = header.arm_names;
        groups.emplace_back("all_patients");
        for (const std::string& arm : groups) {
            const std::string a = g + "/aggregates/" + arm;
            expect_shape(file, a + "/n_patients", {weeks}, problems);
            expect_shape(file, a + "/share_recovered", {weeks}, problems);
            for (const char* variable : kVariables) {
                expect_shape(file, a + "/" + variable, {weeks, 5}, problems);
            }
            expect_shape(file, a + "/ties_per_patient", {weeks, 4}, problems);
            expect_shape(file, a + "/mean_tie_strength", {weeks, 4}, problems);
        }
        const long long patients = extent_of(file, g + "/patients/id", 0);
        for (const char* column :
             {"id", "arm", "recovered_week", "initial_distress", "final_distress"}) {
            expect_shape(file, g + "/patients/" + column, {patients}, problems);
        }
        if (kind_of(file, g + "/patients/mid_distress") != Kind::missing) {
            expect_shape(file, g + "/patients/mid_distress", {patients}, problems);
        }
        if (kind_of(file, g + "/trajectories") == Kind::group) {
            const std::string t = g + "/trajectories";
            const long long rows = extent_of(file, t + "/week", 0);
            const long long agents = extent_of(file, t + "/agent_id", 0);
            expect_shape(file, t + "/week", {rows}, problems);
            for (const char* column : {"agent_id", "role", "arm", "created_week"}) {
                expect_shape(file, t + "/" + column, {agents}, problems);
            }
            for (const char* variable : kVariables) {
                expect_shape(file, t + "/" + variable, {rows, agents}, problems);
            }
        }
        if (kind_of(file, g + "/ties") != Kind::group) {
            problems.push_back(g + "/ties: missing");
        } else {
            const hid_t ties = H5Gopen2(file, (g + "/ties").c_str(), H5P_DEFAULT);
            const Handle handle(ties, H5Gclose);
            for (const std::string& snapshot : children(ties)) {
                const std::string s = g + "/ties/" + snapshot;
                const long long m = extent_of(file, s + "/u", 0);
                for (const char* column : {"u", "v", "type", "w", "q", "rho", "expertise", "client",
                                           "provider", "enrolment"}) {
                    expect_shape(file, s + "/" + column, {m}, problems);
                }
            }
        }
        if (kind_of(file, g + "/counterfactual") == Kind::group) {
            const std::string c = g + "/counterfactual";
            const long long w = extent_of(file, c + "/week", 0);
            const long long p = extent_of(file, c + "/patient_id", 0);
            expect_shape(file, c + "/arm", {p}, problems);
            for (const char* name : {"distress_with", "distress_without", "individual_effect"}) {
                expect_shape(file, c + "/" + name, {w, p}, problems);
            }
        }
    }
    return problems;
}

int verify_trial(const VerifyCommand& command, const ModelCatalogue& catalogue, Report& report) {
    const std::filesystem::path path = command.file;
    const TrialHeader header = read_trial_header(path);
    report.ok(
        fmt::format("format kindred-trial version {}, written by Kindred {}: scenario "
                    "'{}', {} weeks, {} of {} replicates",
                    header.format_version, header.kindred_version, header.scenario_name,
                    header.weeks, header.replicates_present.size(), header.replicates));
    {
        const hdf5::QuietErrors quiet;
        const Handle file = open_file(path);
        const std::vector<std::string> problems = trial_structure(file.get(), header);
        for (const std::string& problem : problems) report.fail("structure: " + problem);
        if (problems.empty()) report.ok("structure: every required group, dataset and shape");
        std::vector<std::string> unreadable;
        std::size_t datasets = 0;
        read_everything(file.get(), unreadable, datasets);
        for (const std::string& problem : unreadable) report.fail("data: " + problem);
        if (unreadable.empty()) report.ok(fmt::format("data: all {} datasets read", datasets));
    }
    std::set<int> expected;
    for (int r = 0; r < header.replicates; ++r) expected.insert(r);
    if (!header.complete) {
        report.note("no 'complete' attribute (a file of an older Kindred)");
    } else if (*header.complete && header.replicates_present != expected) {
        report.fail(fmt::format("complete = 1, but the file holds {} of the {} replicates",
                                header.replicates_present.size(), header.replicates));
    } else if (*header.complete) {
        report.ok("complete: every replicate is in the file");
    } else {
        report.note(
            fmt::format("incomplete (complete = 0): {} of {} replicates; `kindred run "
                        "SCENARIO --resume -o {}` completes it",
                        header.replicates_present.size(), header.replicates, path.string()));
    }
    if (header.replicates_present.size() > expected.size() ||
        !std::includes(expected.begin(), expected.end(), header.replicates_present.begin(),
                       header.replicates_present.end())) {
        report.fail("replicate groups beyond the 'replicates' attribute");
    }

    const std::vector<int> present(header.replicates_present.begin(),
                                   header.replicates_present.end());
    const std::vector<int> sample = spread_sample(present, command.sample);
    if (sample.empty()) return report.failures() == 0 ? 0 : 1;

    // The scenario as stored, with its overrides, and the models as they are now.
    ScenarioSpec scenario;
    try {
        scenario = load_scenario_text(header.scenario_text, header.scenario_path, catalogue,
                                      split_lines(header.overrides));
    } catch (const InputError& error) {
        report.fail(fmt::format("re-run: the stored scenario no longer loads: {}", error.what()));
        return 1;
    }
    // The root attributes that the stored scenario determines (a re-run compares datasets, not
    // these).
    const auto same_as_scenario = [&](const char* name, long long stored, long long now) {
        if (stored != now) {
            report.fail(fmt::format("header: attribute {} is {}, the stored scenario gives {}",
                                    name, stored, now));
        }
    };
    same_as_scenario("weeks", header.weeks, scenario.weeks);
    same_as_scenario("replicates", header.replicates, scenario.replicates);
    if (header.seed != scenario.seed) {
        report.fail(fmt::format("header: attribute seed is {}, the stored scenario gives {}",
                                header.seed, scenario.seed));
    }
    bool models_changed = false;
    const std::vector<Enrolment> enrolments = scenario_enrolments(scenario);
    for (std::size_t e = 0; e < enrolments.size() && e < header.enrolments.size(); ++e) {
        const std::string& stored = header.enrolments[e].model_digest;
        const std::string now = model_digest(enrolments[e].program.source);
        if (stored.empty()) continue;
        if (stored != now) {
            models_changed = true;
            report.note(
                fmt::format("model '{}' ({}) changed since the file was written: re-runs "
                            "use it as it is now and may differ",
                            enrolments[e].program.name, enrolments[e].program.source));
        }
    }
    for (const ParameterInfo& info : parameter_table()) {
        const auto it = header.parameters.find(std::string(info.name));
        const double value = info.get(scenario.params);
        if (it != header.parameters.end() &&
            it->second != (info.integer ? std::round(value) : value)) {
            report.note(fmt::format("parameter {} is {} now, {} in the file", info.name, value,
                                    it->second));
        }
    }
    if (header.kindred_version != kindred_version()) {
        report.note(fmt::format("written by Kindred {}, re-run by {}", header.kindred_version,
                                kindred_version()));
    }

    const ScratchFolder scratch;
    TrialOptions options;
    options.output = scratch.path() / "rerun.h5";
    options.force = true;
    options.replicates = sample;
    run_trial(scenario, options);
    const hdf5::QuietErrors quiet;
    const Handle stored = open_file(path);
    const Handle rerun = open_file(options.output);
    for (const int r : sample) {
        const std::string group = fmt::format("/replicate_{:03d}", r);
        std::vector<std::string> paths, rerun_paths;
        list_datasets(stored.get(), group, paths);
        list_datasets(rerun.get(), group, rerun_paths);
        std::vector<std::string> differences;
        const std::set<std::string> stored_set(paths.begin(), paths.end());
        for (const std::string& p : rerun_paths) {
            if (stored_set.count(p) == 0) differences.push_back(p + ": not in the stored file");
        }
        for (const std::string& p : paths) {
            const std::string difference = compare_dataset(stored.get(), rerun.get(), p);
            if (!difference.empty()) differences.push_back(p + ": " + difference);
        }
        if (differences.empty()) {
            report.ok(
                fmt::format("replicate {} re-run: bit-identical ({} datasets)", r, paths.size()));
            continue;
        }
        report.fail(fmt::format(
            "replicate {} re-run differs in {} datasets{}; first: {}", r, differences.size(),
            models_changed ? " (a model file changed, see above)" : "", differences.front()));
    }
    return report.failures() == 0 ? 0 : 1;
}

// ---- sweep files --------------------------------------------------------------------------

int verify_sweep(const VerifyCommand& command, const ModelCatalogue& catalogue, Report& report) {
    const std::filesystem::path path = command.file;
    const std::unique_ptr<sweep::SweepFile> file = sweep::SweepFile::open(path, false);
    const sweep::SweepHeader& header = file->header();
    report.ok(
        fmt::format("format kindred-sweep, written by Kindred {}: scenario '{}', {} design, "
                    "{} points × {} replicates, shard {} ({} runs)",
                    header.kindred_version, header.scenario_name, header.design, header.points,
                    header.replicates, header.shard.label(), header.rows()));
    const auto points = static_cast<std::size_t>(header.points);
    const std::size_t variables = header.variables.size();
    std::vector<std::string> problems;
    if (header.values.size() != points * variables || header.unit.size() != points * variables ||
        header.level.size() != points * variables || header.point_overrides.size() != points ||
        header.order.size() != points || header.variable_kinds.size() != variables) {
        problems.emplace_back("/design: datasets of inconsistent shapes");
    }
    if (header.arm_control.size() != header.arm_names.size()) {
        problems.emplace_back("/arms: columns of different lengths");
    }
    if (header.runs_total != header.points * header.replicates) {
        problems.emplace_back("runs_total is not points × replicates");
    }
    {
        const hdf5::QuietErrors quiet;
        const Handle handle = open_file(path);
        const sweep::OutcomeLayout layout = header.layout();
        const auto rows = static_cast<long long>(header.rows());
        expect_shape(handle.get(), "/runs/done", {rows}, problems);
        for (const char* column : {"run_id", "point", "replicate", "stream", "seed"}) {
            expect_shape(handle.get(), std::string("/runs/") + column, {rows}, problems);
        }
        for (const sweep::OutcomeField& field : layout.fields) {
            std::vector<long long> dims = {rows};
            for (std::size_t extent : field.shape) dims.push_back(static_cast<long long>(extent));
            expect_shape(handle.get(), "/runs/" + field.name, dims, problems);
        }
        for (const std::string& problem : problems) report.fail("structure: " + problem);
        if (problems.empty()) report.ok("structure: every required group, dataset and shape");
        std::vector<std::string> unreadable;
        std::size_t datasets = 0;
        read_everything(handle.get(), unreadable, datasets);
        for (const std::string& problem : unreadable) report.fail("data: " + problem);
        if (unreadable.empty()) report.ok(fmt::format("data: all {} datasets read", datasets));
    }
    const std::vector<std::int8_t> done = file->done();
    std::vector<std::int64_t> done_runs;
    for (std::size_t r = 0; r < done.size(); ++r) {
        if (done[r] != 0)
            done_runs.push_back(header.shard.run_of_row(static_cast<std::int64_t>(r)));
    }
    if (file->complete() && done_runs.size() != done.size()) {
        report.fail(fmt::format("complete = 1, but {} of {} runs are not done",
                                done.size() - done_runs.size(), done.size()));
    } else if (file->complete()) {
        report.ok("complete: every run is done");
    } else {
        report.note(
            fmt::format("incomplete (complete = 0): {} of {} runs done; `kindred sweep "
                        "SCENARIO --resume -o FILE` runs the rest",
                        done_runs.size(), done.size()));
    }

    const std::vector<std::int64_t> sample = spread_sample(done_runs, command.sample);
    if (sample.empty()) return report.failures() == 0 ? 0 : 1;
    sweep::SweepPlan plan;
    try {
        plan = sweep::make_plan(header.scenario_text, header.scenario_path, catalogue,
                                split_lines(header.overrides));
    } catch (const InputError& error) {
        report.fail(
            fmt::format("re-run: the stored scenario no longer makes a sweep: {}", error.what()));
        return 1;
    }
    const bool same_digest = plan.digest == header.digest;
    if (same_digest) {
        report.ok(
            fmt::format("digest {}: the stored definition gives the same sweep", plan.digest));
    } else {
        report.note(
            fmt::format("digest {} now, {} in the file: Kindred or the design changed "
                        "since it was written; re-runs may differ",
                        plan.digest, header.digest));
    }
    if (plan.runs_total() != header.runs_total) {
        report.fail(fmt::format("the stored definition now gives {} runs, the file has {}",
                                plan.runs_total(), header.runs_total));
        return 1;
    }
    const sweep::OutcomeLayout layout = header.layout();
    std::vector<std::vector<double>> fields;
    for (std::size_t f = 0; f < layout.fields.size(); ++f) {
        fields.push_back(file->read_outcome_field(f));
    }
    for (const std::int64_t run : sample) {
        const sweep::RunKey key = header.run_key(run);
        const std::vector<double> outcomes =
            sweep::evaluate_run(plan.point_scenario(key.point), key.stream, layout);
        const auto row = static_cast<std::size_t>(header.shard.row_of_run(run));
        std::string difference;
        for (std::size_t f = 0; f < layout.fields.size() && difference.empty(); ++f) {
            const std::size_t n = layout.field_size(f);
            const double* stored = fields[f].data() + row * n;
            const double* now = outcomes.data() + layout.offsets[f];
            if (std::memcmp(stored, now, n * sizeof(double)) != 0) {
                std::size_t k = 0;
                while (std::memcmp(stored + k, now + k, sizeof(double)) == 0) ++k;
                difference = fmt::format("/runs/{} element {}: {:.17g} stored, {:.17g} re-run",
                                         layout.fields[f].name, k, stored[k], now[k]);
            }
        }
        if (difference.empty()) {
            report.ok(fmt::format("run {} (point {}, replicate {}) re-run: bit-identical", run,
                                  key.point, key.replicate));
        } else {
            report.fail(fmt::format(
                "run {} (point {}, replicate {}) re-run differs{}: {}", run, key.point,
                key.replicate, same_digest ? "" : " (the digest changed, see above)", difference));
        }
    }
    return report.failures() == 0 ? 0 : 1;
}

}  // namespace

CLI::App* add_verify_subcommand(CLI::App& app, VerifyCommand& command) {
    CLI::App* verify = app.add_subcommand(
        "verify",
        "Check a trial or sweep file's integrity and re-run a sample of its runs from the "
        "stored provenance, bit for bit");
    verify->add_option("file", command.file, "Trial or sweep file (HDF5)")->required();
    verify
        ->add_option("--sample", command.sample,
                     "Replicates (trial) or runs (sweep) to re-run; 0: structure only")
        ->capture_default_str()
        ->check(CLI::Range(0, 1000000));
    verify->add_option("--threads", command.threads, "Worker threads (default: all cores)")
        ->check(CLI::Range(1, 4096));
    return verify;
}

int verify_command(const VerifyCommand& command, const ModelCatalogue& catalogue,
                   std::ostream& out) {
    std::optional<tbb::global_control> limit;
    if (command.threads > 0) {
        limit.emplace(tbb::global_control::max_allowed_parallelism,
                      static_cast<std::size_t>(command.threads));
    }
    const std::string format = read_file_format(command.file, "a kindred trial or sweep file");
    Report report(out);
    int status = 0;
    if (format == "kindred-trial") {
        status = verify_trial(command, catalogue, report);
    } else if (format == "kindred-sweep") {
        status = verify_sweep(command, catalogue, report);
    } else {
        throw InputError(
            fmt::format("{}: expected a kindred trial or sweep file, found {}", command.file,
                        format.empty() ? std::string("an HDF5 file without a 'format' attribute")
                                       : "format '" + format + "'"));
    }
    out << (status == 0 ? fmt::format("verified: {}\n", command.file)
                        : fmt::format("FAILED: {}: {} problem{}\n", command.file, report.failures(),
                                      report.failures() == 1 ? "" : "s"));
    return status;
}

}  // namespace kindred::verify
