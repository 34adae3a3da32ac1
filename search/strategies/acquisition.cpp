#include "acquisition.h"

#include <algorithm>
#include <array>
#include <utility>

namespace hwnas::detail {

FastFront::FastFront(std::vector<Point> points, Point reference) : pts_(std::move(points)), ref_(std::move(reference)) {
  prepare();
}

void FastFront::prepare() {
  std::vector<Point> nd;
  for (int i : non_dominated_indices(pts_)) nd.push_back(pts_[i]);
  pts_ = std::move(nd);
  if (ref_.size() == 2)
    std::sort(pts_.begin(), pts_.end(), [](const Point& a, const Point& b) { return a[0] < b[0]; });
  if (ref_.size() == 3) {
    // By the third objective, flat: improvement() sweeps them in this order without sorting.
    std::vector<Point> by_z = pts_;
    std::sort(by_z.begin(), by_z.end(), [](const Point& a, const Point& b) { return a[2] < b[2]; });
    flat3_.clear();
    for (const Point& f : by_z) flat3_.push_back({f[0], f[1], f[2]});
  }
}

namespace {
// Exclusive volume of p (inside the reference box) against a front sorted by its third
// coordinate: p's box minus the volume the front covers in it. The front clipped to the box
// (max(f, p)) keeps the order, and a sweep along the third coordinate keeps the covered area of
// the clipped points seen so far as a staircase (x increasing, y decreasing) in a flat buffer:
// no allocation per call once the buffer has grown, which matters in the acquisition's inner loop.
double improvement3(const std::vector<std::array<double, 3>>& front, const Point& p, const Point& ref) {
  for (const auto& f : front)
    if (f[0] <= p[0] && f[1] <= p[1] && f[2] <= p[2]) return 0.0;
  thread_local std::vector<std::pair<double, double>> stair;  // (x, y) of the staircase
  stair.clear();
  double area = 0.0, covered = 0.0;
  const double rx = ref[0], ry = ref[1], rz = ref[2];
  auto next_x = [&](std::size_t i) { return i + 1 < stair.size() ? stair[i + 1].first : rx; };
  std::size_t i = 0;
  const std::size_t n = front.size();
  while (i < n && !(front[i][0] < rx && front[i][1] < ry && front[i][2] < rz)) ++i;  // outside: covers nothing
  for (; i < n;) {
    const double x = std::max(front[i][0], p[0]), y = std::max(front[i][1], p[1]), z = std::max(front[i][2], p[2]);
    // Insert (x, y) into the staircase unless a point left of it is at least as low.
    auto hi = std::upper_bound(stair.begin(), stair.end(), x, [](double v, const std::pair<double, double>& s) { return v < s.first; });
    const bool dominated = hi != stair.begin() && std::prev(hi)->second <= y;
    if (!dominated) {
      std::size_t at = static_cast<std::size_t>(
          std::lower_bound(stair.begin(), stair.end(), x, [](const std::pair<double, double>& s, double v) { return s.first < v; }) -
          stair.begin());
      if (at > 0) area -= (next_x(at - 1) - x) * (ry - stair[at - 1].second);
      std::size_t end = at;
      while (end < stair.size() && stair[end].second >= y) {
        area -= (next_x(end) - stair[end].first) * (ry - stair[end].second);
        ++end;
      }
      const double right = end < stair.size() ? stair[end].first : rx;
      area += (right - x) * (ry - y);
      stair.erase(stair.begin() + static_cast<std::ptrdiff_t>(at), stair.begin() + static_cast<std::ptrdiff_t>(end));
      stair.insert(stair.begin() + static_cast<std::ptrdiff_t>(at), {x, y});
    }
    // The next point inside the reference box sets the height of this slab.
    std::size_t j = i + 1;
    while (j < n && !(front[j][0] < rx && front[j][1] < ry && front[j][2] < rz)) ++j;
    const double z_next = j < n ? std::max(front[j][2], p[2]) : rz;
    covered += area * (z_next - z);
    i = j;
  }
  return (rx - p[0]) * (ry - p[1]) * (rz - p[2]) - covered;
}
}  // namespace

void FastFront::add(const Point& p) {
  pts_.push_back(p);
  prepare();
}

double FastFront::improvement(const Point& p) const {
  const std::size_t d = ref_.size();
  for (std::size_t k = 0; k < d; ++k)
    if (!(p[k] < ref_[k])) return 0.0;
  if (d == 3) return improvement3(flat3_, p, ref_);
  if (d != 2) return hypervolume_improvement(pts_, p, ref_);
  // 2-D: the box [p, ref] minus the staircase of the front clipped to it. The front is sorted by
  // x with y decreasing, so the clipped points are too, and one pass computes the covered area.
  const double rx = ref_[0], ry = ref_[1];
  double covered = 0.0, y = ry;
  for (const Point& f : pts_) {
    if (f[0] >= rx) break;
    if (f[1] >= ry) continue;
    if (f[0] <= p[0] && f[1] <= p[1]) return 0.0;
    const double cx = std::max(f[0], p[0]), cy = std::max(f[1], p[1]);
    if (cy < y) {
      covered += (rx - cx) * (y - cy);
      y = cy;
    }
  }
  return (rx - p[0]) * (ry - p[1]) - covered;
}

}  // namespace hwnas::detail
