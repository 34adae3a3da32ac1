#pragma once
// An architecture is a decision vector: choices[i] is the index of the chosen option of the
// space's i-th decision. The network (ArchGraph) is derived from it, never stored beside it.
//
// Example:
//   Architecture a{{3, 3, 3, 3, 3, 3}};     // nb201: every edge nor_conv_3x3
//   std::unordered_set<Architecture, ArchitectureHash> seen{a};
#include <compare>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace hwnas {

struct Architecture {
  std::vector<int> choices;

  friend bool operator==(const Architecture&, const Architecture&) = default;
  friend auto operator<=>(const Architecture&, const Architecture&) = default;
  /// 64-bit hash of the raw decision vector (not the canonical one; see SearchSpace::canonical_hash).
  std::uint64_t hash() const;
  /// "3,3,3,3,3,3": the decision vector as text.
  std::string vector_string() const;
};

struct ArchitectureHash {
  std::size_t operator()(const Architecture& a) const { return static_cast<std::size_t>(a.hash()); }
};

/// Hex form of a 64-bit hash, 16 lowercase digits.
std::string hash_hex(std::uint64_t h);

}  // namespace hwnas
