#include "hwnas/nas/torch_builder.h"

#include <algorithm>

#include "hwnas/core/error.h"
#include "hwnas/core/rng.h"

namespace hwnas {

namespace nn = torch::nn;

namespace {
// MobileNetV3's squeeze-excite, as the PyTorch export writes it (parameters fc1.*, fc2.*).
struct SqueezeExciteImpl : nn::Module {
  SqueezeExciteImpl(int channels, int squeeze)
      : fc1(register_module("fc1", nn::Conv2d(nn::Conv2dOptions(channels, squeeze, 1).bias(true)))),
        fc2(register_module("fc2", nn::Conv2d(nn::Conv2dOptions(squeeze, channels, 1).bias(true)))) {}
  torch::Tensor forward(const torch::Tensor& x) {
    return x * torch::hardsigmoid(fc2(torch::relu(fc1(torch::adaptive_avg_pool2d(x, {1, 1})))));
  }
  nn::Conv2d fc1, fc2;
};
TORCH_MODULE(SqueezeExcite);
}  // namespace

GraphNetImpl::GraphNetImpl(const ArchGraph& graph) {
  const auto& G = graph.graph();
  input_ = static_cast<int>(graph.input());
  output_ = static_cast<int>(graph.output());
  in_edges_.assign(graph.num_nodes(), {});
  last_use_.assign(graph.num_nodes(), -1);
  concat_.assign(graph.num_nodes(), 0);
  for (NodeId n = 0; n < graph.num_nodes(); ++n) concat_[n] = graph.node(n).concat;
  for (EdgeId e : graph.edges_in_order()) {
    const OpEdge& op = G[e];
    Edge edge{op.kind, static_cast<int>(boost::source(e, G)), static_cast<int>(boost::target(e, G)), {}};
    std::string name = op.name;
    std::replace(name.begin(), name.end(), '.', '_');
    switch (op.kind) {
      case OpKind::Conv2d:
        edge.module = nn::AnyModule(register_module(
            name, nn::Conv2d(nn::Conv2dOptions(op.in_channels, op.out_channels, op.kernel)
                                 .stride(op.stride)
                                 .padding(op.padding)
                                 .dilation(op.dilation)
                                 .groups(op.groups)
                                 .bias(op.bias))));
        break;
      case OpKind::BatchNorm:
        edge.module = nn::AnyModule(
            register_module(name, nn::BatchNorm2d(nn::BatchNorm2dOptions(op.in_channels).affine(op.affine))));
        break;
      case OpKind::AvgPool:
        edge.module = nn::AnyModule(register_module(
            name, nn::AvgPool2d(nn::AvgPool2dOptions(op.kernel)
                                    .stride(op.stride)
                                    .padding(op.padding)
                                    .count_include_pad(op.count_include_pad))));
        break;
      case OpKind::MaxPool:
        edge.module = nn::AnyModule(
            register_module(name, nn::MaxPool2d(nn::MaxPool2dOptions(op.kernel).stride(op.stride).padding(op.padding))));
        break;
      case OpKind::Linear:
        edge.module = nn::AnyModule(
            register_module(name, nn::Linear(nn::LinearOptions(op.in_channels, op.out_channels).bias(op.bias))));
        break;
      case OpKind::SqueezeExcite:
        edge.module = nn::AnyModule(register_module(name, SqueezeExcite(op.in_channels, op.hidden)));
        break;
      default: break;
    }
    in_edges_[edge.target].push_back(static_cast<int>(edges_.size()));
    last_use_[edge.source] = std::max(last_use_[edge.source], edge.target);
    edges_.push_back(std::move(edge));
  }
  const TensorShape out = graph.node(graph.output()).shape;
  flatten_output_ = out.h == 1 && out.w == 1;
}

torch::Tensor GraphNetImpl::apply(Edge& e, const torch::Tensor& x) {
  switch (e.kind) {
    case OpKind::Conv2d:
    case OpKind::BatchNorm:
    case OpKind::SqueezeExcite:
    case OpKind::MaxPool:
    case OpKind::AvgPool: return e.module.forward(x);
    case OpKind::Linear: {
      torch::Tensor y = e.module.forward(x.flatten(1));
      return y.view({y.size(0), y.size(1), 1, 1});
    }
    case OpKind::ReLU: return torch::relu(x);
    case OpKind::ReLU6: return linearized_ ? torch::relu(x) : torch::hardtanh(x, 0.0, 6.0);
    case OpKind::HSwish: return linearized_ ? torch::relu(x) : torch::hardswish(x);
    case OpKind::GlobalAvgPool: return torch::adaptive_avg_pool2d(x, {1, 1});
    case OpKind::Identity: return x;
    case OpKind::Zero: return torch::zeros_like(x);
    case OpKind::Add:
    case OpKind::Concat: break;
  }
  HWNAS_CHECK(false, "unsupported op in builder");
}

torch::Tensor GraphNetImpl::combine(std::size_t node, std::vector<torch::Tensor>& parts) const {
  if (parts.size() == 1) return std::move(parts[0]);
  if (concat_[node]) return torch::cat(parts, 1);
  torch::Tensor sum = std::move(parts[0]);
  for (std::size_t i = 1; i < parts.size(); ++i) sum = sum + parts[i];
  return sum;
}

std::vector<torch::Tensor> GraphNetImpl::forward_all(torch::Tensor x) {
  std::vector<torch::Tensor> values(in_edges_.size());
  values[input_] = x;
  for (std::size_t n = 0; n < values.size(); ++n) {
    if (static_cast<int>(n) == input_) continue;
    std::vector<torch::Tensor> parts;
    for (int ei : in_edges_[n]) parts.push_back(apply(edges_[ei], values[edges_[ei].source]));
    values[n] = combine(n, parts);
  }
  return values;
}

torch::Tensor GraphNetImpl::forward(torch::Tensor x) {
  std::vector<torch::Tensor> values(in_edges_.size());
  values[input_] = std::move(x);
  for (std::size_t n = 0; n < values.size(); ++n) {
    if (static_cast<int>(n) == input_) continue;
    std::vector<torch::Tensor> parts;
    for (int ei : in_edges_[n]) parts.push_back(apply(edges_[ei], values[edges_[ei].source]));
    values[n] = combine(n, parts);
    // Release inputs nobody reads any more, so peak memory follows the live set.
    for (int ei : in_edges_[n]) {
      const int src = edges_[ei].source;
      if (last_use_[src] == static_cast<int>(n) && src != output_) values[src] = torch::Tensor();
    }
  }
  torch::Tensor out = values[output_];
  return flatten_output_ ? out.flatten(1) : out;
}

void init_deterministic(GraphNetImpl& net, std::uint64_t seed) {
  torch::NoGradGuard no_grad;
  Rng rng(seed);
  for (std::size_t e = 0; e < net.num_edges(); ++e) {
    auto module = net.edge_module(e);
    if (!module) continue;
    const OpKind kind = net.edge_kind(e);
    if (kind == OpKind::BatchNorm) {
      auto bn = std::dynamic_pointer_cast<torch::nn::BatchNorm2dImpl>(module);
      bn->reset_running_stats();
      if (bn->weight.defined()) bn->weight.fill_(1.0);
      if (bn->bias.defined()) bn->bias.fill_(0.0);
      continue;
    }
    std::vector<std::shared_ptr<torch::nn::Module>> layers;  // each with its own weight and fan-in
    if (kind == OpKind::Conv2d || kind == OpKind::Linear) layers.push_back(module);
    if (kind == OpKind::SqueezeExcite)
      for (const auto& child : module->named_children()) layers.push_back(child.value());  // fc1, fc2
    for (const auto& layer : layers) {
      auto params = layer->named_parameters(false);
      const torch::Tensor w = params["weight"];
      const double fan_in = static_cast<double>(w.numel() / w.size(0));
      const double bound = 1.0 / std::sqrt(fan_in);
      for (auto& item : params) {
        torch::Tensor p = item.value();
        std::vector<float> values(static_cast<std::size_t>(p.numel()));
        for (auto& v : values) v = static_cast<float>((2.0 * rng.uniform() - 1.0) * bound);
        p.copy_(torch::from_blob(values.data(), p.sizes(), torch::kFloat32).to(p.dtype()));
      }
    }
  }
}

std::int64_t GraphNetImpl::num_parameters() const {
  std::int64_t n = 0;
  for (const auto& p : parameters()) n += p.numel();
  return n;
}

}  // namespace hwnas
