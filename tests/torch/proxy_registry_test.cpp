// #12: a proxy is one entry in one registry (hwnas/nas/proxy.h). A toy proxy registered here, from
// this file alone, is scored by score_proxy, accepted and scored by a search's proxy objective,
// and listed for --help; unregistered, it is an unknown proxy again.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>

#include "hwnas/core/error.h"
#include "hwnas/nas/proxy.h"
#include "hwnas/nas/spaces/nb201.h"
#include "hwnas/nas/torch_builder.h"
#include "hwnas/search/controller.h"
#include "hwnas/search/objective_proxy.h"
#include "support/cli.h"
#include "support/run_log.h"
#include "support/torch_fixtures.h"

using namespace hwnas;

namespace {

// Counts the convolution layers of the built network (data-free); a network without one fails.
double conv_layers(ProxyInput& in) {
  int n = 0;
  for (std::size_t e = 0; e < in.net.num_edges(); ++e) n += in.net.edge_kind(e) == OpKind::Conv2d;
  if (n == 0) throw ProxyError("no convolution");
  return n;
}

}  // namespace

TEST(ProxyRegistry, TheBuiltInEntriesAndTheirScorersAgree) {
  std::vector<std::string> builtins;
  for (const auto& n : proxy_names())
    if (!find_proxy(n)->score) builtins.push_back(n);
  EXPECT_EQ(builtins, builtin_proxy_scorer_names());
  EXPECT_EQ(builtins.size(), 7u);
}

TEST(ProxyRegistry, AToyProxyRegisteredFromATestFileIsScoredAndSearched) {
  register_proxy({"conv_layers", false, "number of convolution layers", conv_layers});
  EXPECT_TRUE(is_proxy("conv_layers"));
  EXPECT_FALSE(proxy_needs_data("conv_layers"));
  EXPECT_NE(proxy_help().find("conv_layers: number of convolution layers\n"), std::string::npos);

  const Nb201Space s = test::small_nb201();
  // A cell whose three convolutions form its one path to the output, and a cell of skips.
  const ProxyResult three = score_proxy("conv_layers", s, s.parse("|nor_conv_3x3~0|+|none~0|nor_conv_3x3~1|+|none~0|none~1|nor_conv_1x1~2|"),
                                        nullptr, ProxyOptions{});
  ASSERT_TRUE(three.ok) << three.message;
  const ProxyResult none = score_proxy("conv_layers", s, s.parse("|skip_connect~0|+|none~0|none~1|+|skip_connect~0|none~1|none~2|"),
                                       nullptr, ProxyOptions{});
  ASSERT_TRUE(none.ok) << none.message;  // the stem and the reduction blocks have convolutions
  EXPECT_EQ(three.score - none.score, 9.0);  // 3 per cell, one cell in each of 3 stages (small_nb201)

  // A search's proxy objective takes it by name.
  register_proxy_objectives();
  const nlohmann::json j = {{"space", {{"name", "nb201"}, {"options", {{"channels", 4}, {"cells_per_stage", 1}, {"input_size", 16}}}}},
                            {"objectives", {{{"name", "convs"}, {"source", {{"proxy", "conv_layers"}}}, {"direction", "maximize"}}}},
                            {"strategy", {{"name", "random"}}},
                            {"budget", {{"evaluations", 6}}},
                            {"seed", 1}};
  SearchOptions o;
  o.quiet = true;
  o.run_dir = test::scratch_dir() + "/toy";
  const SearchSummary sum = run_search(SearchConfig::from_json(j, "<json>"), o);
  EXPECT_EQ(sum.evaluations, 6);
  for (const auto& rec : test::log_records_without_times(o.run_dir))
    if (rec["status"] == "ok") EXPECT_GE(rec["objectives"]["convs"].get<double>(), 1.0) << rec.dump();

  unregister_proxy("conv_layers");
  EXPECT_FALSE(is_proxy("conv_layers"));
  EXPECT_THROW(score_proxy("conv_layers", s, s.parse("|nor_conv_3x3~0|+|none~0|none~1|+|skip_connect~0|none~1|none~2|"), nullptr,
                           ProxyOptions{}),
               UserError);
  EXPECT_THROW(ProxySourceOptions::from_json("conv_layers", "p", 0), UserError);
  unregister_proxy("synflow");  // a built-in stays
  EXPECT_TRUE(is_proxy("synflow"));
  EXPECT_THROW(register_proxy({"bad name", false, "", conv_layers}), UserError);
  EXPECT_THROW(register_proxy({"noscore", false, "", {}}), UserError);
}
