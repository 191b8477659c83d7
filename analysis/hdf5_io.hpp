// Small checked wrappers over the HDF5 C API for the analysis layer: reading the trial and
// sweep files' datasets and attributes, and writing the analysis file, on the plumbing shared
// with the simulation (sim/hdf5/common.hpp). Internal to kindred::analyze. Errors throw
// RuntimeFailure naming the file, the object and HDF5's explanation. HDF5 is not thread-safe
// in Debian's build: call from one thread at a time.
#pragma once

#include <hdf5.h>

#include <cstdint>
#include <filesystem>
#include <string>
#include <utility>
#include <vector>

#include "hdf5/common.hpp"

namespace kindred::analysis::hdf5 {

using ::kindred::hdf5::Handle;
using ::kindred::hdf5::QuietErrors;

/// Checked operations; `label` names the file in messages. A failure is a RuntimeFailure
/// "LABEL: WHAT: DETAIL", or, when `expected` names what an input file should be ("a readable
/// kindred trial file"), an InputError "LABEL: expected EXPECTED, found a damaged one: WHAT:
/// DETAIL", as sim/output/trial_reader.hpp reports a damaged file.
class Io : public ::kindred::hdf5::Checked {
  public:
    explicit Io(std::string label, std::string expected = {})
        : label_(std::move(label)), expected_(std::move(expected)) {}
    const std::string& label() const { return label_; }

    [[noreturn]] void fail(const std::string& what) const override;

    /// True when `path` (relative to `parent`, may contain '/') names a link that exists.
    bool exists(hid_t parent, const std::string& path) const;
    bool has_attribute(hid_t object, const std::string& name) const;

    /// Names of the links in a group, in name order.
    std::vector<std::string> members(hid_t group) const;
    /// Extent of a dataset along each axis.
    std::vector<hsize_t> shape(hid_t parent, const std::string& path) const;

    std::string read_string_attribute(hid_t object, const std::string& name) const;
    std::vector<std::string> read_strings_attribute(hid_t object, const std::string& name) const;
    double read_double_attribute(hid_t object, const std::string& name) const;
    std::int64_t read_int_attribute(hid_t object, const std::string& name) const;
    std::uint64_t read_uint_attribute(hid_t object, const std::string& name) const;

    /// Whole datasets, converted to the memory type (row-major).
    std::vector<double> read_doubles(hid_t parent, const std::string& path) const;
    std::vector<std::int32_t> read_ints(hid_t parent, const std::string& path) const;
    std::vector<std::int8_t> read_int8s(hid_t parent, const std::string& path) const;
    std::vector<std::string> read_strings(hid_t parent, const std::string& path) const;
    /// Row `row` of a 2-D float64 dataset.
    std::vector<double> read_row(hid_t parent, const std::string& path, hsize_t row) const;

    // open_group, open_dataset, create_group and write_strings: Checked's. Numbers are written as
    // float64 or int64 only: no template, so that an int cannot become an int32 attribute.
    void write_attribute(hid_t object, const std::string& name, const std::string& value) const;
    void write_attribute(hid_t object, const std::string& name,
                         const std::vector<std::string>& values) const;
    void write_attribute(hid_t object, const std::string& name, double value) const;
    void write_attribute(hid_t object, const std::string& name, std::int64_t value) const;
    void write_doubles(hid_t parent, const std::string& name,
                       const std::vector<double>& values) const;
    void write_ints(hid_t parent, const std::string& name,
                    const std::vector<std::int64_t>& values) const;

  private:
    std::string label_;
    std::string expected_;
};

/// Opens a file read-only; throws InputError when it does not exist or is not HDF5.
Handle open_file(const std::filesystem::path& path, const Io& io);

}  // namespace kindred::analysis::hdf5
