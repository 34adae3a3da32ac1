#pragma once
// LibTorch builder: an ArchGraph becomes a torch::nn::Module that computes exactly the graph
// (each edge one layer, a node with several inputs their sum). Includes <torch/torch.h>: only
// translation units that need LibTorch include this header.
//
// Example:
//   GraphNet net(space->decode(arch));
//   torch::Tensor logits = net->forward(torch::randn({8, 3, 32, 32}));   // 8 x num_classes
#include <stdexcept>

#include <torch/torch.h>

#include "hwnas/nas/arch_graph.h"

namespace hwnas {

class GraphNetImpl : public torch::nn::Module {
 public:
  explicit GraphNetImpl(const ArchGraph& graph);
  /// x: N x C x H x W. Returns N x num_classes when the output node is C x 1 x 1, else N x C x H x W.
  torch::Tensor forward(torch::Tensor x);
  /// Outputs of every node, in node order (for proxies that inspect activations).
  std::vector<torch::Tensor> forward_all(torch::Tensor x);
  std::int64_t num_parameters() const;
  /// Edge index -> op kind, and the module of an edge (empty for parameter-free functional ops).
  OpKind edge_kind(std::size_t e) const { return edges_[e].kind; }
  int edge_source(std::size_t e) const { return edges_[e].source; }
  int edge_target(std::size_t e) const { return edges_[e].target; }
  /// The layer of an edge (nullptr for parameter-free functional ops: ReLU, Identity, ...).
  std::shared_ptr<torch::nn::Module> edge_module(std::size_t e) const {
    return edges_[e].module.is_empty() ? nullptr : edges_[e].module.ptr();
  }
  std::size_t num_edges() const { return edges_.size(); }
  /// Linearised mode (synflow): bounded activations (ReLU6) run as ReLU, so a positive signal is
  /// never clipped. Off by default.
  void set_linearized(bool on) { linearized_ = on; }

 private:
  struct Edge {
    OpKind kind;
    int source, target;
    torch::nn::AnyModule module;  // conv, bn, pool, linear, squeeze-excite
  };
  torch::Tensor apply(Edge& e, const torch::Tensor& x);
  std::vector<Edge> edges_;
  std::vector<std::vector<int>> in_edges_;  // node -> edge indices
  std::vector<int> last_use_;               // node -> last node whose inputs read it
  std::vector<char> concat_;                // node -> inputs concatenated (else summed)
  torch::Tensor combine(std::size_t node, std::vector<torch::Tensor>& parts) const;
  int input_ = 0, output_ = 0;
  bool flatten_output_ = false;
  bool linearized_ = false;
};
TORCH_MODULE(GraphNet);

/// Deterministic initialisation from hwnas::Rng (thread-safe, unlike torch::manual_seed):
/// conv and linear weights and biases U(-1/sqrt(fan_in), 1/sqrt(fan_in)) (PyTorch's default
/// bound; a squeeze-excite's two 1x1 convs in order), BatchNorm weight 1 and bias 0, running
/// statistics reset.
void init_deterministic(GraphNetImpl& net, std::uint64_t seed);

/// What a zero-cost proxy's scorer sees (ProxyEntry, hwnas/nas/proxy.h): the network built with
/// deterministic weights on `device`, its input shape, and for a proxy that reads data a
/// minibatch (x: N x C x H x W, labels: N); both undefined for a data-free proxy. A scorer may
/// change the network (weights, mode, dtype): it is built for this one score. Throwing
/// ProxyError (or any exception) makes the result a failure with that message.
struct ProxyInput {
  GraphNetImpl& net;
  const ArchGraph& graph;
  TensorShape input;
  torch::Device device;
  torch::Tensor x, labels;
};

struct ProxyError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

/// Names of the built-in scorers (nas/torch/proxies.cpp): the built-in entries without a scorer
/// of their own (tested equal).
std::vector<std::string> builtin_proxy_scorer_names();

}  // namespace hwnas
