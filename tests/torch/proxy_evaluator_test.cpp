#include "hwnas/nas/proxy_evaluator.h"

#include <gtest/gtest.h>

#include "hwnas/core/error.h"
#include "hwnas/nas/spaces/nb201.h"

using namespace hwnas;

TEST(ProxyEvaluator, ParallelEqualsSerialAndCachesByCanonicalForm) {
  Nb201Options so;
  so.channels = 4;
  so.cells_per_stage = 1;
  so.input_size = 16;
  Nb201Space s(so);
  DatasetOptions d;
  d.name = "synthetic";
  d.synthetic_size = 200;
  d.synthetic_resolution = 16;
  const DataSplit data = load_dataset(d);
  ProxyOptions zc;
  zc.batch_size = 8;
  TrainOptions tr;
  tr.steps = 5;
  tr.batch_size = 8;
  tr.reduce = nlohmann::json::object();
  Rng rng(3);
  std::vector<Architecture> archs;
  for (int i = 0; i < 12; ++i) archs.push_back(s.sample(rng));
  // Two dead-edge variants of one network: scored once.
  archs.push_back(s.parse("|nor_conv_3x3~0|+|none~0|none~1|+|skip_connect~0|none~1|none~2|"));
  archs.push_back(s.parse("|avg_pool_3x3~0|+|none~0|none~1|+|skip_connect~0|none~1|none~2|"));
  ProxyEvaluator serial(s, &data, zc, tr, 1), parallel(s, &data, zc, tr, 2);
  for (const char* p : {"synflow", "naswot", "train"}) {
    const auto a = serial.score(p, archs), b = parallel.score(p, archs);
    ASSERT_EQ(a.size(), archs.size());
    for (std::size_t i = 0; i < archs.size(); ++i) {
      EXPECT_TRUE(a[i].ok) << p << ": " << a[i].message;
      EXPECT_EQ(a[i].score, b[i].score) << p << " " << s.to_string(archs[i]);
    }
    EXPECT_EQ(a[12].score, a[13].score);
  }
  const std::size_t before = parallel.evaluated();
  parallel.score("synflow", archs);  // all cached now
  EXPECT_EQ(parallel.evaluated(), before);
  EXPECT_GT(parallel.cache_hits(), archs.size());
  ASSERT_NE(parallel.train_result(archs[0]), nullptr);
  EXPECT_EQ(parallel.train_result(archs[0])->accuracy_at.back().first, 5);
  EXPECT_THROW(parallel.score("zen", archs), UserError);
  EXPECT_THROW(ProxyEvaluator(s, &data, zc, tr, 0), UserError);
}
