// The calibrate procedure: time layers and whole networks on this machine, then fit (calibrate_profile).
#include "hwnas/hw_models/calibration.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <limits>
#include <map>
#include <sstream>

#include "hwnas/core/csv.h"
#include "hwnas/core/rank_stats.h"
#include "hwnas/core/error.h"
#include "hwnas/core/rng.h"
#include "structural_fit.h"
#include "calibration_common.h"

namespace hwnas {

using namespace calibration_detail;

namespace {

int padding_for(int in, int out, int kernel, int stride) {  // kernel: its extent, dilation included
  for (int p = 0; p <= kernel; ++p)
    if ((in + 2 * p - kernel) / stride + 1 == out) return p;
  HWNAS_CHECK(false, "no padding gives the layer's output size");
}

}  // namespace

ArchGraph single_layer_graph(const LayerCost& l) {
  ArchGraph g;
  if (l.kind == OpKind::Concat) {  // n equal parts (the layer list does not keep the split), rounded down
    const int part = std::max(1, l.output.c / std::max(1, l.num_inputs));
    const NodeId in = g.add_node({part, l.output.h, l.output.w}, "input");
    const NodeId out = g.add_concat_node({part * l.num_inputs, l.output.h, l.output.w}, "output");
    g.set_input(in);
    g.set_output(out);
    for (int k = 0; k < l.num_inputs; ++k) {
      OpEdge id;
      id.kind = OpKind::Identity;
      id.name = "in" + std::to_string(k);
      id.in_channels = id.out_channels = part;
      g.add_edge(in, out, id);
    }
    return g;
  }
  const NodeId in = g.add_node(l.input, "input");
  const NodeId out = g.add_node(l.output, "output");
  g.set_input(in);
  g.set_output(out);
  OpEdge op;
  op.kind = l.kind;
  op.name = "layer";
  op.in_channels = l.input.c;
  op.out_channels = l.output.c;
  op.kernel = l.kernel;
  op.stride = l.stride;
  op.groups = l.groups;
  op.dilation = l.dilation;
  switch (l.kind) {
    case OpKind::Conv2d: {
      const std::int64_t w = static_cast<std::int64_t>(l.kernel) * l.kernel * (l.input.c / l.groups) * l.output.c;
      op.bias = l.params > w;
      op.padding = padding_for(l.input.h, l.output.h, l.dilation * (l.kernel - 1) + 1, l.stride);
      break;
    }
    case OpKind::AvgPool:
    case OpKind::MaxPool: op.padding = padding_for(l.input.h, l.output.h, l.kernel, l.stride); break;
    case OpKind::Linear: op.bias = l.params > static_cast<std::int64_t>(l.input.c) * l.output.c; break;
    case OpKind::BatchNorm: op.affine = l.params > 0; break;
    case OpKind::SqueezeExcite: op.hidden = static_cast<int>((l.params - l.input.c) / (2 * l.input.c + 1)); break;
    case OpKind::Add:
      for (int k = 0; k < l.num_inputs; ++k) {
        OpEdge id;
        id.kind = OpKind::Identity;
        id.name = "in" + std::to_string(k);
        g.add_edge(in, out, id);
      }
      return g;
    default: break;
  }
  g.add_edge(in, out, op);
  return g;
}

void CalibrationOptions::validate() const {
  if (spaces.empty()) throw UserError("calibration: spaces: expected at least one space");
  if (layer_sample_archs < 1) throw UserError("calibration: layer_sample_archs: expected a positive integer");
  if (network_archs < 1) throw UserError("calibration: network_archs: expected a positive integer");
  if (rounds < 1) throw UserError("calibration: rounds: expected a positive integer, got " + std::to_string(rounds));
  if (batch < 1) throw UserError("calibration: batch: expected a positive integer, got " + std::to_string(batch));
}

std::vector<double> fastest_of_rounds(const std::vector<ArchGraph>& graphs, int rounds, const GraphTimer& time_ms,
                                      const std::function<void(std::size_t done, std::size_t total)>& progress,
                                      const std::function<void(std::size_t graph, double ms)>& finished) {
  if (rounds < 1) throw UserError("rounds: expected a positive integer, got " + std::to_string(rounds));
  std::vector<double> best(graphs.size(), std::numeric_limits<double>::infinity());
  for (int round = 0; round < rounds; ++round)
    for (std::size_t i = 0; i < graphs.size(); ++i) {
      best[i] = std::min(best[i], time_ms(graphs[i]));
      if (progress) progress(static_cast<std::size_t>(round) * graphs.size() + i + 1, rounds * graphs.size());
      if (finished && round == rounds - 1) finished(i, best[i]);
    }
  return best;
}

void mark_calibrated_sources(DeviceProfile& p, const std::string& how) {
  for (const char* f : {"efficiency", "class_overhead_us", "kernel_overhead_us", "network_overhead_us",
                        "memory_bandwidth_gbs", "cache_bandwidth_gbs"})
    p.sources[f] = how;
  if (!p.corrections.empty()) p.sources["corrections"] = how;
  if (!all_ones(p.memory_efficiency)) p.sources["memory_efficiency"] = how;
}

CalibrationResult calibrate_profile(const DeviceProfile& start, const CalibrationOptions& opts, const GraphTimer& time_ms,
                                    const std::function<void(const std::string&)>& progress) {
  opts.validate();
  auto say = [&](const std::string& s) {
    if (progress) progress(s);
  };
  CalibrationResult res;
  Rng rng(opts.seed);
  DecodeOptions decode;
  decode.prune_dead = opts.prune_dead;
  // 1. Distinct layer configurations of the spaces.
  std::map<std::string, LayerCost> distinct;
  std::vector<std::unique_ptr<SearchSpace>> spaces;
  for (const auto& cs : opts.spaces) spaces.push_back(make_space(cs.name, cs.options));
  for (const auto& space : spaces) {
    for (int i = 0; i < opts.layer_sample_archs; ++i) {
      const LayerList ll = space->layers(space->sample(rng), decode);
      for (const LayerCost& l : ll.layers)
        if (l.kind != OpKind::Identity) distinct.emplace(layer_key(l), l);
    }
  }
  say("timing " + std::to_string(distinct.size()) + " distinct layers");
  // 2. Time each as a one-layer network, minus the cost of an empty network.
  LayerCost nothing;
  nothing.kind = OpKind::Identity;
  nothing.input = nothing.output = TensorShape{1, 1, 1};
  ArchGraph empty;
  {
    const NodeId a = empty.add_node(nothing.input, "input"), b = empty.add_node(nothing.output, "output");
    empty.set_input(a);
    empty.set_output(b);
    OpEdge id;
    id.name = "identity";
    empty.add_edge(a, b, id);
  }
  // The empty network is the first graph, so it is timed in every round like the layers.
  std::vector<ArchGraph> layer_graphs{empty};
  for (const auto& [key, l] : distinct) layer_graphs.push_back(single_layer_graph(l));
  const std::vector<double> t = fastest_of_rounds(layer_graphs, opts.rounds, time_ms, [&](std::size_t done, std::size_t total) {
    if (done % 500 == 0) say("  " + std::to_string(done) + " / " + std::to_string(total) + " layer timings");
  });
  std::vector<LayerMeasurement> ms;
  std::size_t i = 1;
  for (const auto& [key, l] : distinct) ms.push_back({l, std::max(0.0, 1e3 * (t[i++] - t[0]))});
  res.layers_measured = static_cast<int>(ms.size());
  // 3. Fit the analytic model to the layers.
  FitResult layer_fit = fit_layer_measurements(start, ms, opts.batch, opts.precision);
  res.layer_fit = layer_fit.report;
  say("layer fit: " + layer_fit.report.brief());
  // 4. Whole networks: the per-network overhead of the table, and the final adaptation.
  std::vector<LatencySample> nets;
  std::vector<ArchGraph> net_graphs;
  for (const auto& space : spaces) {
    for (int i = 0; i < opts.network_archs; ++i) {
      const Architecture a = space->sample(rng);
      net_graphs.push_back(space->decode(a, decode));
      LatencySample s;
      s.arch = space->to_string(a);
      s.layers = count_costs(net_graphs.back());
      nets.push_back(std::move(s));
    }
  }
  const std::vector<double> net_ms = fastest_of_rounds(net_graphs, opts.rounds, time_ms, nullptr);
  for (std::size_t k = 0; k < nets.size(); ++k) nets[k].latency_ms = net_ms[k];
  res.networks_measured = static_cast<int>(nets.size());
  say("timed " + std::to_string(nets.size()) + " whole networks");
  // The analytic model's network overhead: the median residual after the layer fit.
  DeviceProfile p = layer_fit.profile;
  {
    p.network_overhead_us = 0;
    const std::vector<double> pred = predict_all(p, nets, opts.batch, opts.precision);
    std::vector<double> resid;
    for (std::size_t i = 0; i < nets.size(); ++i) resid.push_back(nets[i].latency_ms - pred[i]);
    p.network_overhead_us = std::max(0.0, 1e3 * median(resid));
  }
  AdaptOptions ao;
  ao.prior_weight = 0.3;
  FitResult net_fit = adapt_profile(p, nets, opts.batch, opts.precision, ao);
  res.network_fit = net_fit.report;
  say("network fit: " + net_fit.report.brief());
  res.profile = net_fit.profile;
  if (opts.lookup_table) {
    LookupTable lut;
    lut.batch = opts.batch;
    lut.precision = precision_name(opts.precision);
    for (const auto& m : ms) lut.latency_us[layer_key(m.layer)] = m.latency_us;
    res.profile.lookup_table = lut;
    HardwareModel lm(res.profile);
    std::vector<double> resid;
    for (const auto& s : nets) resid.push_back(s.latency_ms - lm.predict(s.layers, opts.batch, opts.precision).latency_ms);
    res.profile.lookup_table.network_overhead_us = std::max(0.0, 1e3 * median(resid));
    res.lut_network_overhead_us = res.profile.lookup_table.network_overhead_us;
  }
  const std::string how = "measured: hwnas calibrate (" + std::to_string(res.layers_measured) + " layers, " +
                          std::to_string(res.networks_measured) + " networks, batch " + std::to_string(opts.batch) +
                          ", " + precision_name(opts.precision) + ")";
  mark_calibrated_sources(res.profile, how);
  if (opts.lookup_table) res.profile.sources["lookup_table"] = how;
  res.profile.measured_graph = opts.prune_dead ? MeasuredGraph::Pruned : MeasuredGraph::AsBuilt;
  res.profile.validate("calibrated profile");
  return res;
}

}  // namespace hwnas
