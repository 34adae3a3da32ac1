#pragma once
// main() for benchmarks that take options: runs `run`, and reports a UserError (bad option, bad
// data file) on stderr with exit code 2 instead of aborting.
#include <cstdio>
#include <exception>

namespace hwnas::bench {

inline int guarded_main(int (*run)(int, char**), int argc, char** argv) {
  try {
    return run(argc, argv);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "error: %s\n", e.what());
    return 2;
  }
}

}  // namespace hwnas::bench
