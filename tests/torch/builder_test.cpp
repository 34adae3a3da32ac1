#include "hwnas/nas/torch_builder.h"

#include <gtest/gtest.h>

#include "hwnas/nas/spaces/graph_space.h"
#include "hwnas/nas/spaces/mbv.h"
#include "hwnas/nas/spaces/nb201.h"
#include "support/paths.h"

using namespace hwnas;

namespace {

// MACs of conv and linear layers computed from the tensors a forward pass actually produced:
// weight entries times output positions. Independent of cost.cpp's shape arithmetic.
std::int64_t macs_from_forward(GraphNet& net, const torch::Tensor& x) {
  const std::vector<torch::Tensor> values = net->forward_all(x);
  std::int64_t macs = 0;
  for (std::size_t e = 0; e < net->num_edges(); ++e) {
    const OpKind k = net->edge_kind(e);
    if (k != OpKind::Conv2d && k != OpKind::Linear) continue;
    const torch::Tensor w = net->edge_module(e)->named_parameters()["weight"];
    const torch::Tensor& out = values[net->edge_target(e)];
    macs += w.numel() * out.size(2) * out.size(3);
  }
  return macs;
}

void check_space(const SearchSpace& space, int n, std::uint64_t seed, int batch, bool forward_all_archs) {
  torch::NoGradGuard no_grad;
  torch::set_num_threads(1);
  Rng rng(seed);
  for (int i = 0; i < n; ++i) {
    const Architecture a = space.sample(rng);
    for (bool prune : {true, false}) {
      DecodeOptions o;
      o.prune_dead = prune;
      const ArchGraph g = space.decode(a, o);
      const CostTotals counted = count_costs(g).totals;
      GraphNet net(g);
      ASSERT_EQ(net->num_parameters(), counted.params) << space.to_string(a) << " prune=" << prune;
      if (!forward_all_archs && i % 10 != 0) continue;
      net->eval();
      const TensorShape in = g.node(g.input()).shape;
      const torch::Tensor x = torch::randn({batch, in.c, in.h, in.w});
      const torch::Tensor y = net->forward(x);
      const TensorShape out = g.node(g.output()).shape;
      ASSERT_EQ(y.sizes(), (std::vector<std::int64_t>{batch, out.c})) << space.to_string(a);
      ASSERT_TRUE(torch::isfinite(y).all().item<bool>()) << space.to_string(a);
      ASSERT_EQ(macs_from_forward(net, x), counted.macs) << space.to_string(a);
    }
  }
}

}  // namespace

TEST(Builder, Nb201ParamsShapesAndMacsFor200RandomArchitectures) {
  Nb201Space space(Nb201Options{});
  check_space(space, 200, 1, 2, true);
}

TEST(Builder, MbvParamsFor200RandomArchitecturesAndForwardOnATenth) {
  MbvSpace space(MbvOptions{});
  check_space(space, 200, 2, 1, false);
}

TEST(Builder, MbvForwardFor200RandomSmallArchitectures) {
  MbvOptions o;
  o.resolutions = {64, 96};
  o.num_classes = 10;
  MbvSpace space(o);
  check_space(space, 200, 3, 2, true);
}

// mbv written as a space file (configs/spaces/mbv.json) builds, for 1,000 random architectures,
// the native space's modules: the same parameter count (checked against the counted one too), and
// a forward pass of the native net's output shape. At small inputs, so the 1,000 forward passes stay cheap; the graphs are
// compared edge for edge at the default options in tests/nas/graph_space_test.cpp.
TEST(Builder, MbvFileBuildsTheNativeModulesFor1000RandomArchitectures) {
  torch::NoGradGuard no_grad;
  torch::set_num_threads(1);
  MbvOptions o;
  o.resolutions = {64, 96};
  o.num_classes = 10;
  MbvSpace native(o);
  auto file = make_space_from_file(std::string(HWNAS_SOURCE_DIR) + "/configs/spaces/mbv.json",
                                   nlohmann::json::parse(R"({"input": {"size": [64, 96]}, "num_classes": 10})"));
  Rng rng(4);
  for (int i = 0; i < 1000; ++i) {
    const Architecture a = native.sample(rng);
    const std::string s = native.to_string(a);
    const ArchGraph g = file->decode(file->parse(s));
    GraphNet from_file(g), from_native(native.decode(a));
    ASSERT_EQ(from_file->num_parameters(), from_native->num_parameters()) << s;
    ASSERT_EQ(from_file->num_parameters(), count_costs(g).totals.params) << s;
    from_file->eval();
    const TensorShape in = g.node(g.input()).shape;
    const torch::Tensor y = from_file->forward(torch::randn({1, in.c, in.h, in.w}));
    ASSERT_EQ(y.sizes(), (std::vector<std::int64_t>{1, 10})) << s;  // the native net's, tested above
  }
}

// Concatenating cells (DARTS) and squeeze-excite blocks build and run: parameters as counted,
// forward shapes, MACs from the tensors (for the space without squeeze-excite, whose MACs the
// forward-based count does not see).
TEST(Builder, ConcatCellsAndSqueezeExciteBlocksBuildAndRun) {
  nlohmann::json darts = nlohmann::json::parse(R"({"stages": [{"channels": 8, "cells": 1}, {"channels": 16, "cells": 1}]})");
  auto d = make_space_from_file(std::string(HWNAS_SOURCE_DIR) + "/configs/spaces/darts_cell.json", darts);
  check_space(*d, 20, 5, 2, true);
  auto m = make_space_from_file(std::string(HWNAS_SOURCE_DIR) + "/configs/spaces/mbv.json",
                                nlohmann::json::parse(R"({"input": {"size": [64]}, "num_classes": 10})"));
  nlohmann::json se = m->options();
  for (auto& st : se["stages"]) st["block"]["se"] = {false, true}, st["block"]["activation"] = {"relu6", "hswish"};
  auto s = make_space("graph", se);
  torch::NoGradGuard no_grad;
  Rng rng(6);
  for (int i = 0; i < 20; ++i) {
    const Architecture a = s->sample(rng);
    const ArchGraph g = s->decode(a);
    GraphNet net(g);
    ASSERT_EQ(net->num_parameters(), count_costs(g).totals.params) << s->to_string(a);
    net->eval();
    ASSERT_EQ(net->forward(torch::randn({2, 3, 64, 64})).sizes(), (std::vector<std::int64_t>{2, 10})) << s->to_string(a);
  }
}

TEST(Builder, Nb201ReferenceParameterCounts) {
  Nb201Space s(Nb201Options{});
  GraphNet all_conv(s.decode(
      s.parse("|nor_conv_3x3~0|+|nor_conv_3x3~0|nor_conv_3x3~1|+|nor_conv_3x3~0|nor_conv_3x3~1|nor_conv_3x3~2|")));
  EXPECT_EQ(all_conv->num_parameters(), 1531546);
  GraphNet skip(s.decode(s.parse("|none~0|+|none~0|none~1|+|skip_connect~0|none~1|none~2|")));
  EXPECT_EQ(skip->num_parameters(), 73306);
}

TEST(Builder, ZeroCellGivesFiniteConstantOutput) {
  Nb201Space s(Nb201Options{});
  torch::NoGradGuard no_grad;
  GraphNet net(s.decode(s.parse("|none~0|+|none~0|none~1|+|none~0|none~1|none~2|")));
  net->eval();
  const torch::Tensor y = net->forward(torch::randn({3, 3, 32, 32}));
  ASSERT_EQ(y.sizes(), (std::vector<std::int64_t>{3, 10}));
  EXPECT_TRUE(torch::isfinite(y).all().item<bool>());
  // The cells output zeros, so every input gives the same logits.
  EXPECT_TRUE(torch::allclose(y[0], y[1]));
}
