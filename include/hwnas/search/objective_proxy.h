#pragma once
// Accuracy-proxy objective sources for search configs (expensive objectives):
//   {"name": "synflow", "source": {"proxy": "synflow"}, "direction": "maximize", "log": true}
//   {"name": "acc", "source": {"proxy": {"name": "naswot", "batch_size": 64, "dataset": {"name": "fashion-mnist"}}}}
//   {"name": "acc", "source": {"train": {"steps": 200, "reduce": "auto", "dataset": {"name": "fashion-mnist"}}}, "direction": "maximize"}
// Both take "torch_device" ("cpu", "cuda", "cuda:N"; include/hwnas/nas/torch_device.h).
// They live in hwnas_torch (LibTorch), so they are added to the objective-source table by a call
// rather than listed in search/objective.cpp; the hwnas program calls this at start-up.
namespace hwnas {

/// Adds the "proxy" and "train" kinds to the objective sources (idempotent, thread-safe).
void register_proxy_objectives();

}  // namespace hwnas
