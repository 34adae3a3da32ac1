// Short-training proxy in LibTorch (see include/hwnas/nas/train.h).
#include "hwnas/nas/train.h"

#include <chrono>
#include <fstream>
#include <sstream>
#include <cmath>
#include <optional>

#include "batches.h"
#include "device.h"
#include "hwnas/core/atomic_file.h"
#include "hwnas/core/error.h"
#include "hwnas/nas/torch_builder.h"

namespace hwnas {

namespace {

double evaluate(GraphNetImpl& net, const ImageSet& val, const TensorShape& in, int images, int num_classes,
                const torch::Device& device) {
  torch::NoGradGuard no_grad;
  net.eval();
  const int n = std::min(images, val.n);
  if (n == 0) throw ProxyFailure{"the validation split is empty"};
  std::int64_t correct = 0;
  for (int first = 0; first < n; first += 250) {
    auto [x, y] = slice_batch(val, in, first, std::min(250, n - first), num_classes);
    correct += net.forward(x.to(device)).argmax(1).eq(y.to(device)).sum().item<std::int64_t>();
  }
  net.train();
  return static_cast<double>(correct) / n;
}

}  // namespace

struct TrainSession::Impl {
  const SearchSpace* space;
  Architecture arch;
  const DataSplit* data;
  TrainOptions opts;
  int done = 0;
  std::string failed;  // the message of a failure; the session stays failed
  bool built = false;
  std::unique_ptr<SearchSpace> small;
  std::optional<GraphNet> net;
  std::unique_ptr<torch::optim::Optimizer> optimizer;
  TensorShape in;
  int classes = 0;
  torch::Device device{torch::kCPU};
  Rng rng{0};
  double block_loss = 0;
  int block_n = 0;

  void build() {
    small = reduced_space(*space, opts.reduce);
    const Architecture a = small->parse(space->to_string(arch));
    DecodeOptions dopts;
    dopts.prune_dead = opts.prune_dead;
    const ArchGraph g = small->decode(a, dopts);
    in = g.node(g.input()).shape;
    classes = g.node(g.output()).shape.c;
    net.emplace(g);
    init_deterministic(**net, opts.seed);  // on the CPU: the same weights whichever the device
    (*net)->to(device);
    (*net)->train();
    if (opts.optimizer == "sgd")
      optimizer = std::make_unique<torch::optim::SGD>(
          (*net)->parameters(),
          torch::optim::SGDOptions(opts.lr).momentum(opts.momentum).weight_decay(opts.weight_decay).nesterov(opts.momentum > 0));
    else
      optimizer = std::make_unique<torch::optim::Adam>((*net)->parameters(),
                                                       torch::optim::AdamOptions(opts.lr).weight_decay(opts.weight_decay));
    rng = Rng(opts.seed ^ 0x7a11);
    built = true;
  }

  void train_to(int target, TrainResult& r) {
    GraphNetImpl& m = **net;
    for (int step = done + 1; step <= target; ++step) {
      const double lr = 0.5 * opts.lr * (1.0 + std::cos(M_PI * (step - 1) / opts.steps));
      for (auto& group : optimizer->param_groups()) group.options().set_lr(lr);
      auto [x, y] = minibatch(data->train, in, opts.batch_size, rng, classes);
      optimizer->zero_grad();
      torch::Tensor loss;
      {
        const AutocastGuard autocast(opts.device, opts.precision);  // the forward pass only, as torch.autocast
        loss = torch::nn::functional::cross_entropy(m.forward(x.to(device)), y.to(device));
      }
      const double l = loss.item<double>();
      if (!std::isfinite(l)) throw ProxyFailure{"training loss became " + std::to_string(l) + " at step " + std::to_string(step)};
      if (loss.requires_grad()) loss.backward();
      optimizer->step();
      done = step;
      block_loss += l;
      if (++block_n == opts.loss_every || step == opts.steps) {
        r.loss_curve.push_back(block_loss / block_n);
        block_loss = 0;
        block_n = 0;
      }
      for (int c : opts.checkpoints)
        if (c == step && c != target) r.accuracy_at.emplace_back(step, evaluate(m, data->validation, in, opts.validation_images, classes, device));
    }
  }
};

TrainSession::TrainSession(const SearchSpace& space, const Architecture& arch, const DataSplit& data, TrainOptions opts)
    : impl_(std::make_unique<Impl>(Impl{&space, arch, &data, std::move(opts)})) {
  impl_->opts.validate();
  impl_->device = to_torch_device(impl_->opts.device, "torch_device");
}

TrainSession::~TrainSession() = default;

int TrainSession::step() const { return impl_->done; }

TrainResult TrainSession::run_to(int step) {
  Impl& s = *impl_;
  HWNAS_CHECK(step > s.done && step <= s.opts.steps, "TrainSession::run_to: step out of range");
  const auto start = std::chrono::steady_clock::now();
  TrainResult r;
  if (s.failed.empty()) {
    try {
      if (!s.built) s.build();
      s.train_to(step, r);
      r.val_accuracy = evaluate(**s.net, s.data->validation, s.in, s.opts.validation_images, s.classes, s.device);
      r.accuracy_at.emplace_back(step, r.val_accuracy);
      r.ok = std::isfinite(r.val_accuracy);
      if (!r.ok) s.failed = "validation accuracy is not finite";
    } catch (const ProxyFailure& f) {
      s.failed = f.message;
    } catch (const UserError& e) {
      s.failed = std::string("the reduced copy cannot be built: ") + e.what();
    } catch (const c10::Error& e) {
      s.failed = std::string("the network failed: ") + e.what_without_backtrace();
    }
  }
  if (!s.failed.empty()) {
    r.ok = false;
    r.message = s.failed;
    r.val_accuracy = 0.0;
  }
  r.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return r;
}

bool TrainSession::save(const std::string& path) const {
  const Impl& s = *impl_;
  if (!s.built || s.done == 0 || !s.failed.empty()) return false;
  torch::serialize::OutputArchive ar, net_ar, optimizer_ar;
  ar.write("arch", c10::IValue(s.space->to_string(s.arch)));
  ar.write("options", c10::IValue(s.opts.to_json().dump()));
  ar.write("step", c10::IValue(static_cast<std::int64_t>(s.done)));
  ar.write("rng", c10::IValue(s.rng.state()));
  ar.write("block_loss", c10::IValue(s.block_loss));
  ar.write("block_n", c10::IValue(static_cast<std::int64_t>(s.block_n)));
  (*s.net)->save(net_ar);
  s.optimizer->save(optimizer_ar);
  ar.write("net", net_ar);
  ar.write("optimizer", optimizer_ar);
  try {
    std::ostringstream out;
    ar.save_to(out);
    write_file_atomic(path, out.str());  // the project's temp file + rename
  } catch (const c10::Error&) {
    return false;
  } catch (const UserError&) {
    return false;
  }
  return true;
}

bool TrainSession::restore(const std::string& path) {
  Impl& s = *impl_;
  HWNAS_CHECK(s.done == 0, "TrainSession::restore: the session has trained already");
  if (!s.failed.empty() || !std::ifstream(path)) return false;
  try {
    torch::serialize::InputArchive ar, net_ar, optimizer_ar;
    ar.load_from(path, s.device);
    c10::IValue arch, options, step, rng, block_loss, block_n;
    ar.read("arch", arch);
    ar.read("options", options);
    if (arch.toStringRef() != s.space->to_string(s.arch) || options.toStringRef() != s.opts.to_json().dump()) return false;
    ar.read("step", step);
    ar.read("rng", rng);
    ar.read("block_loss", block_loss);
    ar.read("block_n", block_n);
    ar.read("net", net_ar);
    ar.read("optimizer", optimizer_ar);
    if (step.toInt() < 1 || step.toInt() > s.opts.steps) return false;
    Impl fresh{s.space, s.arch, s.data, s.opts};
    fresh.device = s.device;
    fresh.build();
    (*fresh.net)->load(net_ar);
    fresh.optimizer->load(optimizer_ar);
    fresh.rng.restore(rng.toStringRef(), path);
    fresh.done = static_cast<int>(step.toInt());
    fresh.block_loss = block_loss.toDouble();
    fresh.block_n = static_cast<int>(block_n.toInt());
    s = std::move(fresh);
    return true;
  } catch (const c10::Error&) {
    return false;
  } catch (const UserError&) {
    return false;
  }
}

TrainResult train_proxy(const SearchSpace& space, const Architecture& arch, const DataSplit& data,
                        const TrainOptions& opts) {
  opts.validate();
  return TrainSession(space, arch, data, opts).run_to(opts.steps);
}

}  // namespace hwnas
