#include "hwnas/hw_models/latency_model.h"

#include <gtest/gtest.h>

#include "hwnas/nas/search_space.h"
#include "support/errors.h"
#include "test_profiles.h"

namespace hwnas {
namespace {

using test::error_of;
using test::round_profile;

LayerCost conv3x3(int c = 16, int hw = 32) {
  OpEdge op;
  op.kind = OpKind::Conv2d;
  op.in_channels = op.out_channels = c;
  op.kernel = 3;
  op.padding = 1;
  op.name = "a.conv";
  return edge_cost(op, {c, hw, hw});
}

LayerCost simple(OpKind k, const std::string& name, TensorShape s = {16, 32, 32}) {
  OpEdge op;
  op.kind = k;
  op.in_channels = op.out_channels = s.c;
  op.name = name;
  return edge_cost(op, s);
}

LayerList list_of(std::vector<LayerCost> ls) {
  LayerList l;
  for (auto& x : ls) {
    l.totals += x;
    l.layers.push_back(std::move(x));
  }
  return l;
}

TEST(LatencyModel, ComputeBoundConvByHand) {
  HardwareModel m(round_profile());
  // 3x3 conv 16->16 on 32x32: 4,718,592 FLOPs at 50% of 1 TFLOP/s = 9.437184 us; bytes
  // 4 * (16384 + 16384 + 2304) = 140,288 at 100 GB/s = 1.40288 us; + 10 us kernel + 100 us network.
  const HwPrediction p = m.predict(list_of({conv3x3()}), 1, Precision::FP32, true);
  ASSERT_EQ(p.layers.size(), 1u);
  EXPECT_DOUBLE_EQ(p.layers[0].compute_ms, 0.009437184);
  EXPECT_DOUBLE_EQ(p.layers[0].memory_ms, 0.00140288);
  EXPECT_DOUBLE_EQ(p.layers[0].latency_ms, 0.009437184 + 0.010);
  EXPECT_DOUBLE_EQ(p.latency_ms, 0.009437184 + 0.010 + 0.100);
  // Dynamic energy: 4,718,592 FLOPs x 1 pJ + 140,288 DRAM bytes x 100 pJ = 18,747,392 pJ.
  EXPECT_DOUBLE_EQ(p.dynamic_energy_mj, 18747392e-9);
  EXPECT_DOUBLE_EQ(p.energy_mj, 18747392e-9 + 10.0 * p.latency_ms);
  EXPECT_DOUBLE_EQ(p.layers[0].energy_mj, 18747392e-9 + 10.0 * p.layers[0].latency_ms);
  EXPECT_EQ(p.kernels, 1);
}

TEST(LatencyModel, MemoryBoundReluAndCacheByHand) {
  DeviceProfile prof = round_profile();
  HardwareModel m(prof);
  // ReLU on 16x32x32: 16,384 FLOPs at 10% of peak = 0.16384 us; 131,072 bytes at 100 GB/s = 1.31072 us.
  HwPrediction p = m.predict(list_of({simple(OpKind::ReLU, "r.relu")}), 1, Precision::FP32, true);
  EXPECT_DOUBLE_EQ(p.layers[0].latency_ms, 0.00131072 + 0.010);
  // A 64 KiB cache holds half of the 128 KiB working set: half the bytes at cache bandwidth.
  prof.cache_mb = 64.0 / 1024.0;
  p = HardwareModel(prof).predict(list_of({simple(OpKind::ReLU, "r.relu")}), 1, Precision::FP32, true);
  EXPECT_DOUBLE_EQ(p.layers[0].memory_ms, 1e3 * 131072 * (0.5 / 100e9 + 0.5 / 1000e9));
  EXPECT_DOUBLE_EQ(p.dynamic_energy_mj, 1e-9 * (16384 * 1.0 + 65536 * 100.0));
  // All of it in cache: no DRAM energy.
  prof.cache_mb = 1;
  p = HardwareModel(prof).predict(list_of({simple(OpKind::ReLU, "r.relu")}), 1, Precision::FP32, true);
  EXPECT_DOUBLE_EQ(p.layers[0].memory_ms, 1e3 * 131072 / 1000e9);
  EXPECT_DOUBLE_EQ(p.dynamic_energy_mj, 1e-9 * 16384);
  // Half the bandwidth for its class (calibrated memory_efficiency) doubles its memory time;
  // another class's efficiency and the energy are unchanged.
  prof.memory_efficiency[OpClass::Conv1x1] = 0.25;
  prof.memory_efficiency[OpClass::Elementwise] = 0.5;
  p = HardwareModel(prof).predict(list_of({simple(OpKind::ReLU, "r.relu")}), 1, Precision::FP32, true);
  EXPECT_DOUBLE_EQ(p.layers[0].memory_ms, 2e3 * 131072 / 1000e9);
  EXPECT_DOUBLE_EQ(p.layers[0].latency_ms, 2e3 * 131072 / 1000e9 + 0.010);
  EXPECT_DOUBLE_EQ(p.dynamic_energy_mj, 1e-9 * 16384);
}

TEST(LatencyModel, BatchAndPrecisionScaleAsDocumented) {
  HardwareModel m(round_profile());
  const LayerList l = list_of({conv3x3()});
  const HwPrediction b1 = m.predict(l, 1, Precision::FP32, true);
  const HwPrediction b4 = m.predict(l, 4, Precision::FP32, true);
  EXPECT_DOUBLE_EQ(b4.layers[0].compute_ms, 4 * b1.layers[0].compute_ms);          // FLOPs x batch
  EXPECT_DOUBLE_EQ(b4.layers[0].memory_ms, 1e3 * 4 * (4 * 32768 + 2304.0) / 100e9);  // activations x batch, weights once
  EXPECT_DOUBLE_EQ(b4.layers[0].overhead_ms, b1.layers[0].overhead_ms);            // one kernel either way
  const HwPrediction h = m.predict(l, 1, Precision::FP16, true);
  EXPECT_DOUBLE_EQ(h.layers[0].compute_ms, b1.layers[0].compute_ms / 2);  // 2x peak
  EXPECT_DOUBLE_EQ(h.layers[0].memory_ms, b1.layers[0].memory_ms / 2);    // 2 bytes per element
  const HwPrediction q = m.predict(l, 1, Precision::INT8, true);
  EXPECT_DOUBLE_EQ(q.layers[0].compute_ms, b1.layers[0].compute_ms / 4);
  EXPECT_DOUBLE_EQ(q.dynamic_energy_mj, 1e-9 * (4718592 * 0.25 + 35072 * 100.0));
  EXPECT_EQ(error_of([&] { m.predict(l, 0, Precision::FP32); }), "batch: expected a positive integer, got 0");
}

TEST(LatencyModel, OccupancySlowsSmallKernels) {
  DeviceProfile prof = round_profile();
  prof.full_occupancy_outputs = 4 * 16384;  // a 16x32x32 output fills a quarter of the device
  const HwPrediction p = HardwareModel(prof).predict(list_of({conv3x3()}), 1, Precision::FP32, true);
  EXPECT_DOUBLE_EQ(p.layers[0].compute_ms, 4 * 0.009437184);
  // At batch 4 the device is full: FLOPs x 4 at full rate.
  const HwPrediction p4 = HardwareModel(prof).predict(list_of({conv3x3()}), 4, Precision::FP32, true);
  EXPECT_DOUBLE_EQ(p4.layers[0].compute_ms, 4 * 0.009437184);
}

TEST(LatencyModel, NarrowConvolutionsLeaveTheChannelTileIdle) {
  DeviceProfile prof = round_profile();
  prof.conv_channel_tile = 64;  // a 16-channel output fills a quarter of the tile's width
  const HwPrediction p = HardwareModel(prof).predict(list_of({conv3x3()}), 1, Precision::FP32, true);
  EXPECT_DOUBLE_EQ(p.layers[0].compute_ms, 4 * 0.009437184);
  EXPECT_DOUBLE_EQ(p.layers[0].memory_ms, 0.00140288);  // the bytes moved do not depend on it
  // Not with a larger batch: the tile is across channels, not samples.
  const HwPrediction p4 = HardwareModel(prof).predict(list_of({conv3x3()}), 4, Precision::FP32, true);
  EXPECT_DOUBLE_EQ(p4.layers[0].compute_ms, 4 * 4 * 0.009437184);
  // 64 channels and more fill it: no penalty.
  HardwareModel wide(prof), off(round_profile());
  const LayerList w = list_of({conv3x3(64, 8)});
  EXPECT_DOUBLE_EQ(wide.predict(w, 1, Precision::FP32, true).layers[0].compute_ms,
                   off.predict(w, 1, Precision::FP32, true).layers[0].compute_ms);
  // A grouped convolution fills the tile with one group's outputs: 64 in 2 groups run at half rate.
  OpEdge g;
  g.kind = OpKind::Conv2d;
  g.in_channels = g.out_channels = 64;
  g.groups = 2;
  g.kernel = 3;
  g.padding = 1;
  g.name = "g.conv";
  const LayerList gl = list_of({edge_cost(g, {64, 8, 8})});
  EXPECT_DOUBLE_EQ(wide.predict(gl, 1, Precision::FP32, true).layers[0].compute_ms,
                   2 * off.predict(gl, 1, Precision::FP32, true).layers[0].compute_ms);
  // Elementwise layers, pooling and depthwise convolutions have no channel tile.
  const LayerList r = list_of({simple(OpKind::ReLU, "r.relu")});
  EXPECT_DOUBLE_EQ(wide.predict(r, 1, Precision::FP32).latency_ms, off.predict(r, 1, Precision::FP32).latency_ms);
  OpEdge dw;
  dw.kind = OpKind::Conv2d;
  dw.in_channels = dw.out_channels = dw.groups = 16;
  dw.kernel = 3;
  dw.padding = 1;
  dw.name = "d.conv";
  const LayerList d = list_of({edge_cost(dw, {16, 32, 32})});
  EXPECT_DOUBLE_EQ(wide.predict(d, 1, Precision::FP32).latency_ms, off.predict(d, 1, Precision::FP32).latency_ms);
}

TEST(LatencyModel, FusionChangesKernelCountsAsDocumented) {
  LayerCost add = add_cost({16, 32, 32}, 3, 0, "n.add");
  const LayerList l = list_of({simple(OpKind::ReLU, "a.relu"), conv3x3(), simple(OpKind::BatchNorm, "a.bn"),
                               [] { LayerCost c = conv3x3(); c.name = "b.conv"; return c; }(),
                               simple(OpKind::BatchNorm, "b.bn"), simple(OpKind::ReLU6, "b.relu"), add,
                               simple(OpKind::Identity, "c.skip"), simple(OpKind::Zero, "z.zero")});
  DeviceProfile prof = round_profile();
  const HwPrediction eager = HardwareModel(prof).predict(l, 1, Precision::FP32, true);
  // relu, conv, bn, conv, bn, relu6, add of 3 inputs = 2 pairwise kernels, identity none, zero 1.
  EXPECT_EQ(eager.kernels, 9);
  EXPECT_TRUE(eager.layers[7].fused_into_previous);   // identity
  EXPECT_EQ(eager.layers[6].kernels, 2);
  prof.runtime = RuntimeKind::Compiled;
  const HwPrediction compiled = HardwareModel(prof).predict(l, 1, Precision::FP32, true);
  // Pre-activation relu into its conv, bn folded, relu6 into the conv epilogue, zero constant-folded:
  // two convs and one 3-input add remain.
  EXPECT_EQ(compiled.kernels, 3);
  const std::vector<bool> fused{true, false, true, false, true, true, false, true, true};
  for (std::size_t i = 0; i < fused.size(); ++i) {
    EXPECT_EQ(compiled.layers[i].fused_into_previous, fused[i]) << i;
    if (fused[i]) EXPECT_EQ(compiled.layers[i].latency_ms, 0.0) << i;
  }
  EXPECT_LT(compiled.latency_ms, eager.latency_ms);
}

TEST(LatencyModel, LookupTableReplacesMeasuredLayers) {
  DeviceProfile prof = round_profile();
  EXPECT_EQ(layer_key(conv3x3()), "conv2d 16x32x32>16x32x32 k3 s1 g1");
  EXPECT_EQ(layer_key(add_cost({8, 4, 4}, 2, 0, "x")), "add 8x4x4>8x4x4 n2");
  prof.lookup_table.batch = 1;
  prof.lookup_table.precision = "fp32";
  prof.lookup_table.network_overhead_us = 50;
  prof.lookup_table.latency_us[layer_key(conv3x3())] = 123;
  HardwareModel m(prof);
  const LayerList l = list_of({conv3x3(), simple(OpKind::ReLU, "r.relu")});
  const HwPrediction p = m.predict(l, 1, Precision::FP32, true);
  EXPECT_TRUE(p.layers[0].from_lookup_table);
  EXPECT_FALSE(p.layers[1].from_lookup_table);  // not in the table: analytic
  EXPECT_DOUBLE_EQ(p.latency_ms, 0.123 + (0.00131072 + 0.010) + 0.050);
  // Another batch size or precision ignores the table.
  EXPECT_FALSE(m.predict(l, 2, Precision::FP32, true).layers[0].from_lookup_table);
  EXPECT_FALSE(m.predict(l, 1, Precision::FP16, true).layers[0].from_lookup_table);
}

TEST(LatencyModel, CorrectionsAddToTheirLayerKindsAtTheirBatchAndPrecision) {
  DeviceProfile prof = round_profile();
  const LayerList l = list_of({conv3x3(), simple(OpKind::ReLU, "r.relu")});
  const double plain = HardwareModel(prof).predict(l, 1, Precision::FP32).latency_ms;
  prof.corrections.batch = 1;
  prof.corrections.precision = "fp32";
  prof.corrections.latency_us[layer_key(conv3x3())] = 40;
  HardwareModel m(prof);
  EXPECT_DOUBLE_EQ(m.predict(l, 1, Precision::FP32).latency_ms, plain + 0.040);
  EXPECT_DOUBLE_EQ(m.predict(l, 2, Precision::FP32).latency_ms, HardwareModel(round_profile()).predict(l, 2, Precision::FP32).latency_ms);
  EXPECT_DOUBLE_EQ(m.predict(l, 1, Precision::FP16).latency_ms, HardwareModel(round_profile()).predict(l, 1, Precision::FP16).latency_ms);
  // A correction may take a layer below zero (corrections are fitted as a sum), but not the
  // network below a tenth of its latency without corrections.
  prof.corrections.latency_us[layer_key(conv3x3())] = -50;
  EXPECT_NEAR(HardwareModel(prof).predict(l, 1, Precision::FP32).latency_ms, plain - 0.050, 1e-12);
  prof.corrections.latency_us[layer_key(conv3x3())] = -1e6;
  EXPECT_NEAR(HardwareModel(prof).predict(l, 1, Precision::FP32).latency_ms, 0.1 * plain, 1e-12);
}

TEST(LatencyModel, PrecisionNames) {
  EXPECT_EQ(parse_precision("fp32"), Precision::FP32);
  EXPECT_EQ(parse_precision("bf16"), Precision::FP16);
  EXPECT_EQ(precision_name(Precision::INT8), "int8");
  EXPECT_EQ(error_of([] { parse_precision("fp64"); }), "unknown precision 'fp64' (expected fp32, fp16, bf16 or int8)");
}

TEST(LatencyModel, EveryProfileGivesPositiveFiniteTotalsOnBothSpaces) {
  for (const char* sname : {"nb201", "mbv"}) {
    auto space = make_space(sname);
    Rng rng(3);
    std::vector<LayerList> lists;
    for (int i = 0; i < 5; ++i) lists.push_back(count_costs(space->decode(space->sample(rng))));
    for (const auto& name : device_names()) {
      HardwareModel m(load_device(name));
      for (const auto& l : lists) {
        for (Precision prec : {Precision::FP32, Precision::FP16, Precision::INT8}) {
          const HwPrediction p = m.predict(l, 8, prec, true);
          EXPECT_TRUE(std::isfinite(p.latency_ms) && p.latency_ms > 0) << name;
          double sum = 1e-3 * m.profile().network_overhead_us, e = m.profile().static_power_w * sum;
          for (const auto& lp : p.layers) sum += lp.latency_ms, e += lp.energy_mj;
          EXPECT_NEAR(p.latency_ms, sum, 1e-9 * p.latency_ms) << name;
          EXPECT_NEAR(p.energy_mj, e, 1e-9 * p.energy_mj) << name;
          EXPECT_DOUBLE_EQ(p.energy_mj, p.dynamic_energy_mj + m.profile().static_power_w * p.latency_ms);
        }
      }
    }
  }
}

TEST(LatencyModel, NonFinitePredictionIsAUserErrorNamingTheDevice) {
  // A profile built in code skips validation; its inf energy must not come out as a number.
  DeviceProfile p = round_profile();
  p.static_power_w = 1e308;
  p.network_overhead_us = 5000;  // 5 ms: 5e308 mJ
  const HardwareModel m(p);
  const std::string e = error_of([&] { m.predict(list_of({conv3x3()}), 3, Precision::FP32); });
  EXPECT_EQ(e.substr(0, e.find(" (latency ")), "device round: the predicted energy is not a finite number") << e;
  EXPECT_EQ(e.substr(e.find(" ms, ")),
            " ms, energy inf mJ) at batch 3: the profile has an absurd value (check static_power_w and the energy_pj_* "
            "fields)");
  p = round_profile();
  p.peak_tflops_fp32 = 1e-320;
  EXPECT_EQ(error_of([&] { HardwareModel(p).predict(list_of({conv3x3()}), 1, Precision::FP32); }).substr(0, 71),
            "device round: the predicted latency is not a finite number (latency inf");
}

TEST(LatencyModel, MoreWorkIsSlowerOnNb201) {
  // The all-conv3x3 cell costs more than the all-skip cell on every device.
  auto space = make_space("nb201");
  const LayerList heavy = count_costs(space->decode(space->parse(
      "|nor_conv_3x3~0|+|nor_conv_3x3~0|nor_conv_3x3~1|+|nor_conv_3x3~0|nor_conv_3x3~1|nor_conv_3x3~2|")));
  const LayerList light = count_costs(space->decode(space->parse(
      "|skip_connect~0|+|skip_connect~0|skip_connect~1|+|skip_connect~0|skip_connect~1|skip_connect~2|")));
  for (const auto& name : device_names()) {
    HardwareModel m(load_device(name));
    EXPECT_GT(m.predict(heavy, 1, Precision::FP32).latency_ms, m.predict(light, 1, Precision::FP32).latency_ms) << name;
  }
}

}  // namespace
}  // namespace hwnas
