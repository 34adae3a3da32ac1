// End-to-end tests of `hwnas proxy`.
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
  EXPECT_NE(d.err.find("--dataset.name: unknown dataset 'imagenet'"), std::string::npos) << d.err;
  auto t = run_hwnas({"proxy", "--arch", kArch, "--proxy", "train", "--train", "{\"optimizer\": \"lbfgs\"}"});
  EXPECT_EQ(t.exit_code, 2);
  EXPECT_NE(t.err.find("--train.optimizer: expected \"sgd\" or \"adam\""), std::string::npos) << t.err;
  auto c = run_hwnas({"proxy", "--arch", kArch, "--proxy", "snip", "--dataset", "cifar10", "--data-dir", "/nonexistent"});
  EXPECT_EQ(c.exit_code, 2);
  EXPECT_NE(c.err.find("/nonexistent: no data_batch_*.bin files"), std::string::npos) << c.err;
}
