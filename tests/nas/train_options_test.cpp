#include <gtest/gtest.h>

#include "support/errors.h"

#include "hwnas/core/error.h"
#include "hwnas/nas/spaces/nb201.h"
#include "hwnas/nas/train.h"

using namespace hwnas;
using hwnas::test::error_of;


TEST(TrainOptions, DefaultsValidateAndRoundTrip) {
  TrainOptions o;
  EXPECT_NO_THROW(o.validate());
  const TrainOptions back = TrainOptions::from_json(o.to_json(), "train");
  EXPECT_EQ(back.to_json(), o.to_json());
}

TEST(TrainOptions, ErrorsNameTheField) {
  EXPECT_EQ(error_of([] { TrainOptions::from_json({{"optimizer", "rmsprop"}}, "objectives[0].source.train"); }),
            "objectives[0].source.train.optimizer: expected \"sgd\" or \"adam\", got \"rmsprop\"");
  EXPECT_EQ(error_of([] { TrainOptions::from_json({{"steps", 100}, {"checkpoints", {50, 150}}}, "t"); }),
            "t.checkpoints[1]: expected a step in 1..100");
  EXPECT_EQ(error_of([] { TrainOptions::from_json({{"step", 100}}, "t"); }).substr(0, 19), "t.step: unknown key");
  EXPECT_EQ(error_of([] { TrainOptions::from_json({{"reduce", 3}}, "t"); }),
            "t.reduce: expected an object of space options or \"auto\"");
}

TEST(TrainOptions, DeviceAndPrecisionAreReadAndWritten) {
  const TrainOptions d = TrainOptions::from_json(nlohmann::json::object(), "t");
  EXPECT_EQ(d.device, TorchDevice{});
  EXPECT_EQ(d.precision, "fp32");
  EXPECT_EQ(d.to_json()["torch_device"], "cpu");
  const TrainOptions o = TrainOptions::from_json({{"torch_device", "cuda:1"}, {"precision", "fp16"}}, "t");
  EXPECT_TRUE(o.device.cuda);
  EXPECT_EQ(o.device.index, 1);
  EXPECT_EQ(o.precision, "fp16");
  EXPECT_EQ(o.to_json()["torch_device"], "cuda:1");
  EXPECT_EQ(TrainOptions::from_json(o.to_json(), "t").to_json(), o.to_json());
  EXPECT_EQ(TrainOptions::from_json({{"precision", "bf16"}}, "t").precision, "bf16");  // bf16 autocast runs on the CPU too
}

TEST(TrainOptions, BadDeviceOrPrecisionNamesTheField) {
  EXPECT_EQ(error_of([] { TrainOptions::from_json({{"torch_device", "gpu0"}}, "objectives[1].source.train"); }),
            "objectives[1].source.train.torch_device: expected \"cpu\", \"cuda\" or \"cuda:N\" (N a device index "
            "0..63), got \"gpu0\"");
  EXPECT_EQ(error_of([] { TrainOptions::from_json({{"precision", "fp8"}}, "t"); }),
            "t.precision: expected \"fp32\", \"fp16\" or \"bf16\", got \"fp8\"");
  EXPECT_EQ(error_of([] { TrainOptions::from_json({{"precision", "fp16"}}, "t"); }),
            "t.precision: fp16 autocast needs a CUDA device (LibTorch's CPU autocast is bf16 only); use bf16 or fp32 "
            "on cpu");
}

TEST(TrainOptions, ReducedSpaceCarriesTheArchitecture) {
  Nb201Space s(Nb201Options{});
  auto small = reduced_space(s, "auto");
  EXPECT_EQ(small->options()["channels"], 8);
  EXPECT_EQ(small->options()["cells_per_stage"], 1);
  EXPECT_EQ(small->options()["input_size"], 32);
  const Architecture a = s.parse("|nor_conv_3x3~0|+|none~0|avg_pool_3x3~1|+|skip_connect~0|none~1|none~2|");
  EXPECT_EQ(small->parse(s.to_string(a)), a);
  EXPECT_EQ(reduced_space(s, nlohmann::json::object())->options(), s.options());
}
