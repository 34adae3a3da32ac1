// nas/torch/device.cpp: the device check, autocast, and proxies/training on a chosen device.
#include "../../nas/torch/device.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include "hwnas/nas/proxy.h"
#include "hwnas/nas/spaces/nb201.h"
#include "hwnas/nas/train.h"
#include "support/errors.h"
#include "support/torch_fixtures.h"

using namespace hwnas;
using hwnas::test::error_of;
using hwnas::test::small_nb201;
using hwnas::test::synthetic_split;

namespace {
const char* kArch = "|nor_conv_3x3~0|+|nor_conv_3x3~0|avg_pool_3x3~1|+|skip_connect~0|nor_conv_1x1~1|skip_connect~2|";
}  // namespace

TEST(TorchDevice, CpuIsAlwaysThere) {
  EXPECT_NO_THROW(require_torch_device(TorchDevice{}, "--torch-device"));
  EXPECT_EQ(to_torch_device(TorchDevice{}, "x"), torch::Device(torch::kCPU));
}

// No GTEST_SKIP (scripts/test.sh fails on skipped tests): each test checks what holds where it runs.
TEST(TorchDevice, CudaFromACpuOnlyLibTorchIsAUserErrorNamingTheFlag) {
  const Nb201Space s = small_nb201();
  ProxyOptions o;
  o.device = parse_torch_device("cuda", "x");
  if (torch::cuda::is_available()) {  // a CUDA LibTorch: cuda:0 is there, an index past the last is not
    EXPECT_NO_THROW(require_torch_device(o.device, "--torch-device"));
    EXPECT_TRUE(score_proxy("synflow", s, s.parse(kArch), nullptr, o).ok);
    const std::string n = std::to_string(torch::cuda::device_count());
    EXPECT_EQ(error_of([&] { require_torch_device(parse_torch_device("cuda:" + n, "f"), "f"); }).substr(0, 40),
              "f: cuda:" + n + " asked for, but this machine has ");
    return;
  }
  EXPECT_EQ(error_of([] { require_torch_device(parse_torch_device("cuda", "--torch-device"), "--torch-device"); }),
            "--torch-device: cuda asked for, but the LibTorch hwnas is built against has no CUDA (a CPU-only build, "
            "or no GPU or driver here); use cpu, or build against a CUDA LibTorch (README: GPUs)");
  EXPECT_EQ(error_of([] { to_torch_device(parse_torch_device("cuda:3", "f"), "objectives[0].source.proxy.torch_device"); })
                .substr(0, 60),
            "objectives[0].source.proxy.torch_device: cuda:3 asked for, b");
  // The library entry points check too, so a caller that skipped the check gets the same error.
  EXPECT_EQ(error_of([&] { score_proxy("synflow", s, s.parse(kArch), nullptr, o); }).substr(0, 30),
            "torch_device: cuda asked for, ");
}

TEST(AutocastGuard, Bf16RunsConvolutionsInBf16OnTheCpuAndRestoresFp32) {
  const torch::Tensor x = torch::randn({1, 3, 8, 8}), w = torch::randn({4, 3, 3, 3});
  EXPECT_EQ(torch::conv2d(x, w).scalar_type(), torch::kFloat32);
  {
    const AutocastGuard amp(TorchDevice{}, "bf16");
    EXPECT_EQ(torch::conv2d(x, w).scalar_type(), torch::kBFloat16);
    {
      const AutocastGuard off(TorchDevice{}, "fp32");  // fp32 changes nothing
      EXPECT_EQ(torch::conv2d(x, w).scalar_type(), torch::kBFloat16);
    }
  }
  EXPECT_EQ(torch::conv2d(x, w).scalar_type(), torch::kFloat32);
}

// Every proxy gives the same value on a chosen device as on the default one: exactly on the CPU
// (the device is the default), to float tolerance on a GPU (run where CUDA is there).
TEST(TorchDevice, ProxiesGiveTheSameScoresOnEveryDevice) {
  torch::set_num_threads(1);
  const Nb201Space s = small_nb201();
  const Architecture a = s.parse(kArch);
  const ImageSet data = make_synthetic(32, 10, 3, 16, 5);
  ProxyOptions base;
  base.batch_size = 16;
  base.seed = 3;
  std::vector<std::string> devices{"cpu"};
  if (torch::cuda::is_available()) devices.push_back("cuda");
  for (const auto& name : proxy_names()) {
    const ProxyResult ref = score_proxy(name, s, a, &data, base);
    ASSERT_TRUE(ref.ok) << name << ": " << ref.message;
    for (const auto& d : devices) {
      ProxyOptions o = base;
      o.device = parse_torch_device(d, "x");
      const ProxyResult r = score_proxy(name, s, a, &data, o);
      ASSERT_TRUE(r.ok) << name << " on " << d << ": " << r.message;
      if (d == "cpu")
        EXPECT_EQ(r.score, ref.score) << name;
      else
        EXPECT_NEAR(r.score, ref.score, 1e-3 * std::abs(ref.score) + 1e-6) << name << " on " << d;
    }
  }
}

TEST(TorchDevice, TrainingRunsInBf16OnTheCpu) {
  torch::set_num_threads(1);
  const Nb201Space s = small_nb201();
  const DataSplit data = synthetic_split(200);
  TrainOptions o;
  o.steps = 8;
  o.batch_size = 16;
  o.loss_every = 4;
  o.validation_images = 50;
  o.reduce = nlohmann::json::object();
  const TrainResult fp32 = train_proxy(s, s.parse(kArch), data, o);
  o.precision = "bf16";
  const TrainResult bf16 = train_proxy(s, s.parse(kArch), data, o), again = train_proxy(s, s.parse(kArch), data, o);
  ASSERT_TRUE(fp32.ok) << fp32.message;
  ASSERT_TRUE(bf16.ok) << bf16.message;
  ASSERT_EQ(bf16.loss_curve.size(), 2u);
  EXPECT_EQ(bf16.loss_curve, again.loss_curve);  // deterministic
  // bf16 keeps 8 bits of mantissa: the losses move off the fp32 ones, but not far.
  EXPECT_NE(bf16.loss_curve, fp32.loss_curve);
  for (std::size_t i = 0; i < fp32.loss_curve.size(); ++i) EXPECT_NEAR(bf16.loss_curve[i], fp32.loss_curve[i], 0.2);
}
