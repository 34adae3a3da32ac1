#pragma once
// Few-shot evaluation shared by the latency fidelity benchmarks: adapt a profile on `shots`
// randomly drawn networks, score the held-out rest, average over `draws` draws. Compared side by
// side on the same held-out sets: MACs, the unadapted profile, a plain op-count least-squares fit
// (the baseline a learned predictor must beat), adaptation with one overall time scale, the
// structural model alone, and the default (the candidate with the lowest leave-one-out error,
// relative plus rank, on the shots).
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include <Eigen/Dense>

#include "bench_stats.h"
#include "hwnas/core/rng.h"
#include "hwnas/hw_models/calibration.h"

namespace hwnas::bench {

struct HeldOutScore {
  double tau = 0, rho = 0, mape = 0;  // means over draws
};

struct FewShotReport {
  int shots = 0, draws = 0, held_out = 0;
  HeldOutScore macs, profile, op_count, global, terms, structure, automatic;
  std::map<std::string, int> chosen;  // model chosen by the default rule -> draws
};

/// Counts of each op kind (convolutions by kernel size) of a network: the op-count baseline's features.
inline std::map<std::string, double> op_kind_counts(const LayerList& l) {
  std::map<std::string, double> out;
  for (const auto& x : l.layers) {
    if (x.kind == OpKind::Identity) continue;
    std::string k = op_kind_name(x.kind);
    if (x.kind == OpKind::Conv2d || x.kind == OpKind::AvgPool) k += " k" + std::to_string(x.kernel);
    out[k] += 1;
  }
  return out;
}

/// Ordinary least squares (minimum norm) of latency on op-kind counts plus an intercept, fitted
/// to `train`, predicting `test`.
inline std::vector<double> op_count_fit(const std::vector<LatencySample>& train, const std::vector<LatencySample>& test) {
  std::map<std::string, int> col;
  std::vector<std::map<std::string, double>> ftrain, ftest;
  for (const auto& s : train) {
    ftrain.push_back(op_kind_counts(s.layers));
    for (const auto& [k, v] : ftrain.back()) col.emplace(k, static_cast<int>(col.size()) + 1);
  }
  Eigen::MatrixXd X = Eigen::MatrixXd::Zero(static_cast<Eigen::Index>(train.size()), static_cast<Eigen::Index>(col.size()) + 1);
  Eigen::VectorXd y(X.rows());
  for (std::size_t i = 0; i < train.size(); ++i) {
    X(static_cast<Eigen::Index>(i), 0) = 1;
    for (const auto& [k, v] : ftrain[i]) X(static_cast<Eigen::Index>(i), col[k]) = v;
    y(static_cast<Eigen::Index>(i)) = train[i].latency_ms;
  }
  const Eigen::VectorXd beta = X.completeOrthogonalDecomposition().solve(y);
  std::vector<double> out;
  for (const auto& s : test) {
    double p = beta(0);
    for (const auto& [k, v] : op_kind_counts(s.layers)) {
      auto it = col.find(k);
      if (it != col.end()) p += beta(it->second) * v;
    }
    out.push_back(p);
  }
  return out;
}

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
  AdaptOptions global_opts, terms_opts, structure_opts;
  global_opts.scales = AdaptOptions::Scales::Global;
  terms_opts.scales = AdaptOptions::Scales::PerClassTerms;
  structure_opts.scales = AdaptOptions::Scales::Structure;
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
    add(r.op_count, op_count_fit(train, test), meas, true);
    add(r.global, predict(adapt_profile(base, train, batch, precision, global_opts).profile), meas, true);
    add(r.terms, predict(adapt_profile(base, train, batch, precision, terms_opts).profile), meas, true);
    add(r.structure, predict(adapt_profile(base, train, batch, precision, structure_opts).profile), meas, true);
    const FitResult chosen = adapt_profile(base, train, batch, precision);
    add(r.automatic, predict(chosen.profile), meas, true);
    ++r.chosen[chosen.report.choice.substr(0, chosen.report.choice.find(" ("))];
  }
  return r;
}

}  // namespace hwnas::bench
