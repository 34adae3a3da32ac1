#include "acquisition.h"

#include <algorithm>

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
}

void FastFront::add(const Point& p) {
  pts_.push_back(p);
  prepare();
}

double FastFront::improvement(const Point& p) const {
  const std::size_t d = ref_.size();
  for (std::size_t k = 0; k < d; ++k)
    if (!(p[k] < ref_[k])) return 0.0;
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
