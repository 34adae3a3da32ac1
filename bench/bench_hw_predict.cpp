// Speed of the hardware models: the whole NAS-Bench-201 space (15,625 architectures) on one
// device. Layer lists come from the graph walk (count_costs(decode(a)), the baseline) and from the
// space's fast path (space.layers(a)), timed side by side; then predict() per device, and the
// end-to-end time (fast layers + predict, nothing kept) per device. Not a test.
//
//   ./build/bench_hw_predict [device ...]
#include <chrono>
#include <cstdio>

#include "hwnas/hw_models/latency_model.h"
#include "hwnas/nas/spaces/nb201.h"
#include "bench_main.h"

using namespace hwnas;

constexpr char kUsage[] =
    "Usage: bench_hw_predict [DEVICE ...]\n  Speed of the hardware models over the whole nb201 space, per device (default: every shipped profile).\n";

int main(int argc, char** argv) {
  if (hwnas::bench::wants_help(argc, argv, kUsage)) return 0;
  std::vector<std::string> devices;
  for (int i = 1; i < argc; ++i) devices.push_back(argv[i]);
  if (devices.empty()) devices = {"a100-sxm", "pixel-3", "host"};
  Nb201Space space(Nb201Options{});
  using clock = std::chrono::steady_clock;
  auto seconds_since = [](clock::time_point t0) { return std::chrono::duration<double>(clock::now() - t0).count(); };
  std::vector<Architecture> archs;
  space.enumerate([&](const Architecture& a) { archs.push_back(a); });
  const double n = static_cast<double>(archs.size());

  // Both paths timed the same way: build each list and drop it (storing 2.6 M layers would time
  // the allocator instead).
  auto t0 = clock::now();
  std::size_t walk_layers = 0;
  for (const auto& a : archs) walk_layers += count_costs(space.decode(a)).layers.size();
  const double walk_s = seconds_since(t0);
  t0 = clock::now();
  std::size_t fast_layers = 0;
  for (const auto& a : archs) fast_layers += space.layers(a).layers.size();
  const double fast_s = seconds_since(t0);
  std::printf("nb201: %zu architectures, %zu layers\n", archs.size(), fast_layers);
  std::printf("  layer lists, graph walk (baseline)  %.3f s (%.1f us each)\n", walk_s, 1e6 * walk_s / n);
  std::printf("  layer lists, space.layers()         %.3f s (%.1f us each), %.1fx faster%s\n", fast_s,
              1e6 * fast_s / n, walk_s / fast_s, walk_layers == fast_layers ? "" : "  LAYER COUNT MISMATCH");
  std::vector<LayerList> lists;
  lists.reserve(archs.size());
  for (const auto& a : archs) lists.push_back(space.layers(a));
  for (const auto& d : devices) {
    HardwareModel m(load_device(d));
    double sink = 0;
    t0 = clock::now();
    for (const auto& l : lists) sink += m.predict(l, 1, Precision::FP32).latency_ms;
    const double s = seconds_since(t0);
    t0 = clock::now();
    double sink2 = 0;
    for (const auto& a : archs) sink2 += m.predict(space.layers(a), 1, Precision::FP32).latency_ms;
    const double e2e = seconds_since(t0);
    std::printf("%-18s predict %.3f s (%.2f us each); layers()+predict, whole space %.3f s  [checksum %.6g%s]\n",
                d.c_str(), s, 1e6 * s / n, e2e, sink, sink == sink2 ? "" : " MISMATCH");
  }
  return 0;
}
