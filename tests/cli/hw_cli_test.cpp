// End-to-end tests of hwnas devices / measure / calibrate and the --device options of evaluate
// and enumerate, through the built binary.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <filesystem>
#include <sstream>

#include "hwnas/core/csv.h"
#include "support/cli.h"
#include "support/paths.h"

using hwnas::test::read_text;
using hwnas::test::run_hwnas;
using hwnas::test::scratch_dir;
using hwnas::test::write_text;

namespace {
const char* kArch = "|nor_conv_3x3~0|+|nor_conv_1x1~0|avg_pool_3x3~1|+|skip_connect~0|none~1|nor_conv_3x3~2|";
const char* kTiny = "{\"channels\": 4, \"cells_per_stage\": 1, \"input_size\": 8}";

std::string samples_csv(int rows) {
  const char* archs[] = {kArch, "|nor_conv_3x3~0|+|nor_conv_3x3~0|nor_conv_3x3~1|+|nor_conv_3x3~0|nor_conv_3x3~1|nor_conv_3x3~2|",
                         "|skip_connect~0|+|none~0|skip_connect~1|+|avg_pool_3x3~0|none~1|nor_conv_1x1~2|",
                         "|nor_conv_1x1~0|+|nor_conv_1x1~0|none~1|+|nor_conv_1x1~0|skip_connect~1|none~2|"};
  std::string s = "arch_str,latency_ms\n";
  for (int i = 0; i < rows; ++i) s += std::string(archs[i % 4]) + "," + std::to_string(2.0 + 3.0 * (i % 4) + 0.01 * i) + "\n";
  return s;
}
std::string write_and_path(const std::string& path, const std::string& text) {
  write_text(path, text);
  return path;
}
}  // namespace

TEST(CliHw, DevicesListsEveryProfile) {
  auto r = run_hwnas({"devices"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  for (const char* d : {"h100-sxm", "jetson-nano", "pixel-3", "host", "xeon-gold-6226"})
    EXPECT_NE(r.out.find(std::string("\n") + d + " "), std::string::npos) << d;
  auto j = run_hwnas({"devices", "--json"});
  ASSERT_EQ(j.exit_code, 0) << j.err;
  const auto arr = nlohmann::json::parse(j.out);
  ASSERT_GE(arr.size(), 13u);
  EXPECT_TRUE(arr[0].contains("peak_tflops_fp32"));
  EXPECT_TRUE(arr[0].contains("sources"));
}

TEST(CliHw, EvaluateAddsLatencyAndEnergyPerDevice) {
  auto r = run_hwnas({"evaluate", "--arch", kArch, "--json", "--device", "a100-sxm", "--device", "pixel-3"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto j = nlohmann::json::parse(r.out);
  EXPECT_GT(j["latency_ms"]["a100-sxm"].get<double>(), 0);
  EXPECT_GT(j["latency_ms"]["pixel-3"].get<double>(), 0);
  EXPECT_GT(j["energy_mj"]["pixel-3"].get<double>(), 0);
  EXPECT_EQ(j["hardware"]["pixel-3"]["precision"], "fp32");
  EXPECT_EQ(j["params"], 587386);  // the counts are unchanged
  // A bigger batch takes longer on the same device (strictly: a model that ignored the batch
  // would give equal times); fp16 on a tensor-core GPU is not slower.
  auto one = nlohmann::json::parse(run_hwnas({"evaluate", "--arch", kArch, "--json", "--device", "rtx-4090"}).out);
  auto b = nlohmann::json::parse(
      run_hwnas({"evaluate", "--arch", kArch, "--json", "--device", "rtx-4090", "--batch", "64"}).out);
  auto h = nlohmann::json::parse(
      run_hwnas({"evaluate", "--arch", kArch, "--json", "--device", "rtx-4090", "--batch", "64", "--precision", "fp16"}).out);
  EXPECT_EQ(one["hardware"]["rtx-4090"]["batch"], 1);
  EXPECT_EQ(b["hardware"]["rtx-4090"]["batch"], 64);
  EXPECT_GT(b["latency_ms"]["rtx-4090"].get<double>(), one["latency_ms"]["rtx-4090"].get<double>());
  EXPECT_LE(h["latency_ms"]["rtx-4090"].get<double>(), b["latency_ms"]["rtx-4090"].get<double>());
  EXPECT_EQ(h["hardware"]["rtx-4090"]["batch"], 64);
  auto t = run_hwnas({"evaluate", "--arch", kArch, "--device", "host"});
  ASSERT_EQ(t.exit_code, 0) << t.err;
  EXPECT_NE(t.out.find("latency_ms[host]  "), std::string::npos) << t.out;
  EXPECT_NE(t.out.find("energy_mj[host]   "), std::string::npos) << t.out;
}

TEST(CliHw, BadDeviceOptionsExitWith2BeforeAnyOutput) {
  auto r = run_hwnas({"evaluate", "--arch", kArch, "--device", "tpu-v9"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_EQ(r.out, "");
  EXPECT_NE(r.err.find("--device: unknown device 'tpu-v9' (known devices: a100-sxm,"), std::string::npos) << r.err;
  auto typo = run_hwnas({"evaluate", "--arch", kArch, "--device", "rtx4090"});
  EXPECT_EQ(typo.exit_code, 2);
  EXPECT_NE(typo.err.find("--device: unknown device 'rtx4090'; did you mean 'rtx-4090'? (known devices: a100-sxm,"),
            std::string::npos)
      << typo.err;
  auto p = run_hwnas({"evaluate", "--arch", kArch, "--device", "host", "--precision", "fp64"});
  EXPECT_EQ(p.exit_code, 2);
  EXPECT_NE(p.err.find("--precision: unknown precision 'fp64'"), std::string::npos) << p.err;
  auto d = run_hwnas({"evaluate", "--arch", kArch, "--device", "host", "--device", "host"});
  EXPECT_EQ(d.exit_code, 2);
  EXPECT_NE(d.err.find("--device: 'host' given twice"), std::string::npos) << d.err;
  const std::string dir = scratch_dir();
  write_text(dir + "/bad.json", "{\"name\": \"x\"}");
  auto f = run_hwnas({"evaluate", "--arch", kArch, "--device", dir + "/bad.json"});
  EXPECT_EQ(f.exit_code, 2);
  EXPECT_NE(f.err.find("bad.json: kind: required field is missing"), std::string::npos) << f.err;
}

TEST(CliHw, ZeroCountsAndDeviceOptionsWithoutADeviceAreErrors) {
  // Each ran with exit code 0: --batch 0 as batch 1, --precision/--batch ignored without --device,
  // an absurd static power as "energy_mj": null.
  const std::string dir = scratch_dir();
  nlohmann::json absurd = nlohmann::json::parse(read_text(std::string(HWNAS_SOURCE_DIR) + "/configs/hardware/host.json"));
  absurd["static_power_w"] = 1e308;
  write_text(dir + "/absurd.json", absurd.dump());
  const std::vector<std::pair<std::vector<std::string>, std::string>> cases{
      {{"evaluate", "--arch", kArch, "--device", "host", "--batch", "0"}, "error: --batch: expected a positive integer, got 0"},
      {{"evaluate", "--arch", kArch, "--precision", "fp16"},
       "error: --precision fp16 sets the precision of the hardware predictions, but no --device was given: add --device NAME"},
      {{"evaluate", "--arch", kArch, "--batch", "8"},
       "error: --batch 8 sets the batch of the hardware predictions, but no --device was given: add --device NAME"},
      {{"enumerate", "--out", dir + "/x.csv", "--device", "host", "--batch", "0"},
       "error: --batch: expected a positive integer, got 0"},
      {{"enumerate", "--out", dir + "/x.csv", "--limit", "0"},
       "error: --limit: expected a positive number of architectures, got 0"},
      {{"evaluate", "--arch", kArch, "--json", "--device", dir + "/absurd.json"},
       "error: --device: " + dir + "/absurd.json: static_power_w: expected a value from 0 to 100000 W (outside that, no "
       "real device), got 1e+308"},
      {{"calibrate", "--device", "pixel-3", "--samples", dir + "/none.csv", "--batch", "0"},
       "error: --batch: expected a positive integer, got 0"},
      {{"calibrate", "--device", "pixel-3", "--samples", dir + "/none.csv", "--threads", "0"},
       "error: --threads: expected a positive integer, got 0"},
  };
  for (const auto& [args, want] : cases) {
    auto r = run_hwnas(args);
    EXPECT_EQ(r.exit_code, 2) << args[0] << " " << r.out;
    EXPECT_EQ(r.out, "");
    EXPECT_EQ(r.err, want + "\n");
  }
  EXPECT_FALSE(std::filesystem::exists(dir + "/x.csv"));
}

TEST(CliHw, EnumerateAddsDeviceColumns) {
  const std::string dir = scratch_dir();
  auto r = run_hwnas({"enumerate", "--space-options", "{\"cells_per_stage\": 1}", "--out", dir + "/all.csv", "--device",
                      "jetson-nano", "--device", "host"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const hwnas::CsvTable t = hwnas::read_csv_file(dir + "/all.csv");
  EXPECT_EQ(t.rows.size(), 15625u);
  ASSERT_TRUE(t.column("jetson-nano_latency_ms"));
  ASSERT_TRUE(t.column("jetson-nano_energy_mj"));
  ASSERT_TRUE(t.column("host_latency_ms"));
  ASSERT_TRUE(t.column("host_energy_mj"));
  for (std::size_t i = 0; i < t.rows.size(); i += 997) EXPECT_GT(t.number(i, *t.column("host_latency_ms")), 0.0);
  // Without --device the columns are the same as before.
  auto plain = run_hwnas({"enumerate", "--space-options", "{\"cells_per_stage\": 1}", "--out", dir + "/plain.csv"});
  ASSERT_EQ(plain.exit_code, 0) << plain.err;
  EXPECT_EQ(hwnas::read_csv_file(dir + "/plain.csv").header,
            (std::vector<std::string>{"arch_str", "params", "macs", "flops", "hash"}));
}

TEST(CliHw, LibTorchIsLoadedOnlyByCommandsThatRunNetworks) {
  // With the plugin path pointing nowhere, commands that run networks fail with a message naming
  // the file, and the others work: they never load LibTorch.
  const std::string env = "HWNAS_TORCH_PLUGIN=/nonexistent/hwnas-torch.so";
  auto m = hwnas::test::run_program("/usr/bin/env", {env, HWNAS_BINARY, "measure", "--arch", kArch, "--repeats", "1"});
  EXPECT_EQ(m.exit_code, 2);
  EXPECT_NE(m.err.find("cannot load the LibTorch plugin /nonexistent/hwnas-torch.so"), std::string::npos) << m.err;
  auto p = hwnas::test::run_program("/usr/bin/env", {env, HWNAS_BINARY, "proxy", "--arch", kArch});
  EXPECT_EQ(p.exit_code, 2);
  EXPECT_NE(p.err.find("cannot load the LibTorch plugin"), std::string::npos) << p.err;
  auto e = hwnas::test::run_program("/usr/bin/env",
                                    {env, HWNAS_BINARY, "evaluate", "--arch", kArch, "--device", "pixel-3", "--json"});
  ASSERT_EQ(e.exit_code, 0) << e.err;
  EXPECT_GT(nlohmann::json::parse(e.out)["latency_ms"]["pixel-3"].get<double>(), 0);
  auto d = hwnas::test::run_program("/usr/bin/env", {env, HWNAS_BINARY, "devices"});
  EXPECT_EQ(d.exit_code, 0) << d.err;
}

TEST(CliHw, MeasurePrintsALatency) {
  auto r = run_hwnas({"measure", "--space-options", kTiny, "--arch", kArch, "--repeats", "3", "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto j = nlohmann::json::parse(r.out);
  EXPECT_GT(j["latency_ms"].get<double>(), 0);
  EXPECT_EQ(j["threads"], 1);
  EXPECT_EQ(j["prune_dead"], true);
  auto k = run_hwnas({"measure", "--space-options", kTiny, "--arch", kArch, "--repeats", "3", "--json", "--keep-dead"});
  ASSERT_EQ(k.exit_code, 0) << k.err;
  EXPECT_EQ(nlohmann::json::parse(k.out)["prune_dead"], false);  // timed as built
  auto t = run_hwnas({"measure", "--space-options", kTiny, "--arch", kArch, "--repeats", "2"});
  ASSERT_EQ(t.exit_code, 0) << t.err;
  EXPECT_EQ(t.out.rfind("latency_ms ", 0), 0u) << t.out;
  auto bad = run_hwnas({"measure", "--arch", kArch, "--repeats", "0"});
  EXPECT_EQ(bad.exit_code, 2);
  EXPECT_NE(bad.err.find("--repeats: expected a positive integer, got 0"), std::string::npos) << bad.err;
}

// One JSON object per line of `out`.
std::vector<nlohmann::json> json_lines(const std::string& out) {
  std::istringstream in(out);
  std::vector<nlohmann::json> lines;
  for (std::string l; std::getline(in, l);) lines.push_back(nlohmann::json::parse(l));
  return lines;
}

TEST(CliHw, MeasureArchFileGivesOneJsonLinePerNetwork) {
  const std::string dir = scratch_dir();
  const std::string other = "|nor_conv_1x1~0|+|none~0|none~1|+|skip_connect~0|none~1|none~2|";
  write_text(dir + "/archs.txt", std::string(kArch) + "\n\n" + other + "\n");
  auto r = run_hwnas({"measure", "--space-options", kTiny, "--arch-file", dir + "/archs.txt", "--repeats", "2"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const std::vector<nlohmann::json> lines = json_lines(r.out);
  ASSERT_EQ(lines.size(), 2u) << r.out;
  EXPECT_EQ(lines[0]["arch"], kArch);
  EXPECT_EQ(lines[1]["arch"], other);
  for (const auto& j : lines) EXPECT_GT(j["latency_ms"].get<double>(), 0);
  write_text(dir + "/bad.txt", std::string(kArch) + "\n|conv~0|\n");
  auto bad = run_hwnas({"measure", "--arch-file", dir + "/bad.txt"});
  EXPECT_EQ(bad.exit_code, 2);
  EXPECT_NE(bad.err.find("--arch-file: " + dir + "/bad.txt:2: "), std::string::npos) << bad.err;
  EXPECT_TRUE(bad.out.empty()) << bad.out;  // every line is read before anything is measured
  auto both = run_hwnas({"measure", "--arch", kArch, "--arch-file", dir + "/archs.txt"});
  EXPECT_EQ(both.exit_code, 2);
  EXPECT_NE(both.err.find("--arch: give one architecture with --arch, or a file of them with --arch-file (exactly one of the two)"),
            std::string::npos) << both.err;
}

TEST(CliHw, MeasureRoundsReportEachNetworkOnceWithItsRounds) {
  const std::string dir = scratch_dir();
  const std::string other = "|nor_conv_1x1~0|+|none~0|none~1|+|skip_connect~0|none~1|none~2|";
  write_text(dir + "/archs.txt", std::string(kArch) + "\n" + other + "\n");
  auto r = run_hwnas({"measure", "--space-options", kTiny, "--arch-file", dir + "/archs.txt", "--repeats", "1",
                      "--warmup", "0", "--rounds", "3"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const std::vector<nlohmann::json> lines = json_lines(r.out);
  ASSERT_EQ(lines.size(), 2u) << r.out;
  EXPECT_EQ(lines[0]["arch"], kArch);
  EXPECT_EQ(lines[1]["arch"], other);
  for (const auto& j : lines) {
    EXPECT_EQ(j["rounds"], 3);
    EXPECT_GT(j["latency_ms"].get<double>(), 0);
  }
  auto bad = run_hwnas({"measure", "--arch", kArch, "--rounds", "0"});
  EXPECT_EQ(bad.exit_code, 2);
  EXPECT_NE(bad.err.find("--rounds: expected a positive integer, got 0"), std::string::npos) << bad.err;
}

TEST(CliHw, MeasureAndCalibrateTakeATorchDevice) {
  auto cpu = run_hwnas({"measure", "--space-options", kTiny, "--arch", kArch, "--repeats", "2", "--json",
                        "--torch-device", "cpu"});
  ASSERT_EQ(cpu.exit_code, 0) << cpu.err;
  EXPECT_EQ(nlohmann::json::parse(cpu.out)["torch_device"], "cpu");
  EXPECT_GT(nlohmann::json::parse(cpu.out)["latency_ms"].get<double>(), 0);
  auto nhwc = run_hwnas({"measure", "--space-options", kTiny, "--arch", kArch, "--repeats", "2", "--json",
                         "--channels-last"});
  ASSERT_EQ(nhwc.exit_code, 0) << nhwc.err;
  EXPECT_EQ(nlohmann::json::parse(nhwc.out)["channels_last"], true);
  EXPECT_EQ(nlohmann::json::parse(cpu.out)["channels_last"], false);
  EXPECT_EQ(nlohmann::json::parse(cpu.out)["precision"], "fp32");
  auto fp64 = run_hwnas({"measure", "--arch", kArch, "--precision", "fp64"});
  EXPECT_EQ(fp64.exit_code, 2);
  EXPECT_NE(fp64.err.find("--precision: expected \"fp32\" or \"fp16\", got \"fp64\""), std::string::npos) << fp64.err;
  auto half = run_hwnas({"measure", "--arch", kArch, "--precision", "fp16"});
  EXPECT_EQ(half.exit_code, 2);
  EXPECT_NE(half.err.find("--precision: fp16 timing needs --torch-device cuda"), std::string::npos) << half.err;
  auto bad = run_hwnas({"measure", "--arch", kArch, "--torch-device", "cuda:x"});
  EXPECT_EQ(bad.exit_code, 2);
  EXPECT_NE(bad.err.find("--torch-device: expected \"cpu\", \"cuda\" or \"cuda:N\""), std::string::npos) << bad.err;
  const std::string dir = scratch_dir();
  // A GPU calibration needs a GPU profile; --samples runs nothing, so a device there is a mistake.
  auto cpu_profile = run_hwnas({"calibrate", "--device", "pixel-3", "--torch-device", "cuda", "--out", dir + "/p.json"});
  EXPECT_EQ(cpu_profile.exit_code, 2);
  EXPECT_NE(cpu_profile.err.find("--device pixel-3: --torch-device cuda times layers on this machine's GPU, so it "
                                 "refines a GPU profile"),
            std::string::npos) << cpu_profile.err;
  auto samples = run_hwnas({"calibrate", "--device", "pixel-3", "--samples", dir + "/none.csv", "--torch-device", "cpu"});
  EXPECT_EQ(samples.exit_code, 2);
  EXPECT_NE(samples.err.find("--torch-device: --samples fits measurements already made and runs no network"),
            std::string::npos) << samples.err;
  auto typo = run_hwnas({"calibrate", "--device", "host", "--torch-device", "cude", "--out", dir + "/p.json"});
  EXPECT_EQ(typo.exit_code, 2);
  EXPECT_NE(typo.err.find("--torch-device: expected"), std::string::npos) << typo.err;
  EXPECT_FALSE(std::filesystem::exists(dir + "/p.json"));
  if (hwnas::test::torch_has_cuda()) {  // a CUDA LibTorch measures (calibrating would take minutes)
    auto m = run_hwnas({"measure", "--space-options", kTiny, "--arch", kArch, "--repeats", "2", "--torch-device", "cuda"});
    EXPECT_EQ(m.exit_code, 0) << m.err;
    return;
  }
  const std::string no_cuda = "error: --torch-device: cuda asked for, but the LibTorch hwnas is built against has no CUDA";
  auto m = run_hwnas({"measure", "--arch", kArch, "--torch-device", "cuda"});
  EXPECT_EQ(m.exit_code, 2);
  EXPECT_NE(m.err.find(no_cuda), std::string::npos) << m.err;
  auto c = run_hwnas({"calibrate", "--device", "h100-sxm", "--torch-device", "cuda", "--out", dir + "/p.json"});
  EXPECT_EQ(c.exit_code, 2);
  EXPECT_NE(c.err.find(no_cuda), std::string::npos) << c.err;
  EXPECT_FALSE(std::filesystem::exists(dir + "/p.json"));
}

TEST(CliHw, FewShotCalibrationWritesAProfileThatLoads) {
  const std::string dir = scratch_dir();
  write_text(dir + "/s.csv", samples_csv(12));
  auto r = run_hwnas({"calibrate", "--device", "pixel-3", "--samples", dir + "/s.csv", "--out", dir + "/p.json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("few-shot adaptation of pixel-3: 12 samples"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("(leave-one-out MAPE: "), std::string::npos) << r.out;
  // Above 100 samples the models are scored by 10-fold cross-validation.
  write_text(dir + "/many.csv", samples_csv(101));
  auto m = run_hwnas({"calibrate", "--device", "pixel-3", "--samples", dir + "/many.csv", "--out", dir + "/m.json"});
  ASSERT_EQ(m.exit_code, 0) << m.err;
  EXPECT_NE(m.out.find("(10-fold cross-validation MAPE: "), std::string::npos) << m.out;
  auto e = run_hwnas({"evaluate", "--arch", kArch, "--json", "--device", dir + "/p.json"});
  ASSERT_EQ(e.exit_code, 0) << e.err;
  // Fitted to the samples: this architecture was measured at 2.0-2.1 ms.
  const double ms = nlohmann::json::parse(e.out)["latency_ms"]["pixel-3"].get<double>();
  EXPECT_GT(ms, 1.0);
  EXPECT_LT(ms, 4.0);
}

TEST(CliHw, AProfileCalibratedAsBuiltWarnsOnceWhenCostingPrunedNetworks) {
  const std::string dir = scratch_dir();
  write_text(dir + "/s.csv", samples_csv(12));
  auto r = run_hwnas({"calibrate", "--device", "pixel-3", "--samples", dir + "/s.csv", "--out", dir + "/p.json",
                      "--keep-dead"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(nlohmann::json::parse(read_text(dir + "/p.json"))["measured_graph"], "as_built");
  auto pruned = run_hwnas({"enumerate", "--space-options", "{\"cells_per_stage\": 1}", "--out", dir + "/e.csv",
                           "--device", dir + "/p.json"});  // 15,625 networks costed, one warning
  ASSERT_EQ(pruned.exit_code, 0) << pruned.err;
  const std::string w = "warning: device pixel-3 was calibrated on networks as built";
  ASSERT_NE(pruned.err.find(w), std::string::npos) << pruned.err;
  EXPECT_EQ(pruned.err.find(w, pruned.err.find(w) + 1), std::string::npos) << "warned more than once: " << pruned.err;
  auto built = run_hwnas({"evaluate", "--arch", kArch, "--device", dir + "/p.json", "--keep-dead"});
  ASSERT_EQ(built.exit_code, 0) << built.err;
  EXPECT_EQ(built.err.find("warning"), std::string::npos) << built.err;
  // Pruned samples make a pruned profile.
  auto p2 = run_hwnas({"calibrate", "--device", "pixel-3", "--samples", dir + "/s.csv", "--out", dir + "/q.json"});
  ASSERT_EQ(p2.exit_code, 0) << p2.err;
  EXPECT_EQ(nlohmann::json::parse(read_text(dir + "/q.json"))["measured_graph"], "pruned");
}

TEST(CliHw, CalibrationErrorsExitWith2AndLeaveNoFile) {
  const std::string dir = scratch_dir();
  write_text(dir + "/few.csv", samples_csv(5));
  auto r = run_hwnas({"calibrate", "--device", "pixel-3", "--samples", dir + "/few.csv", "--out", dir + "/p.json"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("few.csv: 5 samples; adaptation needs at least 10 rows"), std::string::npos) << r.err;
  write_text(dir + "/bad.csv", samples_csv(3) + "|nor_conv_3x3~0|,1\n" + samples_csv(10).substr(20));
  auto b = run_hwnas({"calibrate", "--device", "pixel-3", "--samples", dir + "/bad.csv", "--out", dir + "/p.json"});
  EXPECT_EQ(b.exit_code, 2);
  EXPECT_NE(b.err.find("bad.csv:5: column 'arch_str': not a nb201 architecture"), std::string::npos) << b.err;
  // Samples in the wrong unit (ms x 5e5): the adapted profile is absurd and is not written.
  std::string slow = "arch_str,latency_ms\n";
  for (const auto& line : hwnas::read_csv_file(write_and_path(dir + "/s.csv", samples_csv(12))).rows)
    slow += line[0] + "," + std::to_string(std::stod(line[1]) * 5e5) + "\n";
  write_text(dir + "/slow.csv", slow);
  auto a = run_hwnas({"calibrate", "--device", "pixel-3", "--samples", dir + "/slow.csv", "--out", dir + "/p.json"});
  EXPECT_EQ(a.exit_code, 2);
  EXPECT_NE(a.err.find("slow.csv: the adaptation multiplied the profile's times by "), std::string::npos) << a.err;
  EXPECT_NE(a.err.find("more than 1000x either way is no real device (latencies in another unit than ms?); nothing written"),
            std::string::npos)
      << a.err;
  auto g = run_hwnas({"calibrate", "--device", "a100-sxm", "--out", dir + "/p.json"});
  EXPECT_EQ(g.exit_code, 2);
  EXPECT_NE(g.err.find("refines only the 'host' profile"), std::string::npos) << g.err;
  auto n = run_hwnas({"calibrate", "--device", "host", "--rounds", "0", "--out", dir + "/p.json"});
  EXPECT_EQ(n.exit_code, 2);
  EXPECT_NE(n.err.find("--rounds: expected a positive integer, got 0"), std::string::npos) << n.err;
  EXPECT_FALSE(std::filesystem::exists(dir + "/p.json"));
}

TEST(CliHw, HostCalibrationByMeasurementWritesAProfileWithALookupTable) {
  const std::string dir = scratch_dir();
  auto r = run_hwnas({"calibrate", "--device", "host", "--layer-archs", "1", "--network-archs", "1", "--repeats", "1",
                      "--out", dir + "/host.json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto j = nlohmann::json::parse(read_text(dir + "/host.json"));
  EXPECT_EQ(j["name"], "host");
  EXPECT_FALSE(j["lookup_table"]["latency_us"].empty());
  auto e = run_hwnas({"evaluate", "--arch", kArch, "--json", "--device", dir + "/host.json"});
  ASSERT_EQ(e.exit_code, 0) << e.err;
  EXPECT_GT(nlohmann::json::parse(e.out)["latency_ms"]["host"].get<double>(), 0);
}

TEST(CliHw, TwoProfilesOfOneNameAreLabelledByWhereTheyCameFrom) {
  // The shipped pixel-3 next to an edited copy (what `calibrate --out` writes keeps the name).
  const std::string dir = scratch_dir();
  auto p = nlohmann::json::parse(read_text(std::string(HWNAS_SOURCE_DIR) + "/configs/hardware/pixel-3.json"));
  ASSERT_EQ(p["name"], "pixel-3");
  p["network_overhead_us"] = p["network_overhead_us"].get<double>() + 5000;  // another device of the same name
  write_text(dir + "/pixel-3.json", p.dump(2));
  auto r = run_hwnas({"evaluate", "--arch", kArch, "--json", "--device", "pixel-3", "--device", dir + "/pixel-3.json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto j = nlohmann::json::parse(r.out);
  ASSERT_TRUE(j["latency_ms"].contains("pixel-3@shipped")) << j.dump();
  ASSERT_TRUE(j["latency_ms"].contains("pixel-3@" + dir + "/pixel-3.json")) << j.dump();
  EXPECT_LT(j["latency_ms"]["pixel-3@shipped"].get<double>(), j["latency_ms"]["pixel-3@" + dir + "/pixel-3.json"].get<double>());
  // One profile given twice is still a mistake.
  r = run_hwnas({"evaluate", "--arch", kArch, "--device", "pixel-3", "--device", "pixel-3"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("--device: 'pixel-3' given twice"), std::string::npos) << r.err;
}
