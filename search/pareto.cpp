#include "hwnas/search/pareto.h"

#include <algorithm>
#include <cmath>
#include <iterator>
#include <limits>
#include <map>
#include <numeric>

#include "hwnas/core/error.h"

namespace hwnas {

bool weakly_dominates(const Point& a, const Point& b) {
  HWNAS_CHECK(a.size() == b.size(), "objective vectors of different sizes");
  for (std::size_t i = 0; i < a.size(); ++i)
    if (a[i] > b[i]) return false;
  return true;
}

bool dominates(const Point& a, const Point& b) {
  HWNAS_CHECK(a.size() == b.size(), "objective vectors of different sizes");
  bool strictly = false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (a[i] > b[i]) return false;
    if (a[i] < b[i]) strictly = true;
  }
  return strictly;
}

std::vector<int> non_dominated_sort(const std::vector<Point>& points) {
  const std::size_t n = points.size();
  std::vector<int> rank(n, 0);
  std::vector<std::vector<int>> dominated_by(n);  // i -> points i dominates
  std::vector<int> count(n, 0);                    // how many points dominate i
  for (std::size_t i = 0; i < n; ++i) {
    for (std::size_t j = i + 1; j < n; ++j) {
      if (dominates(points[i], points[j])) {
        dominated_by[i].push_back(static_cast<int>(j));
        ++count[j];
      } else if (dominates(points[j], points[i])) {
        dominated_by[j].push_back(static_cast<int>(i));
        ++count[i];
      }
    }
  }
  std::vector<int> current;
  for (std::size_t i = 0; i < n; ++i)
    if (count[i] == 0) current.push_back(static_cast<int>(i));
  int r = 0;
  while (!current.empty()) {
    std::vector<int> next;
    for (int i : current) {
      rank[i] = r;
      for (int j : dominated_by[i])
        if (--count[j] == 0) next.push_back(j);
    }
    current = std::move(next);
    ++r;
  }
  return rank;
}

std::vector<double> crowding_distance(const std::vector<Point>& points, const std::vector<int>& indices) {
  const std::size_t m = indices.size();
  std::vector<double> dist(m, 0.0);
  if (m == 0) return dist;
  const std::size_t d = points[indices[0]].size();
  const double inf = std::numeric_limits<double>::infinity();
  std::vector<int> order(m);
  for (std::size_t k = 0; k < d; ++k) {
    std::iota(order.begin(), order.end(), 0);
    std::stable_sort(order.begin(), order.end(),
                     [&](int a, int b) { return points[indices[a]][k] < points[indices[b]][k]; });
    const double lo = points[indices[order.front()]][k];
    const double hi = points[indices[order.back()]][k];
    dist[order.front()] = inf;
    dist[order.back()] = inf;
    if (hi <= lo) continue;
    for (std::size_t i = 1; i + 1 < m; ++i)
      dist[order[i]] += (points[indices[order[i + 1]]][k] - points[indices[order[i - 1]]][k]) / (hi - lo);
  }
  return dist;
}

std::vector<int> non_dominated_indices(const std::vector<Point>& points) {
  std::vector<int> out;
  for (std::size_t i = 0; i < points.size(); ++i) {
    bool keep = true;
    for (std::size_t j = 0; j < points.size() && keep; ++j) {
      if (i == j) continue;
      if (dominates(points[j], points[i])) keep = false;
      else if (j < i && points[j] == points[i]) keep = false;
    }
    if (keep) out.push_back(static_cast<int>(i));
  }
  return out;
}

namespace {

// Points strictly better than the reference in every objective.
std::vector<Point> inside(const std::vector<Point>& points, const Point& ref) {
  std::vector<Point> out;
  out.reserve(points.size());
  for (const Point& p : points) {
    HWNAS_CHECK(p.size() == ref.size(), "point and reference of different sizes");
    bool in = true;
    for (std::size_t i = 0; i < p.size(); ++i)
      if (!(p[i] < ref[i])) in = false;
    if (in) out.push_back(p);
  }
  return out;
}

// 2-D hypervolume of points already inside the reference box; uses coordinates 0 and 1.
double hv2(std::vector<Point> pts, const Point& ref) {
  std::sort(pts.begin(), pts.end(), [](const Point& a, const Point& b) {
    return a[0] != b[0] ? a[0] < b[0] : a[1] < b[1];
  });
  double area = 0.0, y = ref[1];
  for (const Point& p : pts) {
    if (p[1] < y) {
      area += (ref[0] - p[0]) * (y - p[1]);
      y = p[1];
    }
  }
  return area;
}

// 3-D sweep along objective 2; the 2-D front of the points seen so far is a staircase in a map
// x -> y (x increasing, y strictly decreasing) whose area is kept up to date on every insertion.
double hv3(std::vector<Point> pts, const Point& ref) {
  std::sort(pts.begin(), pts.end(), [](const Point& a, const Point& b) { return a[2] < b[2]; });
  std::map<double, double> front;
  double area = 0.0, volume = 0.0;
  auto next_x = [&](std::map<double, double>::iterator it) {
    auto n = std::next(it);
    return n == front.end() ? ref[0] : n->first;
  };
  for (std::size_t i = 0; i < pts.size(); ++i) {
    const double x = pts[i][0], y = pts[i][1];
    auto hi = front.upper_bound(x);
    bool dominated = hi != front.begin() && std::prev(hi)->second <= y;
    if (!dominated) {
      auto it = front.lower_bound(x);
      // Left neighbour (key < x) loses the part of its strip right of x.
      if (it != front.begin()) {
        auto l = std::prev(it);
        area -= (next_x(l) - x) * (ref[1] - l->second);
      }
      // Remove points with key >= x that p dominates (y >= p.y), subtracting their strips.
      while (it != front.end() && it->second >= y) {
        area -= (next_x(it) - it->first) * (ref[1] - it->second);
        it = front.erase(it);
      }
      const double right = it == front.end() ? ref[0] : it->first;
      area += (right - x) * (ref[1] - y);
      front.emplace_hint(it, x, y);
    }
    const double z_next = i + 1 < pts.size() ? pts[i + 1][2] : ref[2];
    volume += area * (z_next - pts[i][2]);
  }
  return volume;
}

double inclusive(const Point& p, const Point& ref, std::size_t d) {
  double v = 1.0;
  for (std::size_t i = 0; i < d; ++i) v *= ref[i] - p[i];
  return v;
}

// Non-dominated subset over the first d coordinates (one copy of equal points).
std::vector<Point> nondominated_prefix(std::vector<Point> pts, std::size_t d) {
  // Sorting lexicographically puts every dominator before what it dominates.
  std::sort(pts.begin(), pts.end(), [d](const Point& a, const Point& b) {
    return std::lexicographical_compare(a.begin(), a.begin() + d, b.begin(), b.begin() + d);
  });
  std::vector<Point> out;
  for (Point& p : pts) {
    bool dom = false;
    for (const Point& q : out) {
      bool weak = true;
      for (std::size_t i = 0; i < d && weak; ++i)
        if (q[i] > p[i]) weak = false;
      if (weak) {
        dom = true;
        break;
      }
    }
    if (!dom) out.push_back(std::move(p));
  }
  return out;
}

// WFG over the first d coordinates of points inside the reference box.
double wfg(std::vector<Point> pts, const Point& ref, std::size_t d) {
  if (pts.empty()) return 0.0;
  if (d == 1) {
    double m = pts[0][0];
    for (const Point& p : pts) m = std::min(m, p[0]);
    return ref[0] - m;
  }
  if (d == 2) return hv2(std::move(pts), ref);
  if (d == 3) return hv3(std::move(pts), ref);
  pts = nondominated_prefix(std::move(pts), d);
  if (pts.size() == 1) return inclusive(pts[0], ref, d);
  const std::size_t last = d - 1;
  std::sort(pts.begin(), pts.end(), [last](const Point& a, const Point& b) { return a[last] < b[last]; });
  double total = 0.0;
  std::vector<Point> limit;
  for (std::size_t k = 0; k < pts.size(); ++k) {
    // Exclusive volume of pts[k] against pts[0..k): its limit set has last coordinate pts[k][last]
    // (every predecessor is at least as good there), so it is a (d-1)-dimensional problem.
    limit.clear();
    for (std::size_t j = 0; j < k; ++j) {
      Point q(d - 1);
      for (std::size_t i = 0; i < d - 1; ++i) q[i] = std::max(pts[j][i], pts[k][i]);
      limit.push_back(std::move(q));
    }
    const double excl = inclusive(pts[k], ref, d - 1) - wfg(limit, ref, d - 1);
    total += (ref[last] - pts[k][last]) * excl;
  }
  return total;
}

}  // namespace

double hypervolume(const std::vector<Point>& points, const Point& reference) {
  HWNAS_CHECK(!reference.empty(), "hypervolume with an empty reference point");
  std::vector<Point> pts = inside(points, reference);
  return wfg(std::move(pts), reference, reference.size());
}

double hypervolume_improvement(const std::vector<Point>& front, const Point& p, const Point& reference) {
  HWNAS_CHECK(p.size() == reference.size(), "point and reference of different sizes");
  for (std::size_t i = 0; i < p.size(); ++i)
    if (!(p[i] < reference[i])) return 0.0;
  for (const Point& f : front)
    if (weakly_dominates(f, p)) return 0.0;
  if (reference.size() == 2) {
    // Area of [p, ref] not covered by the front: clip every front point to p's box and take the
    // 2-D hypervolume of the clipped points (they lie inside the box [p, ref]).
    std::vector<Point> clipped;
    for (const Point& f : front) {
      if (f[0] < reference[0] && f[1] < reference[1])
        clipped.push_back({std::max(f[0], p[0]), std::max(f[1], p[1])});
    }
    const double box = (reference[0] - p[0]) * (reference[1] - p[1]);
    return box - hv2(std::move(clipped), reference);
  }
  // General case: the exclusive volume of p is its box minus the hypervolume of the front
  // clipped to the box (the WFG identity).
  std::vector<Point> clipped;
  for (const Point& f : front) {
    Point q(p.size());
    for (std::size_t i = 0; i < p.size(); ++i) q[i] = std::max(f[i], p[i]);
    clipped.push_back(std::move(q));
  }
  return inclusive(p, reference, p.size()) - hypervolume(clipped, reference);
}

ObjectiveBounds bounds_of(const std::vector<Point>& points) {
  ObjectiveBounds b;
  if (points.empty()) return b;
  b.lower = b.upper = points[0];
  for (const Point& p : points) {
    HWNAS_CHECK(p.size() == b.lower.size(), "points of different sizes");
    for (std::size_t i = 0; i < p.size(); ++i) {
      b.lower[i] = std::min(b.lower[i], p[i]);
      b.upper[i] = std::max(b.upper[i], p[i]);
    }
  }
  return b;
}

Point normalize(const Point& p, const Point& lower, const Point& upper) {
  HWNAS_CHECK(p.size() == lower.size() && p.size() == upper.size(), "point and bounds of different sizes");
  Point out(p.size());
  for (std::size_t i = 0; i < p.size(); ++i) {
    const double span = upper[i] - lower[i];
    out[i] = span > 0 ? (p[i] - lower[i]) / span : p[i] - lower[i];
  }
  return out;
}

std::vector<Point> normalize(const std::vector<Point>& points, const Point& lower, const Point& upper) {
  std::vector<Point> out;
  out.reserve(points.size());
  for (const Point& p : points) out.push_back(normalize(p, lower, upper));
  return out;
}

double normalized_hypervolume(const std::vector<Point>& points, const Point& lower, const Point& upper) {
  return hypervolume(normalize(points, lower, upper), Point(lower.size(), kHypervolumeReference));
}

bool ParetoArchive::would_enter(const Point& objectives) const {
  for (const Member& m : members_)
    if (weakly_dominates(m.objectives, objectives)) return false;
  return true;
}

bool ParetoArchive::add(std::int64_t id, const Point& objectives) {
  HWNAS_CHECK(members_.empty() || members_[0].objectives.size() == objectives.size(),
              "objective vector size differs from earlier ones");
  for (double v : objectives) HWNAS_CHECK(std::isfinite(v), "non-finite objective value");
  if (!would_enter(objectives)) return false;
  std::erase_if(members_, [&](const Member& m) { return dominates(objectives, m.objectives); });
  members_.push_back({id, objectives});
  return true;
}

std::vector<std::int64_t> ParetoArchive::front_ids() const {
  std::vector<std::int64_t> out;
  for (const Member& m : members_) out.push_back(m.id);
  return out;
}

std::vector<Point> ParetoArchive::front_points() const {
  std::vector<Point> out;
  for (const Member& m : members_) out.push_back(m.objectives);
  return out;
}

double ParetoArchive::hypervolume(const Point& reference) const {
  return hwnas::hypervolume(front_points(), reference);
}

}  // namespace hwnas
