#pragma once
// Gaussian-process regression over architectures, the surrogate of the `bo` and `mcts`
// strategies. Rows are architecture encodings (encoding.h); one-hot (one block per decision, one
// entry per choice) makes the squared distance of two encodings twice the number of decisions
// they differ in, and the other encodings are scaled to the same mean distance.
//
// Model: y = m + f(x) + noise, with the targets standardized (m = mean, unit variance), f a
// Matern-5/2 (or RBF) kernel of one length scale plus, with weight w, a linear kernel on the
// centred rows (a Bayesian linear trend, so the mean follows a trend away from the data instead of
// falling back to m: "universal kriging"), and the signal variance profiled out of the marginal
// likelihood. The length scale, the noise ratio and w are chosen by maximizing the marginal
// likelihood over a fixed grid: deterministic, and cheap because every grid point is one
// Cholesky factorization. Fitting is O(n^3): callers keep n <= GpOptions::max_points (the
// strategies use a window of the front plus the best and the most recent observations).
//
// Example:
//   GaussianProcess gp;
//   gp.fit(one_hot(space, archs), y);                 // y: one objective per row of X
//   GpPrediction p = gp.predict(one_hot(space, candidates));   // p.mean, p.variance
#include <string>
#include <vector>

#include <Eigen/Dense>
#include <nlohmann/json.hpp>

#include "hwnas/core/options.h"

#include "hwnas/nas/architecture.h"
#include "hwnas/nas/search_space.h"

namespace hwnas {

struct GpOptions {
  std::string kernel = "matern52";  // "matern52" or "rbf"
  /// Length scales tried when fitting (in one-hot distance units: two architectures that differ in
  /// one decision are sqrt(2) apart).
  std::vector<double> length_scales{0.75, 1.5, 3.0, 6.0};
  /// Noise variance as a fraction of the signal variance, tried when fitting.
  std::vector<double> noise_ratios{1e-4, 1e-2, 1e-1};
  /// Largest number of observations a strategy gives one GP (the window); O(n^3) fit, O(n^2) per prediction.
  int max_points = 256;
  /// Concatenated encodings ("layers+onehot"): the shares of the squared distance given to the
  /// one-hot part, tried by the strategies' surrogate with the grid above; the share with the
  /// highest marginal likelihood is kept per objective (two-group relevance determination).
  std::vector<double> onehot_shares{0.5, 0.1, 0.25, 0.75, 0.9};
  /// Weights of the linear kernel tried when fitting, relative to the stationary kernel's variance
  /// (1): w (x - c).(x' - c) / mean |x_i - c|^2, c the mean of the fitted rows; 0 is none.
  std::vector<double> linear_weights{0.0, 1.0};

  template <class S, class V>
  static void fields(S& o, V& v) {
    v("kernel", o.kernel, opt::one_of({"matern52", "rbf"}));
    v("length_scales", o.length_scales, opt::non_empty(), opt::positive());
    v("noise_ratios", o.noise_ratios, opt::non_empty(), opt::at_least(1e-8));
    v("max_points", o.max_points, opt::in(8, 4096));
    v("onehot_shares", o.onehot_shares, opt::non_empty(), opt::above(0, 1),
      opt::doc("layers+onehot: shares of the one-hot part in the squared distance, tried at each "
               "hyperparameter selection; the one of highest marginal likelihood is kept per objective"));
    v("linear_weights", o.linear_weights, opt::non_empty(), opt::at_least(0.0),
      opt::doc("weights of a linear trend in the encoding (a linear kernel on the centred rows, relative "
               "to the stationary kernel's variance), tried with the grid; 0 is none"));
  }
  /// Throws UserError naming the field (prefixed by `path`).
  void validate(const std::string& path = "strategy.options.gp") const;
  nlohmann::json to_json() const;
  static GpOptions from_json(const nlohmann::json& j, const std::string& path);
};

/// One-hot rows, one per architecture: width = total number of choices over all decisions.
Eigen::MatrixXd one_hot(const SearchSpace& space, const std::vector<Architecture>& archs);
/// The same for one architecture, written into `row` (resized).
void one_hot_into(const SearchSpace& space, const Architecture& a, Eigen::VectorXd& row);

struct GpPrediction {
  Eigen::VectorXd mean;      // in the units of the fitted y
  Eigen::VectorXd variance;  // of the latent f (without the noise), >= 0
};

class GaussianProcess {
 public:
  explicit GaussianProcess(GpOptions opts = {});

  /// Fits to rows of X and targets y, selecting hyperparameters on the grid.
  void fit(const Eigen::MatrixXd& X, const Eigen::VectorXd& y);
  /// Refits the data with the hyperparameters chosen by the last fit() (one Cholesky, no grid);
  /// falls back to fit() when there was none.
  void refit_same_hyperparameters(const Eigen::MatrixXd& X, const Eigen::VectorXd& y);

  /// Appends observations (rows of X_new) keeping the hyperparameters: the Cholesky factor grows by
  /// one row each, O(n^2) per row instead of O(n^3). `y` holds the targets of ALL points (old ones
  /// first), since a caller's normalization may have changed them.
  void append(const Eigen::MatrixXd& X_new, const Eigen::VectorXd& y);
  /// Conditions on x as if it had been observed at the current predicted mean (the Kriging
  /// believer of Ginsbourger et al. 2010, for a proposal still pending): the mean stays where it
  /// is everywhere, the variance near x shrinks. Hyperparameters and target scaling are kept;
  /// O(n^2). Returns false, changing nothing, when x duplicates a point numerically. The
  /// predicted mean (predict_one's) is written to `mean` when given, in either case.
  bool append_believed(const Eigen::VectorXd& x, double* mean = nullptr);
  /// Drops the believed points (append calls it first; fit and refit drop them too).
  void forget_believed();
  /// Believed points held (append_believed).
  int believed() const { return believed_; }

  bool fitted() const { return n_ > 0; }
  int size() const { return n_; }
  GpPrediction predict(const Eigen::MatrixXd& Xs, bool with_variance = true) const;
  /// Mean (and variance when `variance` is non-null) of one encoded point.
  double predict_one(const Eigen::VectorXd& x, double* variance = nullptr) const;

  const GpOptions& options() const { return opts_; }
  double length_scale() const { return length_scale_; }
  double noise_ratio() const { return noise_ratio_; }
  double linear_weight() const { return linear_weight_; }
  /// Log marginal likelihood of the last fit (per observation).
  double log_marginal_likelihood() const { return lml_; }

 private:
  double kernel(double sq_dist) const;
  // The kernel of n squared distances, in place (vectorized; a distance gives the same value
  // wherever it stands).
  void kernel_in_place(double* sq_dist, Eigen::Index n) const;
  Eigen::VectorXd solve(const Eigen::VectorXd& b) const;  // (C + noise I)^-1 b
  void set_targets(const Eigen::VectorXd& y);              // standardizes y, computes alpha_
  // Factorizes C + noise I for the given hyperparameters (C = kernel(sq) + w lin); false when not
  // positive definite.
  bool factorize(const Eigen::MatrixXd& sq, const Eigen::MatrixXd& lin, double ls, double noise, double w);
  // The centring and scale of the linear kernel, from the rows of X (fit() sets them; refits and
  // appends keep them, as the other hyperparameters).
  void set_linear_frame(const Eigen::MatrixXd& X);
  // Covariances (without the signal variance) between the rows of A and the data: m x n_, from
  // the inner products P = A X_^T and the rows' squared norms. Adds the linear kernel's term.
  void covariances(Eigen::MatrixXd& P, const Eigen::VectorXd& a_norms, const Eigen::VectorXd& a_dot_center) const;
  // Prior variance (without the signal variance) of a row with these statistics.
  double prior_variance(double sq_norm, double dot_center) const;
  // Kernel values between x and the data (n_ of them).
  Eigen::VectorXd kernel_vector(const Eigen::VectorXd& x) const;
  // Grows the Cholesky factor and the data by the row x, whose kernel_vector is k; false when
  // numerically singular.
  bool grow(const Eigen::VectorXd& x, Eigen::VectorXd k);

  GpOptions opts_;
  int n_ = 0;
  Eigen::MatrixXd X_;
  Eigen::VectorXd x_sq_norms_;
  double y_mean_ = 0, y_scale_ = 1;
  double length_scale_ = 0, noise_ratio_ = 0, signal_var_ = 1;  // signal_var_ of the standardized y
  double linear_weight_ = 0;
  Eigen::VectorXd center_;       // c: the mean row when fit() ran
  double center_sq_ = 0;         // c.c
  double linear_scale_ = 0;      // 1 / mean |x_i - c|^2 (0 when the rows were all equal)
  Eigen::VectorXd x_dot_center_;  // X_ rows . c
  // Lower Cholesky factor of C + noise I: the top-left n_ x n_ block of L_ (which has room to grow).
  Eigen::MatrixXd L_;
  auto L() const { return L_.topLeftCorner(n_, n_); }
  int believed_ = 0;  // the last believed_ of the n_ points are believed (append_believed)
  Eigen::VectorXd ys_;     // y_standardized
  Eigen::VectorXd alpha_;  // (C + noise I)^{-1} y_standardized
  double lml_ = 0;
  bool rbf_ = false;  // opts_.kernel == "rbf" (else Matern-5/2)
};

/// Rows of two parts (ArchEncoder's concatenations: the first `first_width` columns, then the
/// rest, each scaled to half the squared distance): the column scales that give the first part
/// `share` of the squared distance and the rest 1 - share.
Eigen::RowVectorXd two_part_scales(Eigen::Index width, Eigen::Index first_width, double share);

/// gp.fit() on two-part rows with the share of the first part selected too: for every share of
/// GpOptions::onehot_shares, the rows scaled by two_part_scales() are fitted on the grid, and the
/// fit of highest marginal likelihood is kept (earlier shares win ties). Returns its column scales,
/// which rows given to the GP later (append, refit, predict) must be multiplied by
/// (scale_columns). With first_width == 0 (rows of one part) it is gp.fit() and returns no scales.
Eigen::RowVectorXd fit_two_parts(GaussianProcess& gp, const Eigen::MatrixXd& X, const Eigen::VectorXd& y,
                                 Eigen::Index first_width);
/// X with column j multiplied by scales[j]; X itself when `scales` is empty.
Eigen::MatrixXd scale_columns(const Eigen::MatrixXd& X, const Eigen::RowVectorXd& scales);

}  // namespace hwnas
