// `kindred verify FILE`: checks that a results file is intact and that its results can be
// reproduced. For a trial file: the format, every required group, dataset and shape of
// docs/hdf5-layout.md, the `complete` flag, every dataset readable to the last byte; then a
// sample of its replicates is run again from the stored provenance (scenario text, --set
// overrides; models by name from the catalogue) and compared bit for bit. For a sweep file:
// the same structural checks, the done flags, the digest of the sweep's definition, and a
// sample of its done runs re-evaluated and compared bit for bit.
//
// A model file that changed since the file was written makes re-runs differ: the model
// digests stored with the enrolments (trial) or the sweep digest say so before comparing.
#pragma once

#include <CLI/CLI.hpp>
#include <ostream>
#include <string>

namespace kindred {
class ModelCatalogue;
}

namespace kindred::verify {

struct VerifyCommand {
    std::string file;
    int sample = 2;  ///< replicates (trial) or runs (sweep) re-run; 0: structure only
    int threads = 0;
};

/// Adds subcommand "verify" to `app`, storing its options in `command`.
CLI::App* add_verify_subcommand(CLI::App& app, VerifyCommand& command);

/// Runs the checks, printing one line per check to `out`. Returns 0 when the file is intact
/// and every re-run matches, 1 otherwise. Throws InputError (one line) when the file is not a
/// readable kindred file: missing, not HDF5, damaged or truncated beyond opening, of another
/// program or of another format version.
int verify_command(const VerifyCommand& command, const ModelCatalogue& catalogue,
                   std::ostream& out);

}  // namespace kindred::verify
