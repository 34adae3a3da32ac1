// Parsing of device names (include/hwnas/nas/torch_device.h); without LibTorch, so the hwnas
// program and config reading check a device string before the LibTorch plugin loads.
#include "hwnas/nas/torch_device.h"

#include <atomic>

#include "hwnas/core/error.h"

namespace hwnas {

std::string TorchDevice::str() const { return !cuda ? "cpu" : own ? "cuda" : "cuda:" + std::to_string(index); }

int cuda_index_for(const TorchDevice& d, int local_rank, int device_count) {
  if (!d.own || device_count < 1) return d.index;
  return local_rank % device_count;
}

namespace {
std::atomic<int> g_local_rank{0};
}  // namespace

void set_local_rank(int rank) { g_local_rank = rank < 0 ? 0 : rank; }
int local_rank() { return g_local_rank; }

TorchDevice parse_torch_device(const std::string& text, const std::string& where) {
  TorchDevice d;
  if (text == "cpu") return d;
  d.cuda = true;
  if (text == "cuda") {
    d.own = true;
    return d;
  }
  const std::string prefix = "cuda:";
  const std::string n = text.substr(0, prefix.size()) == prefix ? text.substr(prefix.size()) : "";
  const bool digits = !n.empty() && n.size() <= 2 && n.find_first_not_of("0123456789") == std::string::npos &&
                      (n.size() == 1 || n[0] != '0');
  if (!digits)
    throw UserError(where + ": expected \"cpu\", \"cuda\" or \"cuda:N\" (N a device index 0..63), got \"" + text + "\"");
  d.index = std::stoi(n);
  if (d.index > 63)
    throw UserError(where + ": expected \"cpu\", \"cuda\" or \"cuda:N\" (N a device index 0..63), got \"" + text + "\"");
  return d;
}

}  // namespace hwnas
