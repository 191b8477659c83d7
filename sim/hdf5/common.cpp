// The HDF5 plumbing shared by Kindred's file formats.
#include "hdf5/common.hpp"

#include <fcntl.h>
#include <stdio.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <chrono>
#include <ctime>
#include <filesystem>

namespace kindred::hdf5 {
namespace {

herr_t collect_error(unsigned /*position*/, const H5E_error2_t* error, void* messages) {
    if (error->desc != nullptr && error->desc[0] != '\0') {
        static_cast<std::vector<std::string>*>(messages)->emplace_back(error->desc);
    }
    return 0;
}

}  // namespace

std::recursive_mutex& mutex() {
    static std::recursive_mutex mutex;
    return mutex;
}

QuietErrors::QuietErrors() {
    H5Eget_auto2(H5E_DEFAULT, &function_, &data_);
    H5Eset_auto2(H5E_DEFAULT, nullptr, nullptr);
}

QuietErrors::~QuietErrors() { H5Eset_auto2(H5E_DEFAULT, function_, data_); }

std::string error_detail() {
    std::vector<std::string> messages;
    H5Ewalk2(H5E_DEFAULT, H5E_WALK_DOWNWARD, collect_error, &messages);
    H5Eclear2(H5E_DEFAULT);
    if (messages.empty()) return {};
    if (messages.size() == 1) return messages.front();
    return messages.front() + " (" + messages.back() + ")";
}

int sync_to_disk(hid_t file) {
    if (H5Fflush(file, H5F_SCOPE_GLOBAL) < 0) return EIO;
    // The default (sec2) driver's handle is a pointer to its file descriptor.
    const hid_t access = H5Fget_access_plist(file);
    if (access < 0) return -1;
    const hid_t driver = H5Pget_driver(access);
    H5Pclose(access);
    if (driver != H5FD_SEC2) return -1;
    void* handle = nullptr;
    if (H5Fget_vfd_handle(file, H5P_DEFAULT, &handle) < 0 || handle == nullptr) return -1;
    return ::fdatasync(*static_cast<int*>(handle)) == 0 ? 0 : errno;
}

bool sync_folder_of(const std::string& path) {
    const std::string folder = std::filesystem::path(path).parent_path().empty()
                                   ? std::string(".")
                                   : std::filesystem::path(path).parent_path().string();
    const int descriptor = ::open(folder.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (descriptor < 0) return false;
    const bool synced = ::fsync(descriptor) == 0;
    ::close(descriptor);
    return synced;
}

int rename_no_replace(const std::string& from, const std::string& to) {
    if (::renameat2(AT_FDCWD, from.c_str(), AT_FDCWD, to.c_str(), RENAME_NOREPLACE) == 0) {
        return 0;
    }
    if (errno != EINVAL && errno != ENOSYS && errno != ENOTSUP) return errno;
    // No RENAME_NOREPLACE here (NFS, some FUSE file systems): a hard link is exclusive too.
    if (::link(from.c_str(), to.c_str()) == 0) {
        ::unlink(from.c_str());
        return 0;
    }
    if (errno != EPERM && errno != ENOTSUP && errno != ENOSYS) return errno;
    // Nor hard links: checked, then renamed (a window remains, on these file systems only).
    if (::access(to.c_str(), F_OK) == 0) return EEXIST;
    return ::rename(from.c_str(), to.c_str()) == 0 ? 0 : errno;
}

std::optional<std::string> in_use_message(const std::string& detail, const std::string& path,
                                          const std::string& expected) {
    if (detail.find("unable to lock file") == std::string::npos) return std::nullopt;
    return path + ": expected " + expected + " no other process writes, " + kInUse +
           ": wait for that process to end; where the file system has no locks, set "
           "HDF5_USE_FILE_LOCKING=FALSE";
}

std::string utc_timestamp() {
    const std::time_t now = std::chrono::system_clock::to_time_t(std::chrono::system_clock::now());
    std::tm utc{};
    gmtime_r(&now, &utc);
    std::array<char, 32> text{};
    std::strftime(text.data(), text.size(), "%Y-%m-%dT%H:%M:%SZ", &utc);
    return text.data();
}

Handle utf8_string_type() {
    Handle type(H5Tcopy(H5T_C_S1), H5Tclose);
    if (type.valid()) {
        H5Tset_size(type.get(), H5T_VARIABLE);
        H5Tset_cset(type.get(), H5T_CSET_UTF8);
    }
    return type;
}

std::vector<hsize_t> extent(hid_t space) {
    const int rank = H5Sget_simple_extent_ndims(space);
    std::vector<hsize_t> dims(static_cast<std::size_t>(std::max(rank, 0)));
    H5Sget_simple_extent_dims(space, dims.data(), nullptr);
    return dims;
}

std::vector<std::string> take_strings(std::span<char*> texts) {
    std::vector<std::string> values;
    for (char* text : texts) {
        values.emplace_back(text != nullptr ? text : "");
        H5free_memory(text);
    }
    return values;
}

std::optional<std::string> link_name(hid_t group, hsize_t index) {
    const ssize_t length =
        H5Lget_name_by_idx(group, ".", H5_INDEX_NAME, H5_ITER_INC, index, nullptr, 0, H5P_DEFAULT);
    if (length < 0) return std::nullopt;
    std::string name(static_cast<std::size_t>(length) + 1, '\0');
    H5Lget_name_by_idx(group, ".", H5_INDEX_NAME, H5_ITER_INC, index, name.data(), name.size(),
                       H5P_DEFAULT);
    name.resize(static_cast<std::size_t>(length));
    return name;
}

Handle Checked::string_type() const {
    Handle type(check(H5Tcopy(H5T_C_S1), "cannot create a string type"), H5Tclose);
    check_status(H5Tset_size(type.get(), H5T_VARIABLE), "cannot create a string type");
    check_status(H5Tset_cset(type.get(), H5T_CSET_UTF8), "cannot create a string type");
    return type;
}

Handle Checked::open_group(hid_t parent, const std::string& name) const {
    return {check(H5Gopen2(parent, name.c_str(), H5P_DEFAULT),
                  "cannot open group " + path_of(parent, name)),
            H5Gclose};
}

Handle Checked::open_dataset(hid_t parent, const std::string& name) const {
    return {check(H5Dopen2(parent, name.c_str(), H5P_DEFAULT),
                  "cannot open dataset " + path_of(parent, name)),
            H5Dclose};
}

Handle Checked::open_attribute(hid_t object, const std::string& name) const {
    return {check(H5Aopen(object, name.c_str(), H5P_DEFAULT),
                  "cannot open attribute " + path_of(object, name)),
            H5Aclose};
}

Handle Checked::create_group(hid_t parent, const std::string& name, hid_t properties) const {
    return {check(H5Gcreate2(parent, name.c_str(), H5P_DEFAULT, properties, H5P_DEFAULT),
                  "cannot create group " + path_of(parent, name)),
            H5Gclose};
}

void Checked::write_attribute(hid_t object, const std::string& name,
                              const std::string& value) const {
    const std::string what = "cannot write attribute " + path_of(object, name);
    const Handle type = string_type();
    const Handle space(check(H5Screate(H5S_SCALAR), what), H5Sclose);
    const Handle attribute(
        check(H5Acreate2(object, name.c_str(), type.get(), space.get(), H5P_DEFAULT, H5P_DEFAULT),
              what),
        H5Aclose);
    const char* text = value.c_str();
    check_status(H5Awrite(attribute.get(), type.get(), &text), what);
}

void Checked::write_attribute(hid_t object, const std::string& name,
                              const std::vector<std::string>& values) const {
    const std::string what = "cannot write attribute " + path_of(object, name);
    const Handle type = string_type();
    const hsize_t size = values.size();
    const Handle space(check(H5Screate_simple(1, &size, nullptr), what), H5Sclose);
    const Handle attribute(
        check(H5Acreate2(object, name.c_str(), type.get(), space.get(), H5P_DEFAULT, H5P_DEFAULT),
              what),
        H5Aclose);
    std::vector<const char*> texts;
    for (const std::string& value : values) texts.push_back(value.c_str());
    if (!texts.empty()) check_status(H5Awrite(attribute.get(), type.get(), texts.data()), what);
}

void Checked::write_strings(hid_t parent, const std::string& name,
                            const std::vector<std::string>& values, hid_t properties) const {
    const std::string what = "cannot write dataset " + path_of(parent, name);
    const Handle type = string_type();
    const hsize_t size = values.size();
    const Handle space(check(H5Screate_simple(1, &size, nullptr), what), H5Sclose);
    const Handle data(check(H5Dcreate2(parent, name.c_str(), type.get(), space.get(), H5P_DEFAULT,
                                       properties, H5P_DEFAULT),
                            what),
                      H5Dclose);
    std::vector<const char*> texts;
    for (const std::string& value : values) texts.push_back(value.c_str());
    if (!texts.empty()) {
        check_status(H5Dwrite(data.get(), type.get(), H5S_ALL, H5S_ALL, H5P_DEFAULT, texts.data()),
                     what);
    }
}

}  // namespace kindred::hdf5
