#pragma once
// Zero-cost accuracy proxies: scores computed from one minibatch (or none) on the network the
// builder makes, in milliseconds to a second. Higher scores predict higher accuracy. This header
// does not include LibTorch; the scorers live in nas/torch/proxies.cpp.
//
// Scorers (one registry, register_proxy below): synflow (data-free: |weights|, all-ones input, double precision,
// BatchNorm in inference mode so no statistics are updated, on the linearised network: ReLU6
// runs unbounded, as ReLU), naswot (log-determinant of the
// binary ReLU-activation kernel over a minibatch), jacob_cov, grad_norm, snip, fisher, and the
// `params` baseline.
//
// A score that is NaN or infinite, or a network that fails to build or run, is a failed result
// (ok = false with the reason), never an exception and never a good score.
//
// Example:
//   ProxyOptions o;  o.batch_size = 64;
//   ProxyResult r = score_proxy("synflow", space, arch, data, o);
//   if (r.ok) std::printf("%g\n", r.score);
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "hwnas/nas/dataset.h"
#include "hwnas/nas/search_space.h"
#include "hwnas/nas/torch_device.h"

namespace hwnas {

struct ProxyOptions {
  int batch_size = 64;      // minibatch for data-dependent proxies
  std::uint64_t seed = 0;   // weight initialisation and minibatch choice
  bool prune_dead = true;   // network as decoded
  TorchDevice device;       // where the network and its minibatch run (same scores on every device, to float tolerance)
  void validate(const std::string& path = "proxy") const;
};

struct ProxyResult {
  bool ok = false;
  double score = 0.0;
  std::string message;  // why it failed
  double seconds = 0.0;
};

/// What a scorer sees: the built network, its input shape, device and minibatch (LibTorch:
/// defined in hwnas/nas/torch_builder.h).
struct ProxyInput;

/// One zero-cost proxy. The registry is the one list of proxies: the names a config, `hwnas proxy`
/// and its --help accept, and whether each reads a minibatch. A new proxy is one register_proxy
/// call with its scorer (code that includes hwnas/nas/torch_builder.h), from any file:
///
///   register_proxy({"width", false, "channels of the widest layer",
///                   [](ProxyInput& in) { return double(max_channels(in.net)); }});
///
/// The built-ins' entries are the table in nas/proxy_common.cpp; their scorers, the LibTorch part,
/// are the table in nas/torch/proxies.cpp under the same names (a test checks the two agree).
struct ProxyEntry {
  std::string name;
  bool needs_data = true;  // reads a minibatch (false: data-free, like synflow and params)
  std::string summary;     // one line, for --help
  std::function<double(ProxyInput&)> score;  // empty for a built-in (scored by nas/torch/proxies.cpp)
};
/// Adds (or replaces) a proxy; thread-safe. A name must be non-empty, letters, digits and '_'.
void register_proxy(ProxyEntry entry);
/// Removes a proxy added by register_proxy (tests); built-ins stay.
void unregister_proxy(const std::string& name);
std::optional<ProxyEntry> find_proxy(const std::string& name);
/// The entry of `name`; an unknown name is a UserError "<where>: unknown proxy 'x'; did you mean
/// ...? (known: ...)" (no prefix when `where` is empty).
ProxyEntry require_proxy(const std::string& name, const std::string& where);
/// Every proxy's name, sorted.
std::vector<std::string> proxy_names();
bool is_proxy(const std::string& name);
/// Whether a proxy reads a minibatch (false for the data-free synflow and params).
bool proxy_needs_data(const std::string& name);
/// "name: summary" per proxy, one per line (the --help lists).
std::string proxy_help();
/// The one default dataset of the data-dependent proxies, for `hwnas proxy` and a search's proxy
/// objective alike (both fill it in through ProxySourceOptions::from_json, search/objective_proxy.h,
/// so both give the same score): Fashion-MNIST's training files, shuffled with the proxy's seed,
/// the first max(4 x batch_size, 2048) images, no validation split.
DatasetOptions proxy_dataset_defaults(const ProxyOptions& o);
/// The short-training proxy's default dataset: every training image, 20% held out for validation.
DatasetOptions train_dataset_defaults(std::uint64_t seed);
/// `data` may be empty (nullptr) only for data-free proxies (synflow, params). Unknown name ->
/// UserError listing the known proxies.
ProxyResult score_proxy(const std::string& name, const SearchSpace& space, const Architecture& arch,
                        const ImageSet* data, const ProxyOptions& opts);

/// Rank-vote ensemble: for each proxy, the rank of each architecture's score among `scores`
/// (one vector per proxy, one entry per architecture); the ensemble score is the mean rank
/// (higher = better). Failed entries (NaN) get the lowest rank.
std::vector<double> rank_vote(const std::vector<std::vector<double>>& scores);

}  // namespace hwnas
