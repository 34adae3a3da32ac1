#pragma once
// Internal to hwnas_torch: the torch::Device of a TorchDevice (include/hwnas/nas/torch_device.h).
#include <torch/torch.h>

#include "hwnas/nas/torch_device.h"

namespace hwnas {

/// The device to move modules and tensors to; require_torch_device(d, where) first.
torch::Device to_torch_device(const TorchDevice& d, const std::string& where);

/// Waits for the work queued on a CUDA device (a no-op on the CPU), so a wall-clock timer around a
/// forward pass measures the kernels, not only their launch.
void synchronize_device(const TorchDevice& d);

/// Automatic mixed precision for the scope of the guard (torch.autocast in Python): "fp32" does
/// nothing, "bf16" and "fp16" run autocast-eligible ops (convolutions, linear layers) in that type
/// on the device. Autocast state is per thread, so concurrent evaluations do not disturb each
/// other. Precision strings are checked by TrainOptions::validate.
class AutocastGuard {
 public:
  AutocastGuard(const TorchDevice& d, const std::string& precision);
  ~AutocastGuard();
  AutocastGuard(const AutocastGuard&) = delete;
  AutocastGuard& operator=(const AutocastGuard&) = delete;

 private:
  bool active_ = false, cuda_ = false, was_enabled_ = false;
  at::ScalarType old_dtype_ = at::kFloat;
};

}  // namespace hwnas
