#pragma once
// ArchGraph: the network as a Boost.Graph DAG. Nodes are tensors (with their shapes), edges are
// operations. A node with several incoming edges is the elementwise sum of their outputs (the
// cells of NAS-Bench-201, residual blocks). Cost counting, hardware models, the LibTorch builder
// and every exporter walk this one structure, so they cannot disagree.
//
// Example:
//   ArchGraph g = space->decode(arch);
//   for (auto e : g.edges_in_order()) std::cout << g.edge(e).name << "\n";
#include <cstdint>
#include <string>
#include <vector>

#include <boost/graph/adjacency_list.hpp>

namespace hwnas {

enum class OpKind {
  Conv2d,         // kernel, stride, padding, groups; no bias unless `bias`
  BatchNorm,      // BatchNorm2d over channels; affine -> 2*C parameters
  ReLU,
  ReLU6,
  HSwish,         // x * relu6(x + 3) / 6 (MobileNetV3's h-swish)
  AvgPool,        // kernel, stride, padding, count_include_pad
  MaxPool,        // kernel, stride, padding
  GlobalAvgPool,  // N,C,H,W -> N,C (shape C,1,1)
  Linear,         // in_channels -> out_channels on a flattened C,1,1 tensor; bias
  Identity,       // skip connection
  Zero,           // outputs zeros of the output shape (a cell whose inputs are all `none`)
  Add,            // not an edge: the implicit sum at a node with several inputs (cost lists only)
  SqueezeExcite,  // x * hardsigmoid(conv1x1(relu(conv1x1(global_avg_pool(x))))), `hidden` squeeze
                  // channels, both 1x1 convs with bias (MobileNetV3's squeeze-excite)
  Concat,         // not an edge: the implicit concatenation at a concat node (cost lists only)
};

const char* op_kind_name(OpKind k);

struct TensorShape {
  int c = 0, h = 0, w = 0;  // per sample; batch is not part of the graph
  std::int64_t numel() const { return static_cast<std::int64_t>(c) * h * w; }
  friend bool operator==(const TensorShape&, const TensorShape&) = default;
};

struct TensorNode {
  TensorShape shape;
  std::string name;
  bool concat = false;  // inputs concatenated along channels in edge order (else summed)
};

struct OpEdge {
  OpKind kind = OpKind::Identity;
  int in_channels = 0, out_channels = 0;
  int kernel = 1, stride = 1, padding = 0, groups = 1;
  int dilation = 1;                // Conv2d
  bool bias = false;               // Conv2d / Linear
  bool affine = true;              // BatchNorm
  bool count_include_pad = false;  // AvgPool
  int hidden = 0;                  // SqueezeExcite: squeeze channels
  std::string name;                // unique, dotted: "cells.3.edge_2_1.conv"
  int cell = -1;                   // index of the searchable cell/block it belongs to, -1 = skeleton
  int id = -1;                     // position in insertion order (set by ArchGraph::add_edge)
};

using GraphType = boost::adjacency_list<boost::vecS, boost::vecS, boost::bidirectionalS, TensorNode, OpEdge>;
using NodeId = boost::graph_traits<GraphType>::vertex_descriptor;
using EdgeId = boost::graph_traits<GraphType>::edge_descriptor;

class ArchGraph {
 public:
  ArchGraph() = default;
  // Edge descriptors point into the graph's own edge storage, so copies and moves rebuild the
  // edge order from their own edges (Boost's adjacency_list has no move constructor: a "move"
  // copies the storage, and the old descriptors would dangle).
  ArchGraph(const ArchGraph& other);
  ArchGraph& operator=(const ArchGraph& other);
  ArchGraph(ArchGraph&& other);
  ArchGraph& operator=(ArchGraph&& other);

  NodeId add_node(TensorShape shape, std::string name);
  /// A node whose inputs are concatenated along channels, in the order their edges are added:
  /// each input has the node's height and width, and their channels add up to the node's.
  NodeId add_concat_node(TensorShape shape, std::string name);
  /// Adds an op edge; its output shape must equal the destination node's shape (checked; at a
  /// concat node, its height and width, and the channels must not exceed the node's).
  EdgeId add_edge(NodeId from, NodeId to, OpEdge op);

  void set_input(NodeId n) { input_ = n; }
  void set_output(NodeId n) { output_ = n; }
  NodeId input() const { return input_; }
  NodeId output() const { return output_; }

  const GraphType& graph() const { return g_; }
  const TensorNode& node(NodeId n) const { return g_[n]; }
  const OpEdge& edge(EdgeId e) const { return g_[e]; }
  std::size_t num_nodes() const { return boost::num_vertices(g_); }
  std::size_t num_edges() const { return boost::num_edges(g_); }
  /// Edges in insertion order (deterministic, and a topological order for graphs the spaces build).
  /// in_edges(n) lists a node's inputs in that order too (the order of a concatenation).
  const std::vector<EdgeId>& edges_in_order() const { return edges_; }
  /// Nodes in a topological order (insertion order; checked to be topological by validate()).
  std::vector<NodeId> topological_order() const;
  std::vector<EdgeId> in_edges(NodeId n) const;
  /// Checks invariants: acyclic, every non-input node has an input, shapes consistent.
  void validate() const;
  /// Whether some path from the input reaches the output through edges other than Zero. A
  /// network where none does (an nb201 cell of only `none` edges) computes a constant: a
  /// degenerate network, whatever its cost.
  bool output_depends_on_input() const;

 private:
  void rebuild_edge_index();
  GraphType g_;
  std::vector<EdgeId> edges_;
  NodeId input_ = 0, output_ = 0;
};

/// Shape an op produces from its input shape (the arithmetic of PyTorch's layers).
TensorShape op_output_shape(const OpEdge& op, const TensorShape& in);

/// Appends `op` after `from` in a new node of the op's output shape, named after the op.
NodeId append_op(ArchGraph& g, NodeId from, OpEdge op);

/// Channels rounded to a multiple of `divisor`, never below 90% of the request (MobileNetV2's rule).
int make_divisible(double channels, int divisor = 8);

/// MobileNetV2's inverted residual (MBConv): a 1x1 expansion to in*expand channels (left out when
/// expand is 1), BN, activation; a kxk depthwise conv with the stride, BN, activation; a 1x1
/// projection to `out`, BN; plus an identity shortcut summed in when stride is 1 and the channels
/// do not change; with `se`, a SqueezeExcite edge after the depthwise activation (MobileNetV3).
/// The one builder of the block: the mbv space and space files (GraphSpace) both
/// call it. Names are prefix + ".expand.conv", ".dw.bn", ".project.conv", ".skip", ".out"...
struct InvertedResidual {
  int kernel = 3, expand = 1, stride = 1, out = 0;
  OpKind activation = OpKind::ReLU6;
  bool se = false;  // a squeeze-excite after the depthwise activation, squeezing to make_divisible(hidden / 4)
};
NodeId append_inverted_residual(ArchGraph& g, NodeId x, const InvertedResidual& b, const std::string& prefix, int cell);

}  // namespace hwnas
