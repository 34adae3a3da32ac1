#include "hwnas/nas/proxy.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include "hwnas/core/error.h"
#include "hwnas/nas/spaces/mbv.h"
#include "hwnas/nas/spaces/nb201.h"

using namespace hwnas;

namespace {
const std::vector<std::string> kAll{"synflow", "naswot", "jacob_cov", "grad_norm", "snip", "fisher", "params"};

Nb201Space small_nb201() {
  Nb201Options o;
  o.channels = 8;
  o.cells_per_stage = 1;
  o.input_size = 16;
  return Nb201Space(o);
}
}  // namespace

TEST(Proxies, FiniteAndDeterministicOnNb201IncludingDisconnectedCells) {
  torch::set_num_threads(1);
  Nb201Space s = small_nb201();
  ImageSet data = make_synthetic(64, 10, 3, 16, 5);
  ProxyOptions o;
  o.batch_size = 16;
  o.seed = 7;
  std::vector<Architecture> archs{s.parse("|none~0|+|none~0|none~1|+|none~0|none~1|none~2|"),
                                  s.parse("|nor_conv_3x3~0|+|none~0|none~1|+|none~0|none~1|none~2|"),
                                  s.parse("|none~0|+|none~0|none~1|+|skip_connect~0|none~1|none~2|")};
  Rng rng(1);
  for (int i = 0; i < 6; ++i) archs.push_back(s.sample(rng));
  for (const auto& a : archs) {
    for (const auto& p : kAll) {
      const ProxyResult r1 = score_proxy(p, s, a, &data, o), r2 = score_proxy(p, s, a, &data, o);
      ASSERT_TRUE(r1.ok) << p << " " << s.to_string(a) << ": " << r1.message;
      EXPECT_TRUE(std::isfinite(r1.score));
      EXPECT_EQ(r1.score, r2.score) << p << " " << s.to_string(a);
    }
  }
}

TEST(Proxies, ZeroCellNeverScoresWell) {
  Nb201Space s = small_nb201();
  ImageSet data = make_synthetic(64, 10, 3, 16, 5);
  ProxyOptions o;
  o.batch_size = 16;
  const Architecture zero = s.parse("|none~0|+|none~0|none~1|+|none~0|none~1|none~2|");
  const Architecture conv = s.parse("|nor_conv_3x3~0|+|nor_conv_3x3~0|nor_conv_3x3~1|+|nor_conv_3x3~0|nor_conv_3x3~1|nor_conv_3x3~2|");
  for (const char* p : {"synflow", "naswot", "grad_norm", "snip", "jacob_cov"}) {
    EXPECT_LT(score_proxy(p, s, zero, &data, o).score, score_proxy(p, s, conv, &data, o).score) << p;
  }
  EXPECT_EQ(score_proxy("synflow", s, zero, nullptr, o).score, 0.0);
}

TEST(Proxies, SynflowGrowsWithCapacity) {
  Nb201Space s = small_nb201();
  ProxyOptions o;
  const double c1 = score_proxy("synflow", s, s.parse("|none~0|+|none~0|none~1|+|nor_conv_1x1~0|none~1|none~2|"), nullptr, o).score;
  const double c3 = score_proxy("synflow", s, s.parse("|none~0|+|none~0|none~1|+|nor_conv_3x3~0|none~1|none~2|"), nullptr, o).score;
  EXPECT_GT(c3, c1);
}

TEST(Proxies, FailuresAreDataNotExceptions) {
  Nb201Space s = small_nb201();
  ProxyOptions o;
  const Architecture a = s.parse("|nor_conv_3x3~0|+|none~0|none~1|+|none~0|none~1|none~2|");
  ProxyResult r = score_proxy("naswot", s, a, nullptr, o);
  EXPECT_FALSE(r.ok);
  EXPECT_EQ(r.message, "naswot needs a dataset");
  ImageSet wrong = make_synthetic(32, 10, 2, 16, 1);  // 2 channels for a 3-channel network
  r = score_proxy("snip", s, a, &wrong, o);
  EXPECT_FALSE(r.ok);
  EXPECT_EQ(r.message, "the dataset has 2 channels, the network expects 3");
  ImageSet many = make_synthetic(32, 20, 3, 16, 1);
  r = score_proxy("grad_norm", s, a, &many, o);
  EXPECT_FALSE(r.ok);
  EXPECT_EQ(r.message, "the dataset has 20 classes, the network only 10");
  try {
    score_proxy("zen", s, a, nullptr, o);
    FAIL();
  } catch (const UserError& e) {
    EXPECT_STREQ(e.what(), "unknown proxy 'zen' (known: fisher, grad_norm, jacob_cov, naswot, params, snip, synflow)");
  }
}

TEST(Proxies, GrayImagesAreAdaptedToTheNetworkInput) {
  Nb201Space s = small_nb201();
  ImageSet gray = make_synthetic(32, 10, 1, 28, 2);  // Fashion-MNIST-like 1x28x28
  ProxyOptions o;
  o.batch_size = 8;
  const ProxyResult r = score_proxy("naswot", s, s.parse("|nor_conv_3x3~0|+|none~0|none~1|+|skip_connect~0|nor_conv_1x1~1|none~2|"), &gray, o);
  EXPECT_TRUE(r.ok) << r.message;
}

TEST(Proxies, MbvSpaceWorks) {
  MbvOptions mo;
  mo.resolutions = {64};
  mo.num_classes = 10;
  MbvSpace s(mo);
  ImageSet data = make_synthetic(16, 10, 3, 64, 3);
  ProxyOptions o;
  o.batch_size = 4;
  Rng rng(2);
  const Architecture a = s.sample(rng);
  for (const auto& p : kAll) {
    const ProxyResult r = score_proxy(p, s, a, &data, o);
    EXPECT_TRUE(r.ok) << p << ": " << r.message;
  }
}

TEST(Proxies, RankVoteAveragesRanksAndPutsFailuresLast) {
  const auto v = rank_vote({{1.0, 3.0, 2.0, NAN}, {10.0, 30.0, 30.0, 5.0}});
  // proxy 1 ranks: 2,4,3,1; proxy 2 ranks: 2,3.5,3.5,1.
  EXPECT_EQ(v, (std::vector<double>{2.0, 3.75, 3.25, 1.0}));
}
