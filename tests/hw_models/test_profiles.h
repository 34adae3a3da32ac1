#pragma once
// Test helper: a device profile with round numbers, so expected latencies can be computed by hand.
#include "hwnas/hw_models/device_profile.h"

namespace hwnas::test {

inline DeviceProfile round_profile() {
  DeviceProfile p;
  p.name = "round";
  p.kind = DeviceKind::GPU;
  p.runtime = RuntimeKind::Eager;
  p.peak_tflops_fp32 = 1;
  p.peak_tflops_fp16 = 2;
  p.peak_tops_int8 = 4;
  p.memory_bandwidth_gbs = 100;
  p.cache_mb = 0;
  p.cache_bandwidth_gbs = 1000;
  p.kernel_overhead_us = 10;
  p.network_overhead_us = 100;
  p.full_occupancy_outputs = 1;
  p.efficiency = {0.5, 0.25, 0.1, 0.1, 0.1, 0.2};
  p.energy_pj_per_flop_fp32 = 1;
  p.energy_pj_per_flop_fp16 = 0.5;
  p.energy_pj_per_op_int8 = 0.25;
  p.energy_pj_per_dram_byte = 100;
  p.static_power_w = 10;
  return p;
}

}  // namespace hwnas::test
