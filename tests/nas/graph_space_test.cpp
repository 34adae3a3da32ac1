#include "hwnas/nas/spaces/graph_space.h"

#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <functional>
#include <fstream>
#include <map>
#include <set>

#include "hwnas/core/error.h"
#include "hwnas/core/json_reader.h"
#include "hwnas/nas/spaces/mbv.h"
#include "hwnas/nas/spaces/nb201.h"
#include "support/errors.h"
#include "support/paths.h"

using namespace hwnas;
using hwnas::test::error_of;

namespace {

const std::string kNb201File = std::string(HWNAS_SOURCE_DIR) + "/configs/spaces/nb201.json";
const std::string kResnetFile = std::string(HWNAS_SOURCE_DIR) + "/configs/spaces/resnet_macro.json";
const std::string kMbvFile = std::string(HWNAS_SOURCE_DIR) + "/configs/spaces/mbv.json";
const std::string kDartsFile = std::string(HWNAS_SOURCE_DIR) + "/configs/spaces/darts_cell.json";

// A small space of block stages, broken one field at a time by the error tests.
nlohmann::json small_block_spec() {
  return nlohmann::json::parse(R"({
    "format": "hwnas-space/1",
    "input": {"channels": 3, "size": [16, 24]},
    "num_classes": 10,
    "stem": [{"layer": "conv", "kernel": 3, "stride": 2}, {"layer": "bn"}, {"layer": "relu6"}],
    "stages": [
      {"channels": 8, "depth": [1, 2], "block": {"layer": "mbconv", "kernel": [3, 5], "expand": 3}},
      {"channels": 16, "stride": 2, "depth": 2, "block": {"layer": "mbconv", "expand": [1, 6]}}
    ],
    "head": [{"layer": "global_avg_pool"}, {"layer": "linear"}]
  })");
}

// A small valid description that the error tests break one field at a time.
nlohmann::json small_spec() {
  return nlohmann::json::parse(R"({
    "format": "hwnas-space/1",
    "input": {"channels": 3, "size": 16},
    "num_classes": 10,
    "ops": {
      "none": [{"layer": "zero"}],
      "skip": [{"layer": "identity"}],
      "conv3": [{"layer": "relu"}, {"layer": "conv", "kernel": 3}, {"layer": "bn"}]
    },
    "cell": {"nodes": 3, "edges": [
      {"from": 0, "to": 1, "ops": ["conv3", "skip"]},
      {"from": 0, "to": 2, "ops": ["none", "skip"]},
      {"from": 1, "to": 2, "ops": ["conv3", "none"]}
    ]},
    "stem": [{"layer": "conv", "kernel": 3}, {"layer": "bn"}],
    "stages": [{"channels": 8, "cells": 1}, {"channels": 16, "cells": 1}],
    "reduction": [{"layer": "conv", "kernel": 3, "stride": 2}, {"layer": "bn"}],
    "head": [{"layer": "global_avg_pool"}, {"layer": "linear"}]
  })");
}

// The same decisions, named and labelled alike, in the same order.
void expect_same_decisions(const SearchSpace& file, const SearchSpace& native) {
  ASSERT_EQ(file.decisions().size(), native.decisions().size());
  for (std::size_t i = 0; i < native.decisions().size(); ++i) {
    EXPECT_EQ(file.decisions()[i].name, native.decisions()[i].name);
    EXPECT_EQ(file.decisions()[i].choices, native.decisions()[i].choices);
  }
}

std::string spec_error(const nlohmann::json& j) {
  return error_of([&] { GraphSpace s(j, "my.json: "); });
}

}  // namespace

// The issue's acceptance test: nb201 written as a space file is NAS-Bench-201, architecture by
// architecture, against the native implementation (whose counts are tested against the
// published benchmark in nb201_test.cpp).
TEST(GraphSpace, Nb201FileEqualsNativeNb201OverTheWholeSpace) {
  auto file = make_space_from_file(kNb201File);
  Nb201Space native(Nb201Options{});
  expect_same_decisions(*file, native);
  ASSERT_EQ(file->size(), 15625);
  std::map<std::uint64_t, std::uint64_t> native_to_file, file_to_native;  // canonical hashes, both ways
  std::size_t n = 0, differ_as_built = 0;
  DecodeOptions as_built;
  as_built.prune_dead = false;
  native.enumerate([&](const Architecture& a) {
    ++n;
    const std::string s = native.to_string(a);
    ASSERT_EQ(file->to_string(a), s);
    ASSERT_EQ(file->parse(s), a) << s;
    const CostTotals pruned = native.count(a);
    ASSERT_EQ(file->count(a), pruned) << s;
    const CostTotals built = native.count(a, as_built);
    ASSERT_EQ(file->count(a, as_built), built) << s;
    differ_as_built += !(built == pruned);
    ASSERT_EQ(file->output_depends_on_input(a), native.output_depends_on_input(a)) << s;
    // The file space's own fast paths against its own graph walk.
    const ArchGraph g = file->decode(a);
    ASSERT_EQ(count_costs(g).totals, pruned) << s;
    ASSERT_EQ(g.output_depends_on_input(), native.output_depends_on_input(a)) << s;
    ASSERT_EQ(count_costs(file->decode(a, as_built)).totals, built) << s;
    const std::uint64_t hn = native.canonical_hash(a), hf = file->canonical_hash(a);
    auto [it1, new1] = native_to_file.emplace(hn, hf);
    ASSERT_EQ(it1->second, hf) << s << ": one native class split in the file space";
    auto [it2, new2] = file_to_native.emplace(hf, hn);
    ASSERT_EQ(it2->second, hn) << s << ": two native classes merged in the file space";
  });
  EXPECT_EQ(n, 15625u);
  EXPECT_EQ(native_to_file.size(), file_to_native.size());
  EXPECT_GT(native_to_file.size(), 1000u);  // the classes are not trivially one per architecture
  EXPECT_LT(native_to_file.size(), 15625u);
  EXPECT_GT(differ_as_built, 0u);  // pruning matters somewhere, so both modes were exercised
}

TEST(GraphSpace, Nb201FileLayersMatchNativeLayerByLayer) {
  auto file = make_space_from_file(kNb201File);
  Nb201Space native(Nb201Options{});
  std::size_t k = 0;
  native.enumerate([&](const Architecture& a) {
    if (k++ % 97 != 0) return;
    for (bool prune : {true, false}) {
      DecodeOptions o;
      o.prune_dead = prune;
      const LayerList f = file->layers(a, o), w = native.layers(a, o);
      ASSERT_EQ(f.layers.size(), w.layers.size()) << native.to_string(a);
      for (std::size_t i = 0; i < w.layers.size(); ++i) {
        const LayerCost &x = f.layers[i], &y = w.layers[i];
        ASSERT_TRUE(x.kind == y.kind && x.cell == y.cell && x.input == y.input && x.output == y.output &&
                    x.kernel == y.kernel && x.stride == y.stride && x.groups == y.groups && x.params == y.params &&
                    x.macs == y.macs && x.flops == y.flops && x.weight_elements == y.weight_elements)
            << native.to_string(a) << " layer " << i << " " << x.name << " vs " << y.name;
      }
    }
  });
}

TEST(GraphSpace, OptionsAreAMergePatchOverTheFileAndTheSpaceRebuildsFromItsOptions) {
  const auto patch = nlohmann::json::parse(R"({"stages": [{"channels": 8, "cells": 1}], "reduction": null})");
  auto s = make_space_from_file(kNb201File, patch);
  const Architecture a = s->parse("|nor_conv_3x3~0|+|none~0|skip_connect~1|+|none~0|none~1|nor_conv_1x1~2|");
  // One stage of one cell at 8 channels: stem conv 3->8 (216) + bn (16) + conv3 (576+16) + conv1 (64+16)
  // + head bn (16) + linear 8->10 (90).
  EXPECT_EQ(s->count(a).params, 216 + 16 + 576 + 16 + 64 + 16 + 16 + 90);
  // The options of a graph space are its description: make_space("graph", ...) rebuilds it.
  auto again = make_space(s->name(), s->options());
  EXPECT_EQ(again->count(a), s->count(a));
  EXPECT_EQ(again->canonical_hash(a), s->canonical_hash(a));
  auto bad = patch;
  bad["bogus"] = 1;
  EXPECT_EQ(error_of([&] { make_space_from_file(kNb201File, bad); }),
            kNb201File + " (with the space options merged in): bogus: unknown key (expected one of: $schema, cell, format, "
                         "head, input, name, num_classes, ops, reduction, stages, stem, width_mult)");
}

TEST(GraphSpace, LargeSpacesCanonicalizeByResettingDeadChoices) {
  // Per-stage decisions make nb201 15625^3 architectures: too many for the class table.
  auto s = make_space_from_file(kNb201File, nlohmann::json::parse(R"({"cell": {"decisions": "per_stage"}})"));
  ASSERT_EQ(s->decisions().size(), 18u);
  EXPECT_EQ(s->decisions()[6].name, "stage1.edge(1,0)");
  const std::string cell_a = "|none~0|+|nor_conv_3x3~0|none~1|+|skip_connect~0|none~1|nor_conv_3x3~2|";
  const std::string cell_b = "|avg_pool_3x3~0|+|nor_conv_3x3~0|none~1|+|skip_connect~0|none~1|nor_conv_3x3~2|";
  const std::string cell_c = "|avg_pool_3x3~0|+|nor_conv_3x3~0|nor_conv_1x1~1|+|skip_connect~0|none~1|nor_conv_3x3~2|";
  const Architecture a = s->parse(cell_a + "/" + cell_a + "/" + cell_a);
  const Architecture b = s->parse(cell_a + "/" + cell_b + "/" + cell_a);  // edge (1,0) is dead in cell_a: 1 feeds nothing
  const Architecture c = s->parse(cell_a + "/" + cell_c + "/" + cell_a);  // (2,1) makes it live
  EXPECT_EQ(s->to_string(b), cell_a + "/" + cell_b + "/" + cell_a);
  EXPECT_EQ(s->canonical_hash(a), s->canonical_hash(b));
  EXPECT_EQ(s->count(a), s->count(b));
  EXPECT_NE(s->canonical_hash(a), s->canonical_hash(c));
  EXPECT_NE(s->count(a), s->count(c));
  EXPECT_EQ(s->canonicalize(b), s->canonicalize(a));
  EXPECT_EQ(error_of([&] { s->parse(cell_a + "/" + cell_a); }),
            "graph space architecture string, position " + std::to_string(2 * cell_a.size() + 2) +
                ": expected '/' before the cell of stage 2");
}

TEST(GraphSpace, TiedEdgesShareOneDecision) {
  nlohmann::json j = small_spec();
  j["cell"]["choices"] = {{"body", {"conv3", "skip"}}};
  j["cell"]["edges"][0] = {{"from", 0}, {"to", 1}, {"choice", "body"}};
  j["cell"]["edges"][2] = {{"from", 1}, {"to", 2}, {"choice", "body"}};
  GraphSpace s(j, "t.json: ");
  ASSERT_EQ(s.decisions().size(), 2u);
  EXPECT_EQ(s.decisions()[0].name, "body");
  EXPECT_EQ(s.decisions()[1].name, "edge(2,0)");
  const Architecture a = s.parse("|skip~0|+|none~0|skip~1|");
  EXPECT_EQ(a.choices, (std::vector<int>{1, 0}));
  EXPECT_EQ(error_of([&] { s.parse("|skip~0|+|none~0|conv3~1|"); }),
            "graph space architecture string, position 18 ('conv3~1'): edge node 1 -> node 2 shares the choice list "
            "'body' with an earlier edge, which chose 'skip'");
}

TEST(GraphSpace, ResnetMacroSpaceDecodesEveryStageItsOwnWay) {
  auto s = make_space_from_file(kResnetFile);
  EXPECT_EQ(s->decisions().size(), 9u);
  Rng rng(7);
  std::set<std::int64_t> params;
  for (int i = 0; i < 200; ++i) {
    const Architecture a = s->sample(rng);
    const ArchGraph g = s->decode(a);
    g.validate();
    EXPECT_EQ(g.node(g.output()).shape, (TensorShape{10, 1, 1}));
    EXPECT_EQ(s->count(a), count_costs(g).totals);
    DecodeOptions as_built;
    as_built.prune_dead = false;
    EXPECT_EQ(s->count(a, as_built), count_costs(s->decode(a, as_built)).totals);
    EXPECT_EQ(s->output_depends_on_input(a), g.output_depends_on_input());
    EXPECT_EQ(s->parse(s->to_string(a)), a);
    params.insert(s->count(a).params);
  }
  EXPECT_GT(params.size(), 50u);
}

// The two decoders must build the same network: the same ops with the same shapes in the same
// order, and the same node shapes (names differ: "head.classifier" is "head.linear" in the file).
void expect_same_graph(const ArchGraph& x, const ArchGraph& y, const std::string& what) {
  ASSERT_EQ(x.num_nodes(), y.num_nodes()) << what;
  ASSERT_EQ(x.num_edges(), y.num_edges()) << what;
  for (std::size_t i = 0; i < x.edges_in_order().size(); ++i) {
    const EdgeId ex = x.edges_in_order()[i], ey = y.edges_in_order()[i];
    const OpEdge &a = x.edge(ex), &b = y.edge(ey);
    ASSERT_TRUE(a.kind == b.kind && a.in_channels == b.in_channels && a.out_channels == b.out_channels &&
                a.kernel == b.kernel && a.stride == b.stride && a.padding == b.padding && a.groups == b.groups &&
                a.bias == b.bias && a.affine == b.affine && a.cell == b.cell)
        << what << ": edge " << i << " " << a.name << " vs " << b.name;
    ASSERT_EQ(boost::source(ex, x.graph()), boost::source(ey, y.graph())) << what << ": edge " << i;
    ASSERT_EQ(boost::target(ex, x.graph()), boost::target(ey, y.graph())) << what << ": edge " << i;
  }
  for (std::size_t n = 0; n < x.num_nodes(); ++n) ASSERT_EQ(x.node(n).shape, y.node(n).shape) << what << ": node " << n;
  ASSERT_EQ(x.input(), y.input()) << what;
  ASSERT_EQ(x.output(), y.output()) << what;
}

// The issue's acceptance test for mbv: the space file is the native space, decision for decision,
// on 1,000 random architectures: the same string, the same graph (and so the same counts, layers
// and LibTorch modules, tests/torch/builder_test.cpp), the same canonical classes. The native
// space builds its networks from its options written as a description (mbv_description), so the
// graphs are compared to that; the file is that description, and the native string, parser and
// canonical form are compared to the file's.
TEST(GraphSpace, MbvFileIsTheNativeDescription) {
  nlohmann::json file = read_json_file(kMbvFile);
  file.erase("$schema");
  EXPECT_EQ(file, mbv_description(MbvOptions{}));
}

TEST(GraphSpace, MbvFileEqualsNativeMbvOn1000RandomArchitectures) {
  auto file = make_space_from_file(kMbvFile);
  MbvSpace native(MbvOptions{});
  expect_same_decisions(*file, native);
  EXPECT_EQ(file->size(), native.size());
  Rng rng(11);
  std::map<std::uint64_t, std::uint64_t> native_to_file, file_to_native;
  std::set<std::int64_t> params;
  for (int i = 0; i < 1000; ++i) {
    // Every other architecture with its unused blocks' choices scrambled, so the canonical form
    // has work to do.
    const Architecture a = native.sample(rng);
    const std::string s = native.to_string(a);
    ASSERT_EQ(file->to_string(a), s);
    ASSERT_EQ(file->parse(s), native.parse(s)) << s;
    ASSERT_EQ(file->canonicalize(a), native.canonicalize(a)) << s;
    const ArchGraph g = file->decode(a);
    expect_same_graph(g, native.decode(a), s);
    const CostTotals c = native.count(a);
    ASSERT_EQ(file->count(a), c) << s;
    ASSERT_EQ(count_costs(g).totals, c) << s;
    ASSERT_TRUE(file->output_depends_on_input(a));
    params.insert(c.params);
    const std::uint64_t hn = native.canonical_hash(a), hf = file->canonical_hash(a);
    ASSERT_EQ(native_to_file.emplace(hn, hf).first->second, hf) << s << ": one native class split in the file space";
    ASSERT_EQ(file_to_native.emplace(hf, hn).first->second, hn) << s << ": two native classes merged in the file space";
  }
  EXPECT_GT(params.size(), 900u);  // the sample covers the space, not one corner of it
}

TEST(GraphSpace, MbvFileFollowsOptionsLikeTheNativeSpace) {
  // The same change written as mbv options and as a merge patch over the file.
  MbvOptions o;
  o.resolutions = {64, 96};
  o.width_mults = {0.5, 1.5};
  o.depths = {1, 2};
  o.num_classes = 10;
  MbvSpace native(o);
  auto file = make_space_from_file(kMbvFile, nlohmann::json::parse(R"({"input": {"size": [64, 96]}, "num_classes": 10,
      "width_mult": {"values": [0.5, 1.5]},
      "stages": [
        {"channels": 24,  "stride": 2, "depth": [1, 2], "block": {"layer": "mbconv", "kernel": [3, 5, 7], "expand": [3, 4, 6]}},
        {"channels": 40,  "stride": 2, "depth": [1, 2], "block": {"layer": "mbconv", "kernel": [3, 5, 7], "expand": [3, 4, 6]}},
        {"channels": 80,  "stride": 2, "depth": [1, 2], "block": {"layer": "mbconv", "kernel": [3, 5, 7], "expand": [3, 4, 6]}},
        {"channels": 112, "stride": 1, "depth": [1, 2], "block": {"layer": "mbconv", "kernel": [3, 5, 7], "expand": [3, 4, 6]}},
        {"channels": 160, "stride": 2, "depth": [1, 2], "block": {"layer": "mbconv", "kernel": [3, 5, 7], "expand": [3, 4, 6]}}
      ]})"));
  Rng rng(5);
  for (int i = 0; i < 200; ++i) {
    const Architecture a = native.sample(rng);
    ASSERT_EQ(file->to_string(a), native.to_string(a));
    expect_same_graph(file->decode(a), native.decode(a), native.to_string(a));
  }
  // The options of a graph space are its description: the space rebuilds from them.
  auto again = make_space(file->name(), file->options());
  const Architecture a = file->parse("r64|w1.5|k3e6|k5e3,k7e4|k3e3|k3e3,k3e3|k7e6");
  EXPECT_EQ(again->count(a), native.count(a));
}

TEST(GraphSpace, BlockSpaceLayersEqualTheGraphWalkLayerByLayer) {
  // Block spaces cost a network from kept per-piece layer lists (stem, each block, head) without
  // building its graph; it must be count_costs(decode(a)), every field of every layer, in order.
  // Spaces: mbv (native and as a file), mbv with width multipliers and two resolutions, and a
  // small block space with squeeze-excite and activation decisions.
  nlohmann::json se = small_block_spec();
  se["stages"][1]["block"]["se"] = {false, true};
  se["stages"][1]["block"]["activation"] = {"relu6", "hswish"};
  MbvOptions wide;
  wide.resolutions = {64, 96};
  wide.width_mults = {0.5, 1.5};
  std::vector<std::unique_ptr<SearchSpace>> spaces;
  spaces.push_back(std::make_unique<MbvSpace>(MbvOptions{}));
  spaces.push_back(make_space_from_file(kMbvFile));
  spaces.push_back(std::make_unique<MbvSpace>(wide));
  spaces.push_back(std::make_unique<GraphSpace>(se, "se.json: "));
  for (const auto& space : spaces) {
    Rng rng(13);
    for (int i = 0; i < 300; ++i) {
      const Architecture a = space->sample(rng);
      const std::string s = space->to_string(a);
      const LayerList fast = space->layers(a), walk = count_costs(space->decode(a));
      ASSERT_EQ(fast.totals, walk.totals) << s;
      ASSERT_EQ(space->count(a), walk.totals) << s;
      ASSERT_EQ(fast.layers.size(), walk.layers.size()) << s;
      for (std::size_t k = 0; k < walk.layers.size(); ++k) {
        const LayerCost &x = fast.layers[k], &y = walk.layers[k];
        ASSERT_TRUE(x.kind == y.kind && x.name == y.name && x.cell == y.cell && x.input == y.input &&
                    x.output == y.output && x.kernel == y.kernel && x.stride == y.stride && x.groups == y.groups &&
                    x.dilation == y.dilation && x.num_inputs == y.num_inputs && x.params == y.params &&
                    x.macs == y.macs && x.flops == y.flops && x.input_elements == y.input_elements &&
                    x.output_elements == y.output_elements && x.weight_elements == y.weight_elements)
            << s << " layer " << k << " " << x.name << " vs " << y.name;
      }
    }
  }
}

TEST(GraphSpace, BlockStagesWithFixedValuesAndDepthOnlyStrings) {
  auto s = std::make_unique<GraphSpace>(small_block_spec(), "my.json: ");
  // resolution, then stage 0: depth, block0 kernel, block1 kernel; stage 1: block0/1 expand.
  ASSERT_EQ(s->decisions().size(), 6u);
  EXPECT_EQ(s->decisions()[1].name, "stage0.depth");
  EXPECT_EQ(s->decisions()[5].name, "stage1.block1.expand");
  EXPECT_EQ(s->size(), 2.0 * 2 * 2 * 2 * 2 * 2);
  const Architecture a = s->parse("r24|k5|e6,e1");
  EXPECT_EQ(s->to_string(a), "r24|k5|e6,e1");
  // Stage 0 at depth 1: its second block's kernel is unused, so the canonical form resets it.
  Architecture b = a;
  b.choices[3] = 1;
  EXPECT_EQ(s->to_string(b), s->to_string(a));
  EXPECT_EQ(s->canonicalize(b), s->canonicalize(a));
  EXPECT_EQ(s->canonical_hash(b), s->canonical_hash(a));
  const ArchGraph g = s->decode(a);
  g.validate();
  EXPECT_EQ(g.node(g.output()).shape, (TensorShape{10, 1, 1}));
  EXPECT_EQ(s->count(a), count_costs(g).totals);
  // Stage 1 expands 8 -> 48 in its first block (stride 2, no shortcut); the second block has
  // expand 1 (no expansion conv) and a shortcut (16 -> 16, stride 1).
  int expansions = 0, shortcuts = 0;
  for (EdgeId e : g.edges_in_order()) {
    const OpEdge& op = g.edge(e);
    expansions += op.name.find(".expand.conv") != std::string::npos;
    shortcuts += op.kind == OpKind::Identity;
  }
  EXPECT_EQ(expansions, 1 + 1);  // stage 0's one block (expand 3) and stage 1's first
  EXPECT_EQ(shortcuts, 2);       // stage 0's block (8 -> 8, stride 1) and stage 1's second
  // h-swish costs 5 FLOPs per element where ReLU6 costs 2: the stem's 8x12x12 output (input 24,
  // stride 2), and in every block the expansion and depthwise outputs.
  nlohmann::json h = small_block_spec();
  h["stem"][2]["layer"] = "hswish";
  auto hs = std::make_unique<GraphSpace>(h, "my.json: ");
  EXPECT_EQ(hs->count(a).flops - s->count(a).flops, 3 * 8 * 12 * 12);
  EXPECT_EQ(hs->count(a).params, s->count(a).params);
  h["stages"][1]["block"]["activation"] = "hswish";
  auto hb = std::make_unique<GraphSpace>(h, "my.json: ");
  // Stage 1: block 0 (expand 6, stride 2) on 8x12x12: expansion 48x12x12, depthwise 48x6x6;
  // block 1 (expand 1): depthwise 16x6x6 only.
  EXPECT_EQ(hb->count(a).flops - hs->count(a).flops, 3 * (48 * 12 * 12 + 48 * 6 * 6 + 16 * 6 * 6));
  // Only a depth decided: the stage's field is "d<depth>".
  nlohmann::json j = small_block_spec();
  j["stages"][0]["block"]["kernel"] = 3;
  auto d = std::make_unique<GraphSpace>(j, "my.json: ");
  EXPECT_EQ(d->to_string(d->parse("r16|d2|e1,e6")), "r16|d2|e1,e6");
}

TEST(GraphSpace, BlockStringErrorsNameThePosition) {
  auto s = make_space_from_file(kMbvFile);
  EXPECT_EQ(error_of([&] { s->parse("r224|w1|k3e6"); }),
            "graph space architecture string, position 1: expected 7 fields separated by '|' (resolution, width "
            "multiplier, 5 stages), got 3");
  EXPECT_EQ(error_of([&] { s->parse("r225|w1|k3e6,k3e6|k3e6,k3e6|k3e6,k3e6|k3e6,k3e6|k3e6,k3e6"); }),
            "graph space architecture string, position 1 ('r225'): resolution 225 is not a choice (valid: 128, 160, 192, 224)");
  EXPECT_EQ(error_of([&] { s->parse("r224|w1|k3e6,k3e6|k3e6,k4e6|k3e6,k3e6|k3e6,k3e6|k3e6,k3e6"); }),
            "graph space architecture string, position 24 ('k4e6'): kernel size 4 is not a choice (valid: 3, 5, 7)");
  EXPECT_EQ(error_of([&] { s->parse("r224|w1|k3e6|k3e6,k3e6|k3e6,k3e6|k3e6,k3e6|k3e6,k3e6"); }),
            "graph space architecture string, position 9 ('k3e6'): stage 0 has 1 blocks; the depth must be one of 2, 3, 4");
  EXPECT_EQ(error_of([&] { s->parse("r224|w2|k3e6,k3e6|k3e6,k3e6|k3e6,k3e6|k3e6,k3e6|k3e6,k3e6"); }),
            "graph space architecture string, position 6 ('w2'): width multiplier 2 is not a choice (valid: 0.75, 1, 1.25)");
  EXPECT_EQ(error_of([&] { s->parse("r224|w1|k3e6x,k3e6|k3e6,k3e6|k3e6,k3e6|k3e6,k3e6|k3e6,k3e6"); }),
            "graph space architecture string, position 13 ('k3e6x'): unexpected text after block 0 of stage 0");
  EXPECT_EQ(error_of([&] { s->parse("r224|w1|e6k3,k3e6|k3e6,k3e6|k3e6,k3e6|k3e6,k3e6|k3e6,k3e6"); }),
            "graph space architecture string, position 9 ('e6k3'): expected 'k' and the kernel size, e.g. 'k3'");
}

// Squeeze-excite and the activation as decisions per block: in the string, the graph and the
// canonical form.
TEST(GraphSpace, BlockSqueezeExciteAndActivationDecisions) {
  nlohmann::json j = small_block_spec();
  j["stages"][1]["block"]["se"] = {false, true};
  j["stages"][1]["block"]["activation"] = {"relu6", "hswish"};
  auto s = std::make_unique<GraphSpace>(j, "my.json: ");
  // resolution; stage 0: depth, 2 kernels; stage 1: 2 blocks x (expand, se, activation).
  ASSERT_EQ(s->decisions().size(), 1u + 3 + 6);
  EXPECT_EQ(s->decisions()[5].name, "stage1.block0.se");
  EXPECT_EQ(s->decisions()[6].name, "stage1.block0.activation");
  EXPECT_EQ(s->decisions()[6].choices, (std::vector<std::string>{"relu6", "hswish"}));
  const Architecture a = s->parse("r24|k5,k3|e6s1_hswish,e1s0_relu6");
  EXPECT_EQ(s->to_string(a), "r24|k5,k3|e6s1_hswish,e1s0_relu6");
  const ArchGraph g = s->decode(a);
  g.validate();
  int se = 0, hswish = 0, relu6 = 0;
  for (EdgeId e : g.edges_in_order()) {
    const OpEdge& op = g.edge(e);
    if (op.cell < 2) continue;  // stage 1's blocks are blocks 2 and 3 (stage 0 has depth 2)
    se += op.kind == OpKind::SqueezeExcite;
    hswish += op.kind == OpKind::HSwish;
    relu6 += op.kind == OpKind::ReLU6;
    if (op.kind == OpKind::SqueezeExcite) {
      EXPECT_EQ(op.in_channels, 48);  // 8 x expand 6
      EXPECT_EQ(op.hidden, 16);       // make_divisible(48 / 4)
    }
  }
  EXPECT_EQ(se, 1);
  EXPECT_EQ(hswish, 2);  // block 2: expansion and depthwise activations
  EXPECT_EQ(relu6, 1);   // block 3 (expand 1): the depthwise one
  EXPECT_EQ(s->count(a), count_costs(g).totals);
  // The squeeze-excite's parameters: 2 * 48 * 16 + 16 + 48.
  Architecture off = a;
  off.choices[5] = 0;
  EXPECT_EQ(s->count(a).params - s->count(off).params, 2 * 48 * 16 + 16 + 48);
  EXPECT_EQ(error_of([&] { s->parse("r24|k5,k3|e6s1_gelu,e1s0_relu6"); }),
            "graph space architecture string, position 16 ('e6s1_gelu'): activation 'gelu' is not a choice (valid: relu6, "
            "hswish)");
  EXPECT_EQ(error_of([&] { s->parse("r24|k5,k3|e6s2_relu6,e1s0_relu6"); }),
            "graph space architecture string, position 11 ('e6s2_relu6'): squeeze-excite (0 or 1) 2 is not a choice (valid: "
            "0, 1)");
  j["stages"][1]["block"]["se"] = {true, true};
  EXPECT_EQ(spec_error(j), "my.json: stages[1].block.se[1]: true is listed twice");
}

// A DARTS-like cell: 4 intermediate nodes, their concatenation projected back by a 1x1 conv.
TEST(GraphSpace, DartsCellConcatenatesItsNodesAndProjects) {
  auto s = make_space_from_file(kDartsFile);
  auto* gs = dynamic_cast<GraphSpace*>(s.get());
  ASSERT_NE(gs, nullptr);
  EXPECT_EQ(s->decisions().size(), 10u);
  EXPECT_EQ(s->size(), 7.0 * std::pow(8.0, 9));
  Rng rng(3);
  std::set<std::int64_t> params;
  for (int i = 0; i < 200; ++i) {
    const Architecture a = s->sample(rng);
    for (bool prune : {true, false}) {
      DecodeOptions o;
      o.prune_dead = prune;
      const ArchGraph g = s->decode(a, o);
      g.validate();
      ASSERT_EQ(s->count(a, o), count_costs(g).totals) << s->to_string(a) << " prune=" << prune;
      int concats = 0;
      for (NodeId n = 0; n < g.num_nodes(); ++n)
        if (g.node(n).concat) {
          ++concats;
          EXPECT_EQ(g.in_edges(n).size(), 4u);
          EXPECT_EQ(g.node(n).shape.c % 64, 0);  // 4 x 16, 32 or 64 channels
        }
      EXPECT_EQ(concats, 6);  // 3 stages x 2 cells
    }
    EXPECT_EQ(s->output_depends_on_input(a), s->decode(a).output_depends_on_input());
    EXPECT_EQ(s->parse(s->to_string(a)), a);
    params.insert(s->count(a).params);
  }
  EXPECT_GT(params.size(), 20u);  // params depend only on how many sep convs of each size are live
  // Nodes 1 and 2 both read only node 0 and are both concatenated: swapping their ops is the
  // same network (the projection absorbs the channel order), so one structure class.
  const std::string rest = "+|skip_connect~0|none~1|none~2|+|skip_connect~0|none~1|none~2|none~3|";
  const Architecture x = s->parse("|sep_conv_3x3~0|+|avg_pool_3x3~0|none~1|" + rest);
  const Architecture y = s->parse("|avg_pool_3x3~0|+|sep_conv_3x3~0|none~1|" + rest);
  EXPECT_EQ(gs->structure_key(x), gs->structure_key(y));
  EXPECT_EQ(s->count(x), s->count(y));
  // ... but feeding node 2 from node 1 is another network.
  const Architecture z = s->parse("|sep_conv_3x3~0|+|avg_pool_3x3~0|skip_connect~1|" + rest);
  EXPECT_NE(gs->structure_key(x), gs->structure_key(z));
}

TEST(GraphSpace, SmallConcatCellClassesAndErrors) {
  nlohmann::json j = small_spec();
  j["cell"]["output"] = nlohmann::json::parse(R"({"concat": [1, 2], "project": [{"layer": "conv", "kernel": 1}, {"layer": "bn"}]})");
  auto s = std::make_unique<GraphSpace>(j, "my.json: ");
  // 8 architectures, few enough for the class table: every member maps to its class's smallest.
  std::map<std::string, std::set<std::uint64_t>> hashes_by_key;
  s->enumerate([&](const Architecture& a) {
    hashes_by_key[s->structure_key(a)].insert(s->canonical_hash(a));
    EXPECT_EQ(s->count(a), count_costs(s->decode(a)).totals) << s->to_string(a);
    EXPECT_EQ(s->output_depends_on_input(a), s->decode(a).output_depends_on_input()) << s->to_string(a);
  });
  for (const auto& [key, hashes] : hashes_by_key) EXPECT_EQ(hashes.size(), 1u) << key;
  // 1 = skip(0), 2 = skip(0) + none(1): both the input; 1 = skip(0), 2 = none(0) + none(1): 2 is
  // zeros, so the output is the projection of (x, 0), a class of its own.
  EXPECT_EQ(s->structure_key(s->parse("|skip~0|+|skip~0|none~1|")), s->structure_key(s->parse("|skip~0|+|skip~0|none~1|")));
  EXPECT_NE(s->structure_key(s->parse("|skip~0|+|skip~0|none~1|")), s->structure_key(s->parse("|skip~0|+|none~0|none~1|")));

  auto err = [&](const std::function<void(nlohmann::json&)>& edit) {
    nlohmann::json k = j;
    edit(k);
    return spec_error(k);
  };
  EXPECT_EQ(err([](auto& k) { k["cell"]["output"]["concat"] = {0, 2}; }),
            "my.json: cell.output.concat[0]: expected a node in 1..2 (node 0 is the cell input), got 0");
  EXPECT_EQ(err([](auto& k) { k["cell"]["output"]["concat"] = {2, 2}; }), "my.json: cell.output.concat[1]: node 2 is listed twice");
  EXPECT_EQ(err([](auto& k) { k["cell"]["output"].erase("project"); }),
            "my.json: cell.output.project: required field is missing (the layers from the concatenation back to the cell's "
            "channels, e.g. [{\"layer\": \"relu\"}, {\"layer\": \"conv\", \"kernel\": 1}, {\"layer\": \"bn\"}])");
  EXPECT_EQ(err([](auto& k) { k["cell"]["output"]["project"] = {{{"layer", "bn"}}}; }),
            "my.json: cell.output.project: shape mismatch: in stages[0] it turns the concatenation's 16x16x16 into 16x16x16, "
            "expected the cell's 8x16x16");
  EXPECT_EQ(err([](auto& k) {
              k["cell"]["output"]["concat"] = {2};
            }),
            "my.json: cell.output.concat: expected 2..16 nodes, got 1");
  EXPECT_EQ(err([](auto& k) {
              k["cell"]["nodes"] = 4;
              k["cell"]["edges"].push_back({{"from", 1}, {"to", 3}, {"ops", {"conv3"}}});
            }),
            "my.json: cell.edges: node 3 has no outgoing edge and is not in output.concat, so it can never reach the cell output");
}

TEST(GraphSpace, ParseErrorsNameThePositionAndSuggest) {
  auto s = make_space_from_file(kNb201File);
  EXPECT_EQ(error_of([&] { s->parse("|nor_conv_3x4~0|+|none~0|none~1|+|none~0|none~1|none~2|"); }),
            "graph space architecture string, position 2 ('nor_conv_3x4~0'): unknown op 'nor_conv_3x4' for edge node 0 -> "
            "node 1; did you mean 'nor_conv_3x3'? (valid: none, skip_connect, nor_conv_1x1, nor_conv_3x3, avg_pool_3x3)");
  EXPECT_EQ(error_of([&] { s->parse("|none~0|+|none~1|none~1|+|none~0|none~1|none~2|"); }),
            "graph space architecture string, position 16 ('none~1'): edge into node 2 must come from node 0, got '~1'");
}

// --- errors in the description: the file, the JSON path, and the node or edge at fault -----------

TEST(GraphSpaceErrors, Cycle) {
  nlohmann::json j = small_spec();
  j["cell"]["nodes"] = 4;
  j["cell"]["edges"].push_back({{"from", 2}, {"to", 3}, {"ops", {"conv3"}}});
  j["cell"]["edges"].push_back({{"from", 3}, {"to", 1}, {"ops", {"conv3"}}});
  EXPECT_EQ(spec_error(j), "my.json: cell.edges: cycle: node 1 -> node 2 -> node 3 -> node 1; a cell is a DAG");
  j = small_spec();
  j["cell"]["edges"][1] = {{"from", 2}, {"to", 2}, {"ops", {"skip"}}};
  EXPECT_EQ(spec_error(j), "my.json: cell.edges[1]: cycle: edge node 2 -> node 2 is a loop onto its own node");
}

TEST(GraphSpaceErrors, EdgeGoingBackwards) {
  nlohmann::json j = small_spec();
  j["cell"]["edges"][2] = {{"from", 2}, {"to", 1}, {"ops", {"conv3"}}};
  EXPECT_EQ(spec_error(j), "my.json: cell.edges[2]: edge node 2 -> node 1 goes backwards; number the nodes in topological "
                           "order (0 is the cell input, 2 its output)");
}

TEST(GraphSpaceErrors, UnknownOpSuggestsTheNearestName) {
  nlohmann::json j = small_spec();
  j["cell"]["edges"][2]["ops"] = {"conv3", "conv_3"};
  EXPECT_EQ(spec_error(j), "my.json: cell.edges[2].ops[1]: unknown op 'conv_3' (edge node 1 -> node 2); did you mean "
                           "'conv3'? (ops defined: conv3, none, skip)");
  j = small_spec();
  j["ops"]["conv3"][1]["layer"] = "cnv";
  EXPECT_EQ(spec_error(j), "my.json: ops.conv3[1].layer: unknown layer 'cnv'; did you mean 'conv'? (known: conv, bn, relu, "
                           "relu6, avg_pool, global_avg_pool, linear, identity, zero, mbconv, hswish, max_pool)");
}

TEST(GraphSpaceErrors, ShapeMismatch) {
  nlohmann::json j = small_spec();
  j["ops"]["conv3"][1]["stride"] = 2;
  EXPECT_EQ(spec_error(j), "my.json: ops.conv3: shape mismatch: on edge node 0 -> node 1 of the cell in stages[0] it turns "
                           "8x16x16 into 8x8x8; a cell op must keep its node's shape (channels and stride change in the "
                           "reduction block)");
  j = small_spec();
  j["reduction"] = nlohmann::json::parse(
      R"({"paths": [[{"layer": "conv", "kernel": 3, "stride": 2}], [{"layer": "conv", "kernel": 1}]]})");
  EXPECT_EQ(spec_error(j), "my.json: reduction.paths[1]: shape mismatch: this path ends in 16x16x16 but paths[0] ends in "
                           "16x8x8, between stages 0 and 1; the paths of a block are summed and must agree");
  j = small_spec();
  j.erase("reduction");
  EXPECT_EQ(spec_error(j), "my.json: stages[1].channels: shape mismatch: 16 channels after a stage of 8, and there is no "
                           "reduction block to change them");
  j = small_spec();
  j["ops"]["conv3"][1]["groups"] = 3;
  EXPECT_EQ(spec_error(j), "my.json: ops.conv3[1] (conv on edge node 0 -> node 1 in stages[0]): groups 3 must divide the "
                           "input channels (8) and the output channels (8)");
  j = small_spec();
  j["head"] = {{{"layer", "linear"}}};
  EXPECT_EQ(spec_error(j), "my.json: head[0] (linear): linear needs a Cx1x1 input, got 16x8x8 (add a global_avg_pool "
                           "before it)");
}

TEST(GraphSpaceErrors, EmptyChoiceListAndUnusedDecision) {
  nlohmann::json j = small_spec();
  j["cell"]["edges"][1]["ops"] = nlohmann::json::array();
  EXPECT_EQ(spec_error(j), "my.json: cell.edges[1].ops: empty choice list (edge node 0 -> node 2); give at least one op");
  j = small_spec();
  j["cell"]["choices"] = {{"spare", {"conv3", "skip"}}};
  EXPECT_EQ(spec_error(j), "my.json: cell.choices.spare: a decision nothing uses: no edge of cell.edges names this choice "
                           "list");
  j = small_spec();
  j["cell"]["edges"][1] = {{"from", 0}, {"to", 2}, {"choice", "bdy"}};
  j["cell"]["choices"] = {{"body", {"conv3", "skip"}}};
  EXPECT_EQ(spec_error(j), "my.json: cell.edges[1].choice: unknown choice list 'bdy' (edge node 0 -> node 2); did you "
                           "mean 'body'?");
}

TEST(GraphSpaceErrors, StructureAndBounds) {
  nlohmann::json j = small_spec();
  j["cell"]["edges"].erase(2);
  j["cell"]["edges"].push_back({{"from", 0}, {"to", 2}, {"ops", {"skip"}}});
  EXPECT_EQ(spec_error(j), "my.json: cell.edges[2]: edge node 0 -> node 2 duplicates cell.edges[1] (one edge per pair of "
                           "nodes; its op list is the choice)");
  j = small_spec();
  j["cell"]["edges"].erase(2);
  EXPECT_EQ(spec_error(j), "my.json: cell.edges: node 1 has no outgoing edge, so it can never reach the cell output "
                           "(node 2)");
  j = small_spec();
  j["cell"]["combine"] = "concat";
  EXPECT_EQ(spec_error(j), "my.json: cell.combine: expected \"sum\" (node inputs are summed; to concatenate nodes at the cell "
                           "output, as DARTS does, give \"output\": {\"concat\": [1, 2, ...], \"project\": [...]}), got "
                           "\"concat\"");
  j = small_spec();
  j["stages"][0]["cells"] = 1000000;
  EXPECT_EQ(spec_error(j), "my.json: stages[0].cells: expected an integer in 1..64, got 1000000");
  j = small_spec();
  j["cell"]["edges"][0]["fromm"] = 0;
  EXPECT_EQ(spec_error(j), "my.json: cell.edges[0].fromm: unknown key; did you mean 'from'? (expected one of: choice, from, "
                           "ops, to)");
  j = small_spec();
  j["input"]["size"] = 4096;
  j["stages"] = nlohmann::json::parse(R"([{"channels": 4096, "cells": 64}, {"channels": 4096, "cells": 64}])");
  j.erase("reduction");
  // A 3x3 conv of 4096 channels on 4096x4096 is 2 * 4096^3 * 9 * 4096 = 5.1e15 FLOPs; 2 stages x
  // 64 cells x 2 such edges (edge 1->2 can be conv3 too) already make 1.3e18.
  const std::string big = spec_error(j);
  EXPECT_EQ(big.rfind("my.json: stages: the largest network of this space would need up to ", 0), 0u) << big;
  EXPECT_NE(big.find(" FLOPs plus activation bytes, beyond what hwnas counts exactly (1e18)"), std::string::npos) << big;
  j = small_spec();
  j["ops"]["skip"] = {{{"layer", "identity"}}, {{"layer", "zero"}}};
  EXPECT_EQ(spec_error(j), "my.json: ops.skip[1]: a zero layer must be the op's only layer");
  EXPECT_EQ(error_of([] { make_space("graph"); }), "space.options.format: required field is missing");
}

TEST(GraphSpaceErrors, BlockStages) {
  auto err = [](const std::function<void(nlohmann::json&)>& edit) {
    nlohmann::json j = small_block_spec();
    edit(j);
    return spec_error(j);
  };
  EXPECT_EQ(err([](auto& j) { j["stages"][0]["cells"] = 2; }),
            "my.json: stages[0].cells: this space has no cell to repeat; give \"depth\" and \"block\" (an inverted "
            "residual), or add a \"cell\"");
  EXPECT_EQ(err([](auto& j) { j["stages"][1]["block"]["kernel"] = {3, 4}; }),
            "my.json: stages[1].block.kernel[1]: expected an odd kernel size, got 4");
  EXPECT_EQ(err([](auto& j) { j["stages"][0]["depth"] = nlohmann::json::array(); }),
            "my.json: stages[0].depth: empty choice list; give at least one value (or a number for a fixed value)");
  EXPECT_EQ(err([](auto& j) { j["stages"][0]["depth"] = {1, 1}; }), "my.json: stages[0].depth[1]: value 1 is listed twice");
  EXPECT_EQ(err([](auto& j) { j["stages"][0]["block"]["layer"] = "mbcnv"; }),
            "my.json: stages[0].block.layer: unknown block 'mbcnv'; did you mean 'mbconv'? (known: mbconv, the inverted "
            "residual)");
  EXPECT_EQ(err([](auto& j) { j["stages"][0].erase("block"); }),
            "my.json: stages[0].block: required field is missing (e.g. {\"layer\": \"mbconv\", \"kernel\": [3, 5], "
            "\"expand\": [3, 6]})");
  EXPECT_EQ(err([](auto& j) { j["stages"][0]["block"]["activation"] = "gelu"; }),
            "my.json: stages[0].block.activation: expected \"relu6\", \"relu\" or \"hswish\", got \"gelu\"");
  EXPECT_EQ(err([](auto& j) { j["reduction"] = {{{"layer", "bn"}}}; }),
            "my.json: reduction: a space of block stages changes shape in each stage's first block (its stride and "
            "channels) and has no reduction block");
  EXPECT_EQ(err([](auto& j) { j["ops"] = {{"skip", {{{"layer", "identity"}}}}}; }),
            "my.json: ops: only a cell's edges choose from the op library, and this space has no cell (its stages are "
            "block stages); remove \"ops\" or add a \"cell\"");
  EXPECT_EQ(err([](auto& j) {
              j["input"]["size"] = 16;
              j["stages"][0]["depth"] = 1;
              j["stages"][0]["block"]["kernel"] = 3;
              j["stages"][1]["block"]["expand"] = 6;
            }),
            "my.json: stages: this space has no decision: give a list for input.size, width_mult.values, or a stage's depth "
            "or its block's kernel, expand, se or activation");
  EXPECT_EQ(err([](auto& j) { j["width_mult"] = {{"values", {1.0, 0.0}}}; }),
            "my.json: width_mult.values[1]: expected a number in (0, 8], got 0");
  EXPECT_EQ(err([](auto& j) {
              j["stem"][0]["depthwise"] = true;
              j["stem"][0]["out"] = 8;
            }),
            "my.json: stem[0].depthwise: a depthwise conv has one group per input channel and as many outputs; leave out "
            "\"groups\" and \"out\"");
  EXPECT_EQ(err([](auto& j) { j["head"] = {{{"layer", "global_avg_pool"}}}; }),
            "my.json: head: shape mismatch: the head ends in 16x1x1, expected 10x1x1 (num_classes logits)");
  EXPECT_EQ(err([](auto& j) {
              j["stem"] = {{"paths", {{{{"layer", "mbconv"}, {"out", 8}}}, nlohmann::json::array()}}};
            }),
            "my.json: stem.paths[0][0]: an mbconv is a block with its own shortcut; use it in a block written as a list of "
            "layers, not in paths");
  const std::string huge = err([](auto& j) {
    j["input"]["size"] = 4096;
    j["stem"][0]["stride"] = 1;
    j["stem"][0]["out"] = 16384;
    j["stages"][0]["block"]["expand"] = 16;
  });
  EXPECT_EQ(huge.rfind("my.json: stages[0].block: this mbconv would need about ", 0), 0u) << huge;
  // Block features in a cell space, and cells in a block space.
  nlohmann::json j = small_spec();
  j["stages"][0]["depth"] = 2;
  EXPECT_EQ(spec_error(j), "my.json: stages[0].depth: this space has a cell, so each stage repeats it (\"cells\"); block "
                           "stages (\"depth\", \"stride\", \"block\") belong in a space without a cell");
  j = small_spec();
  j["input"]["size"] = {16, 32};
  EXPECT_EQ(spec_error(j), "my.json: input.size: a list of sizes (a resolution decision) needs a space of block stages; a "
                           "cell space has one input size");
  j = small_spec();
  j["width_mult"] = {{"values", {1.0}}};
  EXPECT_EQ(spec_error(j), "my.json: width_mult: a width multiplier needs a space of block stages; a cell space has fixed "
                           "channels");
  j = small_spec();
  j["ops"]["conv3"][1] = {{"layer", "mbconv"}};
  EXPECT_EQ(spec_error(j), "my.json: ops.conv3[1]: an mbconv is a block with its own shortcut; use it in a block stage or "
                           "the stem/head, not in a cell op");
}

TEST(GraphSpaceErrors, FileErrorsNameTheFile) {
  const std::string dir = std::string(HWNAS_TEST_TMP) + "/graph_space_file_errors";
  std::filesystem::create_directories(dir);
  nlohmann::json j = small_spec();
  j["cell"]["edges"][0]["ops"] = {"conv5"};
  std::ofstream(dir + "/bad.json") << j.dump(2);
  EXPECT_EQ(error_of([&] { make_space_from_file(dir + "/bad.json"); }),
            dir + "/bad.json: cell.edges[0].ops[0]: unknown op 'conv5' (edge node 0 -> node 1); did you mean 'conv3'? (ops "
                  "defined: conv3, none, skip)");
  std::ofstream(dir + "/syntax.json") << "{\"format\": ";
  EXPECT_NE(error_of([&] { make_space_from_file(dir + "/syntax.json"); }).find(dir + "/syntax.json"), std::string::npos);
  EXPECT_NE(error_of([&] { make_space_from_file(dir + "/missing.json"); }).find("missing.json"), std::string::npos);
}
