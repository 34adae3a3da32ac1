// hwnas devices: the built-in hardware profiles (configs/hardware/*.json).
#include <cstdio>
#include <iostream>

#include "command.h"
#include "hwnas/hw_models/device_profile.h"

namespace {

void run_devices(bool json) {
  std::vector<hwnas::DeviceProfile> profiles;
  for (const auto& name : hwnas::device_names()) profiles.push_back(hwnas::load_device(name));
  if (json) {
    nlohmann::json j = nlohmann::json::array();
    for (const auto& p : profiles) j.push_back(p.to_json());
    std::cout << j.dump(2) << "\n";
    return;
  }
  std::printf("%-18s %-5s %-9s %10s %10s %9s %8s  %s\n", "name", "kind", "runtime", "fp32_tflops", "fp16_tflops",
              "mem_gbs", "kern_us", "description");
  for (const auto& p : profiles)
    std::printf("%-18s %-5s %-9s %10.3g %10.3g %9.4g %8.3g  %s\n", p.name.c_str(), hwnas::device_kind_name(p.kind),
                hwnas::runtime_kind_name(p.runtime), p.peak_tflops_fp32, p.peak_tflops_fp16, p.memory_bandwidth_gbs,
                p.kernel_overhead_us, p.description.c_str());
  std::cout << "profiles in " << hwnas::device_profile_dir() << "; any other profile by path: --device my/gpu.json\n";
}

void setup_devices(CLI::App& root) {
  auto json = std::make_shared<bool>(false);
  CLI::App* cmd = root.add_subcommand("devices", "List the hardware profiles for latency and energy models");
  cmd->add_flag("--json", *json, "print the full profiles as a JSON array");
  cmd->callback([json] { run_devices(*json); });
}

}  // namespace

HWNAS_COMMAND(setup_devices);
