#include "hwnas/nas/spaces/nb201.h"

#include <gtest/gtest.h>

#include "support/errors.h"

#include <set>

#include "hwnas/core/error.h"

using namespace hwnas;
using hwnas::test::error_of;

namespace {
const char* kAllConv = "|nor_conv_3x3~0|+|nor_conv_3x3~0|nor_conv_3x3~1|+|nor_conv_3x3~0|nor_conv_3x3~1|nor_conv_3x3~2|";
const char* kSkipOnly = "|none~0|+|none~0|none~1|+|skip_connect~0|none~1|none~2|";

// The fast paths against the graph walk: totals, and every field of every layer in order.
void expect_fast_paths_equal_graph_walk(const Nb201Space& s, const Architecture& a, const DecodeOptions& o) {
  const LayerList walk = count_costs(s.decode(a, o));
  ASSERT_EQ(s.count(a, o), walk.totals) << s.to_string(a);
  const LayerList fast = s.layers(a, o);
  ASSERT_EQ(fast.totals, walk.totals) << s.to_string(a);
  ASSERT_EQ(fast.layers.size(), walk.layers.size()) << s.to_string(a);
  for (std::size_t i = 0; i < walk.layers.size(); ++i) {
    const LayerCost &f = fast.layers[i], &w = walk.layers[i];
    ASSERT_EQ(f.name, w.name) << s.to_string(a) << " layer " << i;
    ASSERT_TRUE(f.kind == w.kind && f.cell == w.cell && f.input == w.input && f.output == w.output &&
                f.kernel == w.kernel && f.stride == w.stride && f.groups == w.groups && f.num_inputs == w.num_inputs &&
                f.params == w.params && f.macs == w.macs && f.flops == w.flops && f.input_elements == w.input_elements &&
                f.output_elements == w.output_elements && f.weight_elements == w.weight_elements)
        << s.to_string(a) << " layer " << w.name;
  }
}

}  // namespace

TEST(Nb201, ReferenceCountsMatchNasBench201) {
  Nb201Space s(Nb201Options{});
  for (bool prune : {true, false}) {
    DecodeOptions o;
    o.prune_dead = prune;
    const CostTotals conv = s.count(s.parse(kAllConv), o);
    EXPECT_EQ(conv.params, 1531546);
    EXPECT_EQ(conv.macs, 220119680);
    const CostTotals skip = s.count(s.parse(kSkipOnly), o);
    EXPECT_EQ(skip.params, 73306);
    EXPECT_EQ(skip.macs, 7783040);
  }
}

TEST(Nb201, FlopsFollowTheDocumentedConvention) {
  Nb201Space s(Nb201Options{});
  // Skip-only cells: every FLOP is in the skeleton. Hand count (per sample):
  //  convs+linear 2*MACs = 15,566,080; linear bias 10;
  //  BN: stem 16*32*32, reduce1 2*(32*16*16), reduce2 2*(64*8*8), head 64*8*8 -> x2 flops/elem
  //  ReLU: reduce1 16*32*32 + 32*16*16, reduce2 32*16*16 + 64*8*8, head 64*8*8
  //  AvgPool 2x2: 4*(16*16*16) + 4*(32*8*8); reduction adds 32*16*16 + 64*8*8; global pool 64*8*8.
  const std::int64_t bn = 2 * (16 * 1024 + 2 * 32 * 256 + 2 * 64 * 64 + 64 * 64);
  const std::int64_t relu = 16 * 1024 + 32 * 256 + 32 * 256 + 64 * 64 + 64 * 64;
  const std::int64_t pool = 4 * 16 * 256 + 4 * 32 * 64;
  const std::int64_t adds = 32 * 256 + 64 * 64;
  const std::int64_t gap = 64 * 64;
  EXPECT_EQ(s.count(s.parse(kSkipOnly)).flops, 2 * 7783040 + 10 + bn + relu + pool + adds + gap);
}

TEST(Nb201, StringRoundTripOverTheWholeSpace) {
  Nb201Space s(Nb201Options{});
  std::size_t n = 0;
  s.enumerate([&](const Architecture& a) {
    ASSERT_EQ(s.parse(s.to_string(a)), a);
    ++n;
  });
  EXPECT_EQ(n, 15625u);
  EXPECT_EQ(s.size(), 15625.0);
}

TEST(Nb201, FastCountAndLayersEqualGraphWalkForEveryArchitecture) {
  Nb201Space s(Nb201Options{});
  for (bool prune : {true, false}) {
    DecodeOptions o;
    o.prune_dead = prune;
    s.enumerate([&](const Architecture& a) { expect_fast_paths_equal_graph_walk(s, a, o); });
  }
}

TEST(Nb201, FastCountMatchesGraphWithOtherOptions) {
  Nb201Options opts;
  opts.channels = 8;
  opts.cells_per_stage = 2;
  opts.input_size = 16;
  opts.num_classes = 100;
  opts.ops = {"none", "nor_conv_3x3", "avg_pool_3x3"};
  Nb201Space s(opts);
  EXPECT_EQ(s.size(), 729.0);
  for (bool prune : {true, false}) {
    DecodeOptions o;
    o.prune_dead = prune;
    s.enumerate([&](const Architecture& a) { expect_fast_paths_equal_graph_walk(s, a, o); });
  }
}

TEST(Nb201, DeadEdgesArePrunedOnlyWhenAsked) {
  Nb201Space s(Nb201Options{});
  // Node 1 gets a conv from the input but feeds nothing: its conv is dead.
  const Architecture a = s.parse("|nor_conv_3x3~0|+|none~0|none~1|+|skip_connect~0|none~1|none~2|");
  DecodeOptions keep;
  keep.prune_dead = false;
  EXPECT_EQ(s.count(a).params, 73306);
  EXPECT_EQ(s.count(a, keep).params, 73306 + 15 * 0 + 5 * (16 * 16 * 9 + 32) + 5 * (32 * 32 * 9 + 64) + 5 * (64 * 64 * 9 + 128));
  // An edge out of a node with no input is dead too (its input is all zeros).
  const Architecture b = s.parse("|none~0|+|none~0|nor_conv_1x1~1|+|skip_connect~0|none~1|nor_conv_1x1~2|");
  EXPECT_EQ(s.count(b).params, 73306);
  EXPECT_GT(s.count(b, keep).params, 73306);
  // As built, each of the 4 `none` edges of a is a Zero op in each of the 15 cells; pruned, the
  // only Zero ops are nodes left without inputs (none here: node 1 and node 3 have one each).
  auto zeros = [](const LayerList& l) {
    return std::count_if(l.layers.begin(), l.layers.end(), [](const LayerCost& x) { return x.kind == OpKind::Zero; });
  };
  EXPECT_EQ(zeros(s.layers(a, keep)), 60);
  EXPECT_EQ(zeros(s.layers(a)), 0);
}

TEST(Nb201, CanonicalHashEqualForEquivalentArchitectures) {
  Nb201Space s(Nb201Options{});
  auto h = [&](const char* str) { return s.canonical_hash(s.parse(str)); };
  // Dead edges with different ops.
  EXPECT_EQ(h("|nor_conv_3x3~0|+|none~0|none~1|+|skip_connect~0|none~1|none~2|"),
            h("|avg_pool_3x3~0|+|none~0|none~1|+|skip_connect~0|none~1|none~2|"));
  EXPECT_EQ(h("|nor_conv_3x3~0|+|none~0|none~1|+|skip_connect~0|none~1|none~2|"), h(kSkipOnly));
  // Cell output unreachable: every such cell is the zero cell.
  EXPECT_EQ(h("|nor_conv_3x3~0|+|nor_conv_1x1~0|none~1|+|none~0|none~1|none~2|"),
            h("|none~0|+|none~0|none~1|+|none~0|none~1|none~2|"));
  // Nodes 1 and 2 interchangeable when no edge joins them.
  EXPECT_EQ(h("|nor_conv_3x3~0|+|avg_pool_3x3~0|none~1|+|skip_connect~0|nor_conv_1x1~1|skip_connect~2|"),
            h("|avg_pool_3x3~0|+|nor_conv_3x3~0|none~1|+|skip_connect~0|skip_connect~1|nor_conv_1x1~2|"));
  // ...but not when edge (2,1) joins them.
  EXPECT_NE(h("|nor_conv_3x3~0|+|avg_pool_3x3~0|skip_connect~1|+|skip_connect~0|nor_conv_1x1~1|skip_connect~2|"),
            h("|avg_pool_3x3~0|+|nor_conv_3x3~0|skip_connect~1|+|skip_connect~0|skip_connect~1|nor_conv_1x1~2|"));
  EXPECT_NE(h(kAllConv), h(kSkipOnly));
  // A node whose only input is a skip connection is that input: conv(skip(x)) == conv(x).
  EXPECT_EQ(h("|skip_connect~0|+|none~0|none~1|+|none~0|nor_conv_3x3~1|none~2|"),
            h("|none~0|+|none~0|none~1|+|nor_conv_3x3~0|none~1|none~2|"));
  EXPECT_EQ(h("|skip_connect~0|+|none~0|avg_pool_3x3~1|+|none~0|none~1|nor_conv_1x1~2|"),
            h("|avg_pool_3x3~0|+|none~0|nor_conv_1x1~1|+|none~0|none~1|skip_connect~2|"));
  // ...but a skip summed with another input is not merged.
  EXPECT_NE(h("|skip_connect~0|+|none~0|none~1|+|skip_connect~0|nor_conv_3x3~1|none~2|"),
            h("|none~0|+|none~0|none~1|+|nor_conv_3x3~0|none~1|none~2|"));
  Nb201Space space(Nb201Options{});
  EXPECT_EQ(space.structure_key(space.parse("|skip_connect~0|+|none~0|none~1|+|none~0|nor_conv_3x3~1|none~2|")),
            "0>o:nor_conv_3x3");
  EXPECT_EQ(space.structure_key(space.parse("|none~0|+|none~0|none~1|+|none~0|none~1|none~2|")), "zero");
  EXPECT_EQ(space.structure_key(space.parse(kSkipOnly)), "identity");
}

TEST(Nb201, CanonicalFormsPreserveCountsAndAreIdempotent) {
  Nb201Space s(Nb201Options{});
  std::set<std::uint64_t> distinct;
  s.enumerate([&](const Architecture& a) {
    const Architecture c = s.canonicalize(a);
    ASSERT_EQ(s.canonicalize(c), c);
    ASSERT_EQ(s.count(c), s.count(a)) << s.to_string(a);  // pruned counts are invariant
    distinct.insert(s.canonical_hash(a));
  });
  // Dead-edge pruning, skip merging and node interchange leave 6,985 classes (8,765 without skip
  // merging). NAS-Bench-201's own 6,466 also merges cells that compute the same expression with
  // different weights (one conv feeding two paths vs two convs), which differ in params; we keep
  // those apart.
  EXPECT_EQ(distinct.size(), 6985u);
}

TEST(Nb201, ParseErrorsNameTokenPositionAndExpectation) {
  Nb201Space s(Nb201Options{});
  EXPECT_EQ(error_of([&] { s.parse("|nor_conv_5x5~0|+|none~0|none~1|+|none~0|none~1|none~2|"); }),
            "nb201 architecture string, position 2 ('nor_conv_5x5~0'): unknown op 'nor_conv_5x5' (valid: none, "
            "skip_connect, nor_conv_1x1, nor_conv_3x3, avg_pool_3x3)");
  EXPECT_EQ(error_of([&] { s.parse("|none~0|+|none~1|none~1|+|none~0|none~1|none~2|"); }),
            "nb201 architecture string, position 16 ('none~1'): edge into node 2 must come from node 0, got '~1'");
  EXPECT_EQ(error_of([&] { s.parse("|none~0|+|none~0|none~1|"); }),
            "nb201 architecture string, position 25: expected '+' before the inputs of node 3");
  EXPECT_EQ(error_of([&] { s.parse("|none~0|+|none~0|none~1|+|none~0|none~1|none~2|x"); }),
            "nb201 architecture string, position 48 ('x'): unexpected text after the last node");
  EXPECT_EQ(error_of([&] { s.parse("none~0"); }), "nb201 architecture string, position 1 ('n'): expected '|'");
  EXPECT_EQ(error_of([&] { s.parse("|none0|+|none~0|none~1|+|none~0|none~1|none~2|"); }),
            "nb201 architecture string, position 2 ('none0'): expected 'op~0' for edge (1,0)");
  EXPECT_EQ(error_of([&] { s.parse(""); }), "nb201 architecture string, position 1: expected '|'");
  EXPECT_EQ(error_of([&] { s.parse("|none~0"); }), "nb201 architecture string, position 2 ('none~0'): expected 'op~0|'");
}

TEST(Nb201, OptionErrorsNameTheField) {
  EXPECT_EQ(error_of([] { Nb201Options::from_json({{"channel", 8}}, "cfg.json: space.options"); }),
            "cfg.json: space.options.channel: unknown key; did you mean 'channels'? (expected one of: cells_per_stage, channels, input_channels, "
            "input_size, num_classes, ops)");
  EXPECT_EQ(error_of([] { Nb201Options::from_json({{"channels", "8"}}, "space.options"); }),
            "space.options.channels: expected an integer, got string \"8\"");
  EXPECT_EQ(error_of([] { Nb201Options::from_json({{"channels", 0}}, "space.options"); }),
            "space.options.channels: expected an integer in 1..4096, got 0");
  EXPECT_EQ(error_of([] { Nb201Options::from_json({{"input_size", 30}}, "space.options"); }),
            "space.options.input_size: expected a multiple of 4 in 4..4096 (two stride-2 reductions), got 30");
  EXPECT_EQ(error_of([] { Nb201Options::from_json({{"ops", {"none", "conv"}}}, "space.options"); }),
            "space.options.ops[1]: unknown op 'conv' (valid: none, skip_connect, nor_conv_1x1, nor_conv_3x3, avg_pool_3x3)");
}

TEST(Nb201, GraphShapesFollowTheSkeleton) {
  Nb201Space s(Nb201Options{});
  ArchGraph g = s.decode(s.parse(kAllConv));
  g.validate();
  EXPECT_EQ(g.node(g.input()).shape, (TensorShape{3, 32, 32}));
  EXPECT_EQ(g.node(g.output()).shape, (TensorShape{10, 1, 1}));
  // 15 cells x 6 edges x 3 ops + stem 2 + reductions 2x8 + head 4.
  EXPECT_EQ(g.num_edges(), 15u * 18 + 2 + 16 + 4);
}

TEST(Nb201, DegenerateExactlyWhenNoLiveEdgePathCrossesTheCell) {
  // Oracle on the cell alone: node 3 is reached from node 0 through non-`none` edges. Every
  // stage repeats the cell, so the network's output depends on its input exactly then.
  Nb201Space s(Nb201Options{});
  const int kEnds[6][2] = {{1, 0}, {2, 0}, {2, 1}, {3, 0}, {3, 1}, {3, 2}};
  std::size_t degenerate = 0;
  DecodeOptions keep;
  keep.prune_dead = false;
  s.enumerate([&](const Architecture& a) {
    bool reach[4] = {true, false, false, false};
    for (int k = 0; k < 6; ++k)
      if (s.opts().ops[a.choices[k]] != "none" && reach[kEnds[k][1]]) reach[kEnds[k][0]] = true;
    const bool live = reach[3];
    ASSERT_EQ(s.decode(a).output_depends_on_input(), live) << s.to_string(a);
    ASSERT_EQ(s.decode(a, keep).output_depends_on_input(), live) << s.to_string(a);
    ASSERT_EQ(s.output_depends_on_input(a), live) << s.to_string(a);  // the fast path
    degenerate += !live;
  });
  EXPECT_GT(degenerate, 0u);
  EXPECT_LT(degenerate, 15625u / 4);
}
