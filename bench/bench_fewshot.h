#pragma once
// Few-shot evaluation shared by the latency fidelity benchmarks: adapt a profile on `shots`
// randomly drawn networks, score the held-out rest, average over `draws` draws. Compared side by
// side by side on the same held-out sets: MACs, the unadapted profile, adaptation with one
// overall time scale, with one shared compute scale, with per-op-class compute scales, and the
// default (whichever of the three has the lowest leave-one-out error on the shots).
#include <cstdint>
#include <string>
#include <vector>

#include "bench_stats.h"
#include "hwnas/core/rng.h"
#include "hwnas/hw_models/calibration.h"

namespace hwnas::bench {

struct HeldOutScore {
  double tau = 0, rho = 0, mape = 0;  // means over draws
};

struct FewShotReport {
  int shots = 0, draws = 0, held_out = 0;
  HeldOutScore macs, profile, global, shared, per_class, automatic;
};

inline FewShotReport few_shot_draws(const DeviceProfile& base, const std::vector<LatencySample>& samples,
                                    const std::vector<double>& macs, int shots, int draws, std::uint64_t seed, int batch,
                                    Precision precision) {
  FewShotReport r;
  r.shots = shots;
  r.draws = draws;
  r.held_out = static_cast<int>(samples.size()) - shots;
  Rng rng(seed);
  auto add = [&](HeldOutScore& s, const std::vector<double>& pred, const std::vector<double>& meas, bool with_mape) {
    s.tau += kendall(pred, meas) / draws;
    s.rho += spearman(pred, meas) / draws;
    if (with_mape) s.mape += mape(pred, meas) / draws;
  };
  AdaptOptions global_opts, shared_opts, per_class_opts;
  global_opts.scales = AdaptOptions::Scales::Global;
  shared_opts.scales = AdaptOptions::Scales::Shared;
  per_class_opts.scales = AdaptOptions::Scales::PerClass;
  for (int d = 0; d < draws; ++d) {
    std::vector<std::size_t> order(samples.size());
    for (std::size_t i = 0; i < order.size(); ++i) order[i] = i;
    for (std::size_t i = order.size(); i > 1; --i) std::swap(order[i - 1], order[rng.uniform_index(i)]);
    std::vector<LatencySample> train, test;
    std::vector<double> meas, test_macs;
    for (std::size_t k = 0; k < order.size(); ++k) {
      if (static_cast<int>(k) < shots) {
        train.push_back(samples[order[k]]);
      } else {
        test.push_back(samples[order[k]]);
        meas.push_back(samples[order[k]].latency_ms);
        test_macs.push_back(macs[order[k]]);
      }
    }
    auto predict = [&](DeviceProfile p) {
      p.lookup_table = {};
      HardwareModel m(std::move(p));
      std::vector<double> out;
      for (const auto& s : test) out.push_back(m.predict(s.layers, batch, precision).latency_ms);
      return out;
    };
    add(r.macs, test_macs, meas, false);
    add(r.profile, predict(base), meas, true);
    add(r.global, predict(adapt_profile(base, train, batch, precision, global_opts).profile), meas, true);
    add(r.shared, predict(adapt_profile(base, train, batch, precision, shared_opts).profile), meas, true);
    add(r.per_class, predict(adapt_profile(base, train, batch, precision, per_class_opts).profile), meas, true);
    add(r.automatic, predict(adapt_profile(base, train, batch, precision).profile), meas, true);
  }
  return r;
}

}  // namespace hwnas::bench
