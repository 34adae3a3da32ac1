#include "hwnas/nas/proxy.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "hwnas/core/error.h"
#include "hwnas/nas/export.h"
#include "hwnas/nas/spaces/mbv.h"
#include "hwnas/nas/spaces/nb201.h"
#include "hwnas/nas/torch_builder.h"
#include "support/cli.h"
#include "support/torch_fixtures.h"
#include "../../bench/bench_stats.h"
#include "support/paths.h"

using namespace hwnas;

namespace {
const std::vector<std::string> kAll{"synflow", "naswot", "jacob_cov", "grad_norm", "snip", "fisher", "params"};
Nb201Space small_nb201() { return hwnas::test::small_nb201(8); }
}  // namespace

void write_floats(const std::string& path, const std::vector<float>& v) {
  std::ofstream out(path, std::ios::binary);
  out.write(reinterpret_cast<const char*>(v.data()), static_cast<std::streamsize>(v.size() * sizeof(float)));
}

// Writes what proxies_reference.py reads: every floating-point parameter and buffer of `net`
// (weights.txt + weights.bin) and the minibatch (x.txt + x.bin, labels.txt) with `channels`
// channels: a gray image is repeated over them (the documented adaptation in batches.h).
void write_reference_inputs(const std::string& dir, GraphNetImpl& net, const ImageSet& d, const std::vector<std::size_t>& idx,
                            int channels) {
  std::ofstream index(dir + "/weights.txt");
  std::vector<float> flat;
  auto add = [&](const std::string& name, const torch::Tensor& t) {
    if (!t.is_floating_point()) return;
    const torch::Tensor c = t.detach().to(torch::kFloat32).contiguous();
    index << name << " " << c.numel() << "\n";
    flat.insert(flat.end(), c.data_ptr<float>(), c.data_ptr<float>() + c.numel());
  };
  for (const auto& p : net.named_parameters()) add(p.key(), p.value());
  for (const auto& b : net.named_buffers()) add(b.key(), b.value());
  write_floats(dir + "/weights.bin", flat);
  const std::size_t img = static_cast<std::size_t>(d.c) * d.h * d.w;
  std::vector<float> x;
  std::string labels;
  for (std::size_t i : idx) {
    for (int c = 0; c < (d.c == 1 ? channels : 1); ++c)
      x.insert(x.end(), d.pixels.begin() + i * img, d.pixels.begin() + (i + 1) * img);
    labels += std::to_string(d.labels[i]) + "\n";
  }
  write_floats(dir + "/x.bin", x);
  hwnas::test::write_text(dir + "/x.txt", std::to_string(idx.size()) + " " + std::to_string(channels) + " " +
                                              std::to_string(d.h) + " " + std::to_string(d.w) + "\n");
  hwnas::test::write_text(dir + "/labels.txt", labels);
}

TEST(Proxies, MatchAnIndependentPyTorchReference) {
  // synflow, grad_norm and snip recomputed by tests/torch/proxies_reference.py: Debian's
  // python3-torch on the exported model.py, with the weights and minibatch score_proxy uses.
  // scripts/setup.sh installs python3-torch, so a missing one fails this test.
  const auto has_torch = hwnas::test::run_program("/usr/bin/python3", {"-c", "import torch"});
  ASSERT_EQ(has_torch.exit_code, 0) << "/usr/bin/python3 cannot import torch (scripts/setup.sh installs python3-torch): "
                                    << has_torch.err;
  torch::set_num_threads(1);
  Nb201Space s = small_nb201();
  const ImageSet data = make_synthetic(64, 10, 3, 16, 5);
  MbvOptions mo;
  mo.resolutions = {64};
  mo.num_classes = 10;
  MbvSpace mbv(mo);  // depthwise convs, ReLU6
  const ImageSet mbv_data = make_synthetic(16, 10, 3, 64, 3);
  const ImageSet gray = make_synthetic(32, 10, 1, 16, 2);
  Rng sample(2);
  struct Case {
    const SearchSpace* space;
    Architecture arch;
    bool prune;
    const ImageSet* data;
    int batch;
  };
  std::vector<Case> cases{
      {&s, s.parse("|nor_conv_3x3~0|+|nor_conv_1x1~0|avg_pool_3x3~1|+|skip_connect~0|none~1|nor_conv_3x3~2|"), true, &data, 16},
      {&s, s.parse("|nor_conv_3x3~0|+|nor_conv_3x3~0|nor_conv_3x3~1|+|nor_conv_3x3~0|nor_conv_3x3~1|nor_conv_3x3~2|"), true, &data, 16},
      {&s, s.parse("|avg_pool_3x3~0|+|skip_connect~0|none~1|+|nor_conv_1x1~0|none~1|skip_connect~2|"), true, &data, 16},
      // As built: node 1's conv feeds nothing that reaches the output (no gradient, no score).
      {&s, s.parse("|nor_conv_3x3~0|+|none~0|none~1|+|skip_connect~0|none~1|nor_conv_1x1~2|"), false, &data, 16},
      {&mbv, mbv.sample(sample), true, &mbv_data, 4},
      // Gray images fed to a 3-channel network.
      {&s, s.parse("|nor_conv_3x3~0|+|none~0|none~1|+|skip_connect~0|nor_conv_1x1~1|none~2|"), true, &gray, 8}};
  const std::string root = hwnas::test::scratch_dir();
  std::vector<std::string> args{std::string(HWNAS_SOURCE_DIR) + "/tests/torch/proxies_reference.py"};
  std::vector<std::vector<double>> ours;
  for (std::size_t c = 0; c < cases.size(); ++c) {
    const Case& k = cases[c];
    ProxyOptions po;
    po.batch_size = k.batch;
    po.seed = 7;
    po.prune_dead = k.prune;
    // The minibatch score_proxy draws (nas/torch/proxies.cpp, batches.h): batch_size distinct
    // indices from Rng(seed ^ 0xda7a); the images already have the network's input shape.
    Rng pick(po.seed ^ 0xda7a);
    const auto drawn = pick.distinct_indices(static_cast<std::uint64_t>(k.data->n), static_cast<std::uint64_t>(po.batch_size));
    const std::vector<std::size_t> idx(drawn.begin(), drawn.end());
    const std::string dir = root + "/case" + std::to_string(c);
    ExportOptions eo;
    eo.formats = {"pytorch"};
    eo.decode.prune_dead = po.prune_dead;
    export_architecture(*k.space, k.arch, dir, eo);
    DecodeOptions dopts;
    dopts.prune_dead = po.prune_dead;
    GraphNet net(k.space->decode(k.arch, dopts));
    init_deterministic(*net, po.seed);
    write_reference_inputs(dir, *net, *k.data, idx, 3);
    std::vector<double> scores;
    for (const char* p : {"synflow", "grad_norm", "snip"}) {
      const ProxyResult r = score_proxy(p, *k.space, k.arch, k.data, po);
      ASSERT_TRUE(r.ok) << p << ": " << r.message;
      scores.push_back(r.score);
    }
    ours.push_back(scores);
    args.push_back(dir);
  }
  const auto r = hwnas::test::run_program("/usr/bin/python3", args);
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  std::istringstream lines(r.out);
  for (std::size_t c = 0; c < cases.size(); ++c) {
    std::string dir;
    double ref[3];
    ASSERT_TRUE(static_cast<bool>(lines >> dir >> ref[0] >> ref[1] >> ref[2])) << r.out;
    EXPECT_EQ(dir, root + "/case" + std::to_string(c));
    // synflow runs in float64 in both: equal to round-off. The loss-based scores are float32
    // sums reduced in different orders: equal to ~1e-6 relative.
    EXPECT_GT(ref[0], 0.0);
    const std::string what = cases[c].space->to_string(cases[c].arch);
    EXPECT_NEAR(ours[c][0], ref[0], 1e-9 * ref[0]) << "synflow " << what;
    EXPECT_NEAR(ours[c][1], ref[1], 1e-4 * ref[1]) << "grad_norm " << what;
    EXPECT_NEAR(ours[c][2], ref[2], 1e-4 * ref[2]) << "snip " << what;
  }
}

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

// Synflow on the linearised network: ReLU6 no longer clips the all-ones signal, so the score
// follows depth and expansion, not only the width multiplier (issue #13: it was nearly constant).
TEST(Proxies, SynflowSeparatesMbvNetworksOfOneWidth) {
  torch::set_num_threads(1);
  MbvOptions mo;
  mo.resolutions = {128};
  mo.width_mults = {1.0};
  mo.num_classes = 10;
  MbvSpace s(mo);
  ProxyOptions o;
  Rng rng(11);
  std::vector<double> scores, params;
  for (int i = 0; i < 30; ++i) {
    const Architecture a = s.sample(rng);
    const ProxyResult r = score_proxy("synflow", s, a, nullptr, o);
    ASSERT_TRUE(r.ok) << r.message;
    scores.push_back(std::log10(r.score));
    params.push_back(static_cast<double>(s.count(a).params));
  }
  EXPECT_GE(hwnas::bench::spearman(scores, params), 0.5);
  // Deeper and wider blocks at the same width multiplier: a clearly larger score.
  const double small = score_proxy("synflow", s, s.parse("r128|w1|k3e3,k3e3|k3e3,k3e3|k3e3,k3e3|k3e3,k3e3|k3e3,k3e3"), nullptr, o).score;
  const double large = score_proxy(
      "synflow", s, s.parse("r128|w1|k3e6,k3e6,k3e6,k3e6|k3e6,k3e6,k3e6,k3e6|k3e6,k3e6,k3e6,k3e6|k3e6,k3e6,k3e6,k3e6|k3e6,k3e6,k3e6,k3e6"), nullptr, o).score;
  EXPECT_GT(large, 10 * small) << small << " vs " << large;
}

// A minibatch of distinct images: a repeated image gives two identical Jacobian rows, whose zero
// eigenvalue costs jacob_cov 1/k = 1e5 each (issue #13: -500004 on Fashion-MNIST looked like a
// sentinel). 64 of 64 images drawn with replacement repeat about 23 of them.
TEST(Proxies, JacobCovReadsDistinctImages) {
  torch::set_num_threads(1);
  Nb201Space s = small_nb201();
  const ImageSet data = make_synthetic(64, 10, 3, 16, 5);
  ProxyOptions o;
  o.batch_size = 64;
  o.seed = 3;
  const ProxyResult r = score_proxy("jacob_cov", s, s.parse("|nor_conv_3x3~0|+|nor_conv_1x1~0|avg_pool_3x3~1|+|skip_connect~0|none~1|nor_conv_3x3~2|"), &data, o);
  ASSERT_TRUE(r.ok) << r.message;
  EXPECT_GT(r.score, -1e4);
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
