#include "hwnas/search/gp.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include "hwnas/core/error.h"
#include "hwnas/core/json_reader.h"

namespace hwnas {

void GpOptions::validate(const std::string& path) const { validate_options(*this, path); }
nlohmann::json GpOptions::to_json() const { return write_options(*this); }
GpOptions GpOptions::from_json(const nlohmann::json& j, const std::string& path) { return read_options<GpOptions>(j, path); }

void one_hot_into(const SearchSpace& space, const Architecture& a, Eigen::VectorXd& row) {
  const auto& d = space.decisions();
  HWNAS_CHECK(a.choices.size() == d.size(), "architecture does not match the space");
  Eigen::Index width = 0;
  for (const auto& dec : d) width += static_cast<Eigen::Index>(dec.choices.size());
  row.setZero(width);
  Eigen::Index off = 0;
  for (std::size_t i = 0; i < d.size(); ++i) {
    row[off + a.choices[i]] = 1.0;
    off += static_cast<Eigen::Index>(d[i].choices.size());
  }
}

Eigen::MatrixXd one_hot(const SearchSpace& space, const std::vector<Architecture>& archs) {
  Eigen::Index width = 0;
  for (const auto& dec : space.decisions()) width += static_cast<Eigen::Index>(dec.choices.size());
  Eigen::MatrixXd X(static_cast<Eigen::Index>(archs.size()), width);
  Eigen::VectorXd row;
  for (std::size_t i = 0; i < archs.size(); ++i) {
    one_hot_into(space, archs[i], row);
    X.row(static_cast<Eigen::Index>(i)) = row.transpose();
  }
  return X;
}

GaussianProcess::GaussianProcess(GpOptions opts) : opts_(std::move(opts)) {
  opts_.validate();
  rbf_ = opts_.kernel == "rbf";
}

namespace {
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wignored-attributes"  // Eigen's SIMD packet types as template arguments
using Packet = Eigen::internal::packet_traits<double>::type;
constexpr int kLanes = Eigen::internal::unpacket_traits<Packet>::size;
#pragma GCC diagnostic pop

// The kernel of n squared distances, in place. Every entry goes through the same vectorized
// arithmetic (Eigen's packet exp; the tail through a padded packet), so that a distance gives the
// same value wherever it stands: the diagonal of C and kernel(0) agree exactly, whatever n is.
template <bool Rbf>
void kernel_packets(double* d, Eigen::Index n, double length_scale) {
  namespace ei = Eigen::internal;
  const Packet zero = ei::pset1<Packet>(0.0), one = ei::pset1<Packet>(1.0), third = ei::pset1<Packet>(1.0 / 3.0);
  const Packet rbf = ei::pset1<Packet>(-0.5 / (length_scale * length_scale));
  const Packet matern = ei::pset1<Packet>(std::sqrt(5.0) / length_scale);
  auto apply = [&](Packet x) {
    x = ei::pmax(x, zero);
    if constexpr (Rbf) {
      return ei::pexp(ei::pmul(x, rbf));
    } else {
      const Packet r = ei::pmul(ei::psqrt(x), matern);  // sqrt(5 d) / length scale
      const Packet poly = ei::padd(ei::padd(one, r), ei::pmul(ei::pmul(r, r), third));
      return ei::pmul(poly, ei::pexp(ei::pnegate(r)));
    }
  };
  Eigen::Index i = 0;
  for (; i + kLanes <= n; i += kLanes) ei::pstoreu(d + i, apply(ei::ploadu<Packet>(d + i)));
  if (i < n) {
    double buf[kLanes] = {};
    std::copy(d + i, d + n, buf);
    ei::pstoreu(buf, apply(ei::ploadu<Packet>(buf)));
    std::copy(buf, buf + (n - i), d + i);
  }
}
}  // namespace

void GaussianProcess::kernel_in_place(double* sq_dist, Eigen::Index n) const {
  if (rbf_)
    kernel_packets<true>(sq_dist, n, length_scale_);
  else
    kernel_packets<false>(sq_dist, n, length_scale_);
}

double GaussianProcess::kernel(double sq_dist) const {
  kernel_in_place(&sq_dist, 1);
  return sq_dist;
}

void GaussianProcess::set_linear_frame(const Eigen::MatrixXd& X) {
  center_ = X.colwise().mean().transpose();
  center_sq_ = center_.squaredNorm();
  const double spread = (X.rowwise() - center_.transpose()).rowwise().squaredNorm().mean();
  linear_scale_ = spread > 1e-24 ? 1.0 / spread : 0.0;
}

double GaussianProcess::prior_variance(double sq_norm, double dot_center) const {
  double v = kernel(0.0);
  if (linear_weight_ > 0) v += linear_weight_ * linear_scale_ * (sq_norm - 2.0 * dot_center + center_sq_);
  return v;
}

void GaussianProcess::covariances(Eigen::MatrixXd& P, const Eigen::VectorXd& a_norms,
                                  const Eigen::VectorXd& a_dot_center) const {
  // Linear part (x - c).(x_i - c) = P - x.c - x_i.c + c.c, taken before P becomes distances.
  Eigen::MatrixXd lin;
  if (linear_weight_ > 0) {
    lin = P;
    lin.colwise() -= a_dot_center;
    lin.rowwise() -= x_dot_center_.transpose();
    lin.array() += center_sq_;
  }
  P *= -2.0;
  P.colwise() += a_norms;
  P.rowwise() += x_sq_norms_.transpose();
  kernel_in_place(P.data(), P.size());
  if (linear_weight_ > 0) P += (linear_weight_ * linear_scale_) * lin;
}

bool GaussianProcess::factorize(const Eigen::MatrixXd& sq, const Eigen::MatrixXd& lin, double ls, double noise,
                                double w) {
  length_scale_ = ls;
  noise_ratio_ = noise;
  linear_weight_ = w;
  const Eigen::Index n = sq.rows();
  Eigen::MatrixXd C = sq;
  kernel_in_place(C.data(), C.size());
  if (w > 0) C += w * lin;
  C.diagonal().array() += noise;
  Eigen::LLT<Eigen::MatrixXd> llt(C);
  if (llt.info() != Eigen::Success) return false;
  L_ = llt.matrixL();
  n_ = static_cast<int>(n);
  believed_ = 0;
  return true;
}

Eigen::VectorXd GaussianProcess::solve(const Eigen::VectorXd& b) const {
  Eigen::VectorXd x = L().triangularView<Eigen::Lower>().solve(b);
  L().transpose().triangularView<Eigen::Upper>().solveInPlace(x);
  return x;
}

void GaussianProcess::set_targets(const Eigen::VectorXd& y) {
  const Eigen::Index n = y.size();
  y_mean_ = y.mean();
  const double var = (y.array() - y_mean_).square().sum() / static_cast<double>(n);
  y_scale_ = var > 1e-24 ? std::sqrt(var) : 1.0;
  ys_ = (y.array() - y_mean_) / y_scale_;
  alpha_ = solve(ys_);
  signal_var_ = std::max(ys_.dot(alpha_) / static_cast<double>(n), 1e-12);
}

Eigen::VectorXd GaussianProcess::kernel_vector(const Eigen::VectorXd& x) const {
  Eigen::MatrixXd P = x.transpose() * X_.transpose();  // 1 x n
  covariances(P, Eigen::VectorXd::Constant(1, x.squaredNorm()), Eigen::VectorXd::Constant(1, x.dot(center_)));
  return P.transpose();
}

bool GaussianProcess::grow(const Eigen::VectorXd& x, Eigen::VectorXd k) {
  const double xn = x.squaredNorm(), xc = x.dot(center_);
  L().triangularView<Eigen::Lower>().solveInPlace(k);
  const double d2 = prior_variance(xn, xc) + noise_ratio_ - k.squaredNorm();
  if (!(d2 > 1e-10)) return false;
  const Eigen::Index n = n_;
  if (n + 1 > L_.rows()) {  // room for a quarter more rows, so that appends rarely copy the factor
    const Eigen::Index room = n + std::max<Eigen::Index>(16, n / 4);
    Eigen::MatrixXd grown = Eigen::MatrixXd::Zero(room, room);
    grown.topLeftCorner(n, n) = L();
    L_.swap(grown);
  }
  L_.block(0, n, n, 1).setZero();
  L_.block(n, 0, 1, n) = k.transpose();
  L_(n, n) = std::sqrt(d2);
  X_.conservativeResize(n + 1, Eigen::NoChange);
  X_.row(n) = x.transpose();
  x_sq_norms_.conservativeResize(n + 1);
  x_sq_norms_[n] = xn;
  x_dot_center_.conservativeResize(n + 1);
  x_dot_center_[n] = xc;
  ++n_;
  return true;
}

void GaussianProcess::append(const Eigen::MatrixXd& X_new, const Eigen::VectorXd& y) {
  forget_believed();
  HWNAS_CHECK(y.size() == n_ + X_new.rows(), "GP append: targets do not match the data");
  if (n_ == 0) {
    fit(X_new, y);
    return;
  }
  for (Eigen::Index r = 0; r < X_new.rows(); ++r) {
    const Eigen::VectorXd x = X_new.row(r).transpose();
    if (!grow(x, kernel_vector(x))) {  // numerically singular: refit everything
      const Eigen::Index rest = X_new.rows() - r;  // rows r.. are not in X_ yet
      Eigen::MatrixXd X(n_ + rest, X_.cols());
      X << X_, X_new.bottomRows(rest);
      refit_same_hyperparameters(X, y);
      return;
    }
  }
  set_targets(y);
}

bool GaussianProcess::append_believed(const Eigen::VectorXd& x, double* mean_out) {
  HWNAS_CHECK(n_ > 0, "GP append_believed before fit");
  Eigen::VectorXd k = kernel_vector(x);
  const double mean = k.dot(alpha_) * y_scale_ + y_mean_;  // as predict_one
  if (mean_out) *mean_out = mean;
  if (!grow(x, std::move(k))) return false;
  // The believed target is the prediction k^T alpha, so alpha extended by 0 solves the grown
  // system: the mean is unchanged everywhere, exactly.
  ys_.conservativeResize(n_);
  ys_[n_ - 1] = (mean - y_mean_) / y_scale_;
  alpha_.conservativeResize(n_);
  alpha_[n_ - 1] = 0.0;
  ++believed_;
  return true;
}

void GaussianProcess::forget_believed() {
  if (believed_ == 0) return;
  // The believed rows are the last ones and change none before them (alpha's included).
  n_ -= believed_;
  believed_ = 0;
  X_.conservativeResize(n_, Eigen::NoChange);
  x_sq_norms_.conservativeResize(n_);
  x_dot_center_.conservativeResize(n_);
  ys_.conservativeResize(n_);
  alpha_.conservativeResize(n_);
}

namespace {
// Squared distances and the centred linear kernel (scaled) among the rows of X.
void self_covariance_parts(const Eigen::MatrixXd& X, const Eigen::VectorXd& norms, const Eigen::VectorXd& center,
                           double linear_scale, bool with_linear, Eigen::MatrixXd& sq, Eigen::MatrixXd& lin) {
  const Eigen::MatrixXd P = X * X.transpose();
  sq = -2.0 * P;
  sq.colwise() += norms;
  sq.rowwise() += norms.transpose();
  if (!with_linear) return;
  const Eigen::MatrixXd Xc = X.rowwise() - center.transpose();
  lin = linear_scale * (Xc * Xc.transpose());
}
}  // namespace

void GaussianProcess::fit(const Eigen::MatrixXd& X, const Eigen::VectorXd& y) {
  HWNAS_CHECK(X.rows() == y.size() && X.rows() > 0, "GP fit with no data or mismatched sizes");
  const Eigen::Index n = X.rows();
  y_mean_ = y.mean();
  const double var = (y.array() - y_mean_).square().sum() / static_cast<double>(n);
  y_scale_ = var > 1e-24 ? std::sqrt(var) : 1.0;
  const Eigen::VectorXd ys = (y.array() - y_mean_) / y_scale_;
  X_ = X;
  x_sq_norms_ = X.rowwise().squaredNorm();
  set_linear_frame(X);
  x_dot_center_ = X * center_;
  Eigen::MatrixXd sq, lin;
  const bool with_linear = *std::max_element(opts_.linear_weights.begin(), opts_.linear_weights.end()) > 0;
  self_covariance_parts(X_, x_sq_norms_, center_, linear_scale_, with_linear, sq, lin);

  double best = -std::numeric_limits<double>::infinity();
  double best_ls = opts_.length_scales.front(), best_noise = opts_.noise_ratios.back(), best_w = 0;
  for (double w : opts_.linear_weights) {
    if (w > 0 && linear_scale_ == 0) continue;  // no spread: the linear kernel is zero
    for (double ls : opts_.length_scales) {
      for (double noise : opts_.noise_ratios) {
        if (!factorize(sq, lin, ls, noise, w)) continue;
        // Profile likelihood with K = s^2 C: s^2 = y^T C^-1 y / n and
        // log p = -n/2 log(s^2) - 1/2 log|C| - n/2 (constants dropped).
        const Eigen::VectorXd a = solve(ys);
        const double s2 = std::max(ys.dot(a) / static_cast<double>(n), 1e-12);
        const double logdet = 2.0 * L().diagonal().array().log().sum();
        const double lml = (-0.5 * static_cast<double>(n) * std::log(s2) - 0.5 * logdet) / static_cast<double>(n);
        if (lml > best + 1e-12) {
          best = lml;
          best_ls = ls;
          best_noise = noise;
          best_w = w;
        }
      }
    }
  }
  lml_ = best;
  const bool ok = factorize(sq, lin, best_ls, best_noise, best_w);
  HWNAS_CHECK(ok, "GP Cholesky failed for every grid point");
  n_ = static_cast<int>(n);
  set_targets(y);
}

void GaussianProcess::refit_same_hyperparameters(const Eigen::MatrixXd& X, const Eigen::VectorXd& y) {
  if (n_ == 0) {
    fit(X, y);
    return;
  }
  HWNAS_CHECK(X.rows() == y.size() && X.rows() > 0, "GP fit with no data or mismatched sizes");
  const Eigen::Index n = X.rows();
  X_ = X;
  x_sq_norms_ = X.rowwise().squaredNorm();
  x_dot_center_ = X * center_;
  Eigen::MatrixXd sq, lin;
  self_covariance_parts(X_, x_sq_norms_, center_, linear_scale_, linear_weight_ > 0, sq, lin);
  if (!factorize(sq, lin, length_scale_, noise_ratio_, linear_weight_)) {
    fit(X, y);
    return;
  }
  n_ = static_cast<int>(n);
  set_targets(y);
}

GpPrediction GaussianProcess::predict(const Eigen::MatrixXd& Xs, bool with_variance) const {
  HWNAS_CHECK(n_ > 0, "GP predict before fit");
  GpPrediction out;
  const Eigen::VectorXd s_norms = Xs.rowwise().squaredNorm();
  const Eigen::VectorXd s_dot_center = Xs * center_;
  // K*^T, m x n: the variance's triangular solve from the right is about a third faster than
  // L^-1 K* from the left (Eigen's blocking, measured at n = 256, m = 300).
  Eigen::MatrixXd K = Xs * X_.transpose();
  covariances(K, s_norms, s_dot_center);
  out.mean = (K * alpha_).array() * y_scale_ + y_mean_;
  if (with_variance) {
    L().transpose().triangularView<Eigen::Upper>().solveInPlace<Eigen::OnTheRight>(K);  // V^T = K*^T L^-T
    const Eigen::VectorXd reduction = K.rowwise().squaredNorm();
    out.variance.resize(Xs.rows());
    for (Eigen::Index i = 0; i < Xs.rows(); ++i)
      out.variance[i] = std::max(0.0, prior_variance(s_norms[i], s_dot_center[i]) - reduction[i]) * signal_var_ *
                        y_scale_ * y_scale_;
  }
  return out;
}

double GaussianProcess::predict_one(const Eigen::VectorXd& x, double* variance) const {
  HWNAS_CHECK(n_ > 0, "GP predict before fit");
  Eigen::VectorXd k = kernel_vector(x);
  const double mean = k.dot(alpha_) * y_scale_ + y_mean_;
  if (variance) {
    L().triangularView<Eigen::Lower>().solveInPlace(k);
    *variance = std::max(0.0, prior_variance(x.squaredNorm(), x.dot(center_)) - k.squaredNorm()) * signal_var_ *
                y_scale_ * y_scale_;
  }
  return mean;
}

Eigen::MatrixXd scale_columns(const Eigen::MatrixXd& X, const Eigen::RowVectorXd& scales) {
  if (scales.size() == 0) return X;
  return (X.array().rowwise() * scales.array()).matrix();
}

Eigen::RowVectorXd two_part_scales(Eigen::Index width, Eigen::Index first_width, double share) {
  // Each part arrives scaled to half the squared distance; a share s of it is sqrt(2 s).
  Eigen::RowVectorXd sc(width);
  sc.head(first_width).setConstant(std::sqrt(2.0 * share));
  sc.tail(width - first_width).setConstant(std::sqrt(2.0 * (1.0 - share)));
  return sc;
}

Eigen::RowVectorXd fit_two_parts(GaussianProcess& gp, const Eigen::MatrixXd& X, const Eigen::VectorXd& y,
                                 Eigen::Index first_width) {
  if (first_width == 0) {
    gp.fit(X, y);
    return {};
  }
  HWNAS_CHECK(first_width > 0 && first_width < X.cols(), "fit_two_parts needs two non-empty parts");
  double best = -std::numeric_limits<double>::infinity();
  Eigen::RowVectorXd chosen;
  const std::vector<double> shares = gp.options().onehot_shares;  // a copy: gp is assigned below
  for (double share : shares) {
    const Eigen::RowVectorXd sc = two_part_scales(X.cols(), first_width, share);
    GaussianProcess trial(gp.options());
    trial.fit(scale_columns(X, sc), y);
    if (trial.log_marginal_likelihood() > best + 1e-12) {
      best = trial.log_marginal_likelihood();
      chosen = sc;
      gp = std::move(trial);
    }
  }
  return chosen;
}

}  // namespace hwnas
