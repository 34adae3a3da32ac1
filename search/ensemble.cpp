#include "hwnas/search/ensemble.h"

#include <cmath>

#include "hwnas/core/error.h"
#include "hwnas/core/json_reader.h"
#include "hwnas/core/rng.h"

namespace hwnas {

void EnsembleOptions::validate(const std::string& path) const { validate_options(*this, path); }
nlohmann::json EnsembleOptions::to_json() const { return write_options(*this); }
EnsembleOptions EnsembleOptions::from_json(const nlohmann::json& j, const std::string& path) {
  return read_options<EnsembleOptions>(j, path);
}

MlpEnsemble::MlpEnsemble(EnsembleOptions opts) : opts_(std::move(opts)) { opts_.validate(); }

Eigen::VectorXd MlpEnsemble::forward(const Net& net, const Eigen::MatrixXd& X) const {
  Eigen::MatrixXd a = X.transpose();  // inputs x rows
  const std::size_t L = net.W.size();
  for (std::size_t l = 0; l < L; ++l) {
    Eigen::MatrixXd z = net.W[l] * a;
    z.colwise() += net.b[l];
    a = l + 1 < L ? Eigen::MatrixXd(z.cwiseMax(0.0)) : z;
  }
  return a.row(0).transpose();
}

void MlpEnsemble::train(Net& net, const Eigen::MatrixXd& X, const Eigen::VectorXd& y_std, int steps) const {
  constexpr double b1 = 0.9, b2 = 0.999, eps = 1e-8;
  const std::size_t L = net.W.size();
  const double n = static_cast<double>(X.rows());
  const Eigen::MatrixXd x0 = X.transpose();
  std::vector<Eigen::MatrixXd> acts(L);  // input of layer l (post-ReLU of l-1)
  for (int s = 0; s < steps; ++s) {
    // Forward, keeping every layer's input.
    acts[0] = x0;
    Eigen::MatrixXd z;
    for (std::size_t l = 0; l < L; ++l) {
      z = net.W[l] * acts[l];
      z.colwise() += net.b[l];
      if (l + 1 < L) acts[l + 1] = z.cwiseMax(0.0);
    }
    // d(mean squared error)/d(output).
    Eigen::MatrixXd delta = (2.0 / n) * (z.row(0) - y_std.transpose());
    ++net.t;
    const double c1 = 1.0 - std::pow(b1, net.t), c2 = 1.0 - std::pow(b2, net.t);
    for (std::size_t l = L; l-- > 0;) {
      Eigen::MatrixXd gW = delta * acts[l].transpose() + opts_.weight_decay * net.W[l];
      Eigen::VectorXd gb = delta.rowwise().sum();
      if (l > 0) {
        Eigen::MatrixXd back = net.W[l].transpose() * delta;
        delta = back.cwiseProduct((acts[l].array() > 0.0).cast<double>().matrix());
      }
      net.mW[l] = b1 * net.mW[l] + (1 - b1) * gW;
      net.vW[l] = b2 * net.vW[l] + (1 - b2) * gW.cwiseAbs2();
      net.mb[l] = b1 * net.mb[l] + (1 - b1) * gb;
      net.vb[l] = b2 * net.vb[l] + (1 - b2) * gb.cwiseAbs2();
      net.W[l].array() -= opts_.learning_rate * (net.mW[l].array() / c1) / ((net.vW[l].array() / c2).sqrt() + eps);
      net.b[l].array() -= opts_.learning_rate * (net.mb[l].array() / c1) / ((net.vb[l].array() / c2).sqrt() + eps);
    }
  }
}

namespace {
void standardize(const Eigen::VectorXd& y, double& mean, double& scale) {
  mean = y.size() ? y.mean() : 0.0;
  const double var = y.size() > 1 ? (y.array() - mean).square().sum() / static_cast<double>(y.size() - 1) : 0.0;
  scale = var > 1e-24 ? std::sqrt(var) : 1.0;
}
}  // namespace

void MlpEnsemble::fit(const Eigen::MatrixXd& X, const Eigen::VectorXd& y) {
  if (X.rows() != y.size() || X.rows() == 0) throw UserError("MlpEnsemble::fit: X and y must have the same, positive, number of rows");
  inputs_ = X.cols();
  standardize(y, y_mean_, y_scale_);
  const Eigen::VectorXd ys = (y.array() - y_mean_) / y_scale_;
  members_.assign(static_cast<std::size_t>(opts_.members), Net{});
  for (int m = 0; m < opts_.members; ++m) {
    Net& net = members_[static_cast<std::size_t>(m)];
    Rng rng(Rng::mix(0x656e73656d626c65ULL + static_cast<std::uint64_t>(m)));
    Eigen::Index in = inputs_;
    for (int l = 0; l <= opts_.hidden_layers; ++l) {
      const Eigen::Index out = l < opts_.hidden_layers ? opts_.width : 1;
      Eigen::MatrixXd W(out, in);
      const double sd = std::sqrt(2.0 / static_cast<double>(std::max<Eigen::Index>(in, 1)));  // He initialization
      for (Eigen::Index i = 0; i < W.size(); ++i) W.data()[i] = sd * rng.normal();
      net.W.push_back(W);
      net.b.push_back(Eigen::VectorXd::Zero(out));
      net.mW.push_back(Eigen::MatrixXd::Zero(out, in));
      net.vW.push_back(Eigen::MatrixXd::Zero(out, in));
      net.mb.push_back(Eigen::VectorXd::Zero(out));
      net.vb.push_back(Eigen::VectorXd::Zero(out));
      in = out;
    }
    train(net, X, ys, opts_.epochs);
  }
}

void MlpEnsemble::update(const Eigen::MatrixXd& X, const Eigen::VectorXd& y) {
  if (!fitted() || X.cols() != inputs_) return fit(X, y);
  if (X.rows() != y.size() || X.rows() == 0) throw UserError("MlpEnsemble::update: X and y must have the same, positive, number of rows");
  standardize(y, y_mean_, y_scale_);
  const Eigen::VectorXd ys = (y.array() - y_mean_) / y_scale_;
  for (Net& net : members_) train(net, X, ys, opts_.warm_epochs);
}

GpPrediction MlpEnsemble::predict(const Eigen::MatrixXd& Xs, bool with_variance) const {
  GpPrediction p;
  const Eigen::Index m = Xs.rows();
  p.mean = Eigen::VectorXd::Constant(m, y_mean_);
  p.variance = Eigen::VectorXd::Zero(m);
  if (!fitted() || m == 0) return p;
  Eigen::MatrixXd out(m, static_cast<Eigen::Index>(members_.size()));
  for (std::size_t k = 0; k < members_.size(); ++k) out.col(static_cast<Eigen::Index>(k)) = forward(members_[k], Xs);
  const Eigen::VectorXd mu = out.rowwise().mean();
  p.mean = (mu.array() * y_scale_ + y_mean_).matrix();
  if (with_variance) {
    const double k = static_cast<double>(members_.size());
    p.variance = ((out.colwise() - mu).array().square().rowwise().sum() / (k - 1) * y_scale_ * y_scale_).matrix();
  }
  return p;
}

double MlpEnsemble::predict_one(const Eigen::VectorXd& x, double* variance) const {
  const GpPrediction p = predict(x.transpose(), variance != nullptr);
  if (variance) *variance = p.variance[0];
  return p.mean[0];
}

}  // namespace hwnas
