#pragma once
// Encodings of architectures for the surrogate of `bo` and `mcts` (a GP per expensive objective
// sees one row per architecture). One registry, by name:
//
//   onehot  one block per decision, one entry per choice, of the decision vector as given (the
//           first encoding; two architectures one decision apart are sqrt(2) apart).
//   path    BANANAS path encoding (White et al., "BANANAS", AAAI 2021): in every searchable cell
//           (ArchGraph edges with cell >= 0) the sequences of op labels along each path from the
//           cell's inputs to its outputs, counted over cells; plus the fixed-skeleton layer counts
//           below. Truncated to the most frequent paths (vocabulary below).
//   wl      Weisfeiler-Lehman subtree features (NAS-BOWL: Ru et al., "Interpretable Neural
//           Architecture Search via Bayesian Optimisation with Weisfeiler-Lehman Kernels", ICLR
//           2021), h = 1 iteration on each cell's op graph (ops as nodes, plus "in"/"out"), the
//           count vector scaled to unit length, so that the dot product of two rows is the
//           normalized WL kernel and squared distance = 2 - 2 k_WL.
//   layers  per-layer-kind counts over the whole graph (cells: kind, kernel, stride, depthwise,
//           expansion; skeleton layers also by output size and channels): the macro-space
//           features (mbv, whose blocks are cells of one path).
//   layers+onehot  one-hot and layers side by side, each times sqrt(1/2): op counts (what
//           layers sees) and the exact wiring (what it cannot tell apart), at one-hot's mean
//           squared distance.
//
// Graph encodings are computed from space.decode(space.canonicalize(a)) with dead edges pruned,
// so equivalent architectures (isomorphic or dead-edge nb201 cells) encode identically, and are
// cached by canonical hash. Their vocabulary (the feature columns) is the features of a fixed
// seeded sample of the space, most frequent first, at most kMaxEncodingFeatures; features outside
// it are dropped. Rows are finally scaled by one factor so that the mean squared distance of
// random pairs equals one-hot's, which keeps GpOptions::length_scales meaningful for every
// encoding.
//
// How to add one: a feature function of the ArchGraph in search/encoding.cpp and its name in
// the table there (encoding_names() and the options' validation read that table).
//
// Example:
//   ArchEncoder enc(space, "wl");
//   Eigen::MatrixXd X = enc.encode(archs);   // one row per architecture
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include <Eigen/Dense>

#include "hwnas/nas/arch_graph.h"
#include "hwnas/nas/cost.h"
#include "hwnas/nas/search_space.h"

namespace hwnas {

constexpr int kMaxEncodingFeatures = 256;

/// The encoding names, in registry order.
const std::vector<std::string>& encoding_names();
/// Throws UserError `<path>.encoding: unknown encoding "x"; did you mean 'y'? (known: ...)`.
void check_encoding_name(const std::string& path, const std::string& name);

/// Label of one op edge: kind plus what distinguishes it ("conv3x3", "conv1x1e6", "conv5x5dw_s2",
/// "bn", "relu", "avgpool3x3", "id", "zero", ...).
std::string op_label(const OpEdge& op);
/// Named feature counts of a graph for a graph encoding ("path", "wl", "layers").
/// Path features are "path:" + op labels joined by '-'; WL features "wl<iteration>:" + label.
std::map<std::string, double> graph_features(const std::string& encoding, const ArchGraph& g);
/// The "layers" features from a per-layer cost list (SearchSpace::layers, the fast path of the
/// encoder): equal to graph_features("layers", g) of the graph the list was counted from (tested).
std::map<std::string, double> layer_features(const LayerList& layers);
/// Normalized WL kernel of two graphs: dot product of their unit-length "wl" feature vectors
/// (WL counts of the cells and the skeleton's layer counts, as the encoder's rows)
/// (1 for a graph with itself).
double wl_kernel(const ArchGraph& a, const ArchGraph& b);

class ArchEncoder {
 public:
  /// Throws UserError for an unknown name (path "encoder"). Encoders of the same space (name and
  /// options) and encoding share one vocabulary and one row cache in the process (thread-safe),
  /// so a second strategy or seed does not decode what the first already did.
  ArchEncoder(const SearchSpace& space, std::string name);

  const std::string& name() const { return name_; }
  Eigen::Index width() const { return width_; }
  /// One row per architecture.
  Eigen::MatrixXd encode(const std::vector<Architecture>& archs) const;
  /// One architecture into `row` (resized).
  void encode_into(const Architecture& a, Eigen::VectorXd& row) const;
  /// Columns of the one-hot part of a concatenation ("layers+onehot": the first ones, each part
  /// times sqrt(1/2)); 0 for every other encoding.
  Eigen::Index onehot_width() const { return graph_part_ ? onehot_width_ : 0; }
  /// The feature columns (names) of a graph encoding; empty for onehot.
  const std::vector<std::string>& vocabulary() const;

  struct Shared;  // vocabulary, scale and row cache of one (space, encoding)

 private:
  using Sparse = std::vector<std::pair<int, double>>;
  Sparse row_of(const Architecture& a) const;  // scaled, in vocabulary columns (cached)

  const SearchSpace* space_;
  std::string name_;
  Eigen::Index width_ = 0;
  std::shared_ptr<Shared> shared_;  // null for onehot and concatenations
  // A concatenation ("layers+onehot"): one-hot's width, and the graph encoding joined to it.
  Eigen::Index onehot_width_ = 0;
  std::shared_ptr<const ArchEncoder> graph_part_;
};

}  // namespace hwnas
