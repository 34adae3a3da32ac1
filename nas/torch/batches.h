#pragma once
// Internal to nas/torch: minibatches in a network's input shape, shared by the proxies and the
// short-training proxy.
#include <string>
#include <utility>

#include <torch/torch.h>

#include "hwnas/core/rng.h"
#include "hwnas/nas/arch_graph.h"
#include "hwnas/nas/dataset.h"

namespace hwnas {

/// An expected failure of a proxy (bad data for this network): becomes a failed result.
struct ProxyFailure {
  std::string message;
};

/// `batch` distinct random images (Rng::distinct_indices; all of them when the set is smaller) adapted to the input shape `in`: gray
/// images are repeated over the channels and images are resized bilinearly when resolutions
/// differ. Throws ProxyFailure when the data cannot feed the network.
std::pair<torch::Tensor, torch::Tensor> minibatch(const ImageSet& d, const TensorShape& in, int batch, Rng& rng,
                                                  int num_classes);
/// Images [first, first + count) in order (for validation), adapted the same way.
std::pair<torch::Tensor, torch::Tensor> slice_batch(const ImageSet& d, const TensorShape& in, int first, int count,
                                                    int num_classes);

}  // namespace hwnas
