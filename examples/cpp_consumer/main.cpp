// Uses the installed hwnas library: exact counts and a latency prediction of one NAS-Bench-201
// cell, then a short ask/tell study whose "acc" your own code would compute.
#include <filesystem>
#include <iostream>

#include "hwnas/hw_models/device_profile.h"
#include "hwnas/hw_models/latency_model.h"
#include "hwnas/nas/search_space.h"
#include "hwnas/search/config.h"
#include "hwnas/search/study.h"

int main(int argc, char** argv) {
  const std::string run_dir = argc > 1 ? argv[1] : "runs/consumer";
  auto space = hwnas::make_space("nb201");
  const auto arch = space->parse("|nor_conv_3x3~0|+|nor_conv_3x3~0|avg_pool_3x3~1|+|skip_connect~0|nor_conv_3x3~1|skip_connect~2|");
  const hwnas::HardwareModel rpi(hwnas::load_device("raspberry-pi-4"));
  std::cout << "profiles " << hwnas::device_profile_dir() << "\n";
  std::cout << "params " << space->count(arch).params << "\n"
            << "raspberry-pi-4 latency_ms " << rpi.predict(space->layers(arch), 1, hwnas::Precision::FP32).latency_ms << "\n";

  const nlohmann::json cfg = {
      {"space", {{"name", "nb201"}}},
      {"objectives",
       {{{"name", "acc"}, {"source", "external"}, {"direction", "maximize"}}, {{"name", "params"}, {"source", "params"}}}},
      {"budget", {{"evaluations", 6}}}};
  std::filesystem::remove_all(run_dir);
  hwnas::Study study(hwnas::SearchConfig::from_json(cfg, "<consumer>"), {.dir = run_dir});
  for (;;) {
    const auto trials = study.ask(2).trials;
    if (trials.empty()) break;
    for (const auto& t : trials) study.tell_values(t.id, {{"acc", 1.0 / (1.0 + t.cheap.raw[1] / 1e6)}});
  }
  study.write_front();
  std::cout << "evaluations " << study.counts().evaluations << ", front " << study.front_size() << "\n";
}
