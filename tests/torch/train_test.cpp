#include "hwnas/nas/train.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include "hwnas/nas/spaces/nb201.h"
#include "support/cli.h"
#include "support/torch_fixtures.h"

using namespace hwnas;

namespace {
DataSplit synthetic_split() { return hwnas::test::synthetic_split(600); }
TrainOptions quick() {
  TrainOptions o;
  o.steps = 30;
  o.checkpoints = {10, 20};
  o.batch_size = 32;
  o.loss_every = 10;
  o.reduce = {{"channels", 4}, {"cells_per_stage", 1}, {"input_size", 16}};
  return o;
}
}  // namespace

TEST(Train, LearnsDeterministicallyAndReportsFidelities) {
  torch::set_num_threads(1);
  Nb201Space s(Nb201Options{});
  const DataSplit data = synthetic_split();
  const Architecture a = s.parse("|nor_conv_3x3~0|+|nor_conv_3x3~0|nor_conv_1x1~1|+|skip_connect~0|nor_conv_3x3~1|skip_connect~2|");
  const TrainResult r1 = train_proxy(s, a, data, quick()), r2 = train_proxy(s, a, data, quick());
  ASSERT_TRUE(r1.ok) << r1.message;
  EXPECT_EQ(r1.val_accuracy, r2.val_accuracy);
  EXPECT_EQ(r1.loss_curve, r2.loss_curve);
  ASSERT_EQ(r1.accuracy_at.size(), 3u);
  EXPECT_EQ(r1.accuracy_at[0].first, 10);
  EXPECT_EQ(r1.accuracy_at[2].first, 30);
  EXPECT_EQ(r1.accuracy_at[2].second, r1.val_accuracy);
  ASSERT_EQ(r1.loss_curve.size(), 3u);
  EXPECT_LT(r1.loss_curve.back(), r1.loss_curve.front());  // it learns the class means
  EXPECT_GT(r1.val_accuracy, 0.3);                         // 10 classes: chance is 0.1
}

TEST(Train, ASessionStoppedAndContinuedTrainsAsOneRun) {
  torch::set_num_threads(1);
  Nb201Space s(Nb201Options{});
  const DataSplit data = synthetic_split();
  const Architecture a = s.parse("|nor_conv_3x3~0|+|nor_conv_3x3~0|nor_conv_1x1~1|+|skip_connect~0|nor_conv_3x3~1|skip_connect~2|");
  const TrainResult whole = train_proxy(s, a, data, quick());  // validates at 10, 20 and 30
  ASSERT_TRUE(whole.ok) << whole.message;
  TrainSession session(s, a, data, quick());
  const TrainResult at10 = session.run_to(10);
  ASSERT_TRUE(at10.ok) << at10.message;
  EXPECT_EQ(session.step(), 10);
  EXPECT_EQ(at10.val_accuracy, whole.accuracy_at[0].second);
  const TrainResult at30 = session.run_to(30);  // passes the checkpoint at 20 on the way
  EXPECT_EQ(at30.val_accuracy, whole.val_accuracy);
  ASSERT_EQ(at30.accuracy_at.size(), 2u);
  EXPECT_EQ(at30.accuracy_at[0], whole.accuracy_at[1]);
  // A fresh session straight to 20 gives the checkpoint at 20: stopping at 10 changed nothing.
  EXPECT_EQ(TrainSession(s, a, data, quick()).run_to(20).val_accuracy, whole.accuracy_at[1].second);
  // A failed session stays failed.
  DataSplit bad = synthetic_split();
  for (float& p : bad.train.pixels) p = NAN;
  TrainSession broken(s, a, bad, quick());
  EXPECT_EQ(broken.run_to(5).message, "training loss became nan at step 1");
  EXPECT_FALSE(broken.run_to(10).ok);
}

// A session saved at step 10 and restored into a new session (as a resumed run does) trains on
// exactly as one uninterrupted run: SGD (momentum buffers) and Adam (moments, step counts).
TEST(Train, ASessionSavedToDiskAndRestoredTrainsAsOneRun) {
  torch::set_num_threads(1);
  Nb201Space s(Nb201Options{});
  const DataSplit data = synthetic_split();
  const Architecture a = s.parse("|nor_conv_3x3~0|+|nor_conv_3x3~0|nor_conv_1x1~1|+|skip_connect~0|nor_conv_3x3~1|skip_connect~2|");
  const std::string dir = hwnas::test::scratch_dir();
  for (const char* optimizer : {"sgd", "adam"}) {
    TrainOptions o = quick();
    o.optimizer = optimizer;
    o.loss_every = 4;  // a loss-curve block spans the stop at 10
    const TrainResult whole = train_proxy(s, a, data, o);
    ASSERT_TRUE(whole.ok) << whole.message;
    const std::string path = dir + "/" + optimizer + ".pt";
    TrainSession first(s, a, data, o);
    EXPECT_FALSE(first.save(path));  // nothing trained yet
    const TrainResult at10 = first.run_to(10);
    ASSERT_TRUE(first.save(path)) << optimizer;
    TrainSession second(s, a, data, o);
    ASSERT_TRUE(second.restore(path)) << optimizer;
    EXPECT_EQ(second.step(), 10);
    const TrainResult rest = second.run_to(30);
    ASSERT_TRUE(rest.ok) << rest.message;
    EXPECT_EQ(rest.val_accuracy, whole.val_accuracy) << optimizer;
    EXPECT_EQ(rest.accuracy_at[0], whole.accuracy_at[1]) << optimizer;
    std::vector<double> curve = at10.loss_curve;
    curve.insert(curve.end(), rest.loss_curve.begin(), rest.loss_curve.end());
    EXPECT_EQ(curve, whole.loss_curve) << optimizer;
    // Not restored, and the session left as it was: another architecture, other options, no
    // file, a file that is not a checkpoint.
    TrainSession other(s, s.parse("|skip_connect~0|+|nor_conv_1x1~0|none~1|+|avg_pool_3x3~0|nor_conv_3x3~1|none~2|"), data, o);
    EXPECT_FALSE(other.restore(path));
    EXPECT_EQ(other.step(), 0);
    TrainOptions more = o;
    more.lr = 0.01;
    EXPECT_FALSE(TrainSession(s, a, data, more).restore(path));
    EXPECT_FALSE(TrainSession(s, a, data, o).restore(dir + "/missing.pt"));
    hwnas::test::write_text(dir + "/garbage.pt", "not a checkpoint");
    TrainSession g(s, a, data, o);
    EXPECT_FALSE(g.restore(dir + "/garbage.pt"));
    EXPECT_EQ(g.run_to(30).val_accuracy, whole.val_accuracy);  // and trains as a fresh session
  }
}

TEST(Train, ZeroCellNeverScoresWell) {
  Nb201Space s(Nb201Options{});
  const DataSplit data = synthetic_split();
  const TrainResult zero = train_proxy(s, s.parse("|none~0|+|none~0|none~1|+|none~0|none~1|none~2|"), data, quick());
  const TrainResult conv = train_proxy(
      s, s.parse("|nor_conv_3x3~0|+|nor_conv_3x3~0|nor_conv_1x1~1|+|skip_connect~0|nor_conv_3x3~1|skip_connect~2|"), data, quick());
  ASSERT_TRUE(zero.ok) << zero.message;  // a constant network trains without failing...
  EXPECT_LT(zero.val_accuracy, conv.val_accuracy);  // ...and scores worse
  EXPECT_LT(zero.val_accuracy, 0.2);
}

TEST(Train, NonFiniteLossIsAFailedResultNotACrash) {
  Nb201Space s(Nb201Options{});
  DataSplit data = synthetic_split();
  for (float& p : data.train.pixels) p = NAN;  // a network fed NaN produces a NaN loss
  const TrainResult r = train_proxy(s, s.parse("|nor_conv_3x3~0|+|nor_conv_3x3~0|nor_conv_3x3~1|+|nor_conv_3x3~0|nor_conv_3x3~1|nor_conv_3x3~2|"), data, quick());
  EXPECT_FALSE(r.ok);
  EXPECT_EQ(r.message, "training loss became nan at step 1");
  EXPECT_EQ(r.val_accuracy, 0.0);
}

TEST(Train, BadReductionIsReported) {
  Nb201Space s(Nb201Options{});
  const DataSplit data = synthetic_split();
  TrainOptions o = quick();
  o.reduce = {{"chanels", 4}};
  const TrainResult r = train_proxy(s, s.parse("|none~0|+|none~0|none~1|+|skip_connect~0|none~1|none~2|"), data, o);
  EXPECT_FALSE(r.ok);
  EXPECT_NE(r.message.find("space.options.chanels: unknown key"), std::string::npos) << r.message;
}
