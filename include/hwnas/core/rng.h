#pragma once
// Deterministic random numbers. Every random choice in hwnas draws from an Rng seeded from the
// config; no global RNG, no time seeds. std::uniform_*_distribution is implementation-defined, so
// the helpers below are written out to give the same stream on every standard library.
//
// Example:
//   hwnas::Rng rng(42);
//   int i = rng.uniform_index(10);   // in [0, 10)
#include <cstdint>
#include <random>
#include <string>
#include <vector>

namespace hwnas {

class Rng {
 public:
  explicit Rng(std::uint64_t seed = 0) : engine_(seed) {}
  std::uint64_t next() { return engine_(); }
  /// Uniform integer in [0, n), n > 0, without modulo bias.
  std::uint64_t uniform_index(std::uint64_t n);
  /// k distinct integers of [0, n) (k <= n), uniformly among k-subsets (Floyd's algorithm: k
  /// draws, O(k) memory), in the order they were drawn.
  std::vector<std::uint64_t> distinct_indices(std::uint64_t n, std::uint64_t k);
  /// Uniform double in [0, 1) with 53 random bits.
  double uniform();
  /// Standard normal (Box-Muller, no cached second value: the stream stays simple to reason about).
  double normal();
  /// A new generator whose stream is independent of this one's (for workers, sub-tasks).
  Rng split() { return Rng(mix(next())); }
  static std::uint64_t mix(std::uint64_t x);  // splitmix64 finalizer
  /// The generator's whole state as text, and back (a checkpoint continues the same stream).
  /// restore() of text that state() did not write is a UserError naming `what`.
  std::string state() const;
  void restore(const std::string& text, const std::string& what);

 private:
  std::mt19937_64 engine_;
};

}  // namespace hwnas
