#pragma once
// The surrogate shared by `bo` and `mcts`: one Gaussian process (or, with "model": "ensemble", one
// deep ensemble: ensemble.h) per EXPENSIVE objective, fitted to the normalized objective values
// (StrategyCore::bounds) of a window of the observations; cheap objectives come exact from
// ctx.cheap. Architectures are encoded by ArchEncoder (one-hot, path, WL or layer counts; encoding.h). The window keeps the GP at most
// GpOptions::max_points observations: all of them while they fit, else the current front, the
// best observations of the objective, and the most recent ones (a subset-of-data approximation
// whose fit is O(max_points^3) whatever the number of observations). Targets worse than Tukey's
// upper fence of their objective (outlier_fence) are fitted at the fence: objectives are
// minimized, so only the bad tail is clipped, and a few degenerate results (a disconnected cell
// whose proxy score collapses) no longer stretch the standardized targets so that the rest look
// alike. The front and the acquisition keep the values as told.
#include <vector>

#include <Eigen/Dense>

#include "common.h"
#include "hwnas/search/encoding.h"
#include "hwnas/search/ensemble.h"
#include "hwnas/search/gp.h"

namespace hwnas::detail {

class Surrogate {
 public:
  /// `encoding`: a name of encoding_names() (rows the GPs see; encoding.h).
  /// `model`: "gp" (one GaussianProcess per modelled objective) or "ensemble" (one MlpEnsemble each,
  /// trained from scratch when the GP would reselect its hyperparameters, warm-started in between).
  template <class Options>  // BoOptions or MctsOptions (strategies.h: surrogate_fields)
  Surrogate(const Options& o, const SearchSpace& space)
      : gp_opts_(o.gp), ensemble_opts_(o.ensemble), ensemble_(o.model == "ensemble"), refit_every_(o.refit_every),
        outlier_fence_(o.outlier_fence), encoder_(space, o.encoding) {}

  /// Refits when observations arrived since the last call (whole when the core's model fidelity
  /// changed: StrategyCore::generation). Hyperparameters are reselected on the
  /// grid every max(refit_every, 20% of the observations) new observations; in between new
  /// observations extend the Cholesky factor (O(n^2) each) until the window exceeds max_points by
  /// a quarter, when it is rebuilt (O(max_points^3)).
  void update(const StrategyCore& core);
  /// Objectives modelled by a GP (expensive, or cheap without ctx.cheap).
  const std::vector<int>& modelled() const { return modelled_; }

  /// Normalized predictions for candidates whose raw cheap values are given (NaN where expensive):
  /// rows = candidates, columns = objectives; sd is 0 for exact objectives.
  void predict(const StrategyCore& core, const std::vector<Architecture>& cands, const std::vector<Point>& cheap_raw,
               Eigen::MatrixXd& mean, Eigen::MatrixXd& sd) const;
  /// Kriging believer (Ginsbourger et al. 2010) for a proposal still pending in this refresh:
  /// returns its normalized predicted point (cheap objectives exact, as predict_one's mean) and
  /// conditions each GP on it as if observed there, so the next proposals see the variance near it
  /// shrink (the mean is unchanged). Undone by the next update(). The ensemble model is not
  /// conditioned (the point still joins the caller's front).
  Point believe(const StrategyCore& core, const Architecture& a, const Point& cheap_raw);
  /// One candidate (used inside MCTS rollouts).
  void predict_one(const StrategyCore& core, const Architecture& a, const Point& cheap_raw, Point& mean, Point& sd) const;

 private:
  std::vector<int> window(const StrategyCore& core, int objective) const;
  /// Tukey's upper fence of objective k over the observations: Q3 + outlier_fence x (Q3 - Q1)
  /// (quartiles as the order statistics n/4 and 3n/4); +inf when off or with fewer than 4.
  double upper_fence(const StrategyCore& core, int objective) const;

  GpOptions gp_opts_;
  EnsembleOptions ensemble_opts_;
  bool ensemble_ = false;
  int refit_every_;
  double outlier_fence_;
  ArchEncoder encoder_;
  std::vector<int> modelled_;
  std::vector<GaussianProcess> gps_;  // per modelled objective, model "gp"
  std::vector<MlpEnsemble> nets_;     // per modelled objective, model "ensemble"
  // Per GP: column scales of its rows (the one-hot share chosen for a concatenated encoding;
  // empty: the rows as encoded).
  std::vector<Eigen::RowVectorXd> scale_;
  std::vector<std::vector<int>> windows_;  // per GP: the observations it was fitted to, in order
  std::size_t seen_obs_ = 0;
  std::size_t grid_fit_at_ = 0;
  bool initialized_ = false;
  bool initialized_models_ = false;
  int generation_ = 0;  // StrategyCore::generation of the fit
  mutable Eigen::VectorXd row_, scaled_row_;
};

}  // namespace hwnas::detail
