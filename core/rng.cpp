#include "hwnas/core/rng.h"

#include <cmath>
#include <sstream>
#include <unordered_set>

#include "hwnas/core/error.h"

namespace hwnas {

std::string Rng::state() const {
  std::ostringstream out;
  out << engine_;
  return out.str();
}

void Rng::restore(const std::string& text, const std::string& what) {
  std::istringstream in(text);
  std::mt19937_64 e;
  in >> e;
  if (in.fail()) throw UserError(what + ": not a random generator state");
  engine_ = e;
}

std::uint64_t Rng::uniform_index(std::uint64_t n) {
  HWNAS_CHECK(n > 0, "uniform_index(0)");
  const std::uint64_t limit = UINT64_MAX - UINT64_MAX % n;
  std::uint64_t x;
  do {
    x = engine_();
  } while (x >= limit);
  return x % n;
}

std::vector<std::uint64_t> Rng::distinct_indices(std::uint64_t n, std::uint64_t k) {
  HWNAS_CHECK(k <= n, "distinct_indices: more indices than values");
  std::vector<std::uint64_t> out;
  out.reserve(k);
  std::unordered_set<std::uint64_t> taken;
  for (std::uint64_t j = n - k; j < n; ++j) {
    const std::uint64_t t = uniform_index(j + 1);
    const std::uint64_t v = taken.count(t) ? j : t;
    taken.insert(v);
    out.push_back(v);
  }
  return out;
}

double Rng::uniform() { return static_cast<double>(engine_() >> 11) * 0x1.0p-53; }

double Rng::normal() {
  double u1 = uniform();
  while (u1 <= 0.0) u1 = uniform();
  const double u2 = uniform();
  return std::sqrt(-2.0 * std::log(u1)) * std::cos(2.0 * M_PI * u2);
}

std::uint64_t Rng::mix(std::uint64_t x) {
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

}  // namespace hwnas
