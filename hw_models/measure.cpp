// MeasureOptions without LibTorch (the measurement itself is in measure_torch.cpp), so the hwnas
// program checks its options before it loads the LibTorch plugin.
#include "hwnas/core/error.h"
#include "hwnas/hw_models/measure.h"

namespace hwnas {

void MeasureOptions::validate(const std::function<std::string(const std::string&)>& field) const {
  auto f = [&](const std::string& name) { return field ? field(name) : name; };
  if (batch < 1) throw UserError(f("batch") + ": expected a positive integer, got " + std::to_string(batch));
  if (repeats < 1) throw UserError(f("repeats") + ": expected a positive integer, got " + std::to_string(repeats));
  if (warmup < 0) throw UserError(f("warmup") + ": expected a non-negative integer, got " + std::to_string(warmup));
  if (threads < 1) throw UserError(f("threads") + ": expected a positive integer, got " + std::to_string(threads));
  if (precision != "fp32" && precision != "fp16")
    throw UserError(f("precision") + ": expected \"fp32\" or \"fp16\", got \"" + precision + "\"");
  if (precision == "fp16" && !device.cuda)
    throw UserError(f("precision") + ": fp16 timing needs " + f("torch_device") +
                    " cuda (LibTorch's CPU convolutions have no fp16 kernels)");
}

}  // namespace hwnas
