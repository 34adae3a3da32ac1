// A build without MPI: one process. Under mpirun it says so; rank 0 runs the search alone.
#include <cstdlib>
#include <iostream>

#include "../mpi.h"
#include "hwnas/core/error.h"

namespace hwnas::cli {

namespace {
int env_int(const char* name, int fallback) {
  const char* v = std::getenv(name);
  return v && *v ? std::atoi(v) : fallback;
}
}  // namespace

const MpiWorld& mpi_world() {
  static const MpiWorld w;
  return w;
}

MpiSession::MpiSession(int&, char**&) {
  const int size = env_int("OMPI_COMM_WORLD_SIZE", env_int("PMI_SIZE", 1));
  const int rank = env_int("OMPI_COMM_WORLD_RANK", env_int("PMI_RANK", 0));
  if (size <= 1) return;
  run_ = rank == 0;
  if (run_)
    std::cerr << "warning: this hwnas was built without MPI: rank 0 runs alone, the other " << size - 1
              << " process(es) exit (install libopenmpi-dev and rebuild to distribute the evaluations)\n";
}

MpiSession::~MpiSession() = default;

void mpi_serve(const SearchConfig&) { HWNAS_CHECK(false, "mpi_serve in a build without MPI"); }

std::unique_ptr<EvaluationBackend> make_mpi_backend(const SearchConfig&, double) {
  HWNAS_CHECK(false, "make_mpi_backend in a build without MPI");
  return nullptr;
}

void mpi_stop_evaluators() {}

}  // namespace hwnas::cli
