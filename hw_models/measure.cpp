// MeasureOptions without LibTorch (the measurement itself is in measure_torch.cpp), so the hwnas
// program checks its options before it loads the LibTorch plugin.
#include "hwnas/core/error.h"
#include "hwnas/hw_models/measure.h"

namespace hwnas {

void MeasureOptions::validate() const {
  if (batch < 1) throw UserError("--batch: expected a positive integer, got " + std::to_string(batch));
  if (repeats < 1) throw UserError("--repeats: expected a positive integer, got " + std::to_string(repeats));
  if (warmup < 0) throw UserError("--warmup: expected a non-negative integer, got " + std::to_string(warmup));
  if (threads < 1) throw UserError("--threads: expected a positive integer, got " + std::to_string(threads));
  if (precision != "fp32" && precision != "fp16")
    throw UserError("--precision: expected \"fp32\" or \"fp16\", got \"" + precision + "\"");
  if (precision == "fp16" && !device.cuda)
    throw UserError("--precision: fp16 timing needs --torch-device cuda (LibTorch's CPU convolutions have no fp16 kernels)");
}

}  // namespace hwnas
