// End-to-end tests of `hwnas proxy`.
#include <sstream>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "support/cli.h"

using hwnas::test::run_hwnas;

namespace {
const char* kArch = "|nor_conv_3x3~0|+|nor_conv_3x3~0|avg_pool_3x3~1|+|skip_connect~0|nor_conv_3x3~1|skip_connect~2|";
const char* kSmall = "{\"channels\": 4, \"cells_per_stage\": 1, \"input_size\": 16}";
}  // namespace

TEST(CliProxy, JsonHasOneKeyPerProxyAndIsDeterministic) {
  const std::vector<std::string> args{"proxy", "--arch", kArch, "--space-options", kSmall, "--dataset", "synthetic",
                                      "--batch", "8", "--proxy", "synflow,naswot,snip,params", "--json"};
  auto r1 = run_hwnas(args), r2 = run_hwnas(args);
  ASSERT_EQ(r1.exit_code, 0) << r1.err;
  const auto j1 = nlohmann::json::parse(r1.out), j2 = nlohmann::json::parse(r2.out);
  for (const char* p : {"synflow", "naswot", "snip", "params"}) {
    ASSERT_TRUE(j1[p].is_number()) << p << ": " << r1.out;
    EXPECT_EQ(j1[p], j2[p]) << p;
  }
  EXPECT_FALSE(j1.contains("errors"));
}

TEST(CliProxy, TrainProxyReportsAccuracyAndCurve) {
  auto r = run_hwnas({"proxy", "--arch", kArch, "--space-options", kSmall, "--dataset", "synthetic", "--proxy", "train",
                      "--train", "{\"steps\": 6, \"batch_size\": 8, \"loss_every\": 3, \"reduce\": {}}", "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto j = nlohmann::json::parse(r.out);
  EXPECT_TRUE(j["train"].is_number());
  EXPECT_EQ(j["train_details"]["loss_curve"].size(), 2u);
}

TEST(CliProxy, BadInputExitsWith2) {
  auto r = run_hwnas({"proxy", "--arch", kArch, "--proxy", "zen"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("--proxy: unknown proxy 'zen' (known: fisher, grad_norm"), std::string::npos) << r.err;
  auto d = run_hwnas({"proxy", "--arch", kArch, "--proxy", "snip", "--dataset", "imagenet"});
  EXPECT_EQ(d.exit_code, 2);
  EXPECT_NE(d.err.find("--dataset.name: expected \"fashion-mnist\", \"cifar10\" or \"synthetic\", got \"imagenet\""), std::string::npos) << d.err;
  auto t = run_hwnas({"proxy", "--arch", kArch, "--proxy", "train", "--train", "{\"optimizer\": \"lbfgs\"}"});
  EXPECT_EQ(t.exit_code, 2);
  EXPECT_NE(t.err.find("--train.optimizer: expected \"sgd\" or \"adam\""), std::string::npos) << t.err;
  // The training proxy reads --dataset as every proxy does; a dataset in --train is an error.
  auto td = run_hwnas({"proxy", "--arch", kArch, "--proxy", "train", "--train", "{\"dataset\": {\"name\": \"synthetic\"}}"});
  EXPECT_EQ(td.exit_code, 2);
  EXPECT_NE(td.err.find("--train.dataset: `hwnas proxy` reads the dataset of every proxy from --dataset and --data-dir"),
            std::string::npos) << td.err;
  auto c = run_hwnas({"proxy", "--arch", kArch, "--proxy", "snip", "--dataset", "cifar10", "--data-dir", "/nonexistent"});
  EXPECT_EQ(c.exit_code, 2);
  EXPECT_NE(c.err.find("/nonexistent: no data_batch_*.bin files"), std::string::npos) << c.err;
}

TEST(CliProxy, TorchDeviceCpuGivesTheScoresOfNoFlag) {
  const std::vector<std::string> args{"proxy", "--arch", kArch, "--space-options", kSmall, "--dataset", "synthetic",
                                      "--batch", "8", "--seed", "3", "--proxy", "synflow,naswot,grad_norm,train",
                                      "--train", "{\"steps\": 4, \"batch_size\": 8, \"reduce\": {}}", "--json"};
  std::vector<std::string> on_cpu = args;
  on_cpu.insert(on_cpu.end(), {"--torch-device", "cpu"});
  const auto plain = run_hwnas(args), cpu = run_hwnas(on_cpu);
  ASSERT_EQ(plain.exit_code, 0) << plain.err;
  ASSERT_EQ(cpu.exit_code, 0) << cpu.err;
  const auto p = nlohmann::json::parse(plain.out), c = nlohmann::json::parse(cpu.out);
  for (const char* k : {"synflow", "naswot", "grad_norm", "train"}) {
    ASSERT_TRUE(p[k].is_number()) << k << ": " << plain.out;
    EXPECT_EQ(p[k], c[k]) << k;
  }
  EXPECT_EQ(p["train_details"]["loss_curve"], c["train_details"]["loss_curve"]);
  EXPECT_EQ(c["torch_device"], "cpu");
}

TEST(CliProxy, TorchDeviceErrorsNameTheFlag) {
  auto bad = run_hwnas({"proxy", "--arch", kArch, "--torch-device", "gpu"});
  EXPECT_EQ(bad.exit_code, 2);
  EXPECT_NE(bad.err.find("--torch-device: expected \"cpu\", \"cuda\" or \"cuda:N\" (N a device index 0..63), got \"gpu\""),
            std::string::npos) << bad.err;
  auto twice = run_hwnas({"proxy", "--arch", kArch, "--proxy", "train", "--train", "{\"torch_device\": \"cpu\"}"});
  EXPECT_EQ(twice.exit_code, 2);
  EXPECT_NE(twice.err.find("--train.torch_device: `hwnas proxy` runs every proxy on --torch-device"), std::string::npos)
      << twice.err;
  auto fp16 = run_hwnas({"proxy", "--arch", kArch, "--proxy", "train", "--train", "{\"precision\": \"fp16\"}"});
  EXPECT_EQ(fp16.exit_code, 2);
  EXPECT_NE(fp16.err.find("--train.precision: fp16 autocast needs a CUDA device"), std::string::npos) << fp16.err;
  for (const char* proxy : {"synflow", "train"}) {
    auto cuda = run_hwnas({"proxy", "--arch", kArch, "--space-options", kSmall, "--dataset", "synthetic", "--proxy", proxy,
                           "--train", "{\"steps\": 2, \"batch_size\": 8, \"reduce\": {}}", "--torch-device", "cuda"});
    if (hwnas::test::torch_has_cuda()) {  // a CUDA LibTorch runs it
      EXPECT_EQ(cuda.exit_code, 0) << proxy << ": " << cuda.err;
      continue;
    }
    EXPECT_EQ(cuda.exit_code, 2) << proxy;
    EXPECT_NE(cuda.err.find("error: --torch-device: cuda asked for, but the LibTorch hwnas is built against has no CUDA"),
              std::string::npos) << proxy << ": " << cuda.err;
    EXPECT_TRUE(cuda.out.empty()) << cuda.out;
  }
}

TEST(CliProxy, AnArchFileIsScoredLineByLineAsEachArchAlone) {
  const std::string dir = hwnas::test::scratch_dir();
  const std::string other = "|skip_connect~0|+|nor_conv_1x1~0|none~1|+|avg_pool_3x3~0|nor_conv_3x3~1|none~2|";
  hwnas::test::write_text(dir + "/archs.txt", std::string(kArch) + "\n\n" + other + "\r\n");
  const std::vector<std::string> common{"--space-options", kSmall, "--dataset", "synthetic", "--batch", "8",
                                        "--proxy", "synflow,naswot"};
  auto with = [&](std::vector<std::string> head) {
    head.insert(head.end(), common.begin(), common.end());
    return head;
  };
  auto r = run_hwnas(with({"proxy", "--arch-file", dir + "/archs.txt"}));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  std::vector<nlohmann::json> lines;
  std::stringstream ss(r.out);
  for (std::string line; std::getline(ss, line);) lines.push_back(nlohmann::json::parse(line));
  ASSERT_EQ(lines.size(), 2u) << r.out;
  const std::vector<std::string> archs{kArch, other};
  for (std::size_t i = 0; i < 2; ++i) {
    auto alone = run_hwnas(with({"proxy", "--arch", archs[i], "--json"}));
    ASSERT_EQ(alone.exit_code, 0) << alone.err;
    const auto j = nlohmann::json::parse(alone.out);
    EXPECT_EQ(lines[i]["arch"], archs[i]);
    for (const char* p : {"synflow", "naswot"}) {
      ASSERT_TRUE(j[p].is_number()) << p;
      EXPECT_EQ(lines[i][p], j[p]) << p << " of line " << i;
    }
  }
  hwnas::test::write_text(dir + "/bad.txt", std::string(kArch) + "\n|conv_9x9~0|\n");
  auto bad = run_hwnas({"proxy", "--arch-file", dir + "/bad.txt"});
  EXPECT_EQ(bad.exit_code, 2);
  EXPECT_NE(bad.err.find("--arch-file: " + dir + "/bad.txt:2: "), std::string::npos) << bad.err;
  auto neither = run_hwnas({"proxy"});
  EXPECT_EQ(neither.exit_code, 2);
  EXPECT_NE(neither.err.find("exactly one of the two"), std::string::npos) << neither.err;
}
