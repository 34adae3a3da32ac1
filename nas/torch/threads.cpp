#include <torch/torch.h>

#include "hwnas/core/error.h"

namespace hwnas {

// Declared where needed (kept out of headers so that callers need not include LibTorch).
void set_torch_threads(int threads) {
  if (threads < 1 || threads > 256) throw UserError("threads: expected an integer in 1..256, got " + std::to_string(threads));
  torch::set_num_threads(threads);
}

}  // namespace hwnas
