#include "hwnas/hw_models/device_profile.h"

#include <algorithm>
#include <filesystem>
#include <fstream>

#include <functional>

#include <gtest/gtest.h>

#include "hwnas/core/json_reader.h"
#include "support/errors.h"
#include "support/paths.h"

namespace hwnas {
namespace {

using test::error_of;

nlohmann::json host_json() { return read_json_file(device_profile_dir() + "/host.json"); }

TEST(DeviceProfile, EveryShippedProfileLoadsAndValidates) {
  const std::vector<std::string> names = device_names();
  for (const char* required : {"h200", "h100-sxm", "a100-sxm", "v100-sxm", "rtx-4090", "titan-rtx", "gtx-1080ti",
                               "jetson-orin-nano", "jetson-nano", "xeon-gold-6226", "core-i7-7820x", "raspberry-pi-4",
                               "pixel-3", "host"})
    EXPECT_NE(std::find(names.begin(), names.end(), required), names.end()) << required;
  for (const auto& name : names) {
    SCOPED_TRACE(name);
    const DeviceProfile p = load_device(name);
    EXPECT_EQ(p.name, name);
    EXPECT_GE(p.sources.size(), 15u);
    for (const auto& [field, text] : p.sources) EXPECT_FALSE(text.empty()) << field;
    // Reading back what to_json writes gives the same profile.
    EXPECT_EQ(DeviceProfile::from_json(p.to_json(), name).to_json(), p.to_json());
  }
}

TEST(DeviceProfile, H200IsAnH100WithHbm3e) {
  // Written from NVIDIA's data sheets before any measurement: the H100 SXM's compute, 4.8 TB/s.
  const DeviceProfile h200 = load_device("h200"), h100 = load_device("h100-sxm");
  EXPECT_EQ(h200.kind, DeviceKind::GPU);
  EXPECT_DOUBLE_EQ(h200.memory_bandwidth_gbs, 4800);
  EXPECT_DOUBLE_EQ(h200.peak_tflops_fp32, h100.peak_tflops_fp32);
  EXPECT_DOUBLE_EQ(h200.peak_tflops_fp16, h100.peak_tflops_fp16);
  EXPECT_DOUBLE_EQ(h200.peak_tops_int8, h100.peak_tops_int8);
  EXPECT_EQ(h200.sources.size(), h100.sources.size());
  EXPECT_NE(h200.sources.at("memory_bandwidth_gbs").find("H200"), std::string::npos);
}

TEST(DeviceProfile, KindsAndRuntimesAreRead) {
  EXPECT_EQ(load_device("a100-sxm").kind, DeviceKind::GPU);
  EXPECT_EQ(load_device("a100-sxm").runtime, RuntimeKind::Eager);
  EXPECT_EQ(load_device("pixel-3").kind, DeviceKind::CPU);
  EXPECT_EQ(load_device("pixel-3").runtime, RuntimeKind::Compiled);
  EXPECT_DOUBLE_EQ(load_device("v100-sxm").memory_bandwidth_gbs, 900);
}

TEST(DeviceProfile, UnknownKeysAndBadValuesNameTheField) {
  nlohmann::json j = host_json();
  j["peak_tflops_fp64"] = 1.0;
  EXPECT_EQ(error_of([&] { DeviceProfile::from_json(j, "x.json"); }).substr(0, 37),
            "x.json: peak_tflops_fp64: unknown key");

  j = host_json();
  j["efficiency"]["conv_dense"] = 1.5;
  EXPECT_EQ(error_of([&] { DeviceProfile::from_json(j, "x.json"); }),
            "x.json: efficiency.conv_dense: expected a fraction of peak in (0, 1], got 1.5");

  j = host_json();
  j["memory_efficiency"] = {{"pooling", 2.0}};
  EXPECT_EQ(error_of([&] { DeviceProfile::from_json(j, "x.json"); }),
            "x.json: memory_efficiency.pooling: expected a fraction of peak in (0, 1], got 2");
  j["memory_efficiency"] = {{"pool", 0.5}};
  EXPECT_NE(error_of([&] { DeviceProfile::from_json(j, "x.json"); }).find("x.json: memory_efficiency.pool: unknown key"),
            std::string::npos);

  j = host_json();
  j["efficiency"]["conv_3x3"] = 0.5;
  EXPECT_NE(error_of([&] { DeviceProfile::from_json(j, "x.json"); }).find("x.json: efficiency.conv_3x3: unknown key"),
            std::string::npos);

  j = host_json();
  j["memory_bandwidth_gbs"] = -1;
  EXPECT_EQ(error_of([&] { DeviceProfile::from_json(j, "x.json"); }),
            "x.json: memory_bandwidth_gbs: expected a positive number, got -1");

  j = host_json();
  j["kernel_overhead_us"] = "fast";
  EXPECT_EQ(error_of([&] { DeviceProfile::from_json(j, "x.json"); }),
            "x.json: kernel_overhead_us: expected a number, got string \"fast\"");

  j = host_json();
  j["kind"] = "tpu";
  EXPECT_EQ(error_of([&] { DeviceProfile::from_json(j, "x.json"); }),
            "x.json: kind: expected \"gpu\", \"cpu\" or \"accelerator\", got \"tpu\"");

  j = host_json();
  j.erase("static_power_w");
  EXPECT_EQ(error_of([&] { DeviceProfile::from_json(j, "x.json"); }), "x.json: static_power_w: required field is missing");

  j = host_json();
  j["sources"].erase("cache_mb");
  EXPECT_EQ(error_of([&] { DeviceProfile::from_json(j, "x.json"); }).substr(0, 52),
            "x.json: sources.cache_mb: required field is missing ");

  j = host_json();
  j["default_precision"] = "fp64";
  EXPECT_EQ(error_of([&] { DeviceProfile::from_json(j, "x.json"); }),
            "x.json: default_precision: expected \"fp32\", \"fp16\" or \"int8\", got \"fp64\"");

  j = host_json();
  j["full_occupancy_outputs"] = 0.5;
  EXPECT_EQ(error_of([&] { DeviceProfile::from_json(j, "x.json"); }),
            "x.json: full_occupancy_outputs: expected a number >= 1, got 0.5");

  j = host_json();
  j["conv_channel_tile"] = 0;
  EXPECT_EQ(error_of([&] { DeviceProfile::from_json(j, "x.json"); }),
            "x.json: conv_channel_tile: expected a number >= 1, got 0");
}

TEST(DeviceProfile, AbsurdValuesAreRejectedNamingFileAndField) {
  // Each was accepted, and predictions with it came out inf (printed as "energy_mj": null).
  const std::vector<std::pair<std::function<void(nlohmann::json&)>, std::string>> cases{
      {[](auto& j) { j["static_power_w"] = 1e308; },
       "x.json: static_power_w: expected a value from 0 to 100000 W (outside that, no real device), got 1e+308"},
      {[](auto& j) { j["peak_tflops_fp32"] = 1e-300; },
       "x.json: peak_tflops_fp32: expected a value from 1e-06 to 1e+06 TFLOP/s (outside that, no real device), got "
       "1e-300"},
      {[](auto& j) { j["efficiency"]["pooling"] = 1e-300; },
       "x.json: efficiency.pooling: expected a value from 1e-06 to 1 of peak (outside that, no real device), got 1e-300"},
      {[](auto& j) { j["energy_pj_per_dram_byte"] = 1e300; },
       "x.json: energy_pj_per_dram_byte: expected a value from 0 to 1e+06 pJ (outside that, no real device), got "
       "1e+300"},
      {[](auto& j) { j["network_overhead_us"] = 1e200; },
       "x.json: network_overhead_us: expected a value from 0 to 1e+08 us (outside that, no real device), got 1e+200"},
      {[](auto& j) {
         j["lookup_table"] = {{"batch", 1}, {"precision", "fp32"}, {"network_overhead_us", 1},
                              {"latency_us", {{"relu 16x32x32>16x32x32", 1e300}}}};
       },
       "x.json: lookup_table.latency_us.relu 16x32x32>16x32x32: expected a value from 0 to 1e+09 us (outside that, no "
       "real device), got 1e+300"},
  };
  for (const auto& [edit, want] : cases) {
    nlohmann::json j = host_json();
    edit(j);
    EXPECT_EQ(error_of([&] { DeviceProfile::from_json(j, "x.json"); }), want);
  }
  // Every shipped profile is inside the ranges.
  for (const auto& name : device_names()) EXPECT_EQ(error_of([&] { load_device(name); }), "(no error)") << name;
}

TEST(DeviceProfile, UnknownNameListsTheKnownOnes) {
  const std::string e = error_of([] { load_device("tpu-v9"); });
  EXPECT_EQ(e.substr(0, 49), "unknown device 'tpu-v9' (known devices: a100-sxm,");
  EXPECT_NE(e.find("pixel-3"), std::string::npos);
}

TEST(DeviceProfile, LoadsByPathAndNamesTheFileInErrors) {
  const std::string dir = std::string(HWNAS_TEST_TMP) + "/DeviceProfile.LoadsByPath";
  std::filesystem::create_directories(dir);
  nlohmann::json j = host_json();
  j["name"] = "mine";
  std::ofstream(dir + "/mine.json") << j.dump(2);
  EXPECT_EQ(load_device(dir + "/mine.json").name, "mine");
  j["cache_mb"] = -2;
  std::ofstream(dir + "/bad.json") << j.dump(2);
  EXPECT_EQ(error_of([&] { load_device(dir + "/bad.json"); }),
            dir + "/bad.json: cache_mb: expected a non-negative number, got -2");
  EXPECT_NE(error_of([&] { load_device(dir + "/missing.json"); }).find("missing.json"), std::string::npos);
}

TEST(DeviceProfile, LookupTableRoundTripsAndIsValidated) {
  nlohmann::json j = host_json();
  j["lookup_table"] = {{"batch", 1}, {"precision", "fp32"}, {"network_overhead_us", 12.5},
                       {"latency_us", {{"relu 16x32x32>16x32x32", 3.5}}}};
  const DeviceProfile p = DeviceProfile::from_json(j, "x.json");
  EXPECT_DOUBLE_EQ(p.lookup_table.latency_us.at("relu 16x32x32>16x32x32"), 3.5);
  EXPECT_EQ(DeviceProfile::from_json(p.to_json(), "y").to_json(), p.to_json());
  j["lookup_table"]["latency_us"]["relu 16x32x32>16x32x32"] = -1;
  EXPECT_EQ(error_of([&] { DeviceProfile::from_json(j, "x.json"); }),
            "x.json: lookup_table.latency_us.relu 16x32x32>16x32x32: expected a non-negative number, got -1");
}

TEST(DeviceProfile, CorrectionsAndMeasuredGraphRoundTripAndAreValidated) {
  nlohmann::json j = host_json();
  j["corrections"] = {{"batch", 1}, {"precision", "fp32"}, {"latency_us", {{"zero 16x32x32>16x32x32", -2.5}}}};
  j["measured_graph"] = "as_built";
  const DeviceProfile p = DeviceProfile::from_json(j, "x.json");
  EXPECT_DOUBLE_EQ(p.corrections.latency_us.at("zero 16x32x32>16x32x32"), -2.5);
  EXPECT_EQ(p.measured_graph, MeasuredGraph::AsBuilt);
  EXPECT_EQ(DeviceProfile::from_json(p.to_json(), "y").to_json(), p.to_json());
  EXPECT_EQ(p.to_json()["measured_graph"], "as_built");
  EXPECT_FALSE(load_device("host").to_json().contains("measured_graph"));  // not calibrated: not said
  nlohmann::json bad = j;
  bad["measured_graph"] = "asbuilt";
  EXPECT_EQ(error_of([&] { DeviceProfile::from_json(bad, "x.json"); }),
            "x.json: measured_graph: expected \"pruned\" or \"as_built\", got \"asbuilt\"");
  bad = j;
  bad["corrections"]["precision"] = "fp64";
  EXPECT_EQ(error_of([&] { DeviceProfile::from_json(bad, "x.json"); }),
            "x.json: corrections.precision: expected \"fp32\", \"fp16\" or \"int8\", got \"fp64\"");
  bad = j;
  bad["corrections"]["latency_us"]["zero 16x32x32>16x32x32"] = "fast";
  EXPECT_NE(error_of([&] { DeviceProfile::from_json(bad, "x.json"); }).find("corrections.latency_us.zero 16x32x32>16x32x32"),
            std::string::npos);
}

// Every key `written` holds is a property of `schema` (recursing into nested objects; maps of
// layer keys are free-form).
void expect_keys_in_schema(const nlohmann::json& written, const nlohmann::json& schema, const std::string& path) {
  if (!written.is_object() || !schema.contains("properties")) return;
  for (const auto& [key, value] : written.items()) {
    SCOPED_TRACE(path + key);
    ASSERT_TRUE(schema["properties"].contains(key));
    expect_keys_in_schema(value, schema["properties"][key], path + key + ".");
  }
}

// A profile with every optional field a calibration writes.
nlohmann::json calibrated_json() {
  nlohmann::json j = host_json();
  j["lookup_table"] = {{"batch", 2}, {"precision", "fp16"}, {"network_overhead_us", 12.5},
                       {"latency_us", {{"relu 16x32x32>16x32x32", 3.5}, {"conv 3x3", 0}}}};
  j["corrections"] = {{"batch", 1}, {"precision", "fp32"}, {"latency_us", {{"zero 16x32x32>16x32x32", -2.5}}}};
  j["measured_graph"] = "pruned";
  j["class_overhead_us"] = {{"pooling", 3.0}};
  j["memory_efficiency"] = {{"pooling", 0.5}};
  j["conv_channel_tile"] = 128;
  j["sources"]["lookup_table"] = "measured";
  j["sources"]["corrections"] = "fitted";
  return j;
}

TEST(DeviceProfile, EveryProfileRoundTripsAndTheSchemaListsWhatItWrites) {
  const nlohmann::json schema = DeviceProfile::json_schema();
  EXPECT_EQ(schema["additionalProperties"], false);
  for (const char* key : {"name", "kind", "runtime", "efficiency", "sources", "static_power_w"})
    EXPECT_NE(std::find(schema["required"].begin(), schema["required"].end(), key), schema["required"].end()) << key;
  EXPECT_EQ(schema["properties"]["kind"]["enum"], nlohmann::json({"gpu", "cpu", "accelerator"}));
  EXPECT_EQ(schema["properties"]["efficiency"]["properties"]["pooling"]["maximum"], 1.0);
  EXPECT_EQ(schema["properties"]["lookup_table"]["required"], nlohmann::json({"batch", "precision", "network_overhead_us", "latency_us"}));
  EXPECT_EQ(schema["properties"]["sources"]["required"], nlohmann::json(DeviceProfile::sourced_fields()));
  EXPECT_EQ(DeviceProfile::sourced_fields().size(), 15u);

  std::vector<std::pair<std::string, nlohmann::json>> profiles;
  for (const auto& name : device_names()) profiles.emplace_back(name, read_json_file(device_profile_dir() + "/" + name + ".json"));
  profiles.emplace_back("calibrated", calibrated_json());
  for (const auto& [name, j] : profiles) {
    SCOPED_TRACE(name);
    const DeviceProfile p = DeviceProfile::from_json(j, name);
    const nlohmann::json written = p.to_json();
    // Reading back what to_json writes gives the same profile, and it writes what the file says.
    const DeviceProfile back = DeviceProfile::from_json(written, name);
    EXPECT_EQ(back.to_json(), written);
    EXPECT_EQ(back.lookup_table.latency_us, p.lookup_table.latency_us);
    EXPECT_EQ(back.measured_graph, p.measured_graph);
    for (const auto& [key, value] : j.items())
      if (key != "class_overhead_us" && key != "memory_efficiency")
        EXPECT_EQ(written[key], value) << key;  // those two are written in full (every class)
    expect_keys_in_schema(written, schema, "");
    for (const auto& [field, text] : p.sources) {
      const auto& allowed = DeviceProfile::may_be_sourced_fields();
      EXPECT_NE(std::find(allowed.begin(), allowed.end(), field), allowed.end()) << field;
    }
  }
  // The calibrated profile writes every key the schema lists (description aside: empty, not written).
  const nlohmann::json all = DeviceProfile::from_json(calibrated_json(), "c").to_json();
  for (const auto& [key, s] : schema["properties"].items())
    if (key != "description") EXPECT_TRUE(all.contains(key)) << key;
  EXPECT_DOUBLE_EQ(DeviceProfile::from_json(calibrated_json(), "c").class_overhead_us.pooling, 3.0);
  EXPECT_EQ(all["class_overhead_us"]["linear"], 0.0);
  // A class memory_efficiency leaves out is 1 (the bandwidth as given); all ones is not written.
  EXPECT_EQ(all["memory_efficiency"]["pooling"], 0.5);
  EXPECT_EQ(all["memory_efficiency"]["linear"], 1.0);
  EXPECT_FALSE(DeviceProfile::from_json(host_json(), "h").to_json().contains("memory_efficiency"));
}

TEST(DeviceProfile, CostingTheOtherGraphThanTheMeasuredOneWarns) {
  DeviceProfile p = load_device("pixel-3");
  EXPECT_EQ(measured_graph_mismatch(p, true), "");  // says nothing: no warning
  p.measured_graph = MeasuredGraph::AsBuilt;
  EXPECT_EQ(measured_graph_mismatch(p, false), "");
  EXPECT_EQ(measured_graph_mismatch(p, true),
            "warning: device pixel-3 was calibrated on networks as built (every op, dead edges too) but networks are "
            "costed with dead edges pruned; add --keep-dead (\"prune_dead\": false in a search config) to cost them as built");
  p.measured_graph = MeasuredGraph::Pruned;
  EXPECT_EQ(measured_graph_mismatch(p, true), "");
  EXPECT_NE(measured_graph_mismatch(p, false).find("calibrated on networks with dead edges pruned but networks are costed as built"),
            std::string::npos);
}

}  // namespace
}  // namespace hwnas
