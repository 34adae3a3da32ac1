#include "hwnas/nas/cell_key.h"

#include <algorithm>
#include <unordered_map>

namespace hwnas {

std::string cell_structure_key(std::vector<CellEdgeKey> edges, int nodes, int output,
                               const std::function<bool(int op)>& is_identity,
                               const std::function<std::string(int op)>& op_name) {
  if (edges.empty()) return "zero";
  // A node whose only input is an identity op is its input's tensor: merge it into that input.
  for (bool changed = true; changed;) {
    changed = false;
    for (int j = 1; j < nodes && !changed; ++j) {
      int inputs = 0, skip = -1;
      for (std::size_t e = 0; e < edges.size(); ++e)
        if (edges[e].to == j) ++inputs, skip = is_identity(edges[e].op) ? static_cast<int>(e) : -1;
      if (inputs != 1 || skip < 0) continue;
      const int i = edges[skip].from;
      edges.erase(edges.begin() + skip);
      for (auto& e : edges)
        if (e.from == j) e.from = i;
      if (output == j) output = i;
      changed = true;
    }
  }
  if (output == 0) return edges.empty() ? "identity" : "identity+dead";  // edges left cannot reach the output
  // Intermediate nodes (not input, not output) in use; try every numbering, keep the smallest key.
  std::vector<int> mid;
  for (const auto& e : edges)
    for (int n : {e.from, e.to})
      if (n != 0 && n != output && std::find(mid.begin(), mid.end(), n) == mid.end()) mid.push_back(n);
  std::sort(mid.begin(), mid.end());
  const bool permute = mid.size() <= 7;  // 5,040 orders at most
  std::string best;
  do {
    auto label = [&](int n) -> std::string {
      if (n == 0) return "0";
      if (n == output) return "o";
      return std::to_string(1 + (std::find(mid.begin(), mid.end(), n) - mid.begin()));
    };
    std::vector<std::string> parts;
    for (const auto& e : edges) parts.push_back(label(e.from) + ">" + label(e.to) + ":" + op_name(e.op));
    std::sort(parts.begin(), parts.end());
    std::string key;
    for (const auto& p : parts) key += (key.empty() ? "" : " ") + p;
    if (best.empty() || key < best) best = key;
  } while (permute && std::next_permutation(mid.begin(), mid.end()));
  return best;
}

Architecture CanonicalTable::smallest(const SearchSpace& space, const Architecture& a,
                                      const std::function<std::string(const Architecture&)>& key) const {
  const auto& d = space.decisions();
  std::call_once(once_, [&] {
    // Enumeration is lexicographic, so the first member of a class seen is its smallest.
    std::unordered_map<std::string, std::uint32_t> first;
    index_.reserve(static_cast<std::size_t>(space.size()));
    space.enumerate([&](const Architecture& x) {
      const auto idx = static_cast<std::uint32_t>(index_.size());
      index_.push_back(first.emplace(key(x), idx).first->second);
    });
  });
  std::size_t idx = 0;
  for (std::size_t i = 0; i < d.size(); ++i) idx = idx * d[i].choices.size() + static_cast<std::size_t>(a.choices[i]);
  idx = index_[idx];
  Architecture c;
  c.choices.assign(d.size(), 0);
  for (std::size_t i = d.size(); i-- > 0;) {
    c.choices[i] = static_cast<int>(idx % d[i].choices.size());
    idx /= d[i].choices.size();
  }
  return c;
}

}  // namespace hwnas
