#include "hwnas/nas/cost.h"

#include "hwnas/core/error.h"

namespace hwnas {

CostTotals& CostTotals::operator+=(const LayerCost& l) {
  params += l.params;
  macs += l.macs;
  flops += l.flops;
  activation_bytes += 4 * (l.input_elements + l.output_elements);
  weight_bytes += 4 * l.weight_elements;
  return *this;
}

CostTotals& CostTotals::operator+=(const CostTotals& o) {
  params += o.params;
  macs += o.macs;
  flops += o.flops;
  activation_bytes += o.activation_bytes;
  weight_bytes += o.weight_bytes;
  return *this;
}

nlohmann::json CostTotals::to_json() const {
  return {{"params", params},
          {"macs", macs},
          {"flops", flops},
          {"activation_bytes", activation_bytes},
          {"weight_bytes", weight_bytes}};
}

LayerCost edge_cost(const OpEdge& op, const TensorShape& input) {
  LayerCost l;
  l.kind = op.kind;
  l.name = op.name;
  l.cell = op.cell;
  l.input = input;
  l.output = op_output_shape(op, input);
  l.kernel = op.kernel;
  l.stride = op.stride;
  l.groups = op.groups;
  l.dilation = op.dilation;
  const std::int64_t in = input.numel(), out = l.output.numel();
  l.input_elements = in;
  l.output_elements = out;
  switch (op.kind) {
    case OpKind::Conv2d: {
      const std::int64_t w = static_cast<std::int64_t>(op.kernel) * op.kernel * (op.in_channels / op.groups) * op.out_channels;
      l.params = w + (op.bias ? op.out_channels : 0);
      l.macs = w * l.output.h * l.output.w;
      l.flops = 2 * l.macs + (op.bias ? out : 0);
      l.weight_elements = l.params;
      break;
    }
    case OpKind::Linear: {
      const std::int64_t w = static_cast<std::int64_t>(op.in_channels) * op.out_channels;
      l.params = w + (op.bias ? op.out_channels : 0);
      l.macs = w;
      l.flops = 2 * w + (op.bias ? op.out_channels : 0);
      l.weight_elements = l.params;
      break;
    }
    case OpKind::BatchNorm:
      l.params = op.affine ? 2 * input.c : 0;
      l.flops = 2 * in;
      l.weight_elements = l.params + 2 * input.c;
      break;
    case OpKind::ReLU: l.flops = in; break;
    case OpKind::ReLU6: l.flops = 2 * in; break;
    case OpKind::SqueezeExcite: {
      const std::int64_t c = op.in_channels, s = op.hidden;
      l.params = 2 * c * s + s + c;
      l.macs = 2 * c * s;
      l.flops = 2 * l.macs + s + c + in + s + 3 * c + out;
      l.weight_elements = l.params;
      break;
    }
    case OpKind::HSwish: l.flops = 5 * in; break;
    case OpKind::AvgPool: l.flops = out * op.kernel * op.kernel; break;
    case OpKind::MaxPool: l.flops = out * (op.kernel * op.kernel - 1); break;
    case OpKind::GlobalAvgPool: l.flops = in; break;
    case OpKind::Identity: l.input_elements = 0; l.output_elements = 0; break;
    case OpKind::Zero: l.input_elements = 0; break;
    case OpKind::Add:
    case OpKind::Concat: HWNAS_CHECK(false, "Add and Concat are not edge ops");
  }
  return l;
}

LayerCost add_cost(const TensorShape& shape, int num_inputs, int cell, std::string name) {
  LayerCost l;
  l.kind = OpKind::Add;
  l.name = std::move(name);
  l.cell = cell;
  l.input = l.output = shape;
  l.num_inputs = num_inputs;
  l.flops = static_cast<std::int64_t>(num_inputs - 1) * shape.numel();
  l.input_elements = static_cast<std::int64_t>(num_inputs) * shape.numel();
  l.output_elements = shape.numel();
  return l;
}

LayerCost concat_cost(const TensorShape& shape, int num_inputs, int cell, std::string name) {
  LayerCost l = add_cost(shape, num_inputs, cell, std::move(name));  // the parts together are one output's worth
  l.kind = OpKind::Concat;
  l.flops = 0;
  l.input_elements = shape.numel();
  return l;
}

LayerList count_costs(const ArchGraph& g) {
  LayerList list;
  const auto& G = g.graph();
  // Edges are stored in topological order; emit a node's Add after its last incoming edge.
  std::vector<int> remaining(g.num_nodes(), 0);
  for (NodeId n = 0; n < g.num_nodes(); ++n) remaining[n] = static_cast<int>(boost::in_degree(n, G));
  list.layers.reserve(g.num_edges() + g.num_nodes());
  for (EdgeId e : g.edges_in_order()) {
    const OpEdge& op = G[e];
    list.layers.push_back(edge_cost(op, G[boost::source(e, G)].shape));
    list.totals += list.layers.back();
    const NodeId t = boost::target(e, G);
    if (--remaining[t] == 0 && boost::in_degree(t, G) > 1) {
      const int n = static_cast<int>(boost::in_degree(t, G));
      list.layers.push_back(G[t].concat ? concat_cost(G[t].shape, n, op.cell, G[t].name + ".concat")
                                        : add_cost(G[t].shape, n, op.cell, G[t].name + ".add"));
      list.totals += list.layers.back();
    }
  }
  return list;
}

}  // namespace hwnas
