#include "hwnas/search/pareto.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <random>
#include <set>

#include "hwnas/core/error.h"
#include "hwnas/core/rng.h"
#include "../../search/strategies/acquisition.h"  // FastFront, private to the strategies

using namespace hwnas;

namespace {

// Exact hypervolume by a grid over the distinct coordinates: every grid cell is either fully
// dominated or not, so summing the dominated cells is exact (and slow: for tests only).
double grid_hypervolume(const std::vector<Point>& pts, const Point& ref) {
  const std::size_t d = ref.size();
  std::vector<std::vector<double>> axes(d);
  for (std::size_t k = 0; k < d; ++k) {
    std::set<double> s{ref[k]};
    for (const Point& p : pts)
      if (p[k] < ref[k]) s.insert(p[k]);
    axes[k].assign(s.begin(), s.end());
  }
  std::vector<std::size_t> idx(d, 0);
  double total = 0;
  while (true) {
    bool valid = true;
    for (std::size_t k = 0; k < d; ++k)
      if (idx[k] + 1 >= axes[k].size()) valid = false;
    if (valid) {
      bool covered = false;
      for (const Point& p : pts) {
        bool in = true;
        for (std::size_t k = 0; k < d && in; ++k)
          if (!(p[k] <= axes[k][idx[k]] && p[k] < ref[k])) in = false;
        if (in) {
          covered = true;
          break;
        }
      }
      if (covered) {
        double v = 1;
        for (std::size_t k = 0; k < d; ++k) v *= axes[k][idx[k] + 1] - axes[k][idx[k]];
        total += v;
      }
    }
    std::size_t k = 0;
    while (k < d && ++idx[k] >= axes[k].size()) idx[k++] = 0;
    if (k == d) break;
  }
  return total;
}

std::vector<Point> random_points(Rng& rng, std::size_t n, std::size_t d, bool integer) {
  std::vector<Point> pts(n, Point(d));
  for (auto& p : pts)
    for (auto& v : p) v = integer ? static_cast<double>(rng.uniform_index(6)) / 5.0 : rng.uniform();
  return pts;
}

}  // namespace

TEST(Pareto, Dominance) {
  EXPECT_TRUE(dominates({1, 2}, {1, 3}));
  EXPECT_FALSE(dominates({1, 2}, {1, 2}));
  EXPECT_TRUE(weakly_dominates({1, 2}, {1, 2}));
  EXPECT_FALSE(dominates({1, 3}, {2, 2}));
  EXPECT_FALSE(dominates({2, 2}, {1, 3}));
  EXPECT_THROW(dominates({1}, {1, 2}), InternalError);
}

TEST(Pareto, NonDominatedSortRanks) {
  std::vector<Point> pts{{1, 4}, {2, 2}, {4, 1}, {3, 3}, {5, 5}, {2, 2}, {4, 4}};
  EXPECT_EQ(non_dominated_sort(pts), (std::vector<int>{0, 0, 0, 1, 3, 0, 2}));
  EXPECT_EQ(non_dominated_indices(pts), (std::vector<int>{0, 1, 2}));
  EXPECT_TRUE(non_dominated_sort({}).empty());
}

TEST(Pareto, CrowdingDistance) {
  std::vector<Point> pts{{0, 4}, {1, 2}, {2, 1}, {4, 0}, {9, 9}};
  auto cd = crowding_distance(pts, {0, 1, 2, 3});
  const double inf = std::numeric_limits<double>::infinity();
  EXPECT_EQ(cd[0], inf);
  EXPECT_EQ(cd[3], inf);
  // point 1: (2-0)/4 + (4-1)/4 = 1.25; point 2: (4-1)/4 + (2-0)/4 = 1.25
  EXPECT_DOUBLE_EQ(cd[1], 1.25);
  EXPECT_DOUBLE_EQ(cd[2], 1.25);
  auto two = crowding_distance(pts, {1, 4});
  EXPECT_EQ(two[0], inf);
  EXPECT_EQ(two[1], inf);
}

TEST(Pareto, HypervolumeHandComputed) {
  // 1-D
  EXPECT_DOUBLE_EQ(hypervolume({{3}, {1}, {5}}, {4}), 3.0);
  // 2-D: staircase (1,3),(2,2),(3,1) with ref (4,4): 3*1 + 2*1 + 1*1 ... = 6
  EXPECT_DOUBLE_EQ(hypervolume({{1, 3}, {2, 2}, {3, 1}}, {4, 4}), 6.0);
  // 3-D: two boxes [1,4]^3 (27) and [2,4]x[0,4]x[2,4]-style overlap:
  // a=(1,1,1) -> 27; b=(0,2,2) box 4*2*2=16, overlap with a: [1,4]x[2,4]x[2,4] = 3*2*2=12 -> 31
  EXPECT_DOUBLE_EQ(hypervolume({{1, 1, 1}, {0, 2, 2}}, {4, 4, 4}), 31.0);
  // 3-D, the three unit-axis points of the simplex corner, ref 2: each box 1*2*2... a=(1,0,0):
  // 1*2*2=4, same for b,c; pairwise overlaps (1,1,0): 1*1*2=2 each; triple (1,1,1): 1 -> 12-6+1=7
  EXPECT_DOUBLE_EQ(hypervolume({{1, 0, 0}, {0, 1, 0}, {0, 0, 1}}, {2, 2, 2}), 7.0);
  // 4-D, same construction: 4 boxes of 8, 6 pairs of 4, 4 triples of 2, one quadruple of 1:
  // 32 - 24 + 8 - 1 = 15
  EXPECT_DOUBLE_EQ(hypervolume({{1, 0, 0, 0}, {0, 1, 0, 0}, {0, 0, 1, 0}, {0, 0, 0, 1}}, {2, 2, 2, 2}), 15.0);
  // 5-D, same construction: 5*16 - 10*8 + 10*4 - 5*2 + 1 = 31 (the box [0,2]^5 minus the cell
  // [0,1)^5, which no point dominates).
  std::vector<Point> e5;
  for (int i = 0; i < 5; ++i) {
    Point p(5, 0.0);
    p[i] = 1;
    e5.push_back(p);
  }
  EXPECT_DOUBLE_EQ(hypervolume(e5, Point(5, 2.0)), 31.0);
  // 5-D single point and a dominated one
  EXPECT_DOUBLE_EQ(hypervolume({{0.5, 0.5, 0.5, 0.5, 0.5}, {0.6, 0.6, 0.6, 0.6, 0.6}}, Point(5, 1.0)), 1.0 / 32);
}

TEST(Pareto, PointsOnOrBeyondReferenceContributeNothing) {
  EXPECT_DOUBLE_EQ(hypervolume({{1, 5}, {5, 1}, {4, 1}, {1, 4}}, {4, 4}), 0.0);
  EXPECT_DOUBLE_EQ(hypervolume({{2, 2}, {1, 5}, {4, 0}}, {4, 4}), 4.0);
  EXPECT_DOUBLE_EQ(hypervolume({{2, 2, 2}, {1, 1, 4}, {0, 0, 5}}, {4, 4, 4}), 8.0);
  EXPECT_DOUBLE_EQ(hypervolume({{2, 2, 2, 2}, {0, 0, 0, 4}}, {4, 4, 4, 4}), 16.0);
  EXPECT_DOUBLE_EQ(hypervolume({}, {1, 1}), 0.0);
}

TEST(Pareto, DuplicateAndDominatedPointsDoNotChangeHypervolume) {
  for (std::size_t d = 2; d <= 5; ++d) {
    Rng rng(d);
    auto pts = random_points(rng, 7, d, false);
    const Point ref(d, 1.0);
    const double hv = hypervolume(pts, ref);
    auto more = pts;
    more.insert(more.end(), pts.begin(), pts.end());  // duplicates
    for (const Point& p : pts) {                      // dominated copies
      Point q = p;
      for (double& v : q) v = std::min(1.0, v + 0.05);
      more.push_back(q);
    }
    EXPECT_NEAR(hypervolume(more, ref), hv, 1e-12) << d;
  }
}

TEST(Pareto, SweepAndWfgEqualBruteForceOverManySeeds) {
  for (std::uint64_t seed = 0; seed < 60; ++seed) {
    Rng rng(seed);
    for (std::size_t d = 2; d <= 5; ++d) {
      const std::size_t n = d <= 3 ? 1 + rng.uniform_index(25) : 1 + rng.uniform_index(9);
      const bool integer = seed % 3 == 0;  // many ties
      auto pts = random_points(rng, n, d, integer);
      Point ref(d, 1.0);
      if (seed % 5 == 0) ref[0] = 0.7;  // some points beyond the reference
      const double exact = grid_hypervolume(pts, ref);
      EXPECT_NEAR(hypervolume(pts, ref), exact, 1e-12) << "seed " << seed << " d " << d << " n " << n;
    }
  }
}

TEST(Pareto, HypervolumeImprovementEqualsDifference) {
  for (std::uint64_t seed = 0; seed < 40; ++seed) {
    Rng rng(seed + 100);
    for (std::size_t d = 2; d <= 4; ++d) {
      auto pts = random_points(rng, 1 + rng.uniform_index(10), d, seed % 2 == 0);
      auto front_idx = non_dominated_indices(pts);
      std::vector<Point> front;
      for (int i : front_idx) front.push_back(pts[i]);
      Point p = random_points(rng, 1, d, false)[0];
      const Point ref(d, 1.1);
      auto with = front;
      with.push_back(p);
      EXPECT_NEAR(hypervolume_improvement(front, p, ref), hypervolume(with, ref) - hypervolume(front, ref), 1e-12);
    }
  }
}

TEST(Pareto, NormalizeAndNormalizedHypervolume) {
  std::vector<Point> pts{{10, 200}, {20, 100}, {30, 300}};
  auto b = bounds_of(pts);
  EXPECT_EQ(b.lower, (Point{10, 100}));
  EXPECT_EQ(b.upper, (Point{30, 300}));
  auto n = normalize(pts, b.lower, b.upper);
  EXPECT_EQ(n[0], (Point{0, 0.5}));
  EXPECT_EQ(n[2], (Point{1, 1}));
  // constant objective: shifted only
  EXPECT_EQ(normalize(Point{5, 7}, Point{5, 7}, Point{5, 9}), (Point{0, 0}));
  // (0,0.5) and (0.5,0): 1.1*0.6 + 0.6*0.5 = 0.96
  EXPECT_NEAR(normalized_hypervolume(pts, b.lower, b.upper), 0.96, 1e-12);
}

TEST(Pareto, ArchiveKeepsTheFront) {
  ParetoArchive a;
  EXPECT_TRUE(a.add(1, {1, 2}));
  EXPECT_TRUE(a.add(2, {2, 1}));
  EXPECT_FALSE(a.add(3, {2, 2}));   // dominated
  EXPECT_FALSE(a.add(4, {1, 2}));   // duplicate of a member
  EXPECT_EQ(a.front_ids(), (std::vector<std::int64_t>{1, 2}));
  EXPECT_TRUE(a.add(5, {0.5, 0.5}));  // evicts both
  EXPECT_EQ(a.front_ids(), (std::vector<std::int64_t>{5}));
  EXPECT_EQ(a.size(), 1u);
  EXPECT_DOUBLE_EQ(a.hypervolume({1, 1}), 0.25);
  EXPECT_TRUE(a.would_enter({0.4, 0.9}));
  EXPECT_FALSE(a.would_enter({0.5, 0.9}));
  EXPECT_THROW(a.add(6, {1, 2, 3}), InternalError);
  EXPECT_THROW(a.add(7, {std::nan(""), 1}), InternalError);
}

TEST(Pareto, ArchiveMatchesNonDominatedSortOnRandomStreams) {
  for (std::uint64_t seed = 0; seed < 20; ++seed) {
    Rng rng(seed);
    auto pts = random_points(rng, 60, 3, seed % 2 == 0);
    ParetoArchive a;
    for (std::size_t i = 0; i < pts.size(); ++i) a.add(static_cast<std::int64_t>(i), pts[i]);
    auto idx = non_dominated_indices(pts);
    std::vector<std::int64_t> want(idx.begin(), idx.end());
    auto got = a.front_ids();
    std::sort(got.begin(), got.end());
    EXPECT_EQ(got, want) << seed;
  }
}

// The acquisition's fast improvement (2 and 3 objectives: a sweep without allocation) is the
// hypervolume gain, on random fronts with points outside the reference box, ties in every
// coordinate (values on a coarse grid) and candidates dominated or not.
TEST(FastFront, ImprovementIsTheHypervolumeGain) {
  std::mt19937 rng(5);
  std::uniform_int_distribution<int> grid(0, 12);
  for (std::size_t d : {2u, 3u}) {
    const Point ref(d, 1.1);
    for (int trial = 0; trial < 300; ++trial) {
      std::vector<Point> pts(1 + rng() % 40);
      for (auto& p : pts) {
        p.resize(d);
        for (auto& x : p) x = grid(rng) / 10.0;  // 0 .. 1.2: some outside the box
      }
      hwnas::detail::FastFront front(pts, ref);
      for (int c = 0; c < 20; ++c) {
        Point q(d);
        for (auto& x : q) x = grid(rng) / 10.0 - 0.05;
        std::vector<Point> with = pts;
        with.push_back(q);
        const double gain = hypervolume(with, ref) - hypervolume(pts, ref);
        ASSERT_NEAR(front.improvement(q), gain, 1e-12) << "d " << d << " trial " << trial;
      }
    }
  }
}
