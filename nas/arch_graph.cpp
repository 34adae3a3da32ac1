#include "hwnas/nas/arch_graph.h"

#include <algorithm>

#include "hwnas/core/error.h"

namespace hwnas {

const char* op_kind_name(OpKind k) {
  switch (k) {
    case OpKind::Conv2d: return "conv2d";
    case OpKind::BatchNorm: return "batch_norm";
    case OpKind::ReLU: return "relu";
    case OpKind::ReLU6: return "relu6";
    case OpKind::SqueezeExcite: return "squeeze_excite";
    case OpKind::Concat: return "concat";
    case OpKind::HSwish: return "hswish";
    case OpKind::AvgPool: return "avg_pool";
    case OpKind::MaxPool: return "max_pool";
    case OpKind::GlobalAvgPool: return "global_avg_pool";
    case OpKind::Linear: return "linear";
    case OpKind::Identity: return "identity";
    case OpKind::Zero: return "zero";
    case OpKind::Add: return "add";
  }
  return "?";
}

TensorShape op_output_shape(const OpEdge& op, const TensorShape& in) {
  const int extent = op.kind == OpKind::Conv2d ? op.dilation * (op.kernel - 1) + 1 : op.kernel;
  auto spatial = [&](int x) { return (x + 2 * op.padding - extent) / op.stride + 1; };
  switch (op.kind) {
    case OpKind::Conv2d: return {op.out_channels, spatial(in.h), spatial(in.w)};
    case OpKind::AvgPool:
    case OpKind::MaxPool: return {in.c, spatial(in.h), spatial(in.w)};
    case OpKind::GlobalAvgPool: return {in.c, 1, 1};
    case OpKind::Linear: return {op.out_channels, 1, 1};
    default: return in;
  }
}

NodeId append_op(ArchGraph& g, NodeId from, OpEdge op) {
  const NodeId to = g.add_node(op_output_shape(op, g.node(from).shape), op.name);
  g.add_edge(from, to, std::move(op));
  return to;
}

int make_divisible(double channels, int divisor) {
  int v = std::max(divisor, static_cast<int>(channels + divisor / 2.0) / divisor * divisor);
  if (v < 0.9 * channels) v += divisor;
  return v;
}

NodeId append_inverted_residual(ArchGraph& g, NodeId x, const InvertedResidual& b, const std::string& prefix, int cell) {
  auto op = [&](OpKind kind, int cin, int cout, const std::string& name) {
    OpEdge e;
    e.kind = kind;
    e.in_channels = cin;
    e.out_channels = cout;
    e.cell = cell;
    e.name = prefix + name;
    return e;
  };
  auto conv = [&](int cin, int cout, int kernel, int stride, int groups, const std::string& name) {
    OpEdge e = op(OpKind::Conv2d, cin, cout, name);
    e.kernel = kernel;
    e.stride = stride;
    e.padding = kernel / 2;
    e.groups = groups;
    return e;
  };
  const int c = g.node(x).shape.c, hidden = c * b.expand;
  const std::string act = b.activation == OpKind::ReLU || b.activation == OpKind::ReLU6 ? ".relu" : ".act";
  NodeId y = x;
  if (b.expand != 1) {
    y = append_op(g, y, conv(c, hidden, 1, 1, 1, ".expand.conv"));
    y = append_op(g, y, op(OpKind::BatchNorm, hidden, hidden, ".expand.bn"));
    y = append_op(g, y, op(b.activation, hidden, hidden, ".expand" + act));
  }
  y = append_op(g, y, conv(hidden, hidden, b.kernel, b.stride, hidden, ".dw.conv"));
  y = append_op(g, y, op(OpKind::BatchNorm, hidden, hidden, ".dw.bn"));
  y = append_op(g, y, op(b.activation, hidden, hidden, ".dw" + act));
  if (b.se) {
    OpEdge se = op(OpKind::SqueezeExcite, hidden, hidden, ".se");
    se.hidden = make_divisible(hidden / 4.0);
    y = append_op(g, y, std::move(se));
  }
  y = append_op(g, y, conv(hidden, b.out, 1, 1, 1, ".project.conv"));
  OpEdge bn = op(OpKind::BatchNorm, b.out, b.out, ".project.bn");
  if (b.stride != 1 || c != b.out) return append_op(g, y, std::move(bn));
  const NodeId sum = g.add_node(g.node(y).shape, prefix + ".out");
  g.add_edge(y, sum, std::move(bn));
  g.add_edge(x, sum, op(OpKind::Identity, c, c, ".skip"));
  return sum;
}

ArchGraph::ArchGraph(const ArchGraph& other) { *this = other; }
ArchGraph::ArchGraph(ArchGraph&& other) { *this = std::move(other); }

ArchGraph& ArchGraph::operator=(const ArchGraph& other) {
  if (this == &other) return *this;
  g_ = other.g_;
  input_ = other.input_;
  output_ = other.output_;
  rebuild_edge_index();
  return *this;
}

ArchGraph& ArchGraph::operator=(ArchGraph&& other) {
  if (this == &other) return *this;
  g_ = std::move(other.g_);
  input_ = other.input_;
  output_ = other.output_;
  rebuild_edge_index();
  other.g_.clear();
  other.edges_.clear();
  return *this;
}

void ArchGraph::rebuild_edge_index() {
  edges_.assign(boost::num_edges(g_), EdgeId{});
  for (auto [it, end] = boost::edges(g_); it != end; ++it) edges_.at(static_cast<std::size_t>(g_[*it].id)) = *it;
}

NodeId ArchGraph::add_node(TensorShape shape, std::string name) {
  return boost::add_vertex(TensorNode{shape, std::move(name), false}, g_);
}

NodeId ArchGraph::add_concat_node(TensorShape shape, std::string name) {
  return boost::add_vertex(TensorNode{shape, std::move(name), true}, g_);
}

EdgeId ArchGraph::add_edge(NodeId from, NodeId to, OpEdge op) {
  const TensorShape out = op_output_shape(op, g_[from].shape);
  bool fits = out == g_[to].shape;
  if (g_[to].concat) {
    int channels = out.c;
    for (EdgeId e : in_edges(to)) channels += op_output_shape(g_[e], g_[boost::source(e, g_)].shape).c;
    fits = out.h == g_[to].shape.h && out.w == g_[to].shape.w && channels <= g_[to].shape.c;
  }
  HWNAS_CHECK(fits, "edge " + op.name + " produces " + std::to_string(out.c) + "x" + std::to_string(out.h) + "x" +
                        std::to_string(out.w) + " but node " + g_[to].name + " has another shape");
  HWNAS_CHECK(from < to, "edge " + op.name + " goes backwards in node order");
  op.id = static_cast<int>(edges_.size());
  const auto [e, ok] = boost::add_edge(from, to, std::move(op), g_);
  HWNAS_CHECK(ok, "add_edge failed");
  edges_.push_back(e);
  return e;
}

std::vector<NodeId> ArchGraph::topological_order() const {
  // Nodes are created before their consumers and every edge goes forward (checked in
  // add_edge), so insertion order is topological.
  std::vector<NodeId> order(num_nodes());
  for (std::size_t i = 0; i < order.size(); ++i) order[i] = i;
  return order;
}

std::vector<EdgeId> ArchGraph::in_edges(NodeId n) const {
  std::vector<EdgeId> out;
  for (auto [it, end] = boost::in_edges(n, g_); it != end; ++it) out.push_back(*it);
  std::sort(out.begin(), out.end(), [&](EdgeId a, EdgeId b) { return g_[a].id < g_[b].id; });
  return out;
}

bool ArchGraph::output_depends_on_input() const {
  std::vector<bool> reached(num_nodes(), false);
  reached[input_] = true;
  for (NodeId n : topological_order())
    for (EdgeId e : in_edges(n))
      if (reached[boost::source(e, g_)] && g_[e].kind != OpKind::Zero) reached[n] = true;
  return reached[output_];
}

void ArchGraph::validate() const {
  for (NodeId n = 0; n < num_nodes(); ++n) {
    if (n == input_) continue;
    HWNAS_CHECK(boost::in_degree(n, g_) > 0, "node " + g_[n].name + " has no input");
  }
  for (auto e : edges_) {
    const TensorShape out = op_output_shape(g_[e], g_[boost::source(e, g_)].shape), &to = g_[boost::target(e, g_)].shape;
    HWNAS_CHECK(g_[boost::target(e, g_)].concat ? out.h == to.h && out.w == to.w : out == to, "shape mismatch on " + g_[e].name);
  }
  for (NodeId n = 0; n < num_nodes(); ++n) {
    if (!g_[n].concat || n == input_) continue;
    int channels = 0;
    for (EdgeId e : in_edges(n)) channels += op_output_shape(g_[e], g_[boost::source(e, g_)].shape).c;
    HWNAS_CHECK(channels == g_[n].shape.c, "concat node " + g_[n].name + ": its inputs have " + std::to_string(channels) +
                                               " channels, the node " + std::to_string(g_[n].shape.c));
  }
}

}  // namespace hwnas
