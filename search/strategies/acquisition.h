#pragma once
// Acquisition helpers shared by `bo` and `mcts` (plain functions: they run in inner loops).
#include <array>
#include <vector>

#include "hwnas/search/pareto.h"

namespace hwnas::detail {

/// A non-dominated front in normalized units, prepared for fast hypervolume improvements: in two
/// objectives it is sorted by the first objective (so the second decreases).
class FastFront {
 public:
  FastFront() = default;
  FastFront(std::vector<Point> points, Point reference);
  /// Volume p adds to the front (0 when dominated or outside the reference box).
  double improvement(const Point& p) const;
  /// Adds a point (for batches: the fantasized outcome of a pending proposal).
  void add(const Point& p);
  const std::vector<Point>& points() const { return pts_; }
  const Point& reference() const { return ref_; }

 private:
  void prepare();
  std::vector<Point> pts_;
  Point ref_;
  std::vector<std::array<double, 3>> flat3_;  // three objectives: pts_ sorted by the third
};

}  // namespace hwnas::detail
