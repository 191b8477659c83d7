// Reading back a trial file (docs/hdf5-layout.md): the stored provenance and replicates, for
// `kindred run --resume` (continue a file a signal stopped) and `kindred verify`, and the
// per-patient columns a resumed run needs for its summary. Every failure to read is an
// InputError naming the file: it is not a trial file, or it is damaged.
//
// Not for use while a writer of this process writes (HDF5 here is not thread-safe).
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "output/hdf5_writer.hpp"

namespace kindred {

/// The root attributes, parameters and arms of a trial file, as stored.
struct TrialHeader {
    std::int32_t format_version = 0;
    std::string kindred_version;
    std::string scenario_name;
    std::string scenario_path;
    std::string scenario_text;
    std::string overrides;  ///< one per line
    std::uint64_t seed = 0;
    int weeks = 0;
    int replicates = 0;
    /// The root attribute `complete`; absent (nullopt) in files of Kindred before 0.2.
    std::optional<bool> complete;
    std::map<std::string, double> parameters;  ///< /parameters attributes
    std::vector<std::string> arm_names;
    std::vector<EnrolmentInfo> enrolments;  ///< model_digest empty when not stored
    std::set<int> replicates_present;       ///< the replicate_RRR groups
};

/// "FILE: expected …, found …" when `path` is not a readable HDF5 file: missing, not a regular
/// file, not HDF5 (random bytes, text), or damaged or truncated so that HDF5 cannot open it.
/// `expected` names what the caller wanted ("a kindred trial file").
void check_hdf5_file(const std::filesystem::path& path, const std::string& expected);

/// The value of the root attribute `format` ("kindred-trial", "kindred-sweep"), or "" when
/// the file has none. Throws InputError as check_hdf5_file.
std::string read_file_format(const std::filesystem::path& path, const std::string& expected);

/// Checks that a new results file of `format` ("kindred-trial", "kindred-sweep") may take the
/// place of whatever is at `path`, which `option` (--force, --overwrite) asked to replace.
/// Nothing there, an empty file, an HDF5 file of that format, or one HDF5 cannot open (a
/// damaged results file) may be replaced. Throws InputError naming `path` and `option` for a
/// directory, a FIFO, socket or device, a file that is not HDF5 (a scenario, a CSV file, text),
/// an HDF5 file of another format or of none (another program's data), or one of `inputs`
/// (files the command reads).
void check_replaceable(const std::filesystem::path& path, const std::string& format,
                       const std::string& option,
                       const std::vector<std::filesystem::path>& inputs = {});

/// Reads the header. Throws InputError naming the file when it is not a kindred trial file
/// (of this format version) or an attribute or dataset cannot be read.
TrialHeader read_trial_header(const std::filesystem::path& path);

/// The per-patient columns of one stored replicate, and its paired counterfactual effects.
struct StoredPatients {
    std::vector<std::int32_t> id, arm, recovered_week;
    std::vector<double> initial_distress, middle_distress, final_distress;
    int middle_week = -1;  ///< the week of middle_distress (-1 when the file has none)
    /// counterfactual/ (empty without): weeks, and the W × P individual effects, row-major,
    /// with patients in `counterfactual_patient` order and arms in `counterfactual_arm`.
    std::vector<std::int32_t> counterfactual_week, counterfactual_patient, counterfactual_arm;
    std::vector<double> individual_effect;
};

/// Reads /replicate_RRR/patients (and counterfactual/). Throws InputError naming the file and
/// the dataset when they are missing or unreadable.
StoredPatients read_stored_patients(const std::filesystem::path& path, int replicate);

}  // namespace kindred
