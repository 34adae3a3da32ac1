#pragma once
// NAS-Bench-201 cell space. A cell is a DAG of 4 nodes and 6 edges in the order
// (1,0),(2,0),(2,1),(3,0),(3,1),(3,2) (to,from); each edge is one of the ops below. The macro
// skeleton: stem conv3x3(C)+BN, 3 stages of N cells, a residual reduction block between stages
// (ReLU-Conv3x3-BN stride 2 to 2C, ReLU-Conv3x3-BN, shortcut AvgPool2d(2)+Conv1x1), final
// BN-ReLU, global average pool, linear classifier.
//
// Example:
//   Nb201Space space(Nb201Options{});
//   Architecture a = space.parse("|nor_conv_3x3~0|+|nor_conv_3x3~0|avg_pool_3x3~1|+|skip_connect~0|nor_conv_3x3~1|skip_connect~2|");
#include <array>

#include "hwnas/nas/cell_key.h"
#include "hwnas/core/options.h"
#include "hwnas/nas/search_space.h"

namespace hwnas {

struct Nb201Options {
  int channels = 16;        // C of the first stage; doubled at each reduction
  int cells_per_stage = 5;  // N
  int input_size = 32;      // H = W of the input image
  int input_channels = 3;
  int num_classes = 10;
  std::vector<std::string> ops{"none", "skip_connect", "nor_conv_1x1", "nor_conv_3x3", "avg_pool_3x3"};

  template <class S, class V>
  static void fields(S& o, V& v) {
    v("channels", o.channels, opt::in(1, 4096));
    v("cells_per_stage", o.cells_per_stage, opt::in(1, 64));
    v("input_size", o.input_size);  // a multiple of 4 in 4..4096 (check)
    v("input_channels", o.input_channels, opt::in(1, 64));
    v("num_classes", o.num_classes, opt::in(1, 100000));
    v("ops", o.ops, opt::non_empty());  // known, each once (check)
  }
  void check(const std::string& path) const;  // rules across fields

  /// Throws UserError naming the field (prefixed by `path`) when a value is impossible.
  void validate(const std::string& path = "space.options") const;
  nlohmann::json to_json() const;
  static Nb201Options from_json(const nlohmann::json& j, const std::string& path);
};

class Nb201Space : public SearchSpace {
 public:
  static constexpr int kEdges = 6;
  static constexpr std::array<std::pair<int, int>, kEdges> kEdgeEnds{{{1, 0}, {2, 0}, {2, 1}, {3, 0}, {3, 1}, {3, 2}}};
  static const std::vector<std::string>& all_ops();

  explicit Nb201Space(Nb201Options opts);

  std::string name() const override { return "nb201"; }
  const std::vector<Decision>& decisions() const override { return decisions_; }
  nlohmann::json options() const override { return opts_.to_json(); }
  std::string to_string(const Architecture& a) const override;
  Architecture parse(std::string_view text) const override;
  ArchGraph decode(const Architecture& a, const DecodeOptions& opts = {}) const override;
  /// Smallest decision vector that builds the same network: dead edges pruned, a node whose
  /// only input is a skip_connect merged into that input (it is the same tensor), the order of
  /// the remaining interchangeable nodes ignored. Networks in one class have identical params,
  /// MACs, FLOPs and bytes (tested over the whole space).
  Architecture canonicalize(const Architecture& a) const override;
  /// As built every edge runs (a `none` edge as a Zero op) and no two nodes are interchangeable
  /// (node 2 reads node 1): each decision vector is its own network.
  Architecture as_built_form(const Architecture& a) const override {
    validate(a);
    return a;
  }
  /// The class key behind canonicalize(): the pruned, skip-merged cell as a sorted edge list under
  /// the node numbering that makes it smallest, e.g. "0>1:nor_conv_3x3 1>o:skip_connect".
  std::string structure_key(const Architecture& a) const;
  /// Fast path: skeleton plus per-stage cell costs from tables built with the same op chains
  /// decode() uses. Equal to count_costs(decode(a)).totals for every architecture (tested).
  CostTotals count(const Architecture& a, const DecodeOptions& opts = {}) const override;
  /// Fast path: the skeleton's layers and per-stage op-chain layers costed once, assembled in
  /// decode()'s edge order with decode()'s names. Equal to count_costs(decode(a)) layer by layer
  /// for every architecture in both prune modes (tested); about 20x faster.
  LayerList layers(const Architecture& a, const DecodeOptions& opts = {}) const override;
  /// Fast path: a path of non-`none` edges from the cell input to the cell output (every stage
  /// repeats the cell). Equal to the decoded graph's answer for every architecture (tested).
  bool output_depends_on_input(const Architecture& a) const override;
  const Nb201Options& opts() const { return opts_; }

 private:
  enum Op { kNone, kSkip, kConv1, kConv3, kPool };
  struct CellLayout {
    std::array<bool, kEdges> live{};
    std::array<bool, 4> exists{};
    std::array<int, 4> live_inputs{};
  };
  CellLayout layout(const Architecture& a, bool prune) const;
  std::vector<OpEdge> op_chain(int op, int channels, int cell, const std::string& prefix) const;

  Nb201Options opts_;
  std::vector<Decision> decisions_;
  CanonicalTable canonical_;  // canonicalize(): the class table, built once on first use
  std::vector<int> op_ids_;  // choice index -> Op
  // count() tables, per stage: [op] cost of one edge, zero edge, adds with 2 and 3 inputs.
  struct StageTable {
    std::array<CostTotals, 5> op{};
    CostTotals zero, add2, add3;
  };
  std::array<StageTable, 3> tables_{};
  CostTotals skeleton_;
  // layers() templates: skeleton segments (stem, reduce1, reduce2, head) and, per stage, each
  // op's chain costed with empty names (suffixes only), the zero edge and the 2-/3-input adds.
  std::array<std::vector<LayerCost>, 4> skeleton_layers_;
  struct StageLayers {
    std::array<std::vector<LayerCost>, 5> op;
    LayerCost zero, add2, add3;
  };
  std::array<StageLayers, 3> stage_layers_;
};

}  // namespace hwnas
