// Zero-cost proxies in LibTorch (see include/hwnas/nas/proxy.h).
#include <chrono>
#include <cmath>
#include <map>

#include "hwnas/core/error.h"
#include "hwnas/nas/proxy.h"
#include "hwnas/nas/torch_builder.h"
#include "batches.h"
#include "device.h"

namespace hwnas {

namespace {

// Weights of conv and linear layers (the tensors the pruning-based proxies score).
std::vector<torch::Tensor> layer_weights(GraphNetImpl& net) {
  std::vector<torch::Tensor> out;
  for (std::size_t e = 0; e < net.num_edges(); ++e) {
    const OpKind k = net.edge_kind(e);
    if (k == OpKind::Conv2d || k == OpKind::Linear) out.push_back(net.edge_module(e)->named_parameters(false)["weight"]);
  }
  return out;
}

// Synflow (Tanaka et al. 2020) is defined on the linearised network: |weights|, an all-ones
// input, so every activation is positive and ReLU passes it unchanged. A bounded activation
// (ReLU6) would clip that positive signal at 6 and zero its gradient, which makes the score of
// a MobileNet nearly constant; it runs unbounded here (as ReLU), like every other activation.
double synflow(GraphNetImpl& net, const TensorShape& in, const torch::Device& device) {
  torch::NoGradGuard no_grad;
  net.set_linearized(true);
  net.to(torch::kFloat64);
  net.eval();  // BatchNorm uses (reset) running statistics: no statistics are updated
  for (auto& p : net.parameters()) p.abs_();
  for (auto& b : net.buffers())
    if (b.is_floating_point()) b.abs_();
  torch::Tensor x = torch::ones({1, in.c, in.h, in.w}, torch::TensorOptions(torch::kFloat64).device(device));
  torch::AutoGradMode grad(true);
  torch::Tensor y = net.forward(x);
  y.sum().backward();
  double score = 0;
  for (auto& w : layer_weights(net))
    if (w.grad().defined()) score += (w * w.grad()).abs().sum().item<double>();
  return score;
}

double naswot(GraphNetImpl& net, const torch::Tensor& x) {
  torch::NoGradGuard no_grad;
  net.train();
  const std::vector<torch::Tensor> values = net.forward_all(x);
  // K_ij = number of ReLU units on which samples i and j agree = (D + s_i . s_j) / 2 with
  // s = 2*code - 1; float32 holds these integer sums exactly below 2^24 units per layer.
  torch::Tensor k;
  double units = 0;
  for (std::size_t e = 0; e < net.num_edges(); ++e) {
    const OpKind kind = net.edge_kind(e);
    if (kind != OpKind::ReLU && kind != OpKind::ReLU6 && kind != OpKind::HSwish) continue;  // h-swish > 0 iff x > 0
    const torch::Tensor s = (values[net.edge_target(e)] > 0).flatten(1).to(torch::kFloat32) * 2 - 1;
    const torch::Tensor part = s.matmul(s.t()).to(torch::kFloat64);
    k = k.defined() ? k + part : part;
    units += static_cast<double>(s.size(1));
  }
  if (!k.defined()) throw ProxyFailure{"naswot needs ReLU layers"};
  k = (k + units) / 2;
  // log det(K + I): the identity keeps networks whose codes coincide (disconnected cells) finite.
  const torch::Tensor ridge = k + torch::eye(k.size(0), k.options());
  return std::get<1>(torch::linalg_slogdet(ridge)).item<double>();
}

double jacob_cov(GraphNetImpl& net, torch::Tensor x) {
  net.train();
  x = x.clone().set_requires_grad(true);
  torch::Tensor y = net.forward(x);
  if (y.requires_grad()) y.backward(torch::ones_like(y));
  // A network whose output does not depend on its input (a zero cell) has a zero Jacobian.
  const torch::Tensor j = (x.grad().defined() ? x.grad() : torch::zeros_like(x)).flatten(1).to(torch::kFloat64);
  const torch::Tensor centred = j - j.mean(1, true);
  const torch::Tensor norm = centred.norm(2, 1, true);
  // Rows without variance (a constant network) count as perfectly correlated with every row.
  const torch::Tensor flat = norm.squeeze(1) <= 1e-30;
  const torch::Tensor unit = centred / norm.clamp_min(1e-300);
  torch::Tensor corr = unit.matmul(unit.t());
  if (flat.any().item<bool>()) {
    const torch::Tensor mask = flat.unsqueeze(0) | flat.unsqueeze(1);
    corr = torch::where(mask, torch::ones_like(corr), corr);
  }
  const torch::Tensor v = torch::linalg_eigvalsh(corr, "L").clamp_min(0.0);
  const double k = 1e-5;
  return -(torch::log(v + k) + 1.0 / (v + k)).sum().item<double>();
}

torch::Tensor loss_of(GraphNetImpl& net, const torch::Tensor& x, const torch::Tensor& labels) {
  net.train();
  return torch::nn::functional::cross_entropy(net.forward(x), labels);
}

void backward_if_possible(const torch::Tensor& loss) {
  if (loss.requires_grad()) loss.backward();
}

double grad_norm(GraphNetImpl& net, const torch::Tensor& x, const torch::Tensor& labels) {
  backward_if_possible(loss_of(net, x, labels));
  double score = 0;
  for (auto& w : layer_weights(net))
    if (w.grad().defined()) score += w.grad().norm().item<double>();
  return score;
}

double snip(GraphNetImpl& net, const torch::Tensor& x, const torch::Tensor& labels) {
  backward_if_possible(loss_of(net, x, labels));
  double score = 0;
  for (auto& w : layer_weights(net))
    if (w.grad().defined()) score += (w * w.grad()).abs().sum().item<double>();
  return score;
}

double fisher(GraphNetImpl& net, const torch::Tensor& x, const torch::Tensor& labels) {
  net.train();
  std::vector<torch::Tensor> values = net.forward_all(x);
  // The logits are the last node's value, flattened to N x classes.
  torch::Tensor logits = values.back().flatten(1);
  const torch::Tensor loss = torch::nn::functional::cross_entropy(logits, labels);
  std::vector<torch::Tensor> acts;
  for (std::size_t e = 0; e < net.num_edges(); ++e) {
    const OpKind k = net.edge_kind(e);
    const torch::Tensor& a = values[net.edge_target(e)];
    // Activations that depend on no weight (after a zero cell) carry no Fisher information.
    if ((k == OpKind::ReLU || k == OpKind::ReLU6 || k == OpKind::HSwish) && a.requires_grad()) acts.push_back(a);
  }
  if (acts.empty() || !loss.requires_grad()) return 0.0;
  const auto grads = torch::autograd::grad({loss}, acts, {}, false, false, /*allow_unused=*/true);
  double score = 0;
  for (std::size_t i = 0; i < acts.size(); ++i) {
    if (!grads[i].defined()) continue;
    // Per channel: 0.5 * mean over the batch of (sum over positions of activation * gradient)^2.
    const torch::Tensor per = (acts[i] * grads[i]).sum({2, 3});
    score += (0.5 * per.pow(2).mean(0)).sum().item<double>();
  }
  return score;
}

// The built-ins' scorers, by the names of the built-in entries in nas/proxy_common.cpp.
using BuiltinScorer = double (*)(ProxyInput&);
const std::map<std::string, BuiltinScorer>& builtin_scorers() {
  static const std::map<std::string, BuiltinScorer> table = {
      {"synflow", [](ProxyInput& in) { return synflow(in.net, in.input, in.device); }},
      {"naswot", [](ProxyInput& in) { return naswot(in.net, in.x); }},
      {"jacob_cov", [](ProxyInput& in) { return jacob_cov(in.net, in.x); }},
      {"grad_norm", [](ProxyInput& in) { return grad_norm(in.net, in.x, in.labels); }},
      {"snip", [](ProxyInput& in) { return snip(in.net, in.x, in.labels); }},
      {"fisher", [](ProxyInput& in) { return fisher(in.net, in.x, in.labels); }},
      {"params", [](ProxyInput& in) { return static_cast<double>(in.net.num_parameters()); }},
  };
  return table;
}

}  // namespace

std::vector<std::string> builtin_proxy_scorer_names() {
  std::vector<std::string> names;
  for (const auto& [n, f] : builtin_scorers()) names.push_back(n);
  return names;
}

ProxyResult score_proxy(const std::string& name, const SearchSpace& space, const Architecture& arch, const ImageSet* data,
                        const ProxyOptions& opts) {
  const ProxyEntry entry = require_proxy(name, "");
  std::function<double(ProxyInput&)> score = entry.score;
  if (!score) {
    auto it = builtin_scorers().find(name);
    HWNAS_CHECK(it != builtin_scorers().end(), "built-in proxy '" + name + "' has no scorer");
    score = it->second;
  }
  opts.validate();
  const torch::Device device = to_torch_device(opts.device, "torch_device");
  const auto start = std::chrono::steady_clock::now();
  ProxyResult r;
  try {
    DecodeOptions dopts;
    dopts.prune_dead = opts.prune_dead;
    const ArchGraph g = space.decode(arch, dopts);
    GraphNet net(g);
    init_deterministic(*net, opts.seed);  // on the CPU: the same weights whichever the device
    net->to(device);
    ProxyInput in{*net, g, g.node(g.input()).shape, device, {}, {}};
    if (entry.needs_data) {
      if (!data) throw ProxyFailure{name + " needs a dataset"};
      Rng rng(opts.seed ^ 0xda7a);
      auto [x_cpu, labels_cpu] = minibatch(*data, in.input, opts.batch_size, rng, g.node(g.output()).shape.c);
      in.x = x_cpu.to(device);
      in.labels = labels_cpu.to(device);
    }
    r.score = score(in);
    r.ok = std::isfinite(r.score);
    if (!r.ok) r.message = name + " score is not finite (" + std::to_string(r.score) + ")";
  } catch (const ProxyFailure& f) {
    r.ok = false;
    r.message = f.message;
  } catch (const UserError&) {
    throw;
  } catch (const c10::Error& e) {
    r.ok = false;
    r.message = std::string("the network failed: ") + e.what_without_backtrace();
  } catch (const ProxyError& e) {
    r.ok = false;
    r.message = e.what();
  } catch (const std::exception& e) {
    r.ok = false;
    r.message = std::string("the network failed: ") + e.what();
  }
  if (!r.ok) r.score = 0.0;
  r.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return r;
}

}  // namespace hwnas
