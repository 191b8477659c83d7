// The HDF5 plumbing shared by Kindred's file formats (trial files, sweep files, `kindred verify`,
// the analysis layer), over the HDF5 C API: an owning handle, the one process-wide HDF5 lock,
// silencing of HDF5's automatic error printing, HDF5's own explanation of a failure, the
// numeric types of the files, and checked creation and reading of groups, attributes and
// datasets. What a failure says stays with each format: Checked::fail is theirs to define.
// Internal to the simulation and analysis libraries.
#pragma once

#include <hdf5.h>

#include <concepts>
#include <cstddef>
#include <cstdint>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <utility>
#include <vector>

namespace kindred::hdf5 {

/// Owns one HDF5 identifier and closes it with the matching H5?close function.
class Handle {
  public:
    using Closer = herr_t (*)(hid_t);
    Handle() = default;
    Handle(hid_t id, Closer closer) : id_(id), closer_(closer) {}
    Handle(Handle&& other) noexcept
        : id_(std::exchange(other.id_, H5I_INVALID_HID)), closer_(other.closer_) {}
    Handle& operator=(Handle&& other) noexcept {
        if (this != &other) {
            reset();
            id_ = std::exchange(other.id_, H5I_INVALID_HID);
            closer_ = other.closer_;
        }
        return *this;
    }
    ~Handle() { reset(); }
    Handle(const Handle&) = delete;
    Handle& operator=(const Handle&) = delete;

    hid_t get() const { return id_; }
    bool valid() const { return id_ >= 0; }
    /// Closes the identifier; returns the close function's status (0 when nothing was open).
    herr_t reset() {
        herr_t status = 0;
        if (id_ >= 0 && closer_ != nullptr) status = closer_(id_);
        id_ = H5I_INVALID_HID;
        return status;
    }

  private:
    hid_t id_ = H5I_INVALID_HID;
    Closer closer_ = nullptr;
};

/// The one mutex of the process that serialises HDF5 calls (Debian's HDF5 is not built
/// thread-safe). Recursive: a writer destroyed while unwinding from a locked section locks it
/// again.
std::recursive_mutex& mutex();

/// Silences HDF5's automatic error printing for its scope (errors become exceptions).
class QuietErrors {
  public:
    QuietErrors();
    ~QuietErrors();
    QuietErrors(const QuietErrors&) = delete;
    QuietErrors& operator=(const QuietErrors&) = delete;

  private:
    H5E_auto2_t function_ = nullptr;
    void* data_ = nullptr;
};

/// Holds the HDF5 mutex and silences HDF5's automatic error printing for its scope.
class Lock {
  public:
    Lock() : lock_(mutex()) {}
    Lock(const Lock&) = delete;
    Lock& operator=(const Lock&) = delete;

  private:
    std::lock_guard<std::recursive_mutex> lock_;
    QuietErrors quiet_;  ///< after the lock: silenced while it is held
};

/// HDF5's explanation of the last failure (outermost and innermost message; "" when the
/// error stack is empty), and clears the error stack.
std::string error_detail();

/// Memory and file (little-endian) types of the numbers in Kindred's files.
template <typename T>
struct H5Types;
template <>
struct H5Types<double> {
    static hid_t memory() { return H5T_NATIVE_DOUBLE; }
    static hid_t file() { return H5T_IEEE_F64LE; }
};
template <>
struct H5Types<std::int8_t> {
    static hid_t memory() { return H5T_NATIVE_INT8; }
    static hid_t file() { return H5T_STD_I8LE; }
};
template <>
struct H5Types<std::int32_t> {
    static hid_t memory() { return H5T_NATIVE_INT32; }
    static hid_t file() { return H5T_STD_I32LE; }
};
template <>
struct H5Types<std::int64_t> {
    static hid_t memory() { return H5T_NATIVE_INT64; }
    static hid_t file() { return H5T_STD_I64LE; }
};
template <>
struct H5Types<std::uint64_t> {
    static hid_t memory() { return H5T_NATIVE_UINT64; }
    static hid_t file() { return H5T_STD_U64LE; }
};

/// A number type with H5Types.
template <typename T>
concept Number = requires {
    { H5Types<T>::memory() } -> std::same_as<hid_t>;
};

/// The time now in UTC, "YYYY-MM-DDTHH:MM:SSZ": the `created` attribute of Kindred's files.
std::string utc_timestamp();

/// Writes what the kernel holds of an open file (flushed first with H5Fflush) to the disk,
/// so that it survives the machine's failure, not only the process's. Returns 0 when synced,
/// −1 when the file's driver has no descriptor to sync (not the default sec2 driver), or the
/// errno of a failed flush or sync.
int sync_to_disk(hid_t file);

/// Syncs the folder holding `path`, so that a rename into it survives the machine's failure.
/// Best effort: false when the folder cannot be opened or synced.
bool sync_folder_of(const std::string& path);

/// Renames `from` to `to` unless `to` exists (atomically where the file system allows:
/// renameat2's RENAME_NOREPLACE, else a hard link then unlinking `from`). Returns 0, or
/// EEXIST when `to` exists (then `from` is left), or another errno.
int rename_no_replace(const std::string& from, const std::string& to);

/// The words of in_use_message() that tell a file in use from a damaged one.
inline constexpr const char* kInUse = "found one in use (HDF5 could not lock it)";

/// When HDF5's failure `detail` says it could not lock the file (another process writes it,
/// which is not damage): "PATH: expected EXPECTED no other process writes, found one in use …".
std::optional<std::string> in_use_message(const std::string& detail, const std::string& path,
                                          const std::string& expected);

/// The variable-length UTF-8 string type, unchecked (an invalid handle when H5Tcopy fails).
Handle utf8_string_type();

/// The extent of a dataspace along each axis (none when HDF5 cannot tell its rank).
std::vector<hsize_t> extent(hid_t space);

/// Strings read as variable-length: copied, and HDF5's memory freed.
std::vector<std::string> take_strings(std::span<char*> texts);

/// The name of link `index` (in name order) of `group`; none when HDF5 cannot tell it.
std::optional<std::string> link_name(hid_t group, hsize_t index);

/// Checked HDF5 operations: a failing call throws what `fail` makes of the operation `what`
/// (each format its own message, most with error_detail()). Messages name an object `name`
/// of `parent` by path_of(parent, name).
class Checked {
  public:
    Checked() = default;
    Checked(const Checked&) = default;
    Checked& operator=(const Checked&) = default;
    Checked(Checked&&) = default;
    Checked& operator=(Checked&&) = default;
    virtual ~Checked() = default;

    /// Throws: `what` failed.
    [[noreturn]] virtual void fail(const std::string& what) const = 0;
    hid_t check(hid_t id, const std::string& what) const {
        if (id < 0) fail(what);
        return id;
    }
    void check_status(herr_t status, const std::string& what) const {
        if (status < 0) fail(what);
    }
    /// How messages name child `name` of `parent`: `name` as given.
    virtual std::string path_of(hid_t /*parent*/, const std::string& name) const { return name; }

    /// The variable-length UTF-8 string type.
    Handle string_type() const;

    /// Opens an existing group, dataset or attribute `name` of `parent`.
    Handle open_group(hid_t parent, const std::string& name) const;
    Handle open_dataset(hid_t parent, const std::string& name) const;
    Handle open_attribute(hid_t object, const std::string& name) const;

    /// Creates group `name` of `parent`.
    Handle create_group(hid_t parent, const std::string& name,
                        hid_t properties = H5P_DEFAULT) const;

    /// Scalar variable-length UTF-8 string attribute.
    void write_attribute(hid_t object, const std::string& name, const std::string& value) const;
    /// 1-D attribute of variable-length UTF-8 strings.
    void write_attribute(hid_t object, const std::string& name,
                         const std::vector<std::string>& values) const;
    /// Scalar numeric attribute.
    template <Number T>
    void write_attribute(hid_t object, const std::string& name, T value) const {
        const std::string what = "cannot write attribute " + path_of(object, name);
        const Handle space(check(H5Screate(H5S_SCALAR), what), H5Sclose);
        const Handle attribute(check(H5Acreate2(object, name.c_str(), H5Types<T>::file(),
                                                space.get(), H5P_DEFAULT, H5P_DEFAULT),
                                     what),
                               H5Aclose);
        check_status(H5Awrite(attribute.get(), H5Types<T>::memory(), &value), what);
    }

    /// Numeric dataset of shape `dims` with creation properties `properties`, from row-major
    /// `values` (none: left to the fill value).
    template <Number T>
    Handle write_dataset(hid_t parent, const std::string& name, std::span<const hsize_t> dims,
                         std::span<const T> values, hid_t properties = H5P_DEFAULT) const {
        const std::string what = "cannot write dataset " + path_of(parent, name);
        const Handle space(
            check(H5Screate_simple(static_cast<int>(dims.size()), dims.data(), nullptr), what),
            H5Sclose);
        Handle data(check(H5Dcreate2(parent, name.c_str(), H5Types<T>::file(), space.get(),
                                     H5P_DEFAULT, properties, H5P_DEFAULT),
                          what),
                    H5Dclose);
        if (!values.empty()) {
            check_status(H5Dwrite(data.get(), H5Types<T>::memory(), H5S_ALL, H5S_ALL, H5P_DEFAULT,
                                  values.data()),
                         what);
        }
        return data;
    }

    /// 1-D dataset of variable-length UTF-8 strings.
    void write_strings(hid_t parent, const std::string& name,
                       const std::vector<std::string>& values,
                       hid_t properties = H5P_DEFAULT) const;

    /// The `count` values of a whole dataset.
    template <Number T>
    std::vector<T> read_values(hid_t dataset, std::size_t count, const std::string& what) const {
        std::vector<T> values(count);
        if (count > 0) {
            check_status(H5Dread(dataset, H5Types<T>::memory(), H5S_ALL, H5S_ALL, H5P_DEFAULT,
                                 values.data()),
                         what);
        }
        return values;
    }
};

}  // namespace kindred::hdf5
