#include "surrogate.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>

namespace hwnas::detail {

std::vector<int> Surrogate::window(const StrategyCore& core, int objective) const {
  const auto& obs = core.observations();
  const int n = static_cast<int>(obs.size());
  const int cap = gp_opts_.max_points;
  std::vector<int> out;
  if (n <= cap) {
    out.resize(n);
    std::iota(out.begin(), out.end(), 0);
    return out;
  }
  std::vector<char> in(n, 0);
  auto add = [&](int i) {
    if (!in[i] && static_cast<int>(out.size()) < cap) {
      in[i] = 1;
      out.push_back(i);
    }
  };
  // The front (at most a quarter of the window, most recent members first).
  const auto& members = core.archive().members();
  for (int k = static_cast<int>(members.size()) - 1, taken = 0; k >= 0 && taken < cap / 4; --k, ++taken)
    add(static_cast<int>(members[k].id));
  // The best observations of this objective (a quarter).
  const int best = std::min(n, cap / 4);
  std::vector<int> idx(n);
  std::iota(idx.begin(), idx.end(), 0);
  std::partial_sort(idx.begin(), idx.begin() + best, idx.end(), [&](int a, int b) {
    const double va = obs[a].objectives[objective], vb = obs[b].objectives[objective];
    return va != vb ? va < vb : a > b;
  });
  for (int k = 0; k < best; ++k) add(idx[k]);
  // The most recent ones fill the rest.
  for (int i = n - 1; i >= 0 && static_cast<int>(out.size()) < cap; --i) add(i);
  std::sort(out.begin(), out.end());
  return out;
}

double Surrogate::upper_fence(const StrategyCore& core, int k) const {
  const auto& obs = core.observations();
  if (outlier_fence_ <= 0 || obs.size() < 4) return std::numeric_limits<double>::infinity();
  std::vector<double> v(obs.size());
  for (std::size_t i = 0; i < obs.size(); ++i) v[i] = obs[i].objectives[k];
  const std::size_t i1 = v.size() / 4, i3 = (3 * v.size()) / 4;
  std::nth_element(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(i1), v.end());
  const double q1 = v[i1];
  std::nth_element(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(i3), v.end());
  return v[i3] + outlier_fence_ * (v[i3] - q1);
}

void Surrogate::update(const StrategyCore& core) {
  for (auto& gp : gps_) gp.forget_believed();  // their evaluations, or new beliefs, replace them
  if (!initialized_) {
    initialized_ = true;
    for (int k = 0; k < core.num_objectives(); ++k)
      if (!core.cheap(k)) modelled_.push_back(k);
    windows_.assign(modelled_.size(), {});
  }
  if (!initialized_models_ || core.generation() != generation_) {  // another model fidelity: refit from scratch
    initialized_models_ = true;
    generation_ = core.generation();
    if (ensemble_)
      nets_.assign(modelled_.size(), MlpEnsemble(ensemble_opts_));
    else
      gps_.assign(modelled_.size(), GaussianProcess(gp_opts_));
    scale_.assign(modelled_.size(), Eigen::RowVectorXd());
    for (auto& w : windows_) w.clear();
    seen_obs_ = 0;
    grid_fit_at_ = 0;
  }
  const auto& obs = core.observations();
  if (obs.size() == seen_obs_ || obs.empty()) return;
  // Hyperparameters are reselected every refit_every observations, and at least 20% apart.
  const std::size_t gap = std::max<std::size_t>(static_cast<std::size_t>(refit_every_), grid_fit_at_ / 5);
  const bool grid = grid_fit_at_ == 0 || obs.size() >= grid_fit_at_ + gap;
  const std::size_t first_new = seen_obs_;
  seen_obs_ = obs.size();
  if (grid) grid_fit_at_ = obs.size();
  const auto& lo = core.bounds().lower;
  const auto& hi = core.bounds().upper;
  // The window may run over max_points by a quarter before it is rebuilt, so that most updates
  // only append rows to the Cholesky factor.
  const std::size_t slack = static_cast<std::size_t>(gp_opts_.max_points) / 4;
  for (std::size_t g = 0; g < modelled_.size(); ++g) {
    const int k = modelled_[g];
    std::vector<int>& w = windows_[g];
    const std::size_t added = obs.size() - first_new;
    const bool append = !ensemble_ && !grid && gps_[g].fitted() && w.size() + added <= static_cast<std::size_t>(gp_opts_.max_points) + slack;
    if (append) {
      for (std::size_t i = first_new; i < obs.size(); ++i) w.push_back(static_cast<int>(i));
    } else {
      w = window(core, k);
    }
    const double span = hi[k] > lo[k] ? hi[k] - lo[k] : 1.0;
    const double fence = upper_fence(core, k);  // targets beyond it are fitted at it
    Eigen::VectorXd y(static_cast<Eigen::Index>(w.size()));
    for (std::size_t i = 0; i < w.size(); ++i) y[static_cast<Eigen::Index>(i)] = (std::min(obs[w[i]].objectives[k], fence) - lo[k]) / span;
    if (append) {
      std::vector<Architecture> fresh;
      for (std::size_t i = first_new; i < obs.size(); ++i) fresh.push_back(obs[i].arch);
      gps_[g].append(scale_columns(encoder_.encode(fresh), scale_[g]), y);
      continue;
    }
    std::vector<Architecture> archs;
    for (int i : w) archs.push_back(obs[i].arch);
    const Eigen::MatrixXd X = encoder_.encode(archs);
    if (ensemble_) {  // trained from scratch when the GP would reselect hyperparameters, else warm-started
      if (grid)
        nets_[g].fit(X, y);
      else
        nets_[g].update(X, y);
      continue;
    }
    if (!grid) {
      gps_[g].refit_same_hyperparameters(scale_columns(X, scale_[g]), y);
    } else {  // a concatenated encoding's one-hot share is selected with the grid (gp.h)
      scale_[g] = fit_two_parts(gps_[g], X, y, encoder_.onehot_width());
    }
  }
}

void Surrogate::predict(const StrategyCore& core, const std::vector<Architecture>& cands,
                        const std::vector<Point>& cheap_raw, Eigen::MatrixXd& mean, Eigen::MatrixXd& sd) const {
  const int d = core.num_objectives();
  const Eigen::Index m = static_cast<Eigen::Index>(cands.size());
  mean.setZero(m, d);
  sd.setZero(m, d);
  for (Eigen::Index i = 0; i < m; ++i) {
    const Point p = core.normalized(cheap_raw[i]);
    for (int k = 0; k < d; ++k) mean(i, k) = p[k];  // NaN for modelled objectives, overwritten below
  }
  if (modelled_.empty() || m == 0) return;
  const Eigen::MatrixXd X = encoder_.encode(cands);
  for (std::size_t g = 0; g < modelled_.size(); ++g) {
    const GpPrediction p = ensemble_ ? nets_[g].predict(X, true) : gps_[g].predict(scale_columns(X, scale_[g]), true);
    mean.col(modelled_[g]) = p.mean;
    sd.col(modelled_[g]) = p.variance.array().sqrt().matrix();
  }
}

Point Surrogate::believe(const StrategyCore& core, const Architecture& a, const Point& cheap_raw) {
  Point mean = core.normalized(cheap_raw);
  if (modelled_.empty()) return mean;
  encoder_.encode_into(a, row_);
  for (std::size_t g = 0; g < modelled_.size(); ++g) {
    if (ensemble_) {
      mean[modelled_[g]] = nets_[g].predict_one(row_);
      continue;
    }
    const Eigen::VectorXd& x = scale_[g].size() == 0 ? row_ : (scaled_row_ = row_.cwiseProduct(scale_[g].transpose()));
    gps_[g].append_believed(x, &mean[modelled_[g]]);
  }
  return mean;
}

void Surrogate::predict_one(const StrategyCore& core, const Architecture& a, const Point& cheap_raw, Point& mean,
                            Point& sd) const {
  mean = core.normalized(cheap_raw);
  sd.assign(mean.size(), 0.0);
  if (modelled_.empty()) return;
  encoder_.encode_into(a, row_);
  for (std::size_t g = 0; g < modelled_.size(); ++g) {
    double var = 0;
    if (ensemble_) {
      mean[modelled_[g]] = nets_[g].predict_one(row_, &var);
    } else if (scale_[g].size() == 0) {
      mean[modelled_[g]] = gps_[g].predict_one(row_, &var);
    } else {
      scaled_row_ = row_.cwiseProduct(scale_[g].transpose());
      mean[modelled_[g]] = gps_[g].predict_one(scaled_row_, &var);
    }
    sd[modelled_[g]] = std::sqrt(var);
  }
}

}  // namespace hwnas::detail
