// The proxy and train objective sources (search/objective_proxy_torch.cpp, options in
// search/objective_proxy.cpp): the one path that scores architectures with proxies, for a search,
// `hwnas proxy` and the benchmarks.
#include "hwnas/search/objective_proxy.h"

#include <gtest/gtest.h>

#include "support/run_log.h"

#include <cmath>
#include <fstream>
#include <set>

#include "hwnas/core/error.h"
#include "hwnas/core/rng.h"
#include "hwnas/nas/spaces/nb201.h"
#include "hwnas/search/controller.h"
#include "support/cli.h"
#include "support/torch_fixtures.h"

using namespace hwnas;

namespace {

const char* kDeadA = "|nor_conv_3x3~0|+|none~0|none~1|+|skip_connect~0|none~1|none~2|";
const char* kDeadB = "|avg_pool_3x3~0|+|none~0|none~1|+|skip_connect~0|none~1|none~2|";  // kDeadA with another dead op

nlohmann::json small_space() { return {{"channels", 4}, {"cells_per_stage", 1}, {"input_size", 16}}; }  // test::small_nb201()
nlohmann::json synthetic() { return {{"name", "synthetic"}, {"synthetic_size", 200}, {"synthetic_resolution", 16}}; }

// Proposes one fixed round, then nothing (the space is "exhausted").
class OneRound : public SearchStrategy {
 public:
  explicit OneRound(std::vector<Architecture> archs) : archs_(std::move(archs)) {}
  std::string name() const override { return "one-round"; }
  std::vector<Architecture> ask(std::size_t) override { return done_++ ? std::vector<Architecture>{} : archs_; }
  void tell(const std::vector<Observation>&) override {}

 private:
  std::vector<Architecture> archs_;
  int done_ = 0;
};


}  // namespace

TEST(ObjectiveProxy, DatasetDefaultsAreOneStructForEveryCaller) {
  // proxy.h: the first max(4 x batch_size, 2048) images, shuffled with the proxy's seed, no
  // validation split; a config's dataset keys replace only what they name.
  const ProxySourceOptions o = ProxySourceOptions::from_json("naswot", "p", 7);
  EXPECT_EQ(o.dataset.name, "fashion-mnist");
  EXPECT_EQ(o.dataset.subset, 2048);
  EXPECT_EQ(o.dataset.validation_fraction, 0.0);
  EXPECT_EQ(o.dataset.seed, 7u);
  EXPECT_EQ(o.proxy.seed, 7u);
  const ProxySourceOptions big =
      ProxySourceOptions::from_json({{"name", "snip"}, {"batch_size", 1024}, {"seed", 3}, {"dataset", {{"name", "synthetic"}}}}, "p", 7);
  EXPECT_EQ(big.dataset.subset, 4096);
  EXPECT_EQ(big.dataset.seed, 3u);
  EXPECT_EQ(big.dataset.name, "synthetic");
  EXPECT_EQ(ProxySourceOptions::from_json(o.to_json(), "p", 99).to_json(), o.to_json());  // the resolved spec reads back
  const TrainSourceOptions t = TrainSourceOptions::from_json(nullptr, "t", 4);
  EXPECT_EQ(t.train.seed, 4u);
  EXPECT_EQ(t.dataset.subset, 0);
  EXPECT_EQ(t.dataset.validation_fraction, 0.2);
  EXPECT_EQ(t.dataset.seed, 4u);
  try {
    ProxySourceOptions::from_json({{"name", "zen"}}, "objectives[0].source.proxy", 0);
    ADD_FAILURE() << "no error";
  } catch (const UserError& e) {
    EXPECT_NE(std::string(e.what()).find("objectives[0].source.proxy.name: unknown proxy 'zen' (known: fisher, grad_norm"),
              std::string::npos) << e.what();
  }
  try {
    ProxySourceOptions::from_json({{"name", "synflow"}, {"dataset", synthetic()}}, "p", 0);
    ADD_FAILURE() << "no error";
  } catch (const UserError& e) {
    EXPECT_NE(std::string(e.what()).find("p.dataset: synflow is data-free"), std::string::npos) << e.what();
  }
}

// ProxyEvaluator's test, on the path that replaced it: a search scores many architectures in
// parallel, each canonical form once, and parallel gives what serial gives.
TEST(ObjectiveProxy, ParallelSearchEqualsSerialAndScoresEachCanonicalFormOnce) {
  register_proxy_objectives();
  const Nb201Space s = test::small_nb201();
  Rng rng(3);
  std::vector<Architecture> archs;
  std::set<std::uint64_t> seen{s.canonical_hash(s.parse(kDeadA))};
  while (archs.size() < 12) {
    const Architecture a = s.sample(rng);
    if (seen.insert(s.canonical_hash(a)).second) archs.push_back(a);
  }
  archs.push_back(s.parse(kDeadA));
  archs.push_back(s.parse(kDeadB));  // the same network: a duplicate, not evaluated
  const std::string dir = test::scratch_dir();
  auto run = [&](int parallelism) {
    const nlohmann::json j = {
        {"space", {{"name", "nb201"}, {"options", small_space()}}},
        {"objectives",
         {{{"name", "synflow"}, {"source", {{"proxy", "synflow"}}}, {"direction", "maximize"}},
          {{"name", "naswot"}, {"source", {{"proxy", {{"name", "naswot"}, {"batch_size", 8}, {"dataset", synthetic()}}}}}, {"direction", "maximize"}},
          {{"name", "acc"},
           {"source", {{"train", {{"steps", 5}, {"batch_size", 8}, {"reduce", nlohmann::json::object()}, {"dataset", synthetic()}}}}},
           {"direction", "maximize"}}}},
        {"exclude_degenerate", false},
        {"budget", {{"evaluations", 100}}},
        {"parallelism", parallelism},
        {"batch_size", 14},
        {"seed", 3}};
    SearchOptions o;
    o.quiet = true;
    o.run_dir = dir + "/p" + std::to_string(parallelism);
    o.strategy_factory = [&](const StrategyContext&) { return std::make_unique<OneRound>(archs); };
    return run_search(SearchConfig::from_json(j, "<json>"), o);
  };
  const SearchSummary serial = run(1), parallel = run(2);
  EXPECT_EQ(serial.evaluations, 13);
  EXPECT_EQ(serial.duplicates, 1);
  EXPECT_EQ(parallel.duplicates, 1);
  const auto a = hwnas::test::log_records_without_times(dir + "/p1"), b = hwnas::test::log_records_without_times(dir + "/p2");
  ASSERT_EQ(a.size(), 13u);
  EXPECT_EQ(a, b);  // every architecture, status and value
  for (const auto& rec : a) {
    EXPECT_EQ(rec["status"], "ok") << rec.dump();
    for (const char* k : {"synflow", "naswot", "acc"}) EXPECT_TRUE(std::isfinite(rec["objectives"][k].get<double>())) << rec.dump();
  }
  // The logged values are the sources' full results, built from the run's resolved config as
  // `hwnas proxy` builds them from its flags.
  const auto resolved = nlohmann::json::parse(test::read_text(dir + "/p2/config.json"));
  const auto naswot = make_proxy_source(ProxySourceOptions::from_json(resolved["objectives"][1]["source"]["proxy"], "p", 0));
  const auto train = make_train_source(TrainSourceOptions::from_json(resolved["objectives"][2]["source"]["train"], "t", 0));
  const Candidate first(s, s.parse(a[0]["arch"].get<std::string>()));
  const ProxyResult r = naswot->score(first);
  ASSERT_TRUE(r.ok) << r.message;
  EXPECT_EQ(r.score, a[0]["objectives"]["naswot"].get<double>());
  const TrainResult t = train->train(first);
  ASSERT_TRUE(t.ok) << t.message;
  EXPECT_EQ(t.val_accuracy, a[0]["objectives"]["acc"].get<double>());
  ASSERT_FALSE(t.accuracy_at.empty());
  EXPECT_EQ(t.accuracy_at.back().first, 5);
}
