#pragma once
// Writing a file so that a reader (or a crash) never sees it half-written: the content goes to a
// temporary file in the same folder, is flushed to disk, and is renamed over the target.
//
// Example:
//   write_file_atomic("runs/a/pareto.json", json.dump(2));
#include <string>
#include <string_view>

namespace hwnas {

/// Throws UserError naming the path when the folder is missing or not writable.
void write_file_atomic(const std::string& path, std::string_view content);

}  // namespace hwnas
