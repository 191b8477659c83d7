// Checked HDF5 reading and writing for the analysis layer.
#include "analysis/hdf5_io.hpp"

#include <fmt/format.h>

#include <array>
#include <optional>
#include <system_error>

#include "core/types.hpp"

namespace kindred::analysis::hdf5 {

namespace {

using ::kindred::hdf5::error_detail;
using ::kindred::hdf5::extent;
using ::kindred::hdf5::link_name;

/// Reads strings (variable- or fixed-length) from a dataset or attribute with `space` and
/// file type `file_type`, using `read(memory_type, buffer)`.
template <typename Read>
std::vector<std::string> read_string_data(const Io& io, hid_t file_type, hid_t space,
                                          const std::string& what, Read read) {
    const hssize_t count = H5Sget_simple_extent_npoints(space);
    io.check(static_cast<hid_t>(count), what);
    std::vector<std::string> out;
    if (H5Tis_variable_str(file_type) > 0) {
        const Handle memory = io.string_type();
        std::vector<char*> texts(static_cast<std::size_t>(count), nullptr);
        io.check_status(read(memory.get(), texts.data()), what);
        for (char* text : texts) out.emplace_back(text != nullptr ? text : "");
        // Frees the strings HDF5 allocated.
        H5Dvlen_reclaim(memory.get(), space, H5P_DEFAULT, texts.data());
    } else {
        const std::size_t size = H5Tget_size(file_type);
        Handle memory(io.check(H5Tcopy(H5T_C_S1), what), H5Tclose);
        io.check_status(H5Tset_size(memory.get(), size), what);
        std::vector<char> buffer(size * static_cast<std::size_t>(count));
        io.check_status(read(memory.get(), buffer.data()), what);
        for (hssize_t i = 0; i < count; ++i) {
            const char* start = buffer.data() + static_cast<std::size_t>(i) * size;
            std::size_t length = 0;
            while (length < size && start[length] != '\0') ++length;
            out.emplace_back(start, length);
        }
    }
    return out;
}

template <typename T>
std::vector<T> read_numbers(const Io& io, hid_t parent, const std::string& path) {
    const Handle dataset = io.open_dataset(parent, path);
    const std::string what = "cannot read " + path;
    const Handle space(io.check(H5Dget_space(dataset.get()), what), H5Sclose);
    const hssize_t count = H5Sget_simple_extent_npoints(space.get());
    io.check(static_cast<hid_t>(count), what);
    return io.read_values<T>(dataset.get(), static_cast<std::size_t>(count), what);
}

template <typename T>
T read_scalar_attribute(const Io& io, hid_t object, const std::string& name, hid_t memory_type) {
    const std::string what = "cannot read attribute " + name;
    const Handle attribute(io.check(H5Aopen(object, name.c_str(), H5P_DEFAULT), what), H5Aclose);
    T value{};
    io.check_status(H5Aread(attribute.get(), memory_type, &value), what);
    return value;
}

}  // namespace

void Io::fail(const std::string& what) const {
    const std::string detail = error_detail();
    const std::string because = what + (detail.empty() ? "" : ": " + detail);
    if (!expected_.empty()) {
        throw InputError(
            fmt::format("{}: expected {}, found a damaged one: {}", label_, expected_, because));
    }
    throw RuntimeFailure(fmt::format("{}: {}", label_, because));
}

bool Io::exists(hid_t parent, const std::string& path) const {
    // Check each component, as H5Lexists requires the intermediate links to exist.
    std::string prefix;
    std::size_t start = 0;
    while (start <= path.size()) {
        const std::size_t slash = path.find('/', start);
        const std::string part =
            path.substr(start, slash == std::string::npos ? std::string::npos : slash - start);
        if (!part.empty()) {
            prefix += (prefix.empty() ? "" : "/") + part;
            if (H5Lexists(parent, prefix.c_str(), H5P_DEFAULT) <= 0) return false;
        }
        if (slash == std::string::npos) break;
        start = slash + 1;
    }
    return true;
}

bool Io::has_attribute(hid_t object, const std::string& name) const {
    return H5Aexists(object, name.c_str()) > 0;
}

std::vector<std::string> Io::members(hid_t group) const {
    H5G_info_t info;
    check_status(H5Gget_info(group, &info), "cannot list a group");
    std::vector<std::string> names;
    for (hsize_t i = 0; i < info.nlinks; ++i) {
        std::optional<std::string> name = link_name(group, i);
        if (!name) fail("cannot list a group");
        names.push_back(std::move(*name));
    }
    return names;
}

std::vector<hsize_t> Io::shape(hid_t parent, const std::string& path) const {
    const Handle dataset = open_dataset(parent, path);
    const Handle space(check(H5Dget_space(dataset.get()), "cannot read " + path), H5Sclose);
    check(H5Sget_simple_extent_ndims(space.get()), "cannot read " + path);
    return extent(space.get());
}

std::string Io::read_string_attribute(hid_t object, const std::string& name) const {
    const auto values = read_strings_attribute(object, name);
    return values.empty() ? std::string() : values.front();
}

std::vector<std::string> Io::read_strings_attribute(hid_t object, const std::string& name) const {
    const std::string what = "cannot read attribute " + name;
    const Handle attribute(check(H5Aopen(object, name.c_str(), H5P_DEFAULT), what), H5Aclose);
    const Handle type(check(H5Aget_type(attribute.get()), what), H5Tclose);
    const Handle space(check(H5Aget_space(attribute.get()), what), H5Sclose);
    return read_string_data(*this, type.get(), space.get(), what, [&](hid_t memory, void* buffer) {
        return H5Aread(attribute.get(), memory, buffer);
    });
}

double Io::read_double_attribute(hid_t object, const std::string& name) const {
    return read_scalar_attribute<double>(*this, object, name, H5T_NATIVE_DOUBLE);
}
std::int64_t Io::read_int_attribute(hid_t object, const std::string& name) const {
    return read_scalar_attribute<std::int64_t>(*this, object, name, H5T_NATIVE_INT64);
}
std::uint64_t Io::read_uint_attribute(hid_t object, const std::string& name) const {
    return read_scalar_attribute<std::uint64_t>(*this, object, name, H5T_NATIVE_UINT64);
}

std::vector<double> Io::read_doubles(hid_t parent, const std::string& path) const {
    return read_numbers<double>(*this, parent, path);
}
std::vector<std::int32_t> Io::read_ints(hid_t parent, const std::string& path) const {
    return read_numbers<std::int32_t>(*this, parent, path);
}
std::vector<std::int8_t> Io::read_int8s(hid_t parent, const std::string& path) const {
    return read_numbers<std::int8_t>(*this, parent, path);
}

std::vector<std::string> Io::read_strings(hid_t parent, const std::string& path) const {
    const Handle dataset = open_dataset(parent, path);
    const std::string what = "cannot read " + path;
    const Handle type(check(H5Dget_type(dataset.get()), what), H5Tclose);
    const Handle space(check(H5Dget_space(dataset.get()), what), H5Sclose);
    return read_string_data(*this, type.get(), space.get(), what, [&](hid_t memory, void* buffer) {
        return H5Dread(dataset.get(), memory, H5S_ALL, H5S_ALL, H5P_DEFAULT, buffer);
    });
}

std::vector<double> Io::read_row(hid_t parent, const std::string& path, hsize_t row) const {
    const Handle dataset = open_dataset(parent, path);
    const std::string what = "cannot read " + path;
    const Handle space(check(H5Dget_space(dataset.get()), what), H5Sclose);
    std::array<hsize_t, 2> dims{};
    if (H5Sget_simple_extent_ndims(space.get()) != 2) fail(what + ": not a matrix");
    H5Sget_simple_extent_dims(space.get(), dims.data(), nullptr);
    if (row >= dims[0]) fail(what + ": row out of range");
    const std::array<hsize_t, 2> start{row, 0}, count{1, dims[1]};
    check_status(H5Sselect_hyperslab(space.get(), H5S_SELECT_SET, start.data(), nullptr,
                                     count.data(), nullptr),
                 what);
    const hsize_t n = dims[1];
    const Handle memory(check(H5Screate_simple(1, &n, nullptr), what), H5Sclose);
    std::vector<double> values(static_cast<std::size_t>(n));
    if (n > 0) {
        check_status(H5Dread(dataset.get(), H5T_NATIVE_DOUBLE, memory.get(), space.get(),
                             H5P_DEFAULT, values.data()),
                     what);
    }
    return values;
}

void Io::write_attribute(hid_t object, const std::string& name, const std::string& value) const {
    Checked::write_attribute(object, name, value);
}
void Io::write_attribute(hid_t object, const std::string& name,
                         const std::vector<std::string>& values) const {
    Checked::write_attribute(object, name, values);
}
void Io::write_attribute(hid_t object, const std::string& name, double value) const {
    Checked::write_attribute<double>(object, name, value);
}
void Io::write_attribute(hid_t object, const std::string& name, std::int64_t value) const {
    Checked::write_attribute<std::int64_t>(object, name, value);
}

void Io::write_doubles(hid_t parent, const std::string& name,
                       const std::vector<double>& values) const {
    const std::array<hsize_t, 1> dims{values.size()};
    write_dataset<double>(parent, name, dims, values);
}
void Io::write_ints(hid_t parent, const std::string& name,
                    const std::vector<std::int64_t>& values) const {
    const std::array<hsize_t, 1> dims{values.size()};
    write_dataset<std::int64_t>(parent, name, dims, values);
}

Handle open_file(const std::filesystem::path& path, const Io& /*io*/) {
    std::error_code ec;
    if (!std::filesystem::is_regular_file(path, ec)) {
        throw InputError(fmt::format("{}: no such file", path.string()));
    }
    if (H5Fis_hdf5(path.c_str()) <= 0) {
        error_detail();
        throw InputError(
            fmt::format("{}: not an HDF5 file (expected a Kindred trial or sweep "
                        "file)",
                        path.string()));
    }
    const hid_t file = H5Fopen(path.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT);
    if (file < 0) {
        // A damaged or truncated file is bad input, like a file that is not HDF5.
        const std::string detail = error_detail();
        throw InputError(
            fmt::format("{}: expected a Kindred trial or sweep file, found an HDF5 "
                        "file that cannot be opened (damaged or truncated){}",
                        path.string(), detail.empty() ? "" : ": " + detail));
    }
    return {file, H5Fclose};
}

}  // namespace kindred::analysis::hdf5
