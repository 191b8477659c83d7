// Reading trial files back (layout in docs/hdf5-layout.md). Written with the HDF5 C API; every
// failure becomes an InputError naming the file, the object and HDF5's own explanation.
#include "output/trial_reader.hpp"

#include <fmt/format.h>
#include <hdf5.h>

#include <array>
#include <cstdio>
#include <utility>

#include "core/parameters.hpp"

namespace kindred {
namespace {

/// Silences HDF5's automatic error printing for its scope (errors become exceptions).
class QuietHdf5 {
  public:
    QuietHdf5() {
        H5Eget_auto2(H5E_DEFAULT, &function_, &data_);
        H5Eset_auto2(H5E_DEFAULT, nullptr, nullptr);
    }
    ~QuietHdf5() { H5Eset_auto2(H5E_DEFAULT, function_, data_); }
    QuietHdf5(const QuietHdf5&) = delete;
    QuietHdf5& operator=(const QuietHdf5&) = delete;

  private:
    H5E_auto2_t function_ = nullptr;
    void* data_ = nullptr;
};

class Handle {
  public:
    using Closer = herr_t (*)(hid_t);
    Handle(hid_t id, Closer closer) : id_(id), closer_(closer) {}
    Handle(Handle&& other) noexcept
        : id_(std::exchange(other.id_, H5I_INVALID_HID)), closer_(other.closer_) {}
    Handle& operator=(Handle&&) = delete;
    Handle(const Handle&) = delete;
    Handle& operator=(const Handle&) = delete;
    ~Handle() {
        if (id_ >= 0) closer_(id_);
    }
    hid_t get() const { return id_; }

  private:
    hid_t id_;
    Closer closer_;
};

herr_t collect_error(unsigned, const H5E_error2_t* error, void* messages) {
    if (error->desc != nullptr && error->desc[0] != '\0') {
        static_cast<std::vector<std::string>*>(messages)->emplace_back(error->desc);
    }
    return 0;
}

std::string hdf5_error_detail() {
    std::vector<std::string> messages;
    H5Ewalk2(H5E_DEFAULT, H5E_WALK_DOWNWARD, collect_error, &messages);
    H5Eclear2(H5E_DEFAULT);
    if (messages.empty()) return {};
    if (messages.size() == 1) return messages.front();
    return messages.front() + " (" + messages.back() + ")";
}

/// Checked reads; failures throw InputError "FILE: expected a readable kindred trial file,
/// found a damaged one: WHAT: DETAIL".
class Reader {
  public:
    explicit Reader(std::filesystem::path path) : path_(std::move(path)) {}

    [[noreturn]] void fail(const std::string& what) const {
        const std::string detail = hdf5_error_detail();
        throw InputError(
            fmt::format("{}: expected a readable kindred trial file, found a damaged "
                        "one: {}{}",
                        path_.string(), what, detail.empty() ? "" : ": " + detail));
    }
    hid_t check(hid_t id, const std::string& what) const {
        if (id < 0) fail(what);
        return id;
    }

    Handle group(hid_t parent, const std::string& name) const {
        return {check(H5Gopen2(parent, name.c_str(), H5P_DEFAULT), "cannot open group " + name),
                H5Gclose};
    }

    bool has_attribute(hid_t object, const std::string& name) const {
        return H5Aexists(object, name.c_str()) > 0;
    }

    std::string string_attribute(hid_t object, const std::string& name) const {
        const Handle attribute(
            check(H5Aopen(object, name.c_str(), H5P_DEFAULT), "cannot open attribute " + name),
            H5Aclose);
        const Handle type(check(H5Aget_type(attribute.get()), "cannot read attribute " + name),
                          H5Tclose);
        if (H5Tget_class(type.get()) != H5T_STRING || H5Tis_variable_str(type.get()) <= 0) {
            fail("attribute " + name + " is not a string");
        }
        const Handle memory(check(H5Tcopy(H5T_C_S1), "cannot read attribute " + name), H5Tclose);
        H5Tset_size(memory.get(), H5T_VARIABLE);
        H5Tset_cset(memory.get(), H5T_CSET_UTF8);
        char* text = nullptr;
        if (H5Aread(attribute.get(), memory.get(), &text) < 0) {
            fail("cannot read attribute " + name);
        }
        std::string value = text != nullptr ? text : "";
        H5free_memory(text);
        return value;
    }

    template <typename T>
    T number_attribute(hid_t object, const std::string& name, hid_t memory_type) const {
        const Handle attribute(
            check(H5Aopen(object, name.c_str(), H5P_DEFAULT), "cannot open attribute " + name),
            H5Aclose);
        const Handle space(check(H5Aget_space(attribute.get()), "cannot read attribute " + name),
                           H5Sclose);
        if (H5Sget_simple_extent_npoints(space.get()) != 1) {
            fail("attribute " + name + " is not a single value");
        }
        T value{};
        if (H5Aread(attribute.get(), memory_type, &value) < 0) {
            fail("cannot read attribute " + name);
        }
        return value;
    }

    /// A whole 1-D or 2-D dataset as `memory_type`; `dims` receives its shape.
    template <typename T>
    std::vector<T> dataset(hid_t parent, const std::string& name, hid_t memory_type,
                           std::vector<hsize_t>* dims = nullptr) const {
        const Handle data(
            check(H5Dopen2(parent, name.c_str(), H5P_DEFAULT), "cannot open dataset " + name),
            H5Dclose);
        const Handle space(check(H5Dget_space(data.get()), "cannot read dataset " + name),
                           H5Sclose);
        const int rank = H5Sget_simple_extent_ndims(space.get());
        if (rank < 0 || rank > 2) fail("dataset " + name + " has an unexpected shape");
        std::vector<hsize_t> shape(static_cast<std::size_t>(rank));
        H5Sget_simple_extent_dims(space.get(), shape.data(), nullptr);
        std::size_t count = 1;
        for (hsize_t extent : shape) count *= static_cast<std::size_t>(extent);
        std::vector<T> values(count);
        if (count > 0 &&
            H5Dread(data.get(), memory_type, H5S_ALL, H5S_ALL, H5P_DEFAULT, values.data()) < 0) {
            fail("cannot read dataset " + name);
        }
        if (dims != nullptr) *dims = shape;
        return values;
    }

    std::vector<std::string> strings(hid_t parent, const std::string& name) const {
        const Handle data(
            check(H5Dopen2(parent, name.c_str(), H5P_DEFAULT), "cannot open dataset " + name),
            H5Dclose);
        const Handle space(check(H5Dget_space(data.get()), "cannot read dataset " + name),
                           H5Sclose);
        const hssize_t count = H5Sget_simple_extent_npoints(space.get());
        if (count < 0) fail("cannot read dataset " + name);
        const Handle memory(check(H5Tcopy(H5T_C_S1), "cannot read dataset " + name), H5Tclose);
        H5Tset_size(memory.get(), H5T_VARIABLE);
        H5Tset_cset(memory.get(), H5T_CSET_UTF8);
        std::vector<char*> texts(static_cast<std::size_t>(count), nullptr);
        if (count > 0 &&
            H5Dread(data.get(), memory.get(), H5S_ALL, H5S_ALL, H5P_DEFAULT, texts.data()) < 0) {
            fail("cannot read dataset " + name);
        }
        std::vector<std::string> values;
        for (char* text : texts) {
            values.emplace_back(text != nullptr ? text : "");
            H5free_memory(text);
        }
        return values;
    }

    const std::filesystem::path& path() const { return path_; }

  private:
    std::filesystem::path path_;
};

/// Opens a file known to be HDF5 (check_hdf5_file) read-only.
Handle open_read_only(const std::filesystem::path& path, const std::string& expected) {
    const hid_t file = H5Fopen(path.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT);
    if (file < 0) {
        const std::string detail = hdf5_error_detail();
        throw InputError(
            fmt::format("{}: expected {}, found an HDF5 file that cannot be opened "
                        "(damaged or truncated){}",
                        path.string(), expected, detail.empty() ? "" : ": " + detail));
    }
    return {file, H5Fclose};
}

}  // namespace

void check_hdf5_file(const std::filesystem::path& path, const std::string& expected) {
    std::error_code ec;
    const auto status = std::filesystem::status(path, ec);
    if (!std::filesystem::exists(status)) {
        throw InputError(
            fmt::format("{}: expected {}, found no such file", path.string(), expected));
    }
    if (!std::filesystem::is_regular_file(status)) {
        throw InputError(fmt::format("{}: expected {}, found something that is not a regular file",
                                     path.string(), expected));
    }
    const QuietHdf5 quiet;
    if (H5Fis_hdf5(path.c_str()) <= 0) {
        hdf5_error_detail();
        throw InputError(
            fmt::format("{}: expected {}, found a file that is not HDF5", path.string(), expected));
    }
    open_read_only(path, expected);
}

std::string read_file_format(const std::filesystem::path& path, const std::string& expected) {
    check_hdf5_file(path, expected);
    const QuietHdf5 quiet;
    const Handle file = open_read_only(path, expected);
    const Reader reader(path);
    if (!reader.has_attribute(file.get(), "format")) return {};
    return reader.string_attribute(file.get(), "format");
}

TrialHeader read_trial_header(const std::filesystem::path& path) {
    const std::string expected = "a kindred trial file";
    const std::string format = read_file_format(path, expected);
    if (format != "kindred-trial") {
        throw InputError(fmt::format(
            "{}: expected a kindred trial file (format 'kindred-trial'), found {}", path.string(),
            format.empty() ? std::string("an HDF5 file without a 'format' attribute")
                           : "format '" + format + "'"));
    }
    const QuietHdf5 quiet;
    const Handle file = open_read_only(path, expected);
    const Reader reader(path);
    const hid_t root = file.get();
    TrialHeader header;
    header.format_version =
        reader.number_attribute<std::int32_t>(root, "format_version", H5T_NATIVE_INT32);
    if (header.format_version != 1) {
        throw InputError(
            fmt::format("{}: expected a kindred trial file of format version 1, found version {}",
                        path.string(), header.format_version));
    }
    header.kindred_version = reader.string_attribute(root, "kindred_version");
    header.scenario_name = reader.string_attribute(root, "scenario_name");
    header.scenario_path = reader.string_attribute(root, "scenario_path");
    header.scenario_text = reader.string_attribute(root, "scenario_text");
    header.overrides = reader.string_attribute(root, "overrides");
    header.seed = reader.number_attribute<std::uint64_t>(root, "seed", H5T_NATIVE_UINT64);
    header.weeks = reader.number_attribute<std::int32_t>(root, "weeks", H5T_NATIVE_INT32);
    header.replicates = reader.number_attribute<std::int32_t>(root, "replicates", H5T_NATIVE_INT32);
    if (reader.has_attribute(root, "complete")) {
        header.complete =
            reader.number_attribute<std::int8_t>(root, "complete", H5T_NATIVE_INT8) != 0;
    }
    const Handle parameters = reader.group(root, "parameters");
    for (const ParameterInfo& info : parameter_table()) {
        const std::string name(info.name);
        if (!reader.has_attribute(parameters.get(), name)) continue;
        header.parameters[name] =
            reader.number_attribute<double>(parameters.get(), name, H5T_NATIVE_DOUBLE);
    }
    const Handle arms = reader.group(root, "arms");
    header.arm_names = reader.strings(arms.get(), "name");
    const Handle enrolments = reader.group(arms.get(), "enrolments");
    const auto arm = reader.dataset<std::int32_t>(enrolments.get(), "arm", H5T_NATIVE_INT32);
    const auto program = reader.strings(enrolments.get(), "program");
    const auto start =
        reader.dataset<std::int32_t>(enrolments.get(), "start_week", H5T_NATIVE_INT32);
    const auto end = reader.dataset<std::int32_t>(enrolments.get(), "end_week", H5T_NATIVE_INT32);
    std::vector<std::string> digests;
    if (H5Lexists(enrolments.get(), "model_digest", H5P_DEFAULT) > 0) {
        digests = reader.strings(enrolments.get(), "model_digest");
    }
    if (program.size() != arm.size() || start.size() != arm.size() || end.size() != arm.size() ||
        (!digests.empty() && digests.size() != arm.size())) {
        reader.fail("/arms/enrolments: columns of different lengths");
    }
    for (std::size_t e = 0; e < arm.size(); ++e) {
        header.enrolments.push_back(
            {arm[e], program[e], start[e], end[e], digests.empty() ? "" : digests[e]});
    }
    H5G_info_t info{};
    if (H5Gget_info(root, &info) < 0) reader.fail("cannot list the root group");
    for (hsize_t k = 0; k < info.nlinks; ++k) {
        std::array<char, 64> name{};
        if (H5Lget_name_by_idx(root, ".", H5_INDEX_NAME, H5_ITER_INC, k, name.data(), name.size(),
                               H5P_DEFAULT) < 0) {
            reader.fail("cannot list the root group");
        }
        int replicate = -1;
        char rest = 0;
        if (std::sscanf(name.data(), "replicate_%d%c", &replicate, &rest) == 1 && replicate >= 0) {
            header.replicates_present.insert(replicate);
        }
    }
    return header;
}

StoredPatients read_stored_patients(const std::filesystem::path& path, int replicate) {
    const std::string expected = "a kindred trial file";
    check_hdf5_file(path, expected);
    const QuietHdf5 quiet;
    const Handle file = open_read_only(path, expected);
    const Reader reader(path);
    const std::string name = fmt::format("replicate_{:03d}", replicate);
    const Handle group = reader.group(file.get(), name);
    const Handle patients = reader.group(group.get(), "patients");
    StoredPatients stored;
    stored.id = reader.dataset<std::int32_t>(patients.get(), "id", H5T_NATIVE_INT32);
    stored.arm = reader.dataset<std::int32_t>(patients.get(), "arm", H5T_NATIVE_INT32);
    stored.recovered_week =
        reader.dataset<std::int32_t>(patients.get(), "recovered_week", H5T_NATIVE_INT32);
    stored.initial_distress =
        reader.dataset<double>(patients.get(), "initial_distress", H5T_NATIVE_DOUBLE);
    stored.final_distress =
        reader.dataset<double>(patients.get(), "final_distress", H5T_NATIVE_DOUBLE);
    if (H5Lexists(patients.get(), "mid_distress", H5P_DEFAULT) > 0) {
        stored.middle_distress =
            reader.dataset<double>(patients.get(), "mid_distress", H5T_NATIVE_DOUBLE);
        const Handle data(reader.check(H5Dopen2(patients.get(), "mid_distress", H5P_DEFAULT),
                                       "cannot open dataset mid_distress"),
                          H5Dclose);
        stored.middle_week =
            reader.number_attribute<std::int32_t>(data.get(), "week", H5T_NATIVE_INT32);
    }
    const std::size_t p = stored.id.size();
    if (stored.arm.size() != p || stored.recovered_week.size() != p ||
        stored.initial_distress.size() != p || stored.final_distress.size() != p ||
        (!stored.middle_distress.empty() && stored.middle_distress.size() != p)) {
        reader.fail("/" + name + "/patients: columns of different lengths");
    }
    if (H5Lexists(group.get(), "counterfactual", H5P_DEFAULT) > 0) {
        const Handle counterfactual = reader.group(group.get(), "counterfactual");
        const hid_t c = counterfactual.get();
        stored.counterfactual_week = reader.dataset<std::int32_t>(c, "week", H5T_NATIVE_INT32);
        stored.counterfactual_patient =
            reader.dataset<std::int32_t>(c, "patient_id", H5T_NATIVE_INT32);
        stored.counterfactual_arm = reader.dataset<std::int32_t>(c, "arm", H5T_NATIVE_INT32);
        stored.individual_effect =
            reader.dataset<double>(c, "individual_effect", H5T_NATIVE_DOUBLE);
        if (stored.counterfactual_arm.size() != stored.counterfactual_patient.size() ||
            stored.individual_effect.size() !=
                stored.counterfactual_week.size() * stored.counterfactual_patient.size()) {
            reader.fail("/" + name + "/counterfactual: datasets of inconsistent shapes");
        }
    }
    return stored;
}

}  // namespace kindred
