#include "hwnas/nas/cost.h"
#include "hwnas/nas/search_space.h"
#include "hwnas/core/error.h"

#include <gtest/gtest.h>

using namespace hwnas;

namespace {
OpEdge conv(int cin, int cout, int k, int stride, int groups) {
  OpEdge e;
  e.kind = OpKind::Conv2d;
  e.in_channels = cin;
  e.out_channels = cout;
  e.kernel = k;
  e.stride = stride;
  e.padding = k / 2;
  e.groups = groups;
  return e;
}
}  // namespace

TEST(Cost, DenseAndDepthwiseConvolution) {
  LayerCost c = edge_cost(conv(16, 32, 3, 2, 1), {16, 32, 32});
  EXPECT_EQ(c.output, (TensorShape{32, 16, 16}));
  EXPECT_EQ(c.params, 16 * 32 * 9);
  EXPECT_EQ(c.macs, 16 * 32 * 9 * 256);
  EXPECT_EQ(c.flops, 2 * c.macs);
  EXPECT_EQ(c.input_elements, 16 * 1024);
  EXPECT_EQ(c.output_elements, 32 * 256);
  LayerCost d = edge_cost(conv(48, 48, 5, 1, 48), {48, 14, 14});
  EXPECT_EQ(d.params, 48 * 25);
  EXPECT_EQ(d.macs, 48 * 25 * 196);
  OpEdge biased = conv(4, 8, 1, 1, 1);
  biased.bias = true;
  LayerCost b = edge_cost(biased, {4, 5, 5});
  EXPECT_EQ(b.params, 32 + 8);
  EXPECT_EQ(b.flops, 2 * 32 * 25 + 8 * 25);
}

TEST(Cost, LinearNormPoolAndActivations) {
  OpEdge fc;
  fc.kind = OpKind::Linear;
  fc.in_channels = 64;
  fc.out_channels = 10;
  fc.bias = true;
  LayerCost l = edge_cost(fc, {64, 1, 1});
  EXPECT_EQ(l.params, 650);
  EXPECT_EQ(l.macs, 640);
  EXPECT_EQ(l.flops, 1290);
  OpEdge bn;
  bn.kind = OpKind::BatchNorm;
  bn.in_channels = bn.out_channels = 8;
  LayerCost n = edge_cost(bn, {8, 4, 4});
  EXPECT_EQ(n.params, 16);
  EXPECT_EQ(n.weight_elements, 32);  // gamma, beta, running mean and variance
  EXPECT_EQ(n.flops, 2 * 128);
  bn.affine = false;
  EXPECT_EQ(edge_cost(bn, {8, 4, 4}).params, 0);
  OpEdge pool;
  pool.kind = OpKind::AvgPool;
  pool.kernel = 3;
  pool.padding = 1;
  LayerCost p = edge_cost(pool, {8, 4, 4});
  EXPECT_EQ(p.output, (TensorShape{8, 4, 4}));
  EXPECT_EQ(p.flops, 9 * 128);
  OpEdge relu6;
  relu6.kind = OpKind::ReLU6;
  EXPECT_EQ(edge_cost(relu6, {8, 4, 4}).flops, 256);
  OpEdge gap;
  gap.kind = OpKind::GlobalAvgPool;
  EXPECT_EQ(edge_cost(gap, {8, 4, 4}).output, (TensorShape{8, 1, 1}));
  EXPECT_EQ(add_cost({8, 4, 4}, 3, 0, "n").flops, 2 * 128);
}

TEST(Cost, CountCostsAddsASumPerMultiInputNode) {
  ArchGraph g;
  NodeId in = g.add_node({4, 8, 8}, "in");
  g.set_input(in);
  NodeId a = g.add_node({4, 8, 8}, "a");
  g.add_edge(in, a, conv(4, 4, 3, 1, 1));
  NodeId sum = g.add_node({4, 8, 8}, "sum");
  OpEdge id;
  id.kind = OpKind::Identity;
  g.add_edge(a, sum, conv(4, 4, 1, 1, 1));
  g.add_edge(in, sum, id);
  g.set_output(sum);
  g.validate();
  LayerList l = count_costs(g);
  ASSERT_EQ(l.layers.size(), 4u);
  EXPECT_EQ(l.layers[3].kind, OpKind::Add);
  EXPECT_EQ(l.layers[3].num_inputs, 2);
  EXPECT_EQ(l.totals.params, 4 * 4 * 9 + 16);
  EXPECT_EQ(l.totals.flops, 2 * (144 + 16) * 64 + 256);
  EXPECT_EQ(l.totals.weight_bytes, 4 * l.totals.params);
}

TEST(Cost, GraphRejectsShapeMismatch) {
  ArchGraph g;
  NodeId in = g.add_node({4, 8, 8}, "in");
  NodeId out = g.add_node({4, 8, 8}, "out");
  EXPECT_THROW(g.add_edge(in, out, conv(4, 8, 3, 1, 1)), InternalError);
}

TEST(ArchGraphCopy, CopiesOwnTheirEdges) {
  auto space = make_space("nb201");
  const Architecture a = space->parse("|nor_conv_3x3~0|+|skip_connect~0|avg_pool_3x3~1|+|none~0|nor_conv_1x1~1|skip_connect~2|");
  const LayerList expected = count_costs(space->decode(a));
  ArchGraph copy;
  {
    ArchGraph original = space->decode(a);
    copy = original;                  // assignment
    ArchGraph second(original);       // copy construction
    EXPECT_EQ(count_costs(second).totals, expected.totals);
    std::vector<ArchGraph> many;
    for (int i = 0; i < 5; ++i) many.push_back(space->decode(a));  // moves, and reallocations
    ArchGraph moved(std::move(many[2]));
    many.clear();
    EXPECT_EQ(count_costs(moved).totals, expected.totals);
  }                                   // the originals are gone
  const LayerList got = count_costs(copy);
  EXPECT_EQ(got.totals, expected.totals);
  ASSERT_EQ(got.layers.size(), expected.layers.size());
  for (std::size_t i = 0; i < got.layers.size(); ++i) EXPECT_EQ(got.layers[i].name, expected.layers[i].name);
  copy.validate();
}

TEST(Cost, DilatedConvMaxPoolHSwishSqueezeExciteAndConcat) {
  OpEdge dil = conv(8, 8, 3, 1, 8);
  dil.dilation = 2;
  dil.padding = 2;  // a 3x3 kernel dilated by 2 spans 5x5: padding 2 keeps the size
  LayerCost d = edge_cost(dil, {8, 16, 16});
  EXPECT_EQ(d.output, (TensorShape{8, 16, 16}));
  EXPECT_EQ(d.macs, 8 * 9 * 256);  // dilation spreads the taps, it does not add any
  EXPECT_EQ(d.dilation, 2);
  dil.padding = 1;
  EXPECT_EQ(edge_cost(dil, {8, 16, 16}).output, (TensorShape{8, 14, 14}));
  OpEdge pool;
  pool.kind = OpKind::MaxPool;
  pool.kernel = 3;
  pool.stride = 2;
  pool.padding = 1;
  LayerCost p = edge_cost(pool, {8, 16, 16});
  EXPECT_EQ(p.output, (TensorShape{8, 8, 8}));
  EXPECT_EQ(p.flops, 8 * 64 * 8);  // 8 comparisons per output element
  OpEdge hs;
  hs.kind = OpKind::HSwish;
  EXPECT_EQ(edge_cost(hs, {4, 3, 3}).flops, 5 * 36);
  OpEdge se;
  se.kind = OpKind::SqueezeExcite;
  se.in_channels = se.out_channels = 32;
  se.hidden = 8;
  LayerCost s = edge_cost(se, {32, 4, 4});
  EXPECT_EQ(s.output, (TensorShape{32, 4, 4}));
  EXPECT_EQ(s.params, 2 * 32 * 8 + 8 + 32);
  EXPECT_EQ(s.macs, 2 * 32 * 8);
  EXPECT_EQ(s.flops, 2 * s.macs + 8 + 32 + 512 + 8 + 3 * 32 + 512);
  // A concat node: its inputs' channels add up; the concatenation copies, no FLOPs.
  ArchGraph g;
  const NodeId x = g.add_node({4, 6, 6}, "x");
  const NodeId a = g.add_node({2, 6, 6}, "a");
  const NodeId c = g.add_concat_node({6, 6, 6}, "cat");
  g.set_input(x);
  g.set_output(c);
  g.add_edge(x, a, conv(4, 2, 1, 1, 1));
  OpEdge id;
  id.kind = OpKind::Identity;
  g.add_edge(x, c, id);
  g.add_edge(a, c, id);
  g.validate();
  const LayerList l = count_costs(g);
  ASSERT_EQ(l.layers.size(), 4u);
  EXPECT_EQ(l.layers.back().kind, OpKind::Concat);
  EXPECT_EQ(l.layers.back().flops, 0);
  EXPECT_EQ(l.layers.back().output_elements, 6 * 36);
  OpEdge too_many = conv(4, 4, 1, 1, 1);
  EXPECT_THROW(g.add_edge(x, c, too_many), std::exception);  // 10 channels into a 6-channel concat
}
