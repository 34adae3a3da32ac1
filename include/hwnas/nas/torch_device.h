#pragma once
// The device LibTorch runs a network on: "cpu", "cuda" (this process's GPU: under mpirun, GPU
// local_rank % device_count of its machine, else GPU 0) or "cuda:N". Every flag and
// config field that names one (--torch-device of proxy, measure and calibrate; "torch_device" of
// the proxy and train objective sources) is parsed by parse_torch_device, here and nowhere else.
// No LibTorch in this header: whether the LibTorch hwnas is built against has that device is
// checked by require_torch_device (nas/torch/device.cpp, in hwnas_torch) before a network runs.
//
// Example:
//   TorchDevice d = parse_torch_device("cuda:1", "--torch-device");   // d.cuda, d.index == 1
//   require_torch_device(d, "--torch-device");   // UserError on a CPU-only LibTorch
#include <string>

#include "hwnas/core/options.h"

namespace hwnas {

struct TorchDevice {
  bool cuda = false;
  int index = 0;     // CUDA device ordinal given as cuda:N (0 for the CPU and for "cuda")
  bool own = false;  // "cuda": the process's own GPU, cuda_index_for(local rank, devices)
  /// "cpu", "cuda" or "cuda:N" (what parse_torch_device reads back to the same device).
  std::string str() const;
  bool operator==(const TorchDevice& o) const { return cuda == o.cuda && index == o.index && own == o.own; }
  bool operator!=(const TorchDevice& o) const { return !(*this == o); }
};

/// "cpu", "cuda" or "cuda:N" (N in 0..63). UserError "<where>: expected ..." for anything else.
TorchDevice parse_torch_device(const std::string& text, const std::string& where);

/// A "torch_device" field of an options struct (core/options.h).
template <>
struct OptionCodec<TorchDevice> {
  static TorchDevice read(JsonReader& r, const std::string& key, const TorchDevice& fallback) {
    return parse_torch_device(r.get<std::string>(key, fallback.str()), r.child(key));
  }
  static TorchDevice require(JsonReader& r, const std::string& key) { return parse_torch_device(r.require<std::string>(key), r.child(key)); }
  static nlohmann::json write(const TorchDevice& d) { return d.str(); }
  static nlohmann::json schema() { return {{"type", "string"}, {"pattern", "^(cpu|cuda(:[0-9]+)?)$"}}; }
};

/// The CUDA ordinal `d` runs on in a process that is number `local_rank` on its machine, with
/// `device_count` GPUs: cuda:N is N; "cuda" is local_rank % device_count, so the evaluator ranks
/// of `mpirun` on a machine share its GPUs round robin.
int cuda_index_for(const TorchDevice& d, int local_rank, int device_count);
/// This process's rank among the processes of its job on its machine (0 outside mpirun); set by
/// the hwnas program's MPI start-up.
void set_local_rank(int rank);
int local_rank();

/// UserError "<where>: ..." when the LibTorch hwnas runs with cannot use `d` (CUDA asked of a
/// CPU-only LibTorch, or a device index beyond the devices present). Defined in hwnas_torch.
void require_torch_device(const TorchDevice& d, const std::string& where);

}  // namespace hwnas
