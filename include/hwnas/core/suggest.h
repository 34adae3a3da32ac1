#pragma once
// "Did you mean" for a name that is not known (a device, a space): the closest known name by
// edit distance, when it is close enough to be a typo.
//
// Example:
//   closest_name("rtx4090", {"a100-sxm", "rtx-4090"}) == "rtx-4090"
#include <string>
#include <vector>

namespace hwnas {

/// The known name nearest to `name` (Levenshtein distance, ties to the first), or "" when none is
/// within max(1, (size+1)/3) edits.
std::string closest_name(const std::string& name, const std::vector<std::string>& known);
/// "; did you mean 'x'?" or "" (for appending to an "unknown ... 'name'" message).
std::string did_you_mean(const std::string& name, const std::vector<std::string>& known);

}  // namespace hwnas
