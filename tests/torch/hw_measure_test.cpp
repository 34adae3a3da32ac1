#include "hwnas/hw_models/measure.h"

#include <cmath>

#include <gtest/gtest.h>

#include "hwnas/hw_models/calibration.h"
#include "hwnas/nas/spaces/nb201.h"
#include "support/cli.h"
#include "support/errors.h"

namespace hwnas {
namespace {

using test::error_of;

TEST(HwMeasure, SmallNetworkHasPositiveFiniteLatency) {
  Nb201Options o;
  o.channels = 4;
  o.cells_per_stage = 1;
  o.input_size = 8;
  Nb201Space space(o);
  MeasureOptions mo;
  mo.repeats = 3;
  mo.warmup = 1;
  const double ms = measure_latency_ms(
      space.decode(space.parse("|nor_conv_3x3~0|+|nor_conv_1x1~0|avg_pool_3x3~1|+|skip_connect~0|none~1|nor_conv_3x3~2|")), mo);
  EXPECT_TRUE(std::isfinite(ms));
  EXPECT_GT(ms, 0.0);
  mo.batch = 3;  // another batch size runs too
  EXPECT_GT(measure_latency_ms(space.decode(space.parse("|none~0|+|none~0|none~1|+|none~0|none~1|none~2|")), mo), 0.0);
}

TEST(HwMeasure, RunsOnTheChosenDeviceAndRefusesAMissingOne) {
  LayerCost add = add_cost({8, 4, 4}, 3, 0, "x.add");
  MeasureOptions mo;
  mo.repeats = 2;
  mo.warmup = 1;
  mo.device = parse_torch_device("cpu", "--torch-device");
  EXPECT_GT(measure_latency_ms(single_layer_graph(add), mo), 0.0);
  mo.channels_last = true;  // NHWC runs on the CPU too
  Nb201Options small;
  small.channels = 4;
  small.cells_per_stage = 1;
  small.input_size = 8;
  Nb201Space space(small);
  EXPECT_GT(measure_latency_ms(space.decode(space.parse("|nor_conv_3x3~0|+|nor_conv_1x1~0|avg_pool_3x3~1|+|skip_connect~0|none~1|nor_conv_3x3~2|")), mo),
            0.0);
  mo.channels_last = false;
  mo.precision = "fp16";
  EXPECT_EQ(error_of([&] { measure_latency_ms(single_layer_graph(add), mo); }),
            "precision: fp16 timing needs torch_device cuda (LibTorch's CPU convolutions have no fp16 kernels)");
  mo.device = parse_torch_device("cuda:0", "--torch-device");
  if (test::torch_has_cuda()) {
    EXPECT_GT(measure_latency_ms(single_layer_graph(add), mo), 0.0);  // synchronized fp16 timing runs
    mo.precision = "fp32";
    EXPECT_GT(measure_latency_ms(single_layer_graph(add), mo), 0.0);
    return;
  }
  mo.precision = "fp32";
  // The library names its field; `hwnas measure` checks --torch-device itself first (hw_cli_test).
  const std::string want = "torch_device: cuda:0 asked for, but the LibTorch hwnas";
  EXPECT_EQ(error_of([&] { measure_latency_ms(single_layer_graph(add), mo); }).substr(0, want.size()), want);
}

TEST(HwMeasure, SingleLayerGraphsRun) {
  LayerCost add = add_cost({8, 4, 4}, 3, 0, "x.add");
  MeasureOptions mo;
  mo.repeats = 2;
  mo.warmup = 0;
  EXPECT_GT(measure_latency_ms(single_layer_graph(add), mo), 0.0);
}

TEST(HwMeasure, BadOptionsNameTheOption) {
  MeasureOptions mo;
  mo.repeats = 0;
  EXPECT_EQ(error_of([&] { mo.validate(); }), "repeats: expected a positive integer, got 0");
  // The command line names its flags.
  EXPECT_EQ(error_of([&] { mo.validate([](const std::string& f) { return "--" + f; }); }),
            "--repeats: expected a positive integer, got 0");
  mo = {};
  mo.threads = 0;
  EXPECT_EQ(error_of([&] { mo.validate(); }), "threads: expected a positive integer, got 0");
  mo = {};
  mo.batch = -1;
  EXPECT_EQ(error_of([&] { mo.validate(); }), "batch: expected a positive integer, got -1");
  EXPECT_NO_THROW(MeasureOptions{}.validate());
}

}  // namespace
}  // namespace hwnas
