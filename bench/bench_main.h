#pragma once
// main() for benchmarks: `-h`/`--help` prints the usage and exits 0 before any work starts
// (wants_help); guarded_main runs `run` and reports a UserError (bad option, bad data file) on
// stderr with exit code 2 instead of aborting.
#include <cstdio>
#include <cstring>
#include <exception>

namespace hwnas::bench {

/// True (after printing `usage` on stdout) when the arguments ask for help.
inline bool wants_help(int argc, char** argv, const char* usage) {
  for (int i = 1; i < argc; ++i)
    if (!std::strcmp(argv[i], "-h") || !std::strcmp(argv[i], "--help")) {
      std::fputs(usage, stdout);
      return true;
    }
  return false;
}

inline int guarded_main(int (*run)(int, char**), int argc, char** argv, const char* usage) {
  if (wants_help(argc, argv, usage)) return 0;
  try {
    return run(argc, argv);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "error: %s\n", e.what());
    return 2;
  }
}

}  // namespace hwnas::bench
