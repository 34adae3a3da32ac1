#pragma once
// Shared by the libFuzzer targets (tests/fuzz/fuzz_*.cpp). A target feeds bytes to one parser; a
// UserError is the expected answer to bad input, anything else (another exception, a crash, a
// sanitizer report, an internal error) is a bug that libFuzzer reports and keeps.
//
// Build and run: scripts/sanitize.sh (CI runs each target for a short time), or by hand
//   cmake -S . -B build-fuzz -G Ninja -DCMAKE_CXX_COMPILER=clang++ -DHWNAS_WITH_TORCH=OFF \
//         -DHWNAS_FUZZ=ON -DHWNAS_SANITIZE=address,undefined && cmake --build build-fuzz --target fuzzers
//   build-fuzz/fuzz_config -max_total_time=60 tests/fuzz/corpus/config
#include <cstddef>
#include <cstdint>
#include <string>

#include "hwnas/core/error.h"

#define HWNAS_FUZZ_TARGET(body)                                                   \
  extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) { \
    const std::string input(reinterpret_cast<const char*>(data), size);           \
    try {                                                                         \
      body                                                                        \
    } catch (const hwnas::UserError&) {                                           \
    }                                                                             \
    return 0;                                                                     \
  }
