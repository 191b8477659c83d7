// Reading trial files back (layout in docs/hdf5-layout.md). Written with the HDF5 C API; every
// failure becomes an InputError naming the file, the object and HDF5's own explanation.
#include "output/trial_reader.hpp"

#include <fmt/format.h>
#include <hdf5.h>

#include <array>
#include <cstdio>
#include <utility>

#include "core/parameters.hpp"
#include "hdf5/common.hpp"

namespace kindred {
namespace {

using hdf5::Handle;

/// Checked reads; failures throw InputError "FILE: expected a readable kindred trial file,
/// found a damaged one: WHAT: DETAIL".
class Reader : public hdf5::Checked {
  public:
    explicit Reader(std::filesystem::path path) : path_(std::move(path)) {}

    [[noreturn]] void fail(const std::string& what) const override {
        const std::string detail = hdf5::error_detail();
        throw InputError(
            fmt::format("{}: expected a readable kindred trial file, found a damaged "
                        "one: {}{}",
                        path_.string(), what, detail.empty() ? "" : ": " + detail));
    }

    bool has_attribute(hid_t object, const std::string& name) const {
        return H5Aexists(object, name.c_str()) > 0;
    }

    std::string string_attribute(hid_t object, const std::string& name) const {
        const std::string what = "cannot read attribute " + name;
        const Handle attribute = open_attribute(object, name);
        const Handle type(check(H5Aget_type(attribute.get()), what), H5Tclose);
        if (H5Tget_class(type.get()) != H5T_STRING || H5Tis_variable_str(type.get()) <= 0) {
            fail("attribute " + name + " is not a string");
        }
        const Handle memory = hdf5::utf8_string_type();
        check(memory.get(), what);
        char* text = nullptr;
        check_status(H5Aread(attribute.get(), memory.get(), &text), what);
        return hdf5::take_strings({&text, 1}).front();
    }

    template <hdf5::Number T>
    T number_attribute(hid_t object, const std::string& name) const {
        const std::string what = "cannot read attribute " + name;
        const Handle attribute = open_attribute(object, name);
        const Handle space(check(H5Aget_space(attribute.get()), what), H5Sclose);
        if (H5Sget_simple_extent_npoints(space.get()) != 1) {
            fail("attribute " + name + " is not a single value");
        }
        T value{};
        check_status(H5Aread(attribute.get(), hdf5::H5Types<T>::memory(), &value), what);
        return value;
    }

    /// A whole 1-D or 2-D numeric dataset.
    template <hdf5::Number T>
    std::vector<T> dataset(hid_t parent, const std::string& name) const {
        const std::string what = "cannot read dataset " + name;
        const Handle data = open_dataset(parent, name);
        const Handle space(check(H5Dget_space(data.get()), what), H5Sclose);
        const int rank = H5Sget_simple_extent_ndims(space.get());
        if (rank < 0 || rank > 2) fail("dataset " + name + " has an unexpected shape");
        std::size_t count = 1;
        for (hsize_t length : hdf5::extent(space.get())) count *= static_cast<std::size_t>(length);
        return read_values<T>(data.get(), count, what);
    }

    std::vector<std::string> strings(hid_t parent, const std::string& name) const {
        const std::string what = "cannot read dataset " + name;
        const Handle data = open_dataset(parent, name);
        const Handle space(check(H5Dget_space(data.get()), what), H5Sclose);
        const hssize_t count = H5Sget_simple_extent_npoints(space.get());
        if (count < 0) fail(what);
        const Handle memory = hdf5::utf8_string_type();
        check(memory.get(), what);
        std::vector<char*> texts(static_cast<std::size_t>(count), nullptr);
        if (count > 0) {
            check_status(
                H5Dread(data.get(), memory.get(), H5S_ALL, H5S_ALL, H5P_DEFAULT, texts.data()),
                what);
        }
        return hdf5::take_strings(texts);
    }

    const std::filesystem::path& path() const { return path_; }

  private:
    std::filesystem::path path_;
};

/// Opens a file known to be HDF5 (check_hdf5_file) read-only.
Handle open_read_only(const std::filesystem::path& path, const std::string& expected) {
    const hid_t file = H5Fopen(path.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT);
    if (file < 0) {
        const std::string detail = hdf5::error_detail();
        if (auto in_use = hdf5::in_use_message(detail, path.string(), expected)) {
            throw InputError(*in_use);
        }
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
    const hdf5::QuietErrors quiet;
    if (H5Fis_hdf5(path.c_str()) <= 0) {
        hdf5::error_detail();
        throw InputError(
            fmt::format("{}: expected {}, found a file that is not HDF5", path.string(), expected));
    }
    open_read_only(path, expected);
}

std::string read_file_format(const std::filesystem::path& path, const std::string& expected) {
    check_hdf5_file(path, expected);
    const hdf5::QuietErrors quiet;
    const Handle file = open_read_only(path, expected);
    const Reader reader(path);
    if (!reader.has_attribute(file.get(), "format")) return {};
    return reader.string_attribute(file.get(), "format");
}

void check_replaceable(const std::filesystem::path& path, const std::string& format,
                       const std::string& option,
                       const std::vector<std::filesystem::path>& inputs) {
    namespace fs = std::filesystem;
    std::error_code ec;
    if (!fs::exists(fs::symlink_status(path, ec))) return;
    const std::string kind = format == "kindred-sweep" ? "sweep" : "trial";
    const auto refuse = [&](const std::string& found) {
        throw InputError(fmt::format("{}: expected a {} file that {} may replace, found {}",
                                     path.string(), kind, option, found));
    };
    for (const fs::path& input : inputs) {
        if (fs::equivalent(path, input, ec)) {
            refuse(fmt::format("'{}', a file this command reads", input.string()));
        }
    }
    const fs::file_status status = fs::status(path, ec);
    if (fs::is_directory(status)) refuse("a directory");
    if (!fs::exists(status)) refuse("a symbolic link to nothing");
    if (!fs::is_regular_file(status)) {
        refuse(fs::is_fifo(status)             ? "a FIFO"
               : fs::is_socket(status)         ? "a socket"
               : fs::is_character_file(status) ? "a character device"
               : fs::is_block_file(status)     ? "a block device"
                                               : "something that is not a regular file");
    }
    if (fs::file_size(path, ec) == 0 && !ec) return;
    const hdf5::QuietErrors quiet;
    if (H5Fis_hdf5(path.c_str()) <= 0) {
        hdf5::error_detail();
        refuse("a file that is not HDF5 (results files are)");
    }
    std::string stored;
    try {
        stored = read_file_format(path, "a kindred " + kind + " file");
    } catch (const InputError& error) {
        // HDF5 that cannot be read: a damaged results file, which may be replaced; but not one
        // another process holds (in use is not damaged).
        if (std::string(error.what()).find(hdf5::kInUse) != std::string::npos) throw;
        return;
    }
    if (stored.empty()) refuse("an HDF5 file that is not a Kindred results file");
    if (stored != format) {
        refuse(fmt::format("{} (format '{}')",
                           stored == "kindred-trial"   ? "a trial file"
                           : stored == "kindred-sweep" ? "a sweep file"
                                                       : "another kind of file",
                           stored));
    }
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
    const hdf5::QuietErrors quiet;
    const Handle file = open_read_only(path, expected);
    const Reader reader(path);
    const hid_t root = file.get();
    TrialHeader header;
    header.format_version = reader.number_attribute<std::int32_t>(root, "format_version");
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
    header.seed = reader.number_attribute<std::uint64_t>(root, "seed");
    header.weeks = reader.number_attribute<std::int32_t>(root, "weeks");
    header.replicates = reader.number_attribute<std::int32_t>(root, "replicates");
    if (reader.has_attribute(root, "complete")) {
        header.complete = reader.number_attribute<std::int8_t>(root, "complete") != 0;
    }
    const Handle parameters = reader.open_group(root, "parameters");
    for (const ParameterInfo& info : parameter_table()) {
        const std::string name(info.name);
        if (!reader.has_attribute(parameters.get(), name)) continue;
        header.parameters[name] = reader.number_attribute<double>(parameters.get(), name);
    }
    const Handle arms = reader.open_group(root, "arms");
    header.arm_names = reader.strings(arms.get(), "name");
    const Handle enrolments = reader.open_group(arms.get(), "enrolments");
    const auto arm = reader.dataset<std::int32_t>(enrolments.get(), "arm");
    const auto program = reader.strings(enrolments.get(), "program");
    const auto start = reader.dataset<std::int32_t>(enrolments.get(), "start_week");
    const auto end = reader.dataset<std::int32_t>(enrolments.get(), "end_week");
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
    const hdf5::QuietErrors quiet;
    const Handle file = open_read_only(path, expected);
    const Reader reader(path);
    const std::string name = fmt::format("replicate_{:03d}", replicate);
    const Handle group = reader.open_group(file.get(), name);
    const Handle patients = reader.open_group(group.get(), "patients");
    StoredPatients stored;
    stored.id = reader.dataset<std::int32_t>(patients.get(), "id");
    stored.arm = reader.dataset<std::int32_t>(patients.get(), "arm");
    stored.recovered_week = reader.dataset<std::int32_t>(patients.get(), "recovered_week");
    stored.initial_distress = reader.dataset<double>(patients.get(), "initial_distress");
    stored.final_distress = reader.dataset<double>(patients.get(), "final_distress");
    if (H5Lexists(patients.get(), "mid_distress", H5P_DEFAULT) > 0) {
        stored.middle_distress = reader.dataset<double>(patients.get(), "mid_distress");
        const Handle data = reader.open_dataset(patients.get(), "mid_distress");
        stored.middle_week = reader.number_attribute<std::int32_t>(data.get(), "week");
    }
    const std::size_t p = stored.id.size();
    if (stored.arm.size() != p || stored.recovered_week.size() != p ||
        stored.initial_distress.size() != p || stored.final_distress.size() != p ||
        (!stored.middle_distress.empty() && stored.middle_distress.size() != p)) {
        reader.fail("/" + name + "/patients: columns of different lengths");
    }
    if (H5Lexists(group.get(), "counterfactual", H5P_DEFAULT) > 0) {
        const Handle counterfactual = reader.open_group(group.get(), "counterfactual");
        const hid_t c = counterfactual.get();
        stored.counterfactual_week = reader.dataset<std::int32_t>(c, "week");
        stored.counterfactual_patient = reader.dataset<std::int32_t>(c, "patient_id");
        stored.counterfactual_arm = reader.dataset<std::int32_t>(c, "arm");
        stored.individual_effect = reader.dataset<double>(c, "individual_effect");
        if (stored.counterfactual_arm.size() != stored.counterfactual_patient.size() ||
            stored.individual_effect.size() !=
                stored.counterfactual_week.size() * stored.counterfactual_patient.size()) {
            reader.fail("/" + name + "/counterfactual: datasets of inconsistent shapes");
        }
    }
    return stored;
}

}  // namespace kindred
