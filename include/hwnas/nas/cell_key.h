#pragma once
// Canonical forms of cell spaces, shared by nb201 and space files (GraphSpace): the structure key
// of a cell, and a class table over a whole small space.
//
// Example:
//   std::string k = cell_structure_key({{0, 1, conv}, {1, 3, skip}}, 4, 3, is_skip, op_name);
//   Architecture c = table_.smallest(*this, a, [&](const Architecture& x) { return structure_key(x); });
#include <cstdint>
#include <functional>
#include <mutex>
#include <string>
#include <vector>

#include "hwnas/nas/search_space.h"

namespace hwnas {

struct CellEdgeKey {
  int from = 0, to = 0, op = 0;
};

/// Key of a cell from its live edges (node 0 is the input, `output` the output node, `nodes` in
/// all): a node whose only input is an identity op is merged into that input (it is the same
/// tensor), and the remaining intermediate nodes are numbered to make the sorted edge list
/// smallest (every order tried for up to 7 of them; beyond that the written numbering), e.g.
/// "0>1:nor_conv_3x3 1>o:skip_connect". No edge: "zero"; the output merged into the input:
/// "identity" (or "identity+dead" when edges are left that cannot reach it).
std::string cell_structure_key(std::vector<CellEdgeKey> edges, int nodes, int output,
                               const std::function<bool(int op)>& is_identity,
                               const std::function<std::string(int op)>& op_name);

/// Each decision vector of a space -> the smallest vector with the same key, from a table over
/// the whole space built on first use (thread-safe). For spaces small enough to enumerate.
class CanonicalTable {
 public:
  Architecture smallest(const SearchSpace& space, const Architecture& a,
                        const std::function<std::string(const Architecture&)>& key) const;

 private:
  mutable std::once_flag once_;
  mutable std::vector<std::uint32_t> index_;  // mixed-radix index -> index of its class's smallest member
};

}  // namespace hwnas
