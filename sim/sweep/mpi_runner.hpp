// Distributes a sweep over MPI ranks (`mpirun -np P kindred sweep …`), dynamically: rank 0
// owns the sweep file and hands out run ids on request, one batch at a time, so a rank with
// slow runs never holds work others could do. Every rank runs its runs on all its oneTBB
// threads (rank 0 too, beside the coordination); results travel to rank 0, which records
// them as they arrive. Because a run's outcomes depend only on its id, the file equals the
// one a single process writes. Only the main thread of a rank calls MPI (MPI_THREAD_FUNNELED).
//
// Without MPI at build time (KINDRED_WITH_MPI off) mpi_built() is false and MpiSession throws.
#pragma once

#include <stdexcept>

#include "sweep/runner.hpp"

namespace kindred::sweep {

/// True when this program was built with MPI support.
bool mpi_built();

/// True when an MPI launcher started this process (mpirun/mpiexec of OpenMPI or MPICH, or
/// srun with PMI/PMIx): OMPI_COMM_WORLD_SIZE, PMI_SIZE, PMIX_RANK or MV2_COMM_WORLD_SIZE set.
bool launched_by_mpi();

/// MPI for the lifetime of the object (MPI_Init_thread with MPI_THREAD_FUNNELED, then
/// MPI_Finalize). Throws RuntimeFailure when built without MPI or MPI cannot start.
class MpiSession {
  public:
    MpiSession();
    ~MpiSession();
    MpiSession(const MpiSession&) = delete;
    MpiSession& operator=(const MpiSession&) = delete;

    int rank() const { return rank_; }
    int size() const { return size_; }

  private:
    int rank_ = 0;
    int size_ = 1;
};

/// A rank other than 0 stopping because rank 0 reported the error (`code`: the exit code rank 0
/// gives): print nothing and exit 0, so that rank 0 prints the message once and sets the job's
/// exit code before the launcher sees any rank fail.
class PeerFailure : public std::runtime_error {
  public:
    explicit PeerFailure(int code) : std::runtime_error("peer failure"), code_(code) {}
    int code() const { return code_; }

  private:
    int code_;
};

/// Runs the sweep over all ranks of MPI_COMM_WORLD. Rank 0 creates or resumes the file
/// (exactly as run_sweep) and returns the summary of the whole sweep; other ranks return the
/// number of runs they computed. An input error on rank 0 (an existing file, another sweep's
/// file) is thrown there and as PeerFailure on the other ranks; a failure after the runs began
/// is printed by rank 0, which then aborts every rank (MPI_Abort).
SweepSummary run_sweep_mpi(const SweepPlan& plan, const SweepOptions& options,
                           const MpiSession& mpi);

}  // namespace kindred::sweep
