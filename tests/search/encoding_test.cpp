#include "hwnas/search/encoding.h"

#include <gtest/gtest.h>

#include <cmath>
#include <map>
#include <set>

#include "hwnas/nas/spaces/mbv.h"
#include "hwnas/nas/spaces/nb201.h"
#include "hwnas/search/strategies.h"
#include "search/nb201_problem.h"
#include "support/errors.h"

using namespace hwnas;
using hwnas::test::error_of;
using hwnas::testing::problem;
using hwnas::testing::run_strategy;

namespace {

const Nb201Space& nb201() {
  static const Nb201Space s{Nb201Options{}};
  return s;
}

// Features whose name starts with `prefix`.
std::map<std::string, double> with_prefix(const std::map<std::string, double>& f, const std::string& prefix) {
  std::map<std::string, double> out;
  for (const auto& [k, v] : f)
    if (k.rfind(prefix, 0) == 0) out[k] = v;
  return out;
}

Eigen::VectorXd row(const ArchEncoder& enc, const std::string& arch) {
  Eigen::VectorXd r;
  enc.encode_into(nb201().parse(arch), r);
  return r;
}

// Nodes 1 and 2 swapped (no edge between them): isomorphic cells.
const char* kCellA = "|nor_conv_3x3~0|+|nor_conv_1x1~0|none~1|+|none~0|skip_connect~1|avg_pool_3x3~2|";
const char* kCellASwapped = "|nor_conv_1x1~0|+|nor_conv_3x3~0|none~1|+|none~0|avg_pool_3x3~1|skip_connect~2|";
// Nodes 1 and 2 reach the output only through `none`: their edges are dead, whatever they are.
const char* kDeadA = "|nor_conv_3x3~0|+|nor_conv_3x3~0|none~1|+|skip_connect~0|none~1|none~2|";
const char* kDeadB = "|avg_pool_3x3~0|+|nor_conv_1x1~0|avg_pool_3x3~1|+|skip_connect~0|none~1|none~2|";
// Node 2 is dead; the live paths are 0>3 (skip) and 0>1>3 (conv3x3 then conv1x1).
const char* kTwoPaths = "|nor_conv_3x3~0|+|none~0|none~1|+|skip_connect~0|nor_conv_1x1~1|none~2|";

}  // namespace

TEST(Encoding, NamesAreTheRegistry) {
  EXPECT_EQ(encoding_names(), (std::vector<std::string>{"onehot", "path", "wl", "layers", "layers+onehot"}));
}

TEST(Encoding, LayersPlusOnehotIsBothSideBySideAtOnehotsScale) {
  const ArchEncoder both(nb201(), "layers+onehot"), onehot(nb201(), "onehot"), layers(nb201(), "layers");
  ASSERT_EQ(both.width(), onehot.width() + layers.width());
  EXPECT_EQ(both.vocabulary(), layers.vocabulary());
  for (const char* cell : {kCellA, kCellASwapped, kDeadA, kTwoPaths}) {
    const Eigen::VectorXd r = row(both, cell);
    EXPECT_TRUE(r.head(onehot.width()).isApprox(row(onehot, cell) * std::sqrt(0.5))) << cell;
    EXPECT_TRUE(r.tail(layers.width()).isApprox(row(layers, cell) * std::sqrt(0.5))) << cell;
    // encode() and encode_into() agree.
    const Eigen::MatrixXd X = both.encode({nb201().parse(cell)});
    EXPECT_TRUE(X.row(0).transpose().isApprox(r)) << cell;
  }
  // Isomorphic cells: layers cannot tell them apart, the one-hot half can.
  EXPECT_NE(row(both, kCellA), row(both, kCellASwapped));
  // Squared distances are the mean of the two parts', so the scale stays one-hot's.
  const double d_both = (row(both, kCellA) - row(both, kTwoPaths)).squaredNorm();
  const double d_onehot = (row(onehot, kCellA) - row(onehot, kTwoPaths)).squaredNorm();
  const double d_layers = (row(layers, kCellA) - row(layers, kTwoPaths)).squaredNorm();
  EXPECT_NEAR(d_both, 0.5 * (d_onehot + d_layers), 1e-9);
}

TEST(Encoding, EquivalentNb201CellsEncodeIdentically) {
  ASSERT_EQ(nb201().canonical_hash(nb201().parse(kCellA)), nb201().canonical_hash(nb201().parse(kCellASwapped)));
  ASSERT_EQ(nb201().canonical_hash(nb201().parse(kDeadA)), nb201().canonical_hash(nb201().parse(kDeadB)));
  for (const std::string name : {"path", "wl", "layers"}) {
    const ArchEncoder enc(nb201(), name);
    ASSERT_GT(enc.width(), 0) << name;
    EXPECT_EQ(row(enc, kCellA), row(enc, kCellASwapped)) << name;
    EXPECT_EQ(row(enc, kDeadA), row(enc, kDeadB)) << name;
    // ... and different cells do not.
    EXPECT_NE(row(enc, kCellA), row(enc, kDeadA)) << name;
  }
  // One-hot encodes the decision vector as given: the swapped cell differs.
  const ArchEncoder onehot(nb201(), "onehot");
  EXPECT_NE(row(onehot, kCellA), row(onehot, kCellASwapped));
  EXPECT_EQ(onehot.width(), 30);
}

TEST(Encoding, PathEncodingOfAKnownCell) {
  const auto f = graph_features("path", nb201().decode(nb201().parse(kTwoPaths)));
  // Each of the 15 cells (3 stages x 5) contributes its two input-to-output paths.
  const std::map<std::string, double> expected{{"path:id", 15.0}, {"path:relu-conv3x3-bn-relu-conv1x1-bn", 15.0}};
  EXPECT_EQ(with_prefix(f, "path:"), expected);
  // The fixed skeleton appears as layer counts (stem conv3x3 at 32x32 with 16 channels).
  EXPECT_EQ(f.at("layer:conv3x3@32c16"), 1.0);
}

TEST(Encoding, PathVocabularyHoldsTheCellPaths) {
  const ArchEncoder enc(nb201(), "path");
  const auto& v = enc.vocabulary();
  EXPECT_NE(std::find(v.begin(), v.end(), "path:id"), v.end());
  EXPECT_NE(std::find(v.begin(), v.end(), "path:relu-conv3x3-bn-relu-conv1x1-bn"), v.end());
  EXPECT_LE(enc.width(), kMaxEncodingFeatures);
}

TEST(Encoding, WlKernelIsOneOnItselfAndBelowOneOtherwise) {
  const ArchGraph a = nb201().decode(nb201().parse(kCellA));
  const ArchGraph b = nb201().decode(nb201().parse(kTwoPaths));
  EXPECT_NEAR(wl_kernel(a, a), 1.0, 1e-12);
  EXPECT_NEAR(wl_kernel(b, b), 1.0, 1e-12);
  const double ab = wl_kernel(a, b);
  EXPECT_GT(ab, 0.0);  // both hold the skeleton and conv chains
  EXPECT_LT(ab, 0.99);
  EXPECT_DOUBLE_EQ(ab, wl_kernel(b, a));
  // The encoder's rows are the unit WL vectors scaled by one factor: equal norms for all cells.
  const ArchEncoder enc(nb201(), "wl");
  EXPECT_NEAR(row(enc, kCellA).norm(), row(enc, kTwoPaths).norm(), 1e-9);
}

TEST(Encoding, WlFeaturesRefineByPredecessors) {
  const auto f = graph_features("wl", nb201().decode(nb201().parse(kTwoPaths)));
  // Iteration 0: the cell's op chains (series-reduced; node 1 has one input and one output, so
  // conv3x3 then conv1x1 is one chain), one "in" and one "out" per cell, 15 cells; iteration 1
  // (h = 1): each label followed by its predecessors' labels, sorted.
  const std::map<std::string, double> expected{
      {"wl0:id", 15.0},
      {"wl0:relu-conv3x3-bn-relu-conv1x1-bn", 15.0},
      {"wl0:in", 15.0},
      {"wl0:out", 15.0},
      {"wl1:id(in)", 15.0},
      {"wl1:in()", 15.0},
      {"wl1:relu-conv3x3-bn-relu-conv1x1-bn(in)", 15.0},
      {"wl1:out(id,relu-conv3x3-bn-relu-conv1x1-bn)", 15.0}};
  EXPECT_EQ(with_prefix(f, "wl"), expected);
}

TEST(Encoding, MbvLayerCountsOfAKnownNetwork) {
  const MbvSpace mbv{MbvOptions{}};
  const Architecture a = mbv.parse("r224|w1|k3e4,k5e6|k3e3,k3e3|k7e6,k5e4,k3e3|k3e3,k3e3|k5e6,k5e6,k5e6,k5e6");
  const auto f = graph_features("layers", mbv.decode(a));
  // Depthwise convs by kernel (the first block of stages 0, 1, 2 and 4 has stride 2), expansion
  // convs by ratio, and the skeleton by size: the stem at 112x112 (224 / 2) with 32 channels.
  const std::map<std::string, double> expected{{"layer:conv3x3dw_s2", 2.0}, {"layer:conv3x3dw", 4.0},
                                               {"layer:conv5x5dw", 5.0},    {"layer:conv5x5dw_s2", 1.0},
                                               {"layer:conv7x7dw_s2", 1.0}, {"layer:conv1x1e3", 5.0},
                                               {"layer:conv1x1e4", 2.0},    {"layer:conv1x1e6", 6.0},
                                               {"layer:conv3x3_s2@112c32", 1.0}};
  for (const auto& [k, v] : expected) EXPECT_EQ(f.count(k) ? f.at(k) : -1.0, v) << k;
  // Unused blocks (beyond a stage's depth) do not change the encoding.
  const ArchEncoder enc(mbv, "layers");
  Architecture b = a;
  b.choices[mbv.kernel_index(0, 2)] = 2;  // stage 0 has depth 2: block 2 is unused
  Eigen::VectorXd ra, rb;
  enc.encode_into(a, ra);
  enc.encode_into(b, rb);
  EXPECT_EQ(ra, rb);
}

TEST(Encoding, BoAndMctsAreDeterministicWithEveryEncoding) {
  std::vector<std::vector<Architecture>> by_encoding;
  for (const auto& name : encoding_names()) {
    BoOptions o;
    o.encoding = name;
    auto a = make_bo_strategy(o, problem().context(7));
    auto b = make_bo_strategy(o, problem().context(7));
    const auto ta = run_strategy(*a, problem(), 30);
    const auto tb = run_strategy(*b, problem(), 30);
    EXPECT_EQ(ta.proposals, tb.proposals) << name;
    by_encoding.push_back(ta.proposals);
    MctsOptions m;
    m.encoding = name;
    m.simulations = 50;
    auto c = make_mcts_strategy(m, problem().context(7));
    auto d = make_mcts_strategy(m, problem().context(7));
    EXPECT_EQ(run_strategy(*c, problem(), 20).proposals, run_strategy(*d, problem(), 20).proposals) << name;
  }
  // The option reaches the surrogate: after the 10 random proposals the encodings disagree.
  for (std::size_t i = 1; i < by_encoding.size(); ++i)
    EXPECT_NE(by_encoding[i], by_encoding[0]) << encoding_names()[i];
}

TEST(Encoding, BadEncodingNameIsAnError) {
  const auto ctx = problem().context(1);
  EXPECT_EQ(error_of([&] { make_strategy("bo", {{"encoding", "wll"}}, ctx); }),
            "strategy.options.encoding: unknown encoding \"wll\"; did you mean 'wl'? (known: onehot, path, wl, layers, layers+onehot)");
  EXPECT_EQ(error_of([&] { make_strategy("mcts", {{"encoding", "paths"}}, ctx); }),
            "strategy.options.encoding: unknown encoding \"paths\"; did you mean 'path'? (known: onehot, path, wl, layers, layers+onehot)");
  EXPECT_EQ(resolve_strategy_options("bo", {{"encoding", "wl"}}, "strategy.options").at("encoding"), "wl");
}

TEST(Encoding, LayerCountsFastPathEqualsTheGraphWalk) {
  // The encoder counts "layers" from SearchSpace::layers(); it must equal the graph walk.
  Rng rng(11);
  for (int i = 0; i < 2000; ++i) {
    const Architecture a = nb201().canonicalize(nb201().sample(rng));
    ASSERT_EQ(layer_features(nb201().layers(a)), graph_features("layers", nb201().decode(a))) << nb201().to_string(a);
  }
  const MbvSpace mbv{MbvOptions{}};
  for (int i = 0; i < 100; ++i) {
    const Architecture a = mbv.canonicalize(mbv.sample(rng));
    ASSERT_EQ(layer_features(mbv.layers(a)), graph_features("layers", mbv.decode(a))) << mbv.to_string(a);
  }
}

TEST(Encoding, LayersRowsAreTheCountsOfTheVocabularysFeatures) {
  // The encoder builds "layers" rows from each layer's fields, naming a feature once per process;
  // a row must be layer_features() in the vocabulary's columns, times one scale.
  const MbvSpace mbv{MbvOptions{}};
  for (const SearchSpace* space : {static_cast<const SearchSpace*>(&nb201()), static_cast<const SearchSpace*>(&mbv)}) {
    const ArchEncoder enc(*space, "layers");
    std::map<std::string, int> column;
    for (std::size_t c = 0; c < enc.vocabulary().size(); ++c) column[enc.vocabulary()[c]] = static_cast<int>(c);
    Rng rng(12);
    double scale = 0;
    for (int i = 0; i < 200; ++i) {
      const Architecture a = space->sample(rng);
      Eigen::VectorXd row;
      enc.encode_into(a, row);
      Eigen::VectorXd counts = Eigen::VectorXd::Zero(enc.width());
      for (const auto& [k, v] : layer_features(space->layers(space->canonicalize(a))))
        if (column.count(k)) counts[column[k]] = v;
      ASSERT_GT(counts.sum(), 0);
      if (scale == 0) scale = row.sum() / counts.sum();
      EXPECT_LT((row - counts * scale).cwiseAbs().maxCoeff(), 1e-12) << space->to_string(a);
    }
  }
}

TEST(Encoding, BoAndMctsSearchMbvWithEveryEncoding) {
  // A macro space (mbv, too large to enumerate): one expensive objective (a made-up error that
  // falls with larger kernels and expansions) against the exact MAC count. Every encoding must
  // give new, distinct, deterministic proposals after the random start.
  const MbvSpace mbv{MbvOptions{}};
  StrategyContext c;
  c.space = &mbv;
  c.num_objectives = 2;
  c.is_cheap = {false, true};
  c.seed = 3;
  c.cheap = [&mbv](const Architecture& a) -> std::optional<std::vector<double>> {
    return std::vector<double>{std::nan(""), static_cast<double>(mbv.count(a).macs)};
  };
  auto error = [&mbv](const Architecture& a) {
    double e = 0;
    for (std::size_t k = 2; k < a.choices.size(); ++k) e -= a.choices[k];
    return e + 0.01 * static_cast<double>(mbv.canonicalize(a).choices[0]);
  };
  auto run = [&](SearchStrategy& s) {
    std::vector<Architecture> out;
    for (int i = 0; i < 14; ++i) {
      auto b = s.ask(1);
      EXPECT_EQ(b.size(), 1u);
      if (b.empty()) break;
      s.tell({{b[0], {error(b[0]), static_cast<double>(mbv.count(b[0]).macs)}, true}});
      out.push_back(b[0]);
    }
    return out;
  };
  for (const auto& name : encoding_names()) {
    BoOptions o;
    o.encoding = name;
    o.initial_random = 8;
    auto a = make_bo_strategy(o, c);
    auto b = make_bo_strategy(o, c);
    const auto pa = run(*a);
    EXPECT_EQ(pa, run(*b)) << name;
    std::set<std::uint64_t> h;
    for (const auto& x : pa) EXPECT_TRUE(h.insert(mbv.canonical_hash(x)).second) << name;
    MctsOptions m;
    m.encoding = name;
    m.initial_random = 8;
    m.simulations = 40;
    auto d = make_mcts_strategy(m, c);
    EXPECT_EQ(run(*d).size(), 14u) << name;
  }
}
