#include "hwnas/nas/search_space.h"

#include <cmath>
#include <cstdio>
#include <map>
#include <mutex>

#include "hwnas/core/error.h"
#include "hwnas/core/suggest.h"
#include "hwnas/nas/spaces/graph_space.h"
#include "hwnas/nas/spaces/mbv.h"
#include "hwnas/nas/spaces/nb201.h"

namespace hwnas {

CostTotals SearchSpace::count(const Architecture& a, const DecodeOptions& opts) const {
  return count_costs(decode(a, opts)).totals;
}

LayerList SearchSpace::layers(const Architecture& a, const DecodeOptions& opts) const {
  return count_costs(decode(a, opts));
}

std::uint64_t SearchSpace::options_hash() const {
  std::uint64_t h = options_hash_.load(std::memory_order_relaxed);
  if (h) return h;
  h = 0xcbf29ce484222325ULL;
  for (char c : name() + options().dump()) h = (h ^ static_cast<unsigned char>(c)) * 0x100000001b3ULL;
  h |= 1;  // never 0, the "not computed" mark
  options_hash_.store(h, std::memory_order_relaxed);
  return h;
}

std::uint64_t SearchSpace::canonical_hash(const Architecture& a) const {
  return Rng::mix(canonicalize(a).hash() ^ options_hash());
}

std::uint64_t SearchSpace::identity_hash(const Architecture& a) const {
  if (!as_built_) return canonical_hash(a);
  return Rng::mix(as_built_form(a).hash() ^ options_hash() ^ 0x6173206275696c74ULL);  // "as built"
}

void SearchSpace::validate(const Architecture& a) const {
  const auto& d = decisions();
  if (a.choices.size() != d.size())
    throw UserError(name() + ": architecture has " + std::to_string(a.choices.size()) + " decisions, expected " +
                    std::to_string(d.size()));
  for (std::size_t i = 0; i < d.size(); ++i) {
    if (a.choices[i] < 0 || a.choices[i] >= static_cast<int>(d[i].choices.size()))
      throw UserError(name() + ": decision " + std::to_string(i) + " (" + d[i].name + ") has choice " +
                      std::to_string(a.choices[i]) + ", expected 0.." + std::to_string(d[i].choices.size() - 1));
  }
}

Architecture SearchSpace::sample(Rng& rng) const {
  Architecture a;
  for (const auto& d : decisions()) a.choices.push_back(static_cast<int>(rng.uniform_index(d.choices.size())));
  return a;
}

Architecture SearchSpace::mutate(const Architecture& a, Rng& rng) const {
  const auto& d = decisions();
  std::vector<int> mutable_idx;
  for (std::size_t i = 0; i < d.size(); ++i)
    if (d[i].choices.size() > 1) mutable_idx.push_back(static_cast<int>(i));
  if (mutable_idx.empty()) return a;
  const Architecture canon = identity_form(a);
  Architecture out;
  // Prefer a change that alters the network (not only a dead edge or an unused decision).
  for (int attempt = 0; attempt < 32; ++attempt) {
    out = a;
    const int i = mutable_idx[rng.uniform_index(mutable_idx.size())];
    const int n = static_cast<int>(d[i].choices.size());
    out.choices[i] = (a.choices[i] + 1 + static_cast<int>(rng.uniform_index(n - 1))) % n;
    if (identity_form(out) != canon) return out;
  }
  return out;
}

std::vector<Architecture> SearchSpace::neighbours(const Architecture& a) const {
  std::vector<Architecture> out;
  const auto& d = decisions();
  for (std::size_t i = 0; i < d.size(); ++i) {
    for (int c = 0; c < static_cast<int>(d[i].choices.size()); ++c) {
      if (c == a.choices[i]) continue;
      Architecture b = a;
      b.choices[i] = c;
      out.push_back(std::move(b));
    }
  }
  return out;
}

bool SearchSpace::output_depends_on_input(const Architecture& a) const { return decode(a).output_depends_on_input(); }

double SearchSpace::size() const {
  double s = 1;
  for (const auto& d : decisions()) s *= static_cast<double>(d.choices.size());
  return s;
}

namespace {

// A count as a person reads it: "15,625" below 10^15, else "3.55e+22".
std::string readable_count(double v) {
  char buf[64];
  if (!(v < 1e15)) {
    std::snprintf(buf, sizeof buf, "%.3g", v);
    return buf;
  }
  std::snprintf(buf, sizeof buf, "%.0f", v);
  std::string digits = buf, out;
  for (std::size_t i = 0; i < digits.size(); ++i) {
    if (i > 0 && (digits.size() - i) % 3 == 0) out += ',';
    out += digits[i];
  }
  return out;
}

}  // namespace

void SearchSpace::enumerate(const std::function<void(const Architecture&)>& visit, double limit) const {
  if (size() > limit)
    throw UserError(name() + ": the space has " + readable_count(size()) + " architectures, more than the " +
                    "enumeration limit of " + readable_count(limit) +
                    " (sample it with `hwnas search`, or raise --limit)");
  const auto& d = decisions();
  Architecture a;
  a.choices.assign(d.size(), 0);
  if (d.empty()) {
    visit(a);
    return;
  }
  while (true) {
    visit(a);
    int i = static_cast<int>(d.size()) - 1;
    while (i >= 0 && ++a.choices[i] == static_cast<int>(d[i].choices.size())) {
      a.choices[i] = 0;
      --i;
    }
    if (i < 0) return;
  }
}

namespace {
// The one table of spaces: the built-ins, then what register_space adds. Guarded by its mutex.
struct SpaceTable {
  std::mutex mutex;
  std::map<std::string, SpaceFactory> factories{
      // A space described in JSON (docs/spaces.md): the options are the description itself.
      {"graph", [](const nlohmann::json& o) { return std::make_unique<GraphSpace>(o, "space.options"); }},
      {"mbv", [](const nlohmann::json& o) { return std::make_unique<MbvSpace>(MbvOptions::from_json(o, "space.options")); }},
      {"nb201", [](const nlohmann::json& o) { return std::make_unique<Nb201Space>(Nb201Options::from_json(o, "space.options")); }},
  };
};
SpaceTable& space_table() {
  static SpaceTable t;
  return t;
}
}  // namespace

bool register_space(const std::string& name, SpaceFactory factory) {
  SpaceTable& t = space_table();
  std::lock_guard<std::mutex> lock(t.mutex);
  t.factories[name] = std::move(factory);
  return true;
}

void unregister_space(const std::string& name) {
  SpaceTable& t = space_table();
  std::lock_guard<std::mutex> lock(t.mutex);
  t.factories.erase(name);
}

std::vector<std::string> space_names() {
  SpaceTable& t = space_table();
  std::lock_guard<std::mutex> lock(t.mutex);
  std::vector<std::string> names;
  for (const auto& [n, f] : t.factories) names.push_back(n);
  return names;
}

std::unique_ptr<SearchSpace> make_space(const std::string& name, const nlohmann::json& options) {
  SpaceFactory factory;
  {
    SpaceTable& t = space_table();
    std::lock_guard<std::mutex> lock(t.mutex);
    if (auto it = t.factories.find(name); it != t.factories.end()) factory = it->second;
  }
  if (factory) return factory(options);
  const std::vector<std::string> names = space_names();
  std::string known;
  for (const auto& n : names) known += (known.empty() ? "" : ", ") + n;
  throw UserError("unknown search space '" + name + "'" + did_you_mean(name, names) + " (known: " + known +
                  ", or a space file ending in .json)");
}

}  // namespace hwnas
