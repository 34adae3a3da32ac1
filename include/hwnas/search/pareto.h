#pragma once
// Pareto dominance, non-dominated sorting, crowding distance, exact hypervolume and the archive
// of non-dominated evaluations. ALL OBJECTIVES ARE MINIMIZED (the controller negates the ones a
// user maximizes before they reach this file).
//
// Hypervolume. hypervolume(points, reference) is the Lebesgue measure of the region dominated by
// the points and bounded by `reference`. A point that is not STRICTLY better than the reference
// in every objective contributes nothing (it is dropped). Algorithms, all exact:
//   1 objective : reference - min.
//   2 objectives: sort + sweep, O(n log n).
//   3 objectives: sweep along the third objective keeping the 2-D front in a std::map with its
//                 area updated incrementally (Beume et al. 2009; Fonseca, Paquete, López-Ibáñez
//                 2006), O(n log n).
//   4+          : WFG (While, Bradstreet, Barone 2012): the sum of exclusive hypervolumes, each
//                 the inclusive volume minus the hypervolume of the non-dominated limit set. The
//                 points are ordered by the last objective and each point's exclusive volume is
//                 taken against its predecessors, so every limit set lies in one slice and loses
//                 a dimension; the recursion ends in the 3-D sweep.
//
// Normalization and reference point (the rule the controller, the report and the benchmarks use):
//   each objective is mapped to [0, 1] by fixed bounds, x' = (x - lower) / (upper - lower), where
//   lower/upper are user-given bounds or else the min/max over every evaluation known so far (for
//   a benchmark: over the whole table). An objective with upper == lower is only shifted
//   (x' = x - lower). The reference point is kHypervolumeReference = 1.1 in every normalized
//   objective, so the extreme points of the front still contribute a slab of width 0.1. A
//   normalized hypervolume is thus at most 1.1^d and comparable across runs that use the same bounds.
//
// Example:
//   ParetoArchive archive;
//   archive.add(7, {0.12, 3.1e6});            // true: entered the front
//   double hv = normalized_hypervolume(archive.front_points(), lower, upper);
#include <cstdint>
#include <vector>

namespace hwnas {

using Point = std::vector<double>;

/// Reference point coordinate in normalized units (see the header comment).
inline constexpr double kHypervolumeReference = 1.1;

/// a dominates b: a <= b in every objective and a < b in at least one. Sizes must match.
bool dominates(const Point& a, const Point& b);
/// a weakly dominates b: a <= b in every objective.
bool weakly_dominates(const Point& a, const Point& b);

/// Fast non-dominated sort (Deb et al. 2002): the rank of each point, 0 = the non-dominated
/// front, 1 = the front once rank 0 is removed, and so on. Equal points share a rank. O(d n^2).
std::vector<int> non_dominated_sort(const std::vector<Point>& points);

/// NSGA-II crowding distance of points[indices[i]] within the set `indices` (normally one front),
/// returned in the order of `indices`. Per objective the two extreme points get +infinity and the
/// others the normalized gap between their neighbours; an objective with zero range adds nothing.
std::vector<double> crowding_distance(const std::vector<Point>& points, const std::vector<int>& indices);

/// Indices of the non-dominated points (of the first copy of equal points), in input order.
std::vector<int> non_dominated_indices(const std::vector<Point>& points);

/// Exact hypervolume (see the header comment). Every point must have reference.size() objectives.
double hypervolume(const std::vector<Point>& points, const Point& reference);

/// hypervolume(front + {p}) - hypervolume(front): the volume p adds. 2-D: O(n log n) directly.
double hypervolume_improvement(const std::vector<Point>& front, const Point& p, const Point& reference);

/// Per-objective bounds for normalize().
struct ObjectiveBounds {
  Point lower, upper;
};
/// Componentwise min and max of `points` (empty bounds when points is empty).
ObjectiveBounds bounds_of(const std::vector<Point>& points);

/// (x - lower) / (upper - lower) per objective; where upper <= lower the objective is only shifted.
Point normalize(const Point& p, const Point& lower, const Point& upper);
std::vector<Point> normalize(const std::vector<Point>& points, const Point& lower, const Point& upper);

/// hypervolume(normalize(points, lower, upper), {1.1, ..., 1.1}).
double normalized_hypervolume(const std::vector<Point>& points, const Point& lower, const Point& upper);

/// The non-dominated set of everything added so far. A point equal to a member, or dominated by
/// one, does not enter; a point that enters evicts the members it dominates. Ids are the caller's
/// (e.g. evaluation ids) and are returned as given.
///
/// Example:
///   ParetoArchive a;
///   a.add(1, {1, 2}); a.add(2, {2, 1}); a.add(3, {2, 2});   // true, true, false
///   a.front_ids();                                          // {1, 2}
class ParetoArchive {
 public:
  struct Member {
    std::int64_t id;
    Point objectives;
  };

  /// Returns true when the point entered the front. Throws InternalError on a size mismatch with
  /// earlier points or a non-finite value.
  bool add(std::int64_t id, const Point& objectives);
  /// Whether `objectives` would enter the front (not dominated by and not equal to a member).
  bool would_enter(const Point& objectives) const;

  /// Members in the order they entered.
  const std::vector<Member>& members() const { return members_; }
  std::vector<std::int64_t> front_ids() const;
  std::vector<Point> front_points() const;
  std::size_t size() const { return members_.size(); }
  bool empty() const { return members_.empty(); }
  double hypervolume(const Point& reference) const;
  void clear() { members_.clear(); }

 private:
  std::vector<Member> members_;
};

}  // namespace hwnas
