// Speed of the hardware models: the whole NAS-Bench-201 space (15,625 architectures) on one
// device, decode + count and predict timed separately. Not a test.
//
//   ./build/bench_hw_predict [device ...]
#include <chrono>
#include <cstdio>

#include "hwnas/hw_models/latency_model.h"
#include "hwnas/nas/spaces/nb201.h"

using namespace hwnas;

int main(int argc, char** argv) {
  std::vector<std::string> devices;
  for (int i = 1; i < argc; ++i) devices.push_back(argv[i]);
  if (devices.empty()) devices = {"a100-sxm", "pixel-3", "host"};
  Nb201Space space(Nb201Options{});
  using clock = std::chrono::steady_clock;
  auto t0 = clock::now();
  std::vector<LayerList> lists;
  space.enumerate([&](const Architecture& a) { lists.push_back(count_costs(space.decode(a))); });
  const double decode_s = std::chrono::duration<double>(clock::now() - t0).count();
  std::printf("nb201: %zu architectures, decode + count_costs %.3f s (%.1f us each)\n", lists.size(), decode_s,
              1e6 * decode_s / static_cast<double>(lists.size()));
  for (const auto& d : devices) {
    HardwareModel m(load_device(d));
    double sink = 0;
    t0 = clock::now();
    for (const auto& l : lists) sink += m.predict(l, 1, Precision::FP32).latency_ms;
    const double s = std::chrono::duration<double>(clock::now() - t0).count();
    std::printf("%-18s predict %.3f s (%.2f us each), total decode+count+predict %.3f s  [checksum %.6g]\n", d.c_str(), s,
                1e6 * s / static_cast<double>(lists.size()), s + decode_s, sink);
  }
  return 0;
}
