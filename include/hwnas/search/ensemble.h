#pragma once
// A deep ensemble over architecture encodings: the alternative surrogate model of `bo` and `mcts`
// ("model": "ensemble" in their options; the default is the Gaussian process of gp.h). As in
// BANANAS (White et al., AAAI 2021), several small fully connected ReLU networks are trained
// from different random initializations on the same observations; the prediction is their mean
// and the uncertainty their spread (variance across members), which the acquisition functions use
// as they use a GP's posterior. Training is full-batch Adam on the mean squared error of the
// standardized targets with a little weight decay; every random number comes from a fixed seed per
// member, so the same data gives the same model.
//
// Example:
//   MlpEnsemble e;
//   e.fit(encoder.encode(archs), y);                  // trains every member from scratch
//   e.update(encoder.encode(more_archs), y_all);      // warm start: a few epochs on all the data
//   GpPrediction p = e.predict(encoder.encode(candidates));
#include <vector>

#include <Eigen/Dense>
#include <nlohmann/json.hpp>

#include "hwnas/core/options.h"
#include "hwnas/search/gp.h"

namespace hwnas {

struct EnsembleOptions {
  int members = 5;              // networks in the ensemble
  int hidden_layers = 2;        // fully connected ReLU layers
  int width = 32;               // units per hidden layer
  int epochs = 200;             // full-batch Adam steps when trained from scratch
  int warm_epochs = 20;         // steps on all the data when observations are added between refits
  double learning_rate = 0.01;  // Adam's step size
  double weight_decay = 1e-4;   // L2 penalty on the weights (not the biases)

  template <class S, class V>
  static void fields(S& o, V& v) {
    v("members", o.members, opt::in(2, 100));
    v("hidden_layers", o.hidden_layers, opt::in(1, 10));
    v("width", o.width, opt::in(1, 1024));
    v("epochs", o.epochs, opt::in(1, 100000));
    v("warm_epochs", o.warm_epochs, opt::in(0, 100000));
    v("learning_rate", o.learning_rate, opt::in(1e-6, 1));
    v("weight_decay", o.weight_decay, opt::in(0, 1));
  }
  /// Throws UserError naming the field (prefixed by `path`).
  void validate(const std::string& path = "strategy.options.ensemble") const;
  nlohmann::json to_json() const;
  static EnsembleOptions from_json(const nlohmann::json& j, const std::string& path);
};

class MlpEnsemble {
 public:
  explicit MlpEnsemble(EnsembleOptions opts = {});

  /// Trains every member from a fresh initialization on rows of X and targets y (`epochs` steps).
  void fit(const Eigen::MatrixXd& X, const Eigen::VectorXd& y);
  /// Continues training the current members on X, y (all the data, old rows first) for
  /// `warm_epochs` steps; fit() when there is no model yet or the width of X changed.
  void update(const Eigen::MatrixXd& X, const Eigen::VectorXd& y);

  bool fitted() const { return !members_.empty(); }
  /// Mean of the members and their variance (in the units of y).
  GpPrediction predict(const Eigen::MatrixXd& Xs, bool with_variance = true) const;
  double predict_one(const Eigen::VectorXd& x, double* variance = nullptr) const;

 private:
  struct Net {
    std::vector<Eigen::MatrixXd> W;  // layer l: out x in
    std::vector<Eigen::VectorXd> b;
    std::vector<Eigen::MatrixXd> mW, vW;  // Adam moments
    std::vector<Eigen::VectorXd> mb, vb;
    int t = 0;  // Adam steps taken
  };
  void train(Net& net, const Eigen::MatrixXd& X, const Eigen::VectorXd& y_std, int steps) const;
  Eigen::VectorXd forward(const Net& net, const Eigen::MatrixXd& X) const;  // rows of X -> standardized y

  EnsembleOptions opts_;
  std::vector<Net> members_;
  Eigen::Index inputs_ = 0;
  double y_mean_ = 0, y_scale_ = 1;
};

}  // namespace hwnas
