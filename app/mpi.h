#pragma once
// `mpirun -np N hwnas search CONFIG`: rank 0 runs the search (study, strategy, log, front,
// report); ranks 1..N-1 evaluate the expensive objectives of the trials rank 0 sends them, each
// with `parallelism` threads. The same binary runs without mpirun (one process), and a build
// without MPI (app/mpi/none.cpp) says so under mpirun and runs the search on rank 0 alone.
//
// Messages (MPI_COMM_WORLD, JSON text as MPI_CHAR): rank 0 -> evaluator TRIAL {"id", "decisions",
// "cheap": [raw...], "degenerate"} and STOP; evaluator -> rank 0 RESULT {"id", "raw", "failure",
// "user_error"}. An evaluator that dies takes the job down (mpirun aborts it); one that does not
// answer within --eval-timeout seconds makes rank 0 abort the job. Either way the fsynced log
// keeps every finished evaluation and `--resume` (under mpirun with any N, or without) continues.
#include <memory>

#include "hwnas/search/backend.h"
#include "hwnas/search/config.h"

namespace hwnas::cli {

struct MpiWorld {
  int rank = 0, size = 1;
  bool distributed() const { return size > 1; }
};
/// The world this process runs in: {0, 1} outside mpirun or in a build without MPI.
const MpiWorld& mpi_world();

/// In main(): initializes MPI when launched by mpirun (MPI builds), finalizes at the end. In a
/// build without MPI under mpirun, ranks other than 0 exit at once and rank 0 warns.
class MpiSession {
 public:
  MpiSession(int& argc, char**& argv);
  ~MpiSession();
  MpiSession(const MpiSession&) = delete;
  MpiSession& operator=(const MpiSession&) = delete;
  /// False on ranks that must do nothing (ranks > 0 of a build without MPI).
  bool should_run() const { return run_; }

 private:
  bool run_ = true;
};

/// Ranks > 0 of `hwnas search`: evaluate trials of `cfg` until rank 0 says stop.
void mpi_serve(const SearchConfig& cfg);
/// Rank 0: a backend over ranks 1..size-1 (`parallelism` slots each). `timeout_s` > 0: abort the
/// job when a trial is not back within that many seconds.
std::unique_ptr<EvaluationBackend> make_mpi_backend(const SearchConfig& cfg, double timeout_s);
/// Rank 0: tells every evaluator to stop (at the end of the search, or on an error).
void mpi_stop_evaluators();

}  // namespace hwnas::cli
