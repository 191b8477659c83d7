// The `kindred sweep` and `kindred merge` subcommands, behind the CLI's option parsing: the
// shard (--shard or SLURM job arrays), the output name, MPI or threads, the progress line and
// the summary.
#pragma once

#include <ostream>
#include <string>
#include <vector>

#include "config/scenario.hpp"

namespace kindred::sweep {

struct SweepCommand {
    std::string scenario;                ///< scenario file with a sweep section
    std::vector<std::string> overrides;  ///< --set name=value, applied to every run
    std::string output;                  ///< -o; default results/<scenario name>.sweep.h5
    std::string shard;  ///< --shard I/N; empty: SLURM_ARRAY_TASK_ID/COUNT or the whole sweep
    bool resume = false;
    bool overwrite = false;
    int threads = 0;  ///< per process; 0 = all cores
    bool quiet = false;
    bool no_mpi = false;     ///< ignore an MPI launcher: run as a single process
    std::string max_memory;  ///< --max-memory: empty = what is available (trial/limits.hpp)
};

/// Runs `kindred sweep`, printing the summary to `out` (on rank 0). Returns the exit code.
/// Throws InputError (bad input) and other exceptions like the other subcommands; under MPI,
/// ranks other than 0 print nothing and return the exit code instead.
int sweep_command(const SweepCommand& command, const ModelCatalogue& models, std::ostream& out);

/// Runs `kindred merge -o OUTPUT SHARD... [--force]`. Throws InputError for inconsistent
/// shards, and for an existing OUTPUT unless `force` (and then unless it may be replaced:
/// check_replaceable).
int merge_command(const std::vector<std::string>& inputs, const std::string& output, bool force,
                  std::ostream& out);

}  // namespace kindred::sweep
