#pragma once
// The one way hwnas reads a whole input file (configs, profiles, tables, logs): only regular files
// (a FIFO or /dev/zero named by a config would hang the reader), and only up to a size limit.
//
// Example:
//   std::string text = read_whole_file("configs/quickstart.json");
#include <cstddef>
#include <string>

namespace hwnas {

inline constexpr std::size_t kMaxInputFileBytes = std::size_t{1} << 30;  // 1 GiB

/// The file's bytes. UserError naming the path when it is missing, not a regular file, or larger
/// than `max_bytes`.
std::string read_whole_file(const std::string& path, std::size_t max_bytes = kMaxInputFileBytes);

}  // namespace hwnas
