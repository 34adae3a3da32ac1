#pragma once
// The device LibTorch runs a network on: "cpu", "cuda" (CUDA device 0) or "cuda:N". Every flag and
// config field that names one (--torch-device of proxy, measure and calibrate; "torch_device" of
// the proxy and train objective sources) is parsed by parse_torch_device, here and nowhere else.
// No LibTorch in this header: whether the LibTorch hwnas is built against has that device is
// checked by require_torch_device (nas/torch/device.cpp, in hwnas_torch) before a network runs.
//
// Example:
//   TorchDevice d = parse_torch_device("cuda:1", "--torch-device");   // d.cuda, d.index == 1
//   require_torch_device(d, "--torch-device");   // UserError on a CPU-only LibTorch
#include <string>

namespace hwnas {

struct TorchDevice {
  bool cuda = false;
  int index = 0;  // CUDA device ordinal (0 for the CPU)
  /// "cpu" or "cuda:N" (what parse_torch_device reads back to the same device).
  std::string str() const;
  bool operator==(const TorchDevice& o) const { return cuda == o.cuda && index == o.index; }
  bool operator!=(const TorchDevice& o) const { return !(*this == o); }
};

/// "cpu", "cuda" or "cuda:N" (N in 0..63). UserError "<where>: expected ..." for anything else.
TorchDevice parse_torch_device(const std::string& text, const std::string& where);

/// UserError "<where>: ..." when the LibTorch hwnas runs with cannot use `d` (CUDA asked of a
/// CPU-only LibTorch, or a device index beyond the devices present). Defined in hwnas_torch.
void require_torch_device(const TorchDevice& d, const std::string& where);

}  // namespace hwnas
