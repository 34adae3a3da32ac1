#pragma once
// GraphSpace: a cell search space described by a JSON document (a "space file", docs/spaces.md,
// schema configs/space.schema.json) instead of C++. The description has an op library (each op a
// chain of ArchGraph layers: conv, bn, relu, relu6, avg_pool, identity, zero), a cell (a DAG of
// nodes, each edge choosing one op from a list, node inputs summed) and a macro skeleton (stem,
// stages of repeated cells with their channel widths, a reduction block between stages, head).
// Decisions, the string form, the canonical form and the graph all derive from the description;
// decode() builds an ArchGraph of the existing op kinds, so counting, hardware models, the
// LibTorch builder and the exporters work unchanged.
//
// The space registers as "graph": its options ARE the (resolved) description, so a run directory
// or an export that records {"name": "graph", "options": {...}} rebuilds the same space without
// the file. make_space_from_file() reads a file, applies an options object as a JSON merge patch
// (RFC 7386) over it, and makes the space with errors naming the file and the JSON path.
//
// Example:
//   auto space = make_space_from_file("configs/spaces/nb201.json");
//   Architecture a = space->parse("|nor_conv_3x3~0|+|skip_connect~0|none~1|+|skip_connect~0|none~1|none~2|");
//   CostTotals c = space->count(a);   // identical to make_space("nb201")->count(a)
#include <array>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "hwnas/nas/cell_key.h"
#include "hwnas/nas/search_space.h"

namespace hwnas {

/// The parsed, validated description (DESIGN.md's SpaceSpec). Built only by SpaceSpec::from_json
/// (strict reading).
struct SpaceSpec {
  /// How an explicit channel count follows the width multiplier (spaces with `width_mult` only):
  /// Width rounds out*mult to the divisor, Up never shrinks (out*max(1, mult), MobileNetV2's last
  /// conv), None keeps it.
  enum class Scale { Width, Up, None };
  struct Layer {
    OpKind kind = OpKind::Identity;
    int kernel = 1, stride = 1, padding = 0, groups = 1, dilation = 1;
    int out = 0;  // output channels of conv/linear/mbconv; 0 = the enclosing block's output channels
    bool bias = false, affine = true, count_include_pad = false;
    bool depthwise = false;  // conv: groups = out = input channels
    bool mbconv = false;     // an inverted residual (append_inverted_residual): kernel, stride, expand, activation
    int expand = 1;
    OpKind activation = OpKind::ReLU6;
    bool se = false;  // mbconv: with a squeeze-excite
    Scale scale = Scale::Width;
    std::string name;  // conv, bn, relu, ... (unique within its chain: conv, conv_2, ...)
  };
  /// A block stage's value: fixed (one value, a number in the file) or a decision (a list).
  struct Choice {
    std::vector<int> values;
    bool decision = false;
  };
  using Chain = std::vector<Layer>;
  struct Op {
    std::string name;
    Chain chain;
    bool zero = false;      // [zero]: a `none` edge, removed when dead edges are pruned
    bool identity = false;  // [identity]: a skip connection (the node is its input's tensor)
  };
  struct Edge {
    int from = 0, to = 0;
    int decision = 0;              // index into cell_decisions
    std::vector<int> ops;          // choice index -> index into `ops`
  };
  struct CellDecision {
    std::string name;  // "edge(2,1)" for an edge's own list, else the name under cell.choices
    std::vector<int> ops;
  };
  /// A cell stage repeats the cell `cells` times. A block stage (a space without a cell) has
  /// `depth` inverted residuals of `channels` outputs, the first with the stage's stride; depth,
  /// kernel, expand, squeeze-excite and activation are fixed or decided per stage (depth) and per
  /// block (the others).
  struct Stage {
    int channels = 0, cells = 0;
    int stride = 1;
    Choice depth, kernel, expand;
    Choice se;          // 0 = off, 1 = on
    Choice activation;  // indices into SpaceSpec::activations()
  };
  /// The activations a block may use, by name: relu, relu6, hswish.
  static const std::vector<std::pair<std::string, OpKind>>& activations();

  std::string name;  // the description's own name (for people; the space's name() is "graph")
  int input_channels = 3, input_size = 32, num_classes = 10;
  // Spaces of block stages (no cell) may decide the input resolution and a width multiplier.
  Choice resolution;                // input.size: its values; a decision when the file gives a list
  std::vector<double> width_mults;  // width_mult.values; empty = no multiplier
  int width_divisor = 8;
  bool blocks() const { return nodes == 0; }
  std::vector<Op> ops;
  int nodes = 0;                    // cell nodes; 0 is the cell input, nodes-1 its output (unless concat)
  // DARTS-style cell output: the concatenation of these nodes (in this order), then `project`
  // back to the cell's channels. Empty: node nodes-1 is the output.
  std::vector<int> concat;
  Chain project;
  std::vector<Edge> edges;          // sorted by (to, from): decode order and string order
  std::vector<CellDecision> cell_decisions;  // in order of first use by the edges as written
  bool per_stage = false;           // decisions per stage (else one cell shared by every stage)
  std::vector<Chain> stem, reduction, head;  // each block: paths from its input, summed
  std::vector<Stage> stages;

  /// Reads and checks a description. `path` prefixes every message ("configs/x.json: " or
  /// "space.options"). Errors name the JSON path and the node or edge at fault: a cycle, an edge
  /// that goes backwards, an unknown op (did you mean), a shape that cannot work (stride or
  /// channel arithmetic), an empty choice list, a choice list no edge uses.
  static SpaceSpec from_json(const nlohmann::json& j, const std::string& path);
};

class GraphSpace : public SearchSpace {
 public:
  /// `spec_json` is the description; `path` prefixes error messages about it; `label` names the
  /// space in messages about architecture strings ("<label> architecture string, position 3 ...").
  GraphSpace(const nlohmann::json& spec_json, const std::string& path, std::string label = "graph space");

  std::string name() const override { return "graph"; }
  const std::vector<Decision>& decisions() const override { return decisions_; }
  /// The description as read (the options of make_space("graph", ...)).
  nlohmann::json options() const override { return json_; }
  /// One cell string per cell decision set, NAS-Bench-201 style ("|op~0|+|op~0|op~1|"), stages
  /// joined by '/' when decisions are per stage.
  std::string to_string(const Architecture& a) const override;
  Architecture parse(std::string_view text) const override;
  ArchGraph decode(const Architecture& a, const DecodeOptions& opts = {}) const override;
  /// Dead edges pruned, a node whose only input is an identity op merged into that input, the
  /// order of interchangeable nodes ignored (the rules of nb201's canonical form, here derived
  /// from the description). For spaces of at most kCanonicalTableLimit architectures the result
  /// is the smallest member of the class; larger spaces get the cheaper form that only resets
  /// the choices of edges that are dead whatever their op.
  Architecture canonicalize(const Architecture& a) const override;
  /// Cell spaces: the vector itself (every edge runs as built; interchangeable nodes are not
  /// merged, which only costs a repeated evaluation). Block spaces: canonicalize() (a block past
  /// its stage's depth is not built either way).
  Architecture as_built_form(const Architecture& a) const override;
  /// The class key behind canonicalize(), e.g. "0>1:nor_conv_3x3 1>o:skip_connect".
  std::string structure_key(const Architecture& a) const;
  /// Fast path: the skeleton's cost plus, per stage, the cell's live op chains, zero nodes and
  /// sums, from tables costed once with the same chains and edge_cost() that decode() and
  /// count_costs() use. Equal to count_costs(decode(a)).totals (tested over all of nb201.json in
  /// both prune modes and on sampled architectures of the other spaces).
  CostTotals count(const Architecture& a, const DecodeOptions& opts = {}) const override;
  /// Block spaces (mbv-like): the layers from the stem's, each block's and the head's layer
  /// lists, each costed once (count_costs() of a graph of that piece alone) and kept, keyed by
  /// what shapes it; no graph is built. Equal to count_costs(decode(a)) (tested). Cell spaces:
  /// the graph walk.
  LayerList layers(const Architecture& a, const DecodeOptions& opts = {}) const override;
  /// Fast path: the cell output keeps a live input in every stage (pruned layout). Equal to the
  /// decoded graph's answer (tested).
  bool output_depends_on_input(const Architecture& a) const override;

  const SpaceSpec& spec() const { return spec_; }
  static constexpr double kCanonicalTableLimit = 200000;
  static constexpr int kMaxNodes = 16, kMaxEdges = 120;  // bounds of a cell

 private:
  // Fixed-size (no allocation on the count() hot path); from_json bounds nodes and edges.
  struct CellLayout {
    std::array<char, kMaxEdges> live{};
    std::array<char, kMaxEdges> reach{};  // source reached from the input and destination reaching the output
    std::array<char, kMaxNodes> exists{};
    std::array<int, kMaxNodes> live_inputs{};
  };
  /// Choice of cell edge `e` in stage `s` (an op index).
  int edge_op(const Architecture& a, int stage, int e) const;
  CellLayout layout(const Architecture& a, int stage, bool prune) const;
  std::string cell_key(const Architecture& a, int stage) const;

  // count() tables: skeleton totals, and per stage each op's chain, a zero node, and the sum at a
  // node with k inputs (index k).
  struct StageTable {
    std::vector<CostTotals> op;
    CostTotals zero;
    std::vector<CostTotals> add;
    CostTotals output;  // a concatenating cell's output: the concatenation and the projection
  };
  CostTotals skeleton_;
  std::vector<StageTable> tables_;

  // Spaces of block stages: the index of each decision (-1 = fixed), and per stage the depth and,
  // for each block up to the largest depth, the kernel and the expansion.
  struct BlockDecisions {
    int depth = -1;
    std::vector<int> kernel, expand, se, activation;
  };
  int resolution_decision_ = -1, width_decision_ = -1;
  std::vector<BlockDecisions> block_decisions_;
  int choice_value(const Architecture& a, const SpaceSpec::Choice& c, int decision) const;
  double width_mult(const Architecture& a) const;
  OpKind activation_of(const Architecture& a, const SpaceSpec::Stage& stage, int decision) const;
  std::string block_string(const Architecture& a) const;
  Architecture block_parse(std::string_view text) const;
  ArchGraph block_decode(const Architecture& a) const;
  // One piece of a block space's network: the stem, a block, or the head.
  struct BlockStep {
    enum Kind { Stem, Block, Head } kind = Stem;
    TensorShape input;        // the stem's input
    InvertedResidual block;   // a block, numbered id
    int id = 0;
    double width_mult = 1;    // the width (stem and head)
    int width_divisor = 0;
  };
  // The pieces of a's network in order: what block_decode() builds and block_layers() costs.
  void block_walk(const Architecture& a, const std::function<void(const BlockStep&)>& f) const;
  // Appends one piece at x; a block is named "blocks.<id>" with cell id when `named`, else
  // unnamed with cell 0 (block_piece()).
  NodeId append_step(ArchGraph& g, NodeId x, const BlockStep& s, bool named) const;
  // A piece's layers (names without a block's prefix, cells -1 or 0) and its output shape, from
  // count_costs() of a graph of that piece alone on `input`; kept per key.
  struct Piece {
    LayerList layers;
    TensorShape output;
  };
  const Piece& block_piece(const BlockStep& step, const TensorShape& input) const;
  // A block space's totals from the kept pieces, and its layers into `list` when given.
  CostTotals block_layers(const Architecture& a, LayerList* list) const;
  mutable std::mutex pieces_mutex_;
  mutable std::map<std::array<std::int64_t, 12>, std::unique_ptr<Piece>> pieces_;

  nlohmann::json json_;
  SpaceSpec spec_;
  std::string label_;
  std::vector<Decision> decisions_;
  int decisions_per_cell_ = 0;
  CanonicalTable canonical_;  // canonicalize() of spaces up to kCanonicalTableLimit
};

/// Reads a space file, applies `options` (an object, or null) as a JSON merge patch over it, and
/// makes the space. Errors name the file and the JSON path.
std::unique_ptr<SearchSpace> make_space_from_file(const std::string& file, const nlohmann::json& options = nullptr);
/// Whether a --space value names a file rather than a built-in space (it ends in ".json").
bool is_space_file(const std::string& name);

}  // namespace hwnas
