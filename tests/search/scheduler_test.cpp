// Multi-fidelity schedulers: the rung ladder, successive halving's and Hyperband's bracket sizes,
// ASHA's promotion rule (best 1/eta of a rung, each architecture once, highest rung first), the
// multi-objective ranking (non-dominated rank, then crowding distance), failures never promoted,
// and the options' error messages.
#include "hwnas/search/scheduler.h"

#include <gtest/gtest.h>

#include "hwnas/core/error.h"

using namespace hwnas;

namespace {

SchedulerConfig config(const std::string& name, int min_f = 9, int max_f = 243, int eta = 3) {
  SchedulerConfig c;
  c.name = name;
  c.min_fidelity = min_f;
  c.max_fidelity = max_f;
  c.eta = eta;
  return c;
}

std::string error_of(const nlohmann::json& j) {
  try {
    SchedulerConfig::from_json(j, "cfg.json: scheduler");
  } catch (const UserError& e) {
    return e.what();
  }
  return "";
}

// Starts n new entries at the admitted rung; returns their numbers.
std::vector<std::size_t> start(Scheduler& s, std::size_t n, int* rung) {
  const std::size_t k = s.admit(n, rung);
  std::vector<std::size_t> out;
  for (std::size_t i = 0; i < k; ++i) out.push_back(s.start_entry(*rung));
  return out;
}

}  // namespace

TEST(SchedulerConfig, RungsAreMinTimesEtaPowersThenMax) {
  EXPECT_EQ(config("sh").rungs(), (std::vector<int>{9, 27, 81, 243}));
  EXPECT_EQ(config("sh", 50, 800, 3).rungs(), (std::vector<int>{50, 150, 450, 800}));
  EXPECT_EQ(config("asha", 1, 2, 2).rungs(), (std::vector<int>{1, 2}));
  EXPECT_EQ(config("asha", 10, 100, 4).rungs(), (std::vector<int>{10, 40, 100}));
  EXPECT_TRUE(SchedulerConfig{}.rungs().empty());
}

TEST(SchedulerConfig, BadOptionsNameTheField) {
  EXPECT_EQ(error_of({{"name", "ashaa"}, {"min_fidelity", 9}}),
            "cfg.json: scheduler.name: unknown scheduler 'ashaa'; did you mean 'asha'? (known: sh, hyperband, asha)");
  EXPECT_EQ(error_of({{"name", "sh"}, {"min_fidelity", 0}}), "cfg.json: scheduler.min_fidelity: expected a positive integer, got 0");
  EXPECT_EQ(error_of({{"name", "sh"}, {"min_fidelity", 9}, {"max_fidelity", 9}}),
            "cfg.json: scheduler.max_fidelity: expected more than min_fidelity 9, got 9");
  EXPECT_EQ(error_of({{"name", "sh"}, {"min_fidelity", 9}, {"eta", 1}}), "cfg.json: scheduler.eta: expected an integer in 2..100, got 1");
  EXPECT_NE(error_of({{"name", "sh"}, {"min_fidelity", 9}, {"rungs", 3}}).find("scheduler.rungs"), std::string::npos);
  EXPECT_NE(error_of({{"name", "sh"}}).find("scheduler.min_fidelity"), std::string::npos);
  EXPECT_EQ(error_of({{"name", "sh"}, {"min_fidelity", 9}}), "");  // max_fidelity: the source's
}

TEST(Scheduler, SuccessiveHalvingPromotesTheBestThirdOfACompleteRung) {
  Scheduler s(config("sh"));
  int rung = -1;
  std::vector<std::size_t> first = start(s, 100, &rung);
  ASSERT_EQ(first.size(), 27u);  // eta^(rungs - 1)
  EXPECT_EQ(rung, 0);
  EXPECT_EQ(s.admit(5, &rung), 0u);  // the bracket's base rung is full
  // Lower is better; entry i scores 100 - i, so the last nine are the best.
  for (std::size_t i = 0; i + 1 < first.size(); ++i) s.finished(first[i], 0, true, {100.0 - static_cast<double>(i)});
  EXPECT_TRUE(s.next_promotions(10).empty());  // one still running: a synchronous rung waits
  s.finished(first.back(), 0, true, {100.0 - 26});
  std::vector<Scheduler::Job> up = s.next_promotions(4);
  ASSERT_EQ(up.size(), 4u);
  for (const auto& j : up) EXPECT_EQ(j.rung, 1);
  EXPECT_EQ(up[0].entry, 26u);  // best first
  EXPECT_EQ(up[3].entry, 23u);
  std::vector<Scheduler::Job> rest = s.next_promotions(100);
  ASSERT_EQ(rest.size(), 5u);  // 9 in all
  EXPECT_EQ(rest.back().entry, 18u);
  EXPECT_EQ(s.admit(5, &rung), 0u);  // the bracket is not over
  up.insert(up.end(), rest.begin(), rest.end());
  // At rung 1 the order reverses: the earliest entries are now the best.
  for (const auto& j : up) s.finished(j.entry, 1, true, {static_cast<double>(j.entry)});
  std::vector<Scheduler::Job> r2 = s.next_promotions(100);
  ASSERT_EQ(r2.size(), 3u);
  EXPECT_EQ(r2[0].entry, 18u);
  EXPECT_EQ(r2[2].entry, 20u);
  for (const auto& j : r2) s.finished(j.entry, 2, true, {static_cast<double>(j.entry)});
  std::vector<Scheduler::Job> r3 = s.next_promotions(100);
  ASSERT_EQ(r3.size(), 1u);
  EXPECT_EQ(r3[0].entry, 18u);
  EXPECT_EQ(r3[0].rung, 3);
  EXPECT_EQ(s.admit(5, &rung), 0u);  // the top rung is running
  s.finished(r3[0].entry, 3, true, {1.0});
  // The bracket is over: the next one opens.
  EXPECT_EQ(s.admit(100, &rung), 27u);
  EXPECT_EQ(rung, 0);
  EXPECT_EQ(s.finished_per_rung(), (std::vector<long long>{27, 9, 3, 1}));
}

TEST(Scheduler, HyperbandBracketsStartAtEveryRungInTurn) {
  Scheduler s(config("hyperband"));
  // s_max = 3: brackets s = 3, 2, 1, 0 with ceil(4 / (s + 1) * 3^s) = 27, 12, 6, 4 architectures
  // at rungs 0, 1, 2, 3.
  const std::vector<std::pair<int, std::size_t>> expected = {{0, 27}, {1, 12}, {2, 6}, {3, 4}, {0, 27}};
  for (const auto& [want_rung, want_n] : expected) {
    int rung = -1;
    std::vector<std::size_t> entries = start(s, 1000, &rung);
    ASSERT_EQ(rung, want_rung);
    ASSERT_EQ(entries.size(), want_n);
    // Run the bracket to its end: every evaluation ok, scored by entry number.
    std::vector<Scheduler::Job> running;
    for (std::size_t e : entries) running.push_back({e, rung});
    while (!running.empty()) {
      for (const auto& j : running) s.finished(j.entry, j.rung, true, {static_cast<double>(j.entry)});
      running = s.next_promotions(1000);
    }
  }
}

TEST(Scheduler, AshaPromotesFromTheBestThirdWithoutWaitingAndOnlyOnce) {
  Scheduler s(config("asha"));
  int rung = -1;
  EXPECT_EQ(s.admit(7, &rung), 7u);  // asha never makes a new architecture wait
  std::vector<std::size_t> e;
  for (int i = 0; i < 2; ++i) e.push_back(s.start_entry(0));
  s.finished(e[0], 0, true, {5.0});
  s.finished(e[1], 0, true, {3.0});
  EXPECT_TRUE(s.next_promotions(5).empty());  // floor(2 / 3) = 0 may go up
  e.push_back(s.start_entry(0));
  s.finished(e[2], 0, true, {4.0});
  std::vector<Scheduler::Job> up = s.next_promotions(5);
  ASSERT_EQ(up.size(), 1u);  // floor(3 / 3) = 1: the best of three
  EXPECT_EQ(up[0].entry, e[1]);
  EXPECT_EQ(up[0].rung, 1);
  EXPECT_TRUE(s.next_promotions(5).empty());  // it went up already
  // Three more, one better than all: the best third of six is two, and e[1] is taken.
  for (double v : {1.0, 9.0, 8.0}) {
    e.push_back(s.start_entry(0));
    s.finished(e.back(), 0, true, {v});
  }
  up = s.next_promotions(5);
  ASSERT_EQ(up.size(), 1u);
  EXPECT_EQ(up[0].entry, e[3]);
  // Higher rungs first: with three finished at rung 1, the best goes to rung 2 before rung 0's next.
  s.finished(e[1], 1, true, {2.0});
  s.finished(e[3], 1, true, {1.0});
  for (int i = 0; i < 3; ++i) {  // three more at rung 0, all bad: rung 0's best third is e[3], e[1], e[2]
    e.push_back(s.start_entry(0));
    s.finished(e.back(), 0, true, {50.0 + i});
  }
  up = s.next_promotions(1);
  ASSERT_EQ(up.size(), 1u);
  EXPECT_EQ(up[0].rung, 1);  // rung 1 has only two finished: nothing to promote from it yet
  EXPECT_EQ(up[0].entry, e[2]);
  s.finished(e[2], 1, true, {3.0});
  up = s.next_promotions(1);
  ASSERT_EQ(up.size(), 1u);
  EXPECT_EQ(up[0].rung, 2);
  EXPECT_EQ(up[0].entry, e[3]);
}

TEST(Scheduler, FailedEvaluationsAreNeverPromoted) {
  Scheduler s(config("asha", 1, 4, 2));
  std::vector<std::size_t> e;
  for (int i = 0; i < 4; ++i) e.push_back(s.start_entry(0));
  s.finished(e[0], 0, false, {});
  s.finished(e[1], 0, true, {std::nan("")});  // a non-finite objective is a failure
  s.finished(e[2], 0, false, {});
  s.finished(e[3], 0, false, {});
  EXPECT_TRUE(s.next_promotions(4).empty());  // the best half of four, all failed
  // A synchronous bracket whose rung failed entirely is over; the next opens.
  Scheduler sh(config("sh", 1, 4, 2));
  int rung = -1;
  std::vector<std::size_t> b = start(sh, 10, &rung);
  ASSERT_EQ(b.size(), 4u);
  for (std::size_t x : b) sh.finished(x, 0, false, {});
  EXPECT_TRUE(sh.next_promotions(4).empty());
  EXPECT_EQ(sh.admit(10, &rung), 4u);
}

TEST(Scheduler, PromotionRanksByNonDominatedRankThenCrowding) {
  Scheduler s(config("sh", 1, 3, 3));  // rungs 1, 3: brackets of 3, the best one goes up
  int rung = -1;
  std::vector<std::size_t> b = start(s, 10, &rung);
  ASSERT_EQ(b.size(), 3u);
  s.finished(b[0], 0, true, {2.0, 2.0});  // dominated by b[1]
  s.finished(b[1], 0, true, {1.0, 1.5});
  s.finished(b[2], 0, true, {3.0, 0.5});  // non-dominated too; both extremes: crowding ties, entry order
  std::vector<Scheduler::Job> up = s.next_promotions(10);
  ASSERT_EQ(up.size(), 1u);
  EXPECT_EQ(up[0].entry, b[1]);

  // Within the first front, the crowded middle point loses to the extremes.
  Scheduler a(config("asha", 1, 3, 3));
  std::vector<std::size_t> e;
  const std::vector<std::vector<double>> pts = {{1.0, 5.0}, {2.0, 4.0}, {2.1, 3.9}, {5.0, 1.0}, {9, 9}, {9, 9.5}};
  for (const auto& p : pts) {
    e.push_back(a.start_entry(0));
    a.finished(e.back(), 0, true, p);
  }
  up = a.next_promotions(10);  // floor(6 / 3) = 2: the two extremes of the first front
  ASSERT_EQ(up.size(), 2u);
  EXPECT_EQ(up[0].entry, e[0]);
  EXPECT_EQ(up[1].entry, e[3]);
}

TEST(Scheduler, AnExhaustedProposerClosesTheBaseRung) {
  Scheduler s(config("sh"));
  int rung = -1;
  EXPECT_EQ(s.admit(5, &rung), 5u);
  std::vector<std::size_t> e;
  for (int i = 0; i < 5; ++i) e.push_back(s.start_entry(0));
  for (std::size_t i = 0; i < e.size(); ++i) s.finished(e[i], 0, true, {static_cast<double>(i)});
  EXPECT_TRUE(s.next_promotions(10).empty());  // 5 of 27: waiting for more
  s.proposals_exhausted();
  std::vector<Scheduler::Job> up = s.next_promotions(10);
  ASSERT_EQ(up.size(), 5u);  // min(target 9, what finished)
  EXPECT_EQ(up[0].entry, e[0]);
  EXPECT_EQ(s.admit(5, &rung), 0u);
}
