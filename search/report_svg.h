#pragma once
// Private to search/: the report's drawing (inline SVG): scatter and line plots, the colour scale,
// and the picture of one architecture (an nb201 cell, an mbv block chain). report.cpp reads the run
// and lays out the page; everything here turns numbers into SVG text and knows nothing of runs.
#include <cmath>
#include <string>
#include <vector>

namespace hwnas {

class SearchSpace;
struct Architecture;

namespace report_svg {

/// HTML/XML text escaping (&, <, >, quotes).
std::string esc(const std::string& s);
/// A readable number with k/M/G suffixes; "–" when not finite.
std::string fmt(double v, int digits = 4);
/// An exact-enough number for attributes (sorting keys) and coordinates.
std::string num(double v);
/// A coordinate with one decimal.
std::string px(double v);

/// One plotted quantity: a value per point (NaN = missing), with what the reader needs to read it.
struct Column {
  std::string name;
  std::vector<double> values;
  std::string better;        // "lower", "higher" or "" (not an objective)
  double min = -INFINITY;    // a constraint's bounds on this quantity (drawn as dashed lines)
  double max = INFINITY;
  /// The axis label: "rpi4_ms (log scale, lower is better)".
  std::string label(bool log_scale) const;
};

/// The plotted range of a column: linear, or log10 when the values span more than a decade.
struct Axis {
  double lo = 0, hi = 1;
  bool log = false;
  void fit(const std::vector<double>& vs);
  double unit(double v) const { return ((log ? std::log10(v) : v) - lo) / (hi - lo); }
  std::vector<double> ticks() const;
};

/// How each point of a scatter plot is drawn.
enum class PointKind { Front, Dominated, Rejected };

struct ScatterPoints {
  std::vector<PointKind> kind;
  std::vector<bool> degenerate;    // drawn with a black ring and listed as degenerate in the title
  std::vector<std::string> title;  // hover text
};

/// A scatter plot of y against x as a <figure class="plot" id=ID>. With `colour`, points are
/// filled by its value (viridis; log scale when it spans more than a decade) and a colour bar is
/// drawn at the right.
std::string scatter(const Column& x, const Column& y, const ScatterPoints& pts, const std::string& id,
                    const Column* colour = nullptr);

/// A step line of ys over 1..n (the hypervolume over evaluations).
std::string line_plot(const std::vector<double>& ys, const std::string& xname, const std::string& yname);

/// Viridis at t in [0, 1], as "#rrggbb".
std::string viridis(double t);

/// The picture of one architecture as an <svg class="arch-picture">: the nb201 cell (4 nodes, 6
/// labelled edges, pruned edges dashed) or the mbv block chain (one row per stage: kernel,
/// expansion, width, stride, residual). Empty for a space it cannot draw.
std::string arch_picture(const SearchSpace& space, const Architecture& a);

}  // namespace report_svg
}  // namespace hwnas
