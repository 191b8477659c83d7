// Checked HDF5 reading and writing for the analysis layer.
#include "analysis/hdf5_io.hpp"

#include <fmt/format.h>

#include <array>
#include <system_error>

#include "core/types.hpp"

namespace kindred::analysis::hdf5 {

namespace {

herr_t collect_error(unsigned /*position*/, const H5E_error2_t* error, void* messages) {
    if (error->desc != nullptr && error->desc[0] != '\0') {
        static_cast<std::vector<std::string>*>(messages)->emplace_back(error->desc);
    }
    return 0;
}

std::string error_detail() {
    std::vector<std::string> messages;
    H5Ewalk2(H5E_DEFAULT, H5E_WALK_DOWNWARD, collect_error, &messages);
    H5Eclear2(H5E_DEFAULT);
    if (messages.empty()) return {};
    if (messages.size() == 1) return messages.front();
    return messages.front() + " (" + messages.back() + ")";
}

Handle string_type(const Io& io) {
    Handle type(io.check(H5Tcopy(H5T_C_S1), "cannot create a string type"), H5Tclose);
    io.check_status(H5Tset_size(type.get(), H5T_VARIABLE), "cannot create a string type");
    io.check_status(H5Tset_cset(type.get(), H5T_CSET_UTF8), "cannot create a string type");
    return type;
}

/// Reads strings (variable- or fixed-length) from a dataset or attribute with `space` and
/// file type `file_type`, using `read(memory_type, buffer)`.
template <typename Read>
std::vector<std::string> read_string_data(const Io& io, hid_t file_type, hid_t space,
                                          const std::string& what, Read read) {
    const hssize_t count = H5Sget_simple_extent_npoints(space);
    io.check(static_cast<hid_t>(count), what);
    std::vector<std::string> out;
    if (H5Tis_variable_str(file_type) > 0) {
        const Handle memory = string_type(io);
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
std::vector<T> read_numbers(const Io& io, hid_t parent, const std::string& path,
                            hid_t memory_type) {
    const Handle dataset = io.open_dataset(parent, path);
    const std::string what = "cannot read " + path;
    const Handle space(io.check(H5Dget_space(dataset.get()), what), H5Sclose);
    const hssize_t count = H5Sget_simple_extent_npoints(space.get());
    io.check(static_cast<hid_t>(count), what);
    std::vector<T> values(static_cast<std::size_t>(count));
    if (!values.empty()) {
        io.check_status(
            H5Dread(dataset.get(), memory_type, H5S_ALL, H5S_ALL, H5P_DEFAULT, values.data()),
            what);
    }
    return values;
}

template <typename T>
T read_scalar_attribute(const Io& io, hid_t object, const std::string& name, hid_t memory_type) {
    const std::string what = "cannot read attribute " + name;
    const Handle attribute(io.check(H5Aopen(object, name.c_str(), H5P_DEFAULT), what), H5Aclose);
    T value{};
    io.check_status(H5Aread(attribute.get(), memory_type, &value), what);
    return value;
}

template <typename T>
void write_numbers(const Io& io, hid_t parent, const std::string& name,
                   const std::vector<T>& values, hid_t file_type, hid_t memory_type) {
    const std::string what = "cannot write dataset " + name;
    const hsize_t size = values.size();
    const Handle space(io.check(H5Screate_simple(1, &size, nullptr), what), H5Sclose);
    const Handle dataset(io.check(H5Dcreate2(parent, name.c_str(), file_type, space.get(),
                                             H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT),
                                  what),
                         H5Dclose);
    if (!values.empty()) {
        io.check_status(
            H5Dwrite(dataset.get(), memory_type, H5S_ALL, H5S_ALL, H5P_DEFAULT, values.data()),
            what);
    }
}

template <typename T>
void write_scalar_attribute(const Io& io, hid_t object, const std::string& name, T value,
                            hid_t file_type, hid_t memory_type) {
    const std::string what = "cannot write attribute " + name;
    const Handle space(io.check(H5Screate(H5S_SCALAR), what), H5Sclose);
    const Handle attribute(
        io.check(H5Acreate2(object, name.c_str(), file_type, space.get(), H5P_DEFAULT, H5P_DEFAULT),
                 what),
        H5Aclose);
    io.check_status(H5Awrite(attribute.get(), memory_type, &value), what);
}

}  // namespace

QuietErrors::QuietErrors() {
    H5Eget_auto2(H5E_DEFAULT, &function_, &data_);
    H5Eset_auto2(H5E_DEFAULT, nullptr, nullptr);
}
QuietErrors::~QuietErrors() { H5Eset_auto2(H5E_DEFAULT, function_, data_); }

void Io::fail(const std::string& what) const {
    const std::string detail = error_detail();
    throw RuntimeFailure(
        fmt::format("{}: {}{}", label_, what, detail.empty() ? "" : ": " + detail));
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

Handle Io::open_group(hid_t parent, const std::string& path) const {
    return {check(H5Gopen2(parent, path.c_str(), H5P_DEFAULT), "cannot open group " + path),
            H5Gclose};
}

Handle Io::open_dataset(hid_t parent, const std::string& path) const {
    return {check(H5Dopen2(parent, path.c_str(), H5P_DEFAULT), "cannot open dataset " + path),
            H5Dclose};
}

std::vector<std::string> Io::members(hid_t group) const {
    H5G_info_t info;
    check_status(H5Gget_info(group, &info), "cannot list a group");
    std::vector<std::string> names;
    for (hsize_t i = 0; i < info.nlinks; ++i) {
        const ssize_t length =
            H5Lget_name_by_idx(group, ".", H5_INDEX_NAME, H5_ITER_INC, i, nullptr, 0, H5P_DEFAULT);
        check(static_cast<hid_t>(length), "cannot list a group");
        std::string name(static_cast<std::size_t>(length) + 1, '\0');
        H5Lget_name_by_idx(group, ".", H5_INDEX_NAME, H5_ITER_INC, i, name.data(), name.size(),
                           H5P_DEFAULT);
        name.resize(static_cast<std::size_t>(length));
        names.push_back(std::move(name));
    }
    return names;
}

std::vector<hsize_t> Io::shape(hid_t parent, const std::string& path) const {
    const Handle dataset = open_dataset(parent, path);
    const Handle space(check(H5Dget_space(dataset.get()), "cannot read " + path), H5Sclose);
    const int rank = H5Sget_simple_extent_ndims(space.get());
    check(rank, "cannot read " + path);
    std::vector<hsize_t> dims(static_cast<std::size_t>(rank));
    H5Sget_simple_extent_dims(space.get(), dims.data(), nullptr);
    return dims;
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
    return read_numbers<double>(*this, parent, path, H5T_NATIVE_DOUBLE);
}
std::vector<std::int32_t> Io::read_ints(hid_t parent, const std::string& path) const {
    return read_numbers<std::int32_t>(*this, parent, path, H5T_NATIVE_INT32);
}
std::vector<std::int8_t> Io::read_int8s(hid_t parent, const std::string& path) const {
    return read_numbers<std::int8_t>(*this, parent, path, H5T_NATIVE_INT8);
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

Handle Io::create_group(hid_t parent, const std::string& name) const {
    return {check(H5Gcreate2(parent, name.c_str(), H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT),
                  "cannot create group " + name),
            H5Gclose};
}

void Io::write_attribute(hid_t object, const std::string& name, const std::string& value) const {
    const std::string what = "cannot write attribute " + name;
    const Handle type = string_type(*this);
    const Handle space(check(H5Screate(H5S_SCALAR), what), H5Sclose);
    const Handle attribute(
        check(H5Acreate2(object, name.c_str(), type.get(), space.get(), H5P_DEFAULT, H5P_DEFAULT),
              what),
        H5Aclose);
    const char* text = value.c_str();
    check_status(H5Awrite(attribute.get(), type.get(), &text), what);
}

void Io::write_attribute(hid_t object, const std::string& name,
                         const std::vector<std::string>& values) const {
    const std::string what = "cannot write attribute " + name;
    const Handle type = string_type(*this);
    const hsize_t size = values.size();
    const Handle space(check(H5Screate_simple(1, &size, nullptr), what), H5Sclose);
    const Handle attribute(
        check(H5Acreate2(object, name.c_str(), type.get(), space.get(), H5P_DEFAULT, H5P_DEFAULT),
              what),
        H5Aclose);
    std::vector<const char*> texts;
    for (const auto& value : values) texts.push_back(value.c_str());
    if (!texts.empty()) check_status(H5Awrite(attribute.get(), type.get(), texts.data()), what);
}

void Io::write_attribute(hid_t object, const std::string& name, double value) const {
    write_scalar_attribute(*this, object, name, value, H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE);
}
void Io::write_attribute(hid_t object, const std::string& name, std::int64_t value) const {
    write_scalar_attribute(*this, object, name, value, H5T_STD_I64LE, H5T_NATIVE_INT64);
}

void Io::write_doubles(hid_t parent, const std::string& name,
                       const std::vector<double>& values) const {
    write_numbers(*this, parent, name, values, H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE);
}
void Io::write_ints(hid_t parent, const std::string& name,
                    const std::vector<std::int64_t>& values) const {
    write_numbers(*this, parent, name, values, H5T_STD_I64LE, H5T_NATIVE_INT64);
}

void Io::write_strings(hid_t parent, const std::string& name,
                       const std::vector<std::string>& values) const {
    const std::string what = "cannot write dataset " + name;
    const Handle type = string_type(*this);
    const hsize_t size = values.size();
    const Handle space(check(H5Screate_simple(1, &size, nullptr), what), H5Sclose);
    const Handle dataset(check(H5Dcreate2(parent, name.c_str(), type.get(), space.get(),
                                          H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT),
                               what),
                         H5Dclose);
    std::vector<const char*> texts;
    for (const auto& value : values) texts.push_back(value.c_str());
    if (!texts.empty()) {
        check_status(
            H5Dwrite(dataset.get(), type.get(), H5S_ALL, H5S_ALL, H5P_DEFAULT, texts.data()), what);
    }
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

std::string file_format(const std::filesystem::path& path) {
    const QuietErrors quiet;
    const Io io(path.string());
    const Handle file = open_file(path, io);
    if (!io.has_attribute(file.get(), "format")) return {};
    return io.read_string_attribute(file.get(), "format");
}

}  // namespace kindred::analysis::hdf5
