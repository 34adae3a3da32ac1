#include "batches.h"

namespace hwnas {

namespace {
void check_compatible(const ImageSet& d, const TensorShape& in, int num_classes) {
  if (d.n < 1) throw ProxyFailure{"the dataset is empty"};
  if (d.c != in.c && d.c != 1)
    throw ProxyFailure{"the dataset has " + std::to_string(d.c) + " channels, the network expects " + std::to_string(in.c)};
  if (d.num_classes > num_classes)
    throw ProxyFailure{"the dataset has " + std::to_string(d.num_classes) + " classes, the network only " +
                       std::to_string(num_classes)};
}

std::pair<torch::Tensor, torch::Tensor> gather(const ImageSet& d, const TensorShape& in, const std::vector<std::size_t>& idx) {
  const int n = static_cast<int>(idx.size());
  const std::size_t img = static_cast<std::size_t>(d.c) * d.h * d.w;
  std::vector<float> pixels(n * img);
  std::vector<std::int64_t> labels(n);
  for (int i = 0; i < n; ++i) {
    std::copy_n(d.pixels.data() + idx[i] * img, img, pixels.data() + i * img);
    labels[i] = d.labels[idx[i]];
  }
  torch::Tensor x = torch::from_blob(pixels.data(), {n, d.c, d.h, d.w}, torch::kFloat32).clone();
  if (d.c != in.c) x = x.expand({n, in.c, d.h, d.w}).contiguous();
  if (d.h != in.h || d.w != in.w)
    x = torch::nn::functional::interpolate(x, torch::nn::functional::InterpolateFuncOptions()
                                                  .size(std::vector<std::int64_t>{in.h, in.w})
                                                  .mode(torch::kBilinear)
                                                  .align_corners(false));
  return {x, torch::from_blob(labels.data(), {n}, torch::kInt64).clone()};
}
}  // namespace

std::pair<torch::Tensor, torch::Tensor> minibatch(const ImageSet& d, const TensorShape& in, int batch, Rng& rng,
                                                  int num_classes) {
  check_compatible(d, in, num_classes);
  // Distinct images: a repeated image gives identical rows, which the kernel proxies (jacob_cov,
  // naswot) read as a degenerate network.
  const auto drawn = rng.distinct_indices(static_cast<std::uint64_t>(d.n), static_cast<std::uint64_t>(std::min(batch, d.n)));
  const std::vector<std::size_t> idx(drawn.begin(), drawn.end());
  return gather(d, in, idx);
}

std::pair<torch::Tensor, torch::Tensor> slice_batch(const ImageSet& d, const TensorShape& in, int first, int count,
                                                    int num_classes) {
  check_compatible(d, in, num_classes);
  std::vector<std::size_t> idx;
  for (int i = first; i < std::min(d.n, first + count); ++i) idx.push_back(i);
  return gather(d, in, idx);
}

}  // namespace hwnas
