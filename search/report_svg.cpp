// The report's drawing: plots, colour scale and architecture pictures, as inline SVG text.
#include "report_svg.h"

#include <algorithm>
#include <array>
#include <iomanip>
#include <map>
#include <sstream>

#include "hwnas/nas/search_space.h"
#include "hwnas/nas/spaces/nb201.h"

namespace hwnas::report_svg {

std::string esc(const std::string& s) {
  std::string o;
  for (char c : s) {
    switch (c) {
      case '&': o += "&amp;"; break;
      case '<': o += "&lt;"; break;
      case '>': o += "&gt;"; break;
      case '"': o += "&quot;"; break;
      case '\'': o += "&#39;"; break;
      default: o += c;
    }
  }
  return o;
}

std::string fmt(double v, int digits) {
  if (!std::isfinite(v)) return "–";
  std::ostringstream s;
  const double a = std::abs(v);
  if (a >= 1e12) s << std::setprecision(digits) << v;  // plain scientific beyond giga
  else if (a >= 1e9) s << std::setprecision(digits) << v / 1e9 << "G";
  else if (a >= 1e6) s << std::setprecision(digits) << v / 1e6 << "M";
  else if (a >= 1e4) s << std::setprecision(digits) << v / 1e3 << "k";
  else s << std::setprecision(digits) << v;
  return s.str();
}

std::string num(double v) {
  std::ostringstream s;
  s << std::setprecision(10) << v;
  return s.str();
}

std::string px(double v) {
  std::ostringstream s;
  s << std::fixed << std::setprecision(1) << v;
  return s.str();
}

std::string Column::label(bool log_scale) const {
  std::string notes;
  if (log_scale) notes = "log scale";
  if (!better.empty()) notes += (notes.empty() ? "" : ", ") + better + " is better";
  if (notes.empty()) return name;
  // "flops (counted)" -> "flops (counted, log scale)"
  if (!name.empty() && name.back() == ')') return name.substr(0, name.size() - 1) + ", " + notes + ")";
  return name + " (" + notes + ")";
}

void Axis::fit(const std::vector<double>& vs) {
  double mn = INFINITY, mx = -INFINITY;
  for (double v : vs)
    if (std::isfinite(v)) mn = std::min(mn, v), mx = std::max(mx, v);
  if (!std::isfinite(mn)) mn = 0, mx = 1;
  log = mn > 0 && mx / mn > 10.0;
  if (log) {
    lo = std::log10(mn);
    hi = std::log10(mx);
  } else {
    lo = mn;
    hi = mx;
  }
  if (hi - lo < 1e-12 * std::max(1.0, std::abs(hi))) {
    const double pad = log ? 0.5 : std::max(std::abs(lo) * 0.1, 0.5);
    lo -= pad;
    hi += pad;
  }
  const double m = (hi - lo) * 0.05;
  lo -= m;
  hi += m;
}

std::vector<double> Axis::ticks() const {
  std::vector<double> t;
  if (log) {
    // At most about 6 labelled decades: over a wide range, every k-th power of ten.
    const int every = std::max(1, static_cast<int>(std::ceil((hi - lo) / 6.0)));
    for (int e = static_cast<int>(std::floor(lo)); e <= static_cast<int>(std::ceil(hi)); ++e)
      for (int m : {1, 2, 5}) {
        if (e % every != 0) continue;
        const double v = m * std::pow(10.0, e);
        if (std::log10(v) >= lo && std::log10(v) <= hi && (m == 1 || hi - lo < 2.5)) t.push_back(v);
      }
    return t;
  }
  const double raw = (hi - lo) / 5;
  const double mag = std::pow(10.0, std::floor(std::log10(raw)));
  double step = mag;
  for (double m : {1.0, 2.0, 5.0, 10.0})
    if (m * mag >= raw) {
      step = m * mag;
      break;
    }
  for (double v = std::ceil(lo / step) * step; v <= hi + 1e-9 * step; v += step) t.push_back(std::abs(v) < 1e-12 * step ? 0 : v);
  return t;
}

std::string viridis(double t) {
  static const std::array<std::array<double, 3>, 5> stops{
      {{68, 1, 84}, {59, 82, 139}, {33, 145, 140}, {94, 201, 98}, {253, 231, 37}}};
  if (!std::isfinite(t)) t = 0;
  t = std::clamp(t, 0.0, 1.0) * (stops.size() - 1);
  const std::size_t i = std::min<std::size_t>(static_cast<std::size_t>(t), stops.size() - 2);
  const double f = t - static_cast<double>(i);
  std::ostringstream s;
  s << "#" << std::hex << std::setfill('0');
  for (int c = 0; c < 3; ++c)
    s << std::setw(2) << static_cast<int>(std::lround(stops[i][c] + f * (stops[i + 1][c] - stops[i][c])));
  return s.str();
}

namespace {

constexpr double kW = 460, kH = 340, kL = 70, kR = 15, kT = 15, kB = 50;
constexpr double kBar = 80;  // room for the colour bar at the right of a coloured plot

std::string svg_open(const std::string& cls, double w, double h) {
  std::ostringstream s;
  s << "<svg xmlns=\"http://www.w3.org/2000/svg\"" << (cls.empty() ? "" : " class=\"" + cls + "\"") << " width=\"" << w
    << "\" height=\"" << h << "\" viewBox=\"0 0 " << w << " " << h << "\" role=\"img\">\n";
  return s.str();
}

// The fitted axis of a column, with its constraint bounds inside the range so their lines show.
Axis fit_axis(const Column& c) {
  std::vector<double> vs = c.values;
  for (double b : {c.min, c.max})
    if (std::isfinite(b)) vs.push_back(b);
  Axis a;
  a.fit(vs);
  return a;
}

}  // namespace

std::string scatter(const Column& x, const Column& y, const ScatterPoints& pts, const std::string& id, const Column* colour) {
  const Axis ax = fit_axis(x), ay = fit_axis(y);
  Axis ac;
  if (colour) ac.fit(colour->values);
  const double w = kW + (colour ? kBar : 0);
  const double pw = kW - kL - kR, ph = kH - kT - kB;
  auto X = [&](double v) { return kL + ax.unit(v) * pw; };
  auto Y = [&](double v) { return kT + (1 - ay.unit(v)) * ph; };
  auto drawable = [](const Axis& a, double v) { return std::isfinite(v) && (!a.log || v > 0); };
  std::ostringstream s;
  s << "<figure class=\"plot\" id=\"" << esc(id) << "\">" << svg_open("", w, kH);
  s << "<rect x=\"" << kL << "\" y=\"" << kT << "\" width=\"" << pw << "\" height=\"" << ph
    << "\" fill=\"#fafafa\" stroke=\"#999\"/>\n";
  for (double t : ax.ticks()) {
    const double gx = X(t);
    s << "<line x1=\"" << px(gx) << "\" y1=\"" << kT << "\" x2=\"" << px(gx) << "\" y2=\"" << kT + ph
      << "\" stroke=\"#e4e4e4\"/><text x=\"" << px(gx) << "\" y=\"" << kT + ph + 15
      << "\" text-anchor=\"middle\" class=\"tick\">" << esc(fmt(t, 3)) << "</text>\n";
  }
  for (double t : ay.ticks()) {
    const double gy = Y(t);
    s << "<line x1=\"" << kL << "\" y1=\"" << px(gy) << "\" x2=\"" << kL + pw << "\" y2=\"" << px(gy)
      << "\" stroke=\"#e4e4e4\"/><text x=\"" << kL - 5 << "\" y=\"" << px(gy + 4)
      << "\" text-anchor=\"end\" class=\"tick\">" << esc(fmt(t, 3)) << "</text>\n";
  }
  // Constraint bounds: dashed lines, labelled with the bound.
  for (double b : {x.min, x.max})
    if (drawable(ax, b))
      // The label on the inner side of the line, so it stays inside the plot near the right edge.
      s << "<line class=\"constraint\" x1=\"" << px(X(b)) << "\" y1=\"" << kT << "\" x2=\"" << px(X(b)) << "\" y2=\""
        << kT + ph << "\"/><text x=\"" << px(X(b) > kL + pw / 2 ? X(b) - 3 : X(b) + 3) << "\" y=\"" << kT + 11
        << "\" text-anchor=\"" << (X(b) > kL + pw / 2 ? "end" : "start") << "\" class=\"tick\">"
        << (b == x.max ? "max " : "min ") << esc(fmt(b, 4)) << "</text>\n";
  for (double b : {y.min, y.max})
    if (drawable(ay, b))
      s << "<line class=\"constraint\" x1=\"" << kL << "\" y1=\"" << px(Y(b)) << "\" x2=\"" << kL + pw << "\" y2=\""
        << px(Y(b)) << "\"/><text x=\"" << kL + pw - 3 << "\" y=\"" << px(Y(b) - 3)
        << "\" text-anchor=\"end\" class=\"tick\">" << (b == y.max ? "max " : "min ") << esc(fmt(b, 4)) << "</text>\n";
  s << "<text x=\"" << kL + pw / 2 << "\" y=\"" << kH - 10 << "\" text-anchor=\"middle\" class=\"label\">"
    << esc(x.label(ax.log)) << "</text>\n";
  s << "<text transform=\"translate(14," << kT + ph / 2 << ") rotate(-90)\" text-anchor=\"middle\" class=\"label\">"
    << esc(y.label(ay.log)) << "</text>\n";
  // Rejected first, then dominated, then the front on top.
  const std::size_t n = x.values.size();
  for (PointKind pass : {PointKind::Rejected, PointKind::Dominated, PointKind::Front})
    for (std::size_t i = 0; i < n; ++i) {
      if (pts.kind[i] != pass) continue;
      const double vx = x.values[i], vy = y.values[i];
      if (!drawable(ax, vx) || !drawable(ay, vy)) continue;
      const std::string cx = px(X(vx)), cy = px(Y(vy));
      const std::string title = "<title>" + esc(pts.title[i]) + "</title>";
      if (pass == PointKind::Rejected) {
        const double a = X(vx), b = Y(vy);
        s << "<path class=\"rejected\" d=\"M" << px(a - 3) << " " << px(b - 3) << "L" << px(a + 3) << " " << px(b + 3)
          << "M" << px(a - 3) << " " << px(b + 3) << "L" << px(a + 3) << " " << px(b - 3) << "\">" << title << "</path>\n";
        continue;
      }
      const bool front = pass == PointKind::Front;
      std::string cls = front ? "front" : "dominated";
      if (pts.degenerate[i]) cls += " degenerate";
      s << "<circle cx=\"" << cx << "\" cy=\"" << cy << "\" r=\"" << (front ? 4 : 2.5) << "\" class=\"" << cls << "\"";
      if (colour && drawable(ac, colour->values[i])) s << " style=\"fill:" << viridis(ac.unit(colour->values[i])) << "\"";
      s << ">" << title << "</circle>\n";
    }
  if (colour) {
    // The colour bar: a vertical gradient from the lowest value (bottom) to the highest (top).
    const double bx = kW + 10, bw = 14;
    const std::string grad = id + "-colour";
    s << "<defs><linearGradient id=\"" << esc(grad) << "\" x1=\"0\" y1=\"1\" x2=\"0\" y2=\"0\">";
    for (int k = 0; k <= 4; ++k)
      s << "<stop offset=\"" << k * 25 << "%\" stop-color=\"" << viridis(k / 4.0) << "\"/>";
    s << "</linearGradient></defs>\n<rect class=\"colour-bar\" x=\"" << bx << "\" y=\"" << kT << "\" width=\"" << bw
      << "\" height=\"" << ph << "\" fill=\"url(#" << esc(grad) << ")\" stroke=\"#999\"/>\n";
    for (double t : ac.ticks()) {
      const double u = ac.unit(t);
      if (u < 0 || u > 1) continue;
      const double gy = kT + (1 - u) * ph;
      s << "<line x1=\"" << bx + bw << "\" y1=\"" << px(gy) << "\" x2=\"" << bx + bw + 4 << "\" y2=\"" << px(gy)
        << "\" stroke=\"#555\"/><text x=\"" << bx + bw + 6 << "\" y=\"" << px(gy + 4) << "\" class=\"tick\">"
        << esc(fmt(t, 3)) << "</text>\n";
    }
    s << "<text transform=\"translate(" << w - 4 << "," << kT + ph / 2
      << ") rotate(-90)\" text-anchor=\"middle\" class=\"label colour-label\">colour: " << esc(colour->label(ac.log))
      << "</text>\n";
  }
  s << "</svg><figcaption>" << esc(y.name) << " vs " << esc(x.name);
  if (colour) s << ", coloured by " << esc(colour->name);
  s << "</figcaption></figure>\n";
  return s.str();
}

std::string line_plot(const std::vector<double>& ys, const std::string& xname, const std::string& yname) {
  Axis ax, ay;
  ax.lo = 0;
  ax.hi = std::max<double>(1, static_cast<double>(ys.size()));
  ay.fit(ys);
  if (ay.log) ay.lo = 0, ay.hi = *std::max_element(ys.begin(), ys.end()) * 1.05 + 1e-12, ay.log = false;
  const double pw = kW - kL - kR, ph = kH - kT - kB;
  auto X = [&](double v) { return kL + ax.unit(v) * pw; };
  auto Y = [&](double v) { return kT + (1 - ay.unit(v)) * ph; };
  std::ostringstream s;
  s << "<figure class=\"plot\" id=\"hypervolume\">" << svg_open("", kW, kH);
  s << "<rect x=\"" << kL << "\" y=\"" << kT << "\" width=\"" << pw << "\" height=\"" << ph
    << "\" fill=\"#fafafa\" stroke=\"#999\"/>\n";
  for (double t : ax.ticks())
    s << "<text x=\"" << px(X(t)) << "\" y=\"" << kT + ph + 15 << "\" text-anchor=\"middle\" class=\"tick\">"
      << esc(fmt(t, 4)) << "</text>\n";
  for (double t : ay.ticks())
    s << "<line x1=\"" << kL << "\" y1=\"" << px(Y(t)) << "\" x2=\"" << kL + pw << "\" y2=\"" << px(Y(t))
      << "\" stroke=\"#e4e4e4\"/><text x=\"" << kL - 5 << "\" y=\"" << px(Y(t) + 4)
      << "\" text-anchor=\"end\" class=\"tick\">" << esc(fmt(t, 3)) << "</text>\n";
  s << "<polyline class=\"hv\" fill=\"none\" stroke=\"#d62728\" stroke-width=\"2\" points=\"";
  for (std::size_t i = 0; i < ys.size(); ++i) {
    // A step: the value holds until the next evaluation.
    s << px(X(static_cast<double>(i))) << "," << px(Y(ys[i])) << " " << px(X(static_cast<double>(i + 1))) << ","
      << px(Y(ys[i])) << " ";
  }
  s << "\"/>\n<text x=\"" << kL + pw / 2 << "\" y=\"" << kH - 10 << "\" text-anchor=\"middle\" class=\"label\">"
    << esc(xname) << "</text>\n<text transform=\"translate(14," << kT + ph / 2
    << ") rotate(-90)\" text-anchor=\"middle\" class=\"label\">" << esc(yname) << "</text>\n";
  s << "</svg><figcaption>" << esc(yname) << " over " << esc(xname) << "</figcaption></figure>\n";
  return s.str();
}

namespace {

// Stroke colour of an nb201 op by its label.
std::string op_colour(const std::string& op) {
  if (op.find("conv_3x3") != std::string::npos) return "#d62728";
  if (op.find("conv_1x1") != std::string::npos) return "#ff7f0e";
  if (op.find("pool") != std::string::npos) return "#1f77b4";
  if (op.find("skip") != std::string::npos) return "#444";
  return "#aaa";  // none
}

// The nb201 cell: nodes 0..3 left to right (rounded boxes: circles are the plots' points); edges to the next node straight, the others as arcs
// (2<-0 and 3<-1 above, 3<-0 below). An edge the deployed network prunes (its output never
// reaches the cell output, or its input is all zeros) is drawn faded and dashed.
std::string nb201_cell(const Nb201Space& space, const Architecture& a) {
  const ArchGraph g = space.decode(a, DecodeOptions{});
  auto live = [&](int to, int from) {
    const std::string prefix = "cells.0.edge_" + std::to_string(to) + "_" + std::to_string(from) + ".";
    for (EdgeId e : g.edges_in_order())
      if (g.edge(e).name.rfind(prefix, 0) == 0) return true;
    return false;
  };
  constexpr double w = 460, h = 176, y0 = 76, r = 14;
  auto node_x = [](int i) { return 40.0 + 126.0 * i; };
  std::ostringstream s;
  s << svg_open("arch-picture nb201-cell", w, h);
  for (int k = 0; k < Nb201Space::kEdges; ++k) {
    const auto [to, from] = Nb201Space::kEdgeEnds[static_cast<std::size_t>(k)];
    const std::string op = space.decisions()[static_cast<std::size_t>(k)].choices[static_cast<std::size_t>(a.choices[static_cast<std::size_t>(k)])];
    const bool none = op == "none", dead = !none && !live(to, from);
    const double x0 = node_x(from), x1 = node_x(to), mx = (x0 + x1) / 2;
    // Control point: on the line for neighbours, above for 2<-0 and 3<-1, below for 3<-0.
    const double cy = to - from == 1 ? y0 : (to - from == 2 ? y0 - 100 : y0 + 130);
    const double peak = (y0 + cy) / 2;  // the quadratic curve's point at t = 1/2
    const std::string colour = op_colour(op);
    s << "<g class=\"cell-edge" << (none ? " none" : "") << (dead ? " dead" : "") << "\" data-edge=\"" << to << "," << from
      << "\"><title>edge " << from << " → " << to << ": " << esc(op)
      << (none ? " (no connection)" : dead ? " (pruned: it does not reach the cell output)" : "") << "</title>";
    s << "<path d=\"M" << px(x0) << " " << y0 << " Q" << px(mx) << " " << px(cy) << " " << px(x1) << " " << y0
      << "\" fill=\"none\" stroke=\"" << colour << "\" stroke-width=\"" << (none ? 1 : 2) << "\""
      << (none || dead ? " stroke-dasharray=\"4 3\"" : "") << (dead ? " opacity=\"0.45\"" : "") << "/>";
    if (!none) {
      // Arrowhead at the target node's border, along the curve's final direction.
      double ux = x1 - mx, uy = y0 - cy;
      const double len = std::hypot(ux, uy);
      ux /= len, uy /= len;
      const double tx = x1 - ux * r, ty = y0 - uy * r;
      s << "<polygon points=\"" << px(tx) << "," << px(ty) << " " << px(tx - 8 * ux - 4 * uy) << "," << px(ty - 8 * uy + 4 * ux)
        << " " << px(tx - 8 * ux + 4 * uy) << "," << px(ty - 8 * uy - 4 * ux) << "\" fill=\"" << colour << "\""
        << (dead ? " opacity=\"0.45\"" : "") << "/>";
    }
    const double ly = to - from == 1 ? y0 - 6 : (cy < y0 ? peak - 5 : peak + 14);
    s << "<text x=\"" << px(mx) << "\" y=\"" << px(ly) << "\" text-anchor=\"middle\" class=\"op\" fill=\""
      << (none ? "#888" : colour) << "\">" << esc(op) << "</text></g>\n";
  }
  for (int i = 0; i < 4; ++i)
    s << "<rect x=\"" << px(node_x(i) - r - 2) << "\" y=\"" << y0 - r + 2 << "\" width=\"" << 2 * r + 4 << "\" height=\""
      << 2 * r - 4 << "\" rx=\"" << r - 2 << "\" fill=\"#fff\" stroke=\"#222\"/><text x=\"" << px(node_x(i)) << "\" y=\"" << y0 + 4
      << "\" text-anchor=\"middle\" class=\"node\">" << (i == 0 ? "in" : i == 3 ? "out" : std::to_string(i)) << "</text>\n";
  s << "</svg>\n";
  return s.str();
}

// One inverted-residual block as found in the graph: the edges of one searchable cell.
struct Block {
  int in_channels = 0, hidden = 0, out_channels = 0, kernel = 0, stride = 1, size = 0;
  bool residual = false;
};

// The blocks of a network whose cells are depthwise-separable blocks (mbv): read from the graph,
// so the picture shows what is built. Empty when a cell has no depthwise conv.
std::vector<Block> blocks_of(const ArchGraph& g) {
  std::map<int, Block> by_cell;
  for (EdgeId e : g.edges_in_order()) {
    const OpEdge& op = g.edge(e);
    if (op.cell < 0) continue;
    Block& b = by_cell[op.cell];
    if (b.in_channels == 0) b.in_channels = op.in_channels;
    if (op.kind == OpKind::Conv2d && op.groups > 1 && op.groups == op.in_channels) {
      b.hidden = op.in_channels;
      b.kernel = op.kernel;
      b.stride = op.stride;
      b.size = g.node(boost::target(e, g.graph())).shape.h;
    }
    if (op.kind == OpKind::Conv2d) b.out_channels = op.out_channels;
    if (op.kind == OpKind::Identity) b.residual = true;
  }
  std::vector<Block> out;
  for (const auto& [cell, b] : by_cell) {
    if (b.kernel == 0) return {};
    out.push_back(b);
  }
  return out;
}

// The block chain: one row per run of blocks with the same output width (a stage), each block a
// box "k<kernel> e<expansion>", shaded by expansion; "↓2" marks a stride-2 block, "+" a residual one.
std::string block_chain(const ArchGraph& g, const std::vector<Block>& blocks) {
  std::vector<std::vector<Block>> rows;
  for (const Block& b : blocks) {
    if (rows.empty() || rows.back().back().out_channels != b.out_channels) rows.emplace_back();
    rows.back().push_back(b);
  }
  std::size_t widest = 1;
  for (const auto& r : rows) widest = std::max(widest, r.size());
  constexpr double label_w = 150, box_w = 74, box_h = 26, gap = 8, row_h = 36, top = 24;
  const double w = label_w + static_cast<double>(widest) * (box_w + gap) + 10;
  const double h = top + static_cast<double>(rows.size()) * row_h + 22;
  double emax = 1, emin = 1e9;
  for (const Block& b : blocks) {
    const double e = static_cast<double>(b.hidden) / b.in_channels;
    emax = std::max(emax, e), emin = std::min(emin, e);
  }
  const TensorShape in = g.node(g.input()).shape;
  std::ostringstream s;
  s << svg_open("arch-picture block-chain", w, h);
  s << "<text x=\"6\" y=\"15\" class=\"node\">input " << in.c << "×" << in.h << "×" << in.w << ", " << blocks.size()
    << " blocks</text>\n";
  for (std::size_t r = 0; r < rows.size(); ++r) {
    const double y = top + static_cast<double>(r) * row_h;
    const Block& first = rows[r].front();
    s << "<text x=\"6\" y=\"" << px(y + 17) << "\" class=\"node\">" << first.out_channels << " ch, " << first.size << "×"
      << first.size << "</text>\n";
    for (std::size_t i = 0; i < rows[r].size(); ++i) {
      const Block& b = rows[r][i];
      const double x = label_w + static_cast<double>(i) * (box_w + gap);
      const double e = static_cast<double>(b.hidden) / b.in_channels;
      const double t = emax > emin ? (e - emin) / (emax - emin) : 0.5;
      s << "<g class=\"block\"><title>kernel " << b.kernel << ", expansion " << num(e) << " (" << b.in_channels << " → "
        << b.hidden << " → " << b.out_channels << " channels), stride " << b.stride
        << (b.residual ? ", residual" : "") << "</title><rect x=\"" << px(x) << "\" y=\"" << px(y) << "\" width=\""
        << box_w << "\" height=\"" << box_h << "\" rx=\"4\" fill=\"" << viridis(0.35 + 0.6 * t) << "\" stroke=\"#333\"/>"
        << "<text x=\"" << px(x + box_w / 2) << "\" y=\"" << px(y + 17) << "\" text-anchor=\"middle\" class=\"op\" fill=\""
        << (t > 0.6 ? "#222" : "#fff") << "\">k" << b.kernel << " e" << num(e) << (b.stride > 1 ? " ↓" + std::to_string(b.stride) : "")
        << (b.residual ? " +" : "") << "</text></g>\n";
    }
  }
  s << "<text x=\"6\" y=\"" << px(h - 6)
    << "\" class=\"tick\">k: depthwise kernel, e: expansion (shade), ↓2: stride 2, +: residual</text>\n</svg>\n";
  return s.str();
}

}  // namespace

std::string arch_picture(const SearchSpace& space, const Architecture& a) {
  if (const auto* nb = dynamic_cast<const Nb201Space*>(&space)) return nb201_cell(*nb, a);
  const ArchGraph g = space.decode(a, DecodeOptions{});
  const std::vector<Block> blocks = blocks_of(g);
  return blocks.empty() ? std::string() : block_chain(g, blocks);
}

}  // namespace hwnas::report_svg
