// The LibTorch-free parts of the proxies: names, options and the rank-vote ensemble.
#include <algorithm>
#include <cctype>
#include <cmath>
#include <map>
#include <mutex>
#include <numeric>

#include "hwnas/core/error.h"
#include "hwnas/core/suggest.h"
#include "hwnas/nas/proxy.h"

namespace hwnas {

namespace {

// The one table of proxies: the built-ins, then what register_proxy adds. Guarded by its mutex.
struct ProxyTable {
  std::mutex mutex;
  std::map<std::string, ProxyEntry> entries = [] {
    std::map<std::string, ProxyEntry> m;
    for (ProxyEntry e : std::vector<ProxyEntry>{
             {"synflow", false, "data-free: sum of |w * dR/dw| on the linearised network, all-ones input", {}},
             {"naswot", true, "log-determinant of the ReLU-activation code kernel over a minibatch", {}},
             {"jacob_cov", true, "correlation of the input Jacobians over a minibatch", {}},
             {"grad_norm", true, "sum of the weight-gradient norms of the cross-entropy loss", {}},
             {"snip", true, "sum of |w * dL/dw| (connection sensitivity)", {}},
             {"fisher", true, "Fisher information of the activations", {}},
             {"params", false, "baseline: the parameter count", {}},
         })
      m.emplace(e.name, std::move(e));
    return m;
  }();
  std::vector<std::string> builtin = [this] {  // names of the entries above
    std::vector<std::string> n;
    for (const auto& [name, e] : entries) n.push_back(name);
    return n;
  }();
};

ProxyTable& proxy_table() {
  static ProxyTable t;
  return t;
}

}  // namespace

void register_proxy(ProxyEntry entry) {
  const bool ok = !entry.name.empty() && std::all_of(entry.name.begin(), entry.name.end(), [](unsigned char c) {
    return std::isalnum(c) || c == '_';
  });
  if (!ok) throw UserError("register_proxy: invalid proxy name '" + entry.name + "' (letters, digits and '_')");
  if (!entry.score) throw UserError("register_proxy: proxy '" + entry.name + "' has no scorer");
  ProxyTable& t = proxy_table();
  std::lock_guard<std::mutex> lock(t.mutex);
  t.entries[entry.name] = std::move(entry);
}

void unregister_proxy(const std::string& name) {
  ProxyTable& t = proxy_table();
  std::lock_guard<std::mutex> lock(t.mutex);
  if (std::find(t.builtin.begin(), t.builtin.end(), name) == t.builtin.end()) t.entries.erase(name);
}

std::optional<ProxyEntry> find_proxy(const std::string& name) {
  ProxyTable& t = proxy_table();
  std::lock_guard<std::mutex> lock(t.mutex);
  auto it = t.entries.find(name);
  if (it == t.entries.end()) return std::nullopt;
  return it->second;
}

ProxyEntry require_proxy(const std::string& name, const std::string& where) {
  if (std::optional<ProxyEntry> e = find_proxy(name)) return *std::move(e);
  const std::vector<std::string> names = proxy_names();
  std::string known;
  for (const auto& n : names) known += (known.empty() ? "" : ", ") + n;
  throw UserError((where.empty() ? "" : where + ": ") + "unknown proxy '" + name + "'" + did_you_mean(name, names) +
                  " (known: " + known + ")");
}

std::vector<std::string> proxy_names() {
  ProxyTable& t = proxy_table();
  std::lock_guard<std::mutex> lock(t.mutex);
  std::vector<std::string> names;
  for (const auto& [n, e] : t.entries) names.push_back(n);
  return names;
}

bool is_proxy(const std::string& name) { return find_proxy(name).has_value(); }

bool proxy_needs_data(const std::string& name) {
  const auto e = find_proxy(name);
  return !e || e->needs_data;
}

std::string proxy_help() {
  ProxyTable& t = proxy_table();
  std::lock_guard<std::mutex> lock(t.mutex);
  std::string s;
  for (const auto& [n, e] : t.entries) s += n + ": " + e.summary + "\n";
  return s;
}

DatasetOptions proxy_dataset_defaults(const ProxyOptions& o) {
  DatasetOptions d;
  d.subset = std::max(4 * o.batch_size, 2048);
  d.validation_fraction = 0.0;
  d.seed = o.seed;
  return d;
}

DatasetOptions train_dataset_defaults(std::uint64_t seed) {
  DatasetOptions d;
  d.subset = 0;
  d.validation_fraction = 0.2;
  d.seed = seed;
  return d;
}

void ProxyOptions::validate(const std::string& path) const {
  if (batch_size < 2 || batch_size > 4096)
    throw UserError(path + ".batch_size: expected an integer in 2..4096, got " + std::to_string(batch_size));
}

std::vector<double> rank_vote(const std::vector<std::vector<double>>& scores) {
  if (scores.empty()) return {};
  const std::size_t n = scores[0].size();
  std::vector<double> vote(n, 0.0);
  for (const auto& s : scores) {
    HWNAS_CHECK(s.size() == n, "rank_vote: score vectors of different lengths");
    std::vector<std::size_t> idx(n);
    std::iota(idx.begin(), idx.end(), 0);
    auto key = [&](std::size_t i) { return std::isfinite(s[i]) ? s[i] : -INFINITY; };
    std::stable_sort(idx.begin(), idx.end(), [&](std::size_t a, std::size_t b) { return key(a) < key(b); });
    // Average ranks over ties (1 = worst).
    for (std::size_t i = 0; i < n;) {
      std::size_t j = i;
      while (j + 1 < n && key(idx[j + 1]) == key(idx[i])) ++j;
      const double r = (i + j) / 2.0 + 1.0;
      for (std::size_t k = i; k <= j; ++k) vote[idx[k]] += r;
      i = j + 1;
    }
  }
  for (auto& v : vote) v /= static_cast<double>(scores.size());
  return vote;
}

}  // namespace hwnas
