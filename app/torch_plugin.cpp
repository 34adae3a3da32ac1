#include "torch_plugin.h"

#include <dlfcn.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <mutex>

#include "hwnas/core/error.h"
#include "hwnas/search/objective.h"

namespace hwnas::cli {

namespace {

#ifdef HWNAS_WITH_TORCH
std::string plugin_path() {
  if (const char* env = std::getenv("HWNAS_TORCH_PLUGIN"); env && *env) return env;
  std::error_code ec;
  const std::filesystem::path exe = std::filesystem::read_symlink("/proc/self/exe", ec);
  return ((ec ? std::filesystem::path(".") : exe.parent_path()) / "hwnas-torch.so").string();
}
#endif

struct Loaded {
  const TorchPlugin* table = nullptr;
  std::string error;
};

const Loaded& load() {
  static Loaded loaded;
  static std::once_flag once;
  std::call_once(once, [] {
#ifndef HWNAS_WITH_TORCH
    loaded.error = "this build of hwnas has no LibTorch (HWNAS_WITH_TORCH=OFF)";
#else
    const std::string path = plugin_path();
    // RTLD_GLOBAL: LibTorch's operator registry expects its symbols to be visible process-wide.
    void* handle = ::dlopen(path.c_str(), RTLD_NOW | RTLD_GLOBAL);
    if (!handle) {
      const char* e = ::dlerror();
      loaded.error = "cannot load the LibTorch plugin " + path + ": " + (e ? e : "unknown error");
      return;
    }
    using Entry = const TorchPlugin* (*)();
    auto entry = reinterpret_cast<Entry>(::dlsym(handle, "hwnas_torch_plugin"));
    if (!entry) {
      loaded.error = "the LibTorch plugin " + path + " has no hwnas_torch_plugin entry point";
      return;
    }
    const TorchPlugin* t = entry();
    if (!t || t->abi != kTorchPluginAbi) {
      loaded.error = "the LibTorch plugin " + path + " was built for another version of hwnas (rebuild it)";
      return;
    }
    loaded.table = t;
#endif
  });
  return loaded;
}

}  // namespace

const TorchPlugin& torch_plugin() {
  const Loaded& l = load();
  if (!l.table) throw UserError(l.error);
  return *l.table;
}

bool torch_plugin_available() { return load().table != nullptr; }

TorchDevice torch_device_from_cli(const std::string& flag_value) {
  const TorchDevice d = parse_torch_device(flag_value, "--torch-device");
  torch_plugin().require_torch_device(d, "--torch-device");
  return d;
}

void load_torch_objectives_on_demand() {
  set_objective_source_loader([] {
    if (torch_plugin_available()) torch_plugin().register_proxy_objectives();
  });
}

}  // namespace hwnas::cli
