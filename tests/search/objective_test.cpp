// Objective sources: exact counts, CSV tables (missing rows are failed evaluations, not crashes),
// the registry, and ObjectiveSet (constraints, transforms, the strategies' cheap function).
#include "hwnas/search/objective.h"

#include <gtest/gtest.h>

#include "config_test_fixtures.h"
#include "hwnas/hw_models/device_profile.h"
#include "hwnas/hw_models/latency_model.h"

using namespace hwnas;
using hwnas::testing::config_from;
using hwnas::testing::problem;
using hwnas::testing::table_config;
using hwnas::testing::user_error;
using hwnas::testing::write_error_table;

namespace {
const char* kAllConv = "|nor_conv_3x3~0|+|nor_conv_3x3~0|nor_conv_3x3~1|+|nor_conv_3x3~0|nor_conv_3x3~1|nor_conv_3x3~2|";
const char* kSkipOnly = "|none~0|+|skip_connect~0|none~1|+|none~0|none~1|skip_connect~2|";
}  // namespace

TEST(ObjectiveSource, CountsAreTheSpaceCounts) {
  auto space = make_space("nb201");
  ObjectiveContext ctx{space.get(), "", 0};
  const Architecture a = space->parse(kAllConv);
  Candidate c(*space, a);
  EXPECT_EQ(make_objective_source("params", nullptr, "p", ctx)->evaluate(c).value, 1531546.0);
  EXPECT_EQ(make_objective_source("macs", nullptr, "p", ctx)->evaluate(c).value, 220119680.0);
  const auto flops = make_objective_source("flops", nullptr, "p", ctx);
  // Hand count (cost.h's convention). Skip-only cells: the skeleton alone, 15,738,122 (see
  // Nb201.FlopsFollowTheDocumentedConvention). All-conv cells add 2 x the extra MACs and, per
  // cell of C channels at HxW, 6 edges x (ReLU 1 + BN 2 per element) + node sums (1 + 2 per
  // element) = 21 C*H*W: 5 cells at each of 16x32x32, 32x16x16 and 64x8x8.
  const double skeleton = 15738122.0 - 2 * 7783040.0;
  EXPECT_EQ(flops->evaluate(c).value, 2 * 220119680.0 + skeleton + 5 * 21 * (16 * 1024 + 32 * 256 + 64 * 64));
  EXPECT_EQ(flops->evaluate(Candidate(*space, space->parse(kSkipOnly))).value, 15738122.0);
  EXPECT_TRUE(flops->cheap());
  EXPECT_EQ(flops->kind(), "flops");
  EXPECT_EQ(c.text(), kAllConv);
}

TEST(ObjectiveSource, TableLooksUpArchitecturesAndTheirEquivalents) {
  const std::string dir = hwnas::test::scratch_dir();
  auto space = make_space("nb201");
  const Architecture all_conv = space->parse(kAllConv);
  const Architecture skip = space->parse(kSkipOnly);
  // An equivalent of `skip` with a dead edge (a conv into node 1, which feeds nothing live).
  const Architecture skip_dead = space->parse("|nor_conv_3x3~0|+|skip_connect~0|none~1|+|none~0|none~1|skip_connect~2|");
  ASSERT_EQ(space->canonical_hash(skip), space->canonical_hash(skip_dead));
  hwnas::test::write_text(dir + "/t.csv", std::string("name,acc,arch_str\nx,0.93,") + kAllConv + "\ny,\"0.5\"," + kSkipOnly +
                                             "\nz,nan,|avg_pool_3x3~0|+|none~0|none~1|+|none~0|avg_pool_3x3~1|none~2|\n");
  ObjectiveContext ctx{space.get(), dir, 0};
  auto t = make_objective_source("table", {{"file", "t.csv"}, {"value", "acc"}}, "cfg: objectives[0].source", ctx);
  EXPECT_FALSE(t->cheap());
  EXPECT_EQ(t->resolved_spec()["key"], "arch_str");
  EXPECT_EQ(t->evaluate(Candidate(*space, all_conv)).value, 0.93);
  EXPECT_EQ(t->evaluate(Candidate(*space, skip)).value, 0.5);
  const ObjectiveValue eq = t->evaluate(Candidate(*space, skip_dead));
  EXPECT_TRUE(eq.ok);
  EXPECT_EQ(eq.value, 0.5);
  const ObjectiveValue missing = t->evaluate(Candidate(*space, space->parse("|nor_conv_1x1~0|+|none~0|none~1|+|none~0|nor_conv_1x1~1|none~2|")));
  EXPECT_FALSE(missing.ok);
  EXPECT_NE(missing.message.find("has no row for |nor_conv_1x1~0|"), std::string::npos) << missing.message;
  const ObjectiveValue nan = t->evaluate(Candidate(*space, space->parse("|avg_pool_3x3~0|+|none~0|none~1|+|none~0|avg_pool_3x3~1|none~2|")));
  EXPECT_FALSE(nan.ok);
  EXPECT_NE(nan.message.find("no value for |avg_pool_3x3~0|"), std::string::npos) << nan.message;
}

TEST(ObjectiveSource, TableErrorsNameTheFileAndLine) {
  const std::string dir = hwnas::test::scratch_dir();
  auto space = make_space("nb201");
  ObjectiveContext ctx{space.get(), dir, 0};
  auto make = [&](const std::string& text, nlohmann::json spec = {{"file", "t.csv"}, {"value", "v"}}) {
    hwnas::test::write_text(dir + "/t.csv", text);
    return user_error([&] { make_objective_source("table", spec, "cfg: o", ctx); });
  };
  EXPECT_NE(make(std::string("arch_str,v\n") + kAllConv + ",fast\n").find("t.csv:2"), std::string::npos);
  EXPECT_NE(make(std::string("arch_str,v\n") + kAllConv + ",1\n" + kAllConv + ",2\n").find("t.csv:3: architecture '"),
            std::string::npos);
  EXPECT_EQ(make(std::string("arch_str,v\n") + kAllConv + ",1\n" + kAllConv + ",1\n"), "");  // same value twice is fine
  EXPECT_NE(make("arch_str,v\n").find("cfg: o.table.file: "), std::string::npos);
  EXPECT_NE(make("id,v\n1,2\n").find("cfg: o.table.key: "), std::string::npos);
  EXPECT_NE(make("arch_str,v\n", {{"file", "t.csv"}, {"value", "v"}, {"sep", ";"}}).find("cfg: o.table.sep: unknown key"),
            std::string::npos);
}

TEST(ObjectiveSource, RegistryListsKindsAndAcceptsNewOnes) {
  auto space = make_space("nb201");
  ObjectiveContext ctx{space.get(), "", 0};
  const std::string msg = user_error([&] { make_objective_source("accuracy", nullptr, "f: objectives[0].source", ctx); });
  EXPECT_EQ(msg, "f: objectives[0].source: unknown objective source 'accuracy' (known: energy, external, flops, latency, macs, params, proxy, table, train)");
  {
    hwnas::testing::CountingObjective counting;
    auto kinds = objective_source_kinds();
    EXPECT_NE(std::find(kinds.begin(), kinds.end(), "counting"), kinds.end());
    auto src = make_objective_source("counting", nullptr, "o", ctx);
    EXPECT_EQ(src->evaluate(Candidate(*space, space->parse(kAllConv))).value, 6.03);
    EXPECT_EQ(counting.calls(), 1);
  }
  EXPECT_NE(user_error([&] { make_objective_source("counting", nullptr, "o", ctx); }).find("unknown objective source 'counting'"),
            std::string::npos);
}

TEST(ObjectiveSet, CheapFirstThenExpensiveWithConstraintsAndTransforms) {
  const std::string dir = hwnas::test::scratch_dir();
  hwnas::testing::CountingObjective counting;
  nlohmann::json j = {{"space", {{"name", "nb201"}}},
                      {"objectives",
                       {{{"name", "score"}, {"source", {{"counting", nlohmann::json::object()}}}, {"direction", "maximize"}},
                        {{"name", "params"}, {"source", "params"}, {"log", true}}}},
                      {"constraints", {{{"objective", "params"}, {"max", 1e6}}, {{"objective", "score"}, {"min", 1}}}},
                      {"budget", {{"evaluations", 5}}}};
  const SearchConfig cfg = config_from(j, dir);
  auto space = make_space(cfg.space, cfg.space_options);
  ObjectiveSet set(cfg, *space);
  EXPECT_EQ(set.cheap_mask(), (std::vector<bool>{false, true}));
  EXPECT_TRUE(set.has_expensive());

  Candidate big(*space, space->parse(kAllConv));
  auto cheap = set.evaluate_cheap(big);
  EXPECT_TRUE(std::isnan(cheap.raw[0]));
  EXPECT_EQ(cheap.raw[1], 1531546.0);
  EXPECT_EQ(set.cheap_violation(cheap.raw), "params = 1531546 > max 1000000");
  EXPECT_EQ(counting.calls(), 0);
  EXPECT_FALSE(set.strategy_cheap(*space)(big.arch()).has_value());

  Candidate small(*space, space->parse(kSkipOnly));
  cheap = set.evaluate_cheap(small);
  EXPECT_EQ(set.cheap_violation(cheap.raw), "");
  auto full = set.evaluate_expensive(small, cheap);
  EXPECT_EQ(counting.calls(), 1);
  EXPECT_EQ(full.raw[0], 0.0);
  EXPECT_EQ(set.expensive_violation(full.raw), "score = 0 < min 1");
  const auto t = set.transform(full.raw);
  EXPECT_EQ(t[0], -0.0);
  EXPECT_DOUBLE_EQ(t[1], std::log10(full.raw[1]));
  const auto sc = set.strategy_cheap(*space)(small.arch());
  ASSERT_TRUE(sc.has_value());
  EXPECT_TRUE(std::isnan((*sc)[0]));
  EXPECT_DOUBLE_EQ((*sc)[1], std::log10(full.raw[1]));
}

TEST(ObjectiveSource, LatencyAndEnergyAreTheHardwareModelsPrediction) {
  auto space = make_space("nb201");
  ObjectiveContext ctx{space.get(), "", 0};
  const Architecture a = space->parse(kAllConv);
  auto lat = make_objective_source("latency", {{"device", "raspberry-pi-4"}}, "o", ctx);
  auto en = make_objective_source("energy", {{"device", "rtx-4090"}, {"batch", 8}, {"precision", "fp16"}}, "o", ctx);
  EXPECT_TRUE(lat->cheap());
  EXPECT_EQ(lat->resolved_spec(),
            (nlohmann::json{{"device", "raspberry-pi-4"}, {"batch", 1}, {"precision", "fp32"}, {"prune_dead", true}}));
  EXPECT_GT(lat->evaluate(Candidate(*space, a)).value,
            lat->evaluate(Candidate(*space, space->parse(kSkipOnly))).value);
  EXPECT_GT(en->evaluate(Candidate(*space, a)).value, en->evaluate(Candidate(*space, space->parse(kSkipOnly))).value);
}

TEST(ObjectiveSource, LatencyCostsTheNetworkAsBuiltWhenAsked) {
  auto space = make_space("nb201");
  ObjectiveContext ctx{space.get(), "", 0};
  // Node 1's conv feeds only `none` edges: dead when pruned, run as built (with the Zero ops).
  const Architecture a = space->parse("|nor_conv_3x3~0|+|none~0|none~1|+|skip_connect~0|none~1|none~2|");
  auto pruned = make_objective_source("latency", {{"device", "raspberry-pi-4"}}, "o", ctx);
  auto built = make_objective_source("latency", {{"device", "raspberry-pi-4"}, {"prune_dead", false}}, "o", ctx);
  EXPECT_EQ(built->resolved_spec()["prune_dead"], false);
  DecodeOptions keep;
  keep.prune_dead = false;
  const HardwareModel m(load_device("raspberry-pi-4"));
  EXPECT_DOUBLE_EQ(built->evaluate(Candidate(*space, a)).value, m.predict(space->layers(a, keep), 1, Precision::FP32).latency_ms);
  EXPECT_DOUBLE_EQ(pruned->evaluate(Candidate(*space, a)).value, m.predict(space->layers(a), 1, Precision::FP32).latency_ms);
  EXPECT_GT(built->evaluate(Candidate(*space, a)).value, pruned->evaluate(Candidate(*space, a)).value);
  EXPECT_EQ(user_error([&] {
              make_objective_source("latency", {{"device", "raspberry-pi-4"}, {"prune_dead", "no"}}, "o", ctx);
            }),
            "o.latency.prune_dead: expected true or false, got string \"no\"");
}

TEST(ObjectiveSource, LatencyAndEnergyMatchAHandComputedToyDevice) {
  // A device where the roofline reduces to arithmetic: eager (every layer its own kernel, no
  // fusion), no kernel overheads, full efficiency and occupancy, and a cache so large and fast
  // that the memory side is ~1e-10 ms per layer. Latency = FLOPs / peak + 0.25 ms per network.
  const std::string dir = hwnas::test::scratch_dir();
  nlohmann::json toy = load_device("raspberry-pi-4").to_json();
  toy["name"] = "toy";
  toy["runtime"] = "eager";
  toy["peak_tflops_fp32"] = 1e-3;  // 1e9 FLOP/s
  toy["peak_tflops_fp16"] = 2e-3;
  toy["memory_bandwidth_gbs"] = 1e6;
  toy["cache_bandwidth_gbs"] = 1e6;
  toy["cache_mb"] = 4096;
  toy["kernel_overhead_us"] = 0;
  toy["network_overhead_us"] = 250;
  toy["full_occupancy_outputs"] = 1;
  for (auto& [k, v] : toy["efficiency"].items()) v = 1.0;
  if (toy.contains("class_overhead_us"))
    for (auto& [k, v] : toy["class_overhead_us"].items()) v = 0.0;
  toy["energy_pj_per_flop_fp32"] = 1.0;
  toy["energy_pj_per_flop_fp16"] = 0.5;
  toy["static_power_w"] = 2.0;
  hwnas::test::write_text(dir + "/toy.json", toy.dump(2));
  auto space = make_space("nb201");
  ObjectiveContext ctx{space.get(), dir, 0};
  const Candidate skip(*space, space->parse(kSkipOnly));
  const double flops = 15738122;  // hand count, see CountsAreTheSpaceCounts
  auto lat = make_objective_source("latency", {{"device", "toy.json"}}, "o", ctx);
  EXPECT_NEAR(lat->evaluate(skip).value, 1e3 * flops / 1e9 + 0.25, 1e-6);
  // Batch 2 in fp16: twice the FLOPs at twice the peak; energy = 0.5 pJ per FLOP + 2 W x latency.
  auto lat16 = make_objective_source("latency", {{"device", "toy.json"}, {"batch", 2}, {"precision", "fp16"}}, "o", ctx);
  auto en16 = make_objective_source("energy", {{"device", "toy.json"}, {"batch", 2}, {"precision", "fp16"}}, "o", ctx);
  EXPECT_NEAR(lat16->evaluate(skip).value, 1e3 * 2 * flops / 2e9 + 0.25, 1e-6);
  EXPECT_NEAR(en16->evaluate(skip).value, 1e-9 * 2 * flops * 0.5 + 2.0 * (1e3 * 2 * flops / 2e9 + 0.25), 1e-6);
}

TEST(ObjectiveSource, HardwareErrorsNameTheField) {
  auto space = make_space("nb201");
  ObjectiveContext ctx{space.get(), "/nowhere", 0};
  auto err = [&](const nlohmann::json& spec) {
    return user_error([&] { make_objective_source("latency", spec, "f: objectives[1].source", ctx); });
  };
  EXPECT_NE(err({{"device", "toaster"}}).find("f: objectives[1].source.latency.device: "), std::string::npos);
  EXPECT_NE(err({{"device", "toaster"}}).find("toaster"), std::string::npos);
  EXPECT_NE(err({{"device", "rtx-4090"}, {"precision", "fp8"}}).find("f: objectives[1].source.latency.precision: "),
            std::string::npos);
  EXPECT_EQ(err({{"device", "rtx-4090"}, {"batch", 0}}), "f: objectives[1].source.latency.batch: expected a positive integer, got 0");
  EXPECT_NE(err({{"device", "rtx-4090"}, {"batchsize", 2}}).find("f: objectives[1].source.latency.batchsize: unknown key"),
            std::string::npos);
  EXPECT_NE(err(nullptr).find("f: objectives[1].source.latency.device: required field is missing"), std::string::npos);
  // A device file is resolved against the config's folder.
  EXPECT_NE(err({{"device", "hw/mine.json"}}).find("/nowhere/hw/mine.json"), std::string::npos) << err({{"device", "hw/mine.json"}});
}
