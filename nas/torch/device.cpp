#include "device.h"

#include <ATen/autocast_mode.h>
#include <torch/version.h>

#include "hwnas/core/error.h"

namespace hwnas {

void require_torch_device(const TorchDevice& d, const std::string& where) {
  if (!d.cuda) return;
  if (!torch::cuda::is_available())
    throw UserError(where + ": " + d.str() +
                    " asked for, but the LibTorch hwnas is built against has no CUDA (a CPU-only build, or no GPU "
                    "or driver here); use cpu, or build against a CUDA LibTorch (README: GPUs)");
  const auto count = static_cast<int>(torch::cuda::device_count());
  if (d.index >= count)
    throw UserError(where + ": " + d.str() + " asked for, but this machine has " + std::to_string(count) +
                    " CUDA device(s) (cuda:0..cuda:" + std::to_string(count - 1) + ")");
}

namespace {
int ordinal(const TorchDevice& d) { return cuda_index_for(d, local_rank(), static_cast<int>(torch::cuda::device_count())); }
}  // namespace

torch::Device to_torch_device(const TorchDevice& d, const std::string& where) {
  require_torch_device(d, where);
  return d.cuda ? torch::Device(torch::kCUDA, static_cast<c10::DeviceIndex>(ordinal(d))) : torch::Device(torch::kCPU);
}

void synchronize_device(const TorchDevice& d) {
  if (d.cuda) torch::cuda::synchronize(static_cast<c10::DeviceIndex>(ordinal(d)));
}

namespace {
// LibTorch 2.4 replaced the per-backend autocast calls by ones taking the device type (the old
// ones remain, deprecated); Debian's 1.13 has only the old ones.
#if TORCH_VERSION_MAJOR > 2 || (TORCH_VERSION_MAJOR == 2 && TORCH_VERSION_MINOR >= 4)
at::DeviceType type_of(bool cuda) { return cuda ? at::kCUDA : at::kCPU; }
bool autocast_enabled(bool cuda) { return at::autocast::is_autocast_enabled(type_of(cuda)); }
void set_autocast(bool cuda, bool on) { at::autocast::set_autocast_enabled(type_of(cuda), on); }
at::ScalarType autocast_dtype(bool cuda) { return at::autocast::get_autocast_dtype(type_of(cuda)); }
void set_autocast_dtype(bool cuda, at::ScalarType t) { at::autocast::set_autocast_dtype(type_of(cuda), t); }
#else
bool autocast_enabled(bool cuda) { return cuda ? at::autocast::is_enabled() : at::autocast::is_cpu_enabled(); }
void set_autocast(bool cuda, bool on) { cuda ? at::autocast::set_enabled(on) : at::autocast::set_cpu_enabled(on); }
at::ScalarType autocast_dtype(bool cuda) {
  return cuda ? at::autocast::get_autocast_gpu_dtype() : at::autocast::get_autocast_cpu_dtype();
}
void set_autocast_dtype(bool cuda, at::ScalarType t) {
  cuda ? at::autocast::set_autocast_gpu_dtype(t) : at::autocast::set_autocast_cpu_dtype(t);
}
#endif
}  // namespace

AutocastGuard::AutocastGuard(const TorchDevice& d, const std::string& precision) {
  if (precision == "fp32") return;
  HWNAS_CHECK(precision == "bf16" || precision == "fp16", "AutocastGuard: unknown precision " + precision);
  active_ = true;
  cuda_ = d.cuda;
  was_enabled_ = autocast_enabled(cuda_);
  old_dtype_ = autocast_dtype(cuda_);
  set_autocast_dtype(cuda_, precision == "bf16" ? at::kBFloat16 : at::kHalf);
  set_autocast(cuda_, true);
  at::autocast::increment_nesting();
}

AutocastGuard::~AutocastGuard() {
  if (!active_) return;
  // Leaving the outermost autocast scope frees the casts of the weights it cached.
  if (at::autocast::decrement_nesting() == 0) at::autocast::clear_cache();
  set_autocast(cuda_, was_enabled_);
  set_autocast_dtype(cuda_, old_dtype_);
}

}  // namespace hwnas
