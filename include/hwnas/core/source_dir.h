#pragma once
// The source tree this library was built from: its configs/hardware when the library is not
// installed, and the data the tests and benchmarks read (configs/, bench/data/).
//
// A function whose one generated definition holds the path (CMakeLists.txt), not a -D on every
// compile line: compile lines then hold no absolute path, so the compiler cache (ccache with
// base_dir set to the source tree) serves a checkout at another path, such as CI's clean clone.
//
// Example:
//   const std::string nb201 = std::string(HWNAS_SOURCE_DIR) + "/configs/spaces/nb201.json";

namespace hwnas {

/// Absolute path of the source tree, without a trailing slash.
const char* source_dir();

}  // namespace hwnas

#define HWNAS_SOURCE_DIR (::hwnas::source_dir())
