// Benchmark (not a test): architectures counted per second on one core.
//   fast path   Nb201Space::count (per-stage tables derived from the same op chains as decode)
//   graph walk  count_costs(decode(a)), the baseline every other consumer uses
//   canonical   SearchSpace::canonical_hash
//   nb201.json  the same space from configs/spaces/nb201.json (GraphSpace::count), against the
//               native graph walk (issue #16's goal: within 3x)
//   mbv         2,000 random architectures: the graph walk, count() and layers() from kept
//               per-piece layer lists, and mbv.json's count() against mbv's
// Usage: build/bench_count [passes]   (each pass visits all 15,625 nb201 architectures)
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <vector>

#include "hwnas/nas/spaces/graph_space.h"
#include "hwnas/nas/spaces/mbv.h"
#include "hwnas/nas/spaces/nb201.h"
#include "bench_main.h"
#include "hwnas/core/source_dir.h"

using namespace hwnas;
using Clock = std::chrono::steady_clock;

template <class F>
double per_second(std::size_t n, F&& f) {
  const auto t0 = Clock::now();
  f();
  const double s = std::chrono::duration<double>(Clock::now() - t0).count();
  return n / s;
}

constexpr char kUsage[] =
    "Usage: bench_count [PASSES]\n  Architectures counted per second on one core (fast path, graph walk, canonical hash);\n  each pass visits all 15,625 nb201 architectures (default 20 passes).\n";

int main(int argc, char** argv) {
  if (hwnas::bench::wants_help(argc, argv, kUsage)) return 0;
  const int passes = argc > 1 ? std::atoi(argv[1]) : 20;
  Nb201Space space(Nb201Options{});
  std::vector<Architecture> archs;
  space.enumerate([&](const Architecture& a) { archs.push_back(a); });
  std::int64_t sink = 0;
  const double fast = per_second(archs.size() * passes, [&] {
    for (int p = 0; p < passes; ++p)
      for (const auto& a : archs) sink += space.count(a).flops;
  });
  const double hash = per_second(archs.size() * passes, [&] {
    for (int p = 0; p < passes; ++p)
      for (const auto& a : archs) sink += static_cast<std::int64_t>(space.canonical_hash(a) & 1);
  });
  const std::size_t walk_n = archs.size();
  const double walk = per_second(walk_n, [&] {
    for (const auto& a : archs) sink += count_costs(space.decode(a)).totals.flops;
  });
  auto file = make_space_from_file(std::string(HWNAS_SOURCE_DIR) + "/configs/spaces/nb201.json");
  const double json_count = per_second(walk_n, [&] {
    for (const auto& a : archs) sink += file->count(a).flops;
  });
  file->canonical_hash(archs[0]);  // builds the class table (once) outside the timing
  const double json_hash = per_second(archs.size() * passes, [&] {
    for (int p = 0; p < passes; ++p)
      for (const auto& a : archs) sink += static_cast<std::int64_t>(file->canonical_hash(a) & 1);
  });
  MbvSpace mbv(MbvOptions{});
  Rng rng(1);
  std::vector<Architecture> m;
  for (int i = 0; i < 2000; ++i) m.push_back(mbv.sample(rng));
  const double mbv_walk = per_second(m.size(), [&] {
    for (const auto& a : m) sink += count_costs(mbv.decode(a)).totals.flops;
  });
  const double mbv_pieces = per_second(m.size(), [&] {
    for (const auto& a : m) sink += mbv.count(a).flops;
  });
  const double mbv_layers = per_second(m.size(), [&] {
    for (const auto& a : m) sink += static_cast<std::int64_t>(mbv.layers(a).layers.size());
  });
  auto mbv_file = make_space_from_file(std::string(HWNAS_SOURCE_DIR) + "/configs/spaces/mbv.json");
  const double mbv_json = per_second(m.size(), [&] {
    for (const auto& a : m) sink += mbv_file->count(a).flops;
  });
  std::printf("nb201 fast count        %12.0f archs/s (one thread, %d passes over 15,625)\n", fast, passes);
  std::printf("nb201 graph walk        %12.0f archs/s (decode + count_costs, baseline)\n", walk);
  std::printf("nb201 canonical hash    %12.0f archs/s\n", hash);
  std::printf("mbv graph walk          %12.0f archs/s (2,000 random; decode + count_costs, baseline)\n", mbv_walk);
  std::printf("mbv count               %12.0f archs/s (kept per-piece layer lists, no graph)\n", mbv_pieces);
  std::printf("mbv layers()            %12.0f archs/s (the layer lists themselves)\n", mbv_layers);
  std::printf("nb201.json count        %12.0f archs/s (configs/spaces/nb201.json, GraphSpace::count)\n", json_count);
  std::printf("nb201.json canon. hash  %12.0f archs/s\n", json_hash);
  std::printf("mbv.json count          %12.0f archs/s (configs/spaces/mbv.json, the same 2,000)\n", mbv_json);
  std::printf("fast / graph walk       %12.1fx\n", fast / walk);
  std::printf("nb201.json / graph walk %12.1fx (goal: at least 1/3)\n", json_count / walk);
  std::printf("fast / nb201.json       %12.1fx\n", fast / json_count);
  std::printf("mbv count / graph walk  %12.2fx\n", mbv_pieces / mbv_walk);
  std::printf("mbv.json / mbv          %12.2fx\n", mbv_json / mbv_pieces);
  std::fprintf(stderr, "(checksum %lld)\n", static_cast<long long>(sink));
  return 0;
}
