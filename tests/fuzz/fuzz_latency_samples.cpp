// Fuzz target: `calibrate --samples` files (arch_str, latency_ms CSV, read_latency_samples).
#include <unistd.h>

#include <fstream>

#include "fuzz_common.h"
#include "hwnas/hw_models/calibration.h"
#include "hwnas/nas/search_space.h"

HWNAS_FUZZ_TARGET({
  static const auto space = hwnas::make_space("nb201");
  static const std::string path = "/tmp/hwnas_fuzz_samples." + std::to_string(::getpid()) + ".csv";
  std::ofstream(path, std::ios::binary | std::ios::trunc) << input;
  hwnas::read_latency_samples(path, *space, 1);
})
