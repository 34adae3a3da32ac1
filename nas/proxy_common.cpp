// The LibTorch-free parts of the proxies: names, options and the rank-vote ensemble.
#include <algorithm>
#include <cmath>
#include <numeric>

#include "hwnas/core/error.h"
#include "hwnas/nas/proxy.h"

namespace hwnas {

std::vector<std::string> proxy_names() { return {"fisher", "grad_norm", "jacob_cov", "naswot", "params", "snip", "synflow"}; }

bool is_proxy(const std::string& name) {
  const auto n = proxy_names();
  return std::find(n.begin(), n.end(), name) != n.end();
}

bool proxy_needs_data(const std::string& name) { return name != "synflow" && name != "params"; }

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
