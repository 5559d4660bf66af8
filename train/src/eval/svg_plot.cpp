#include "lensforge/train/eval/svg_plot.hpp"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <limits>
#include <utility>

#include <fmt/format.h>

#include "lensforge/sim/core/error.hpp"

namespace lensforge::eval {
namespace {

/// Matplotlib's "tab10" colours: distinguishable, also for most colour-blind readers.
constexpr const char* kPalette[] = {"#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd",
                                    "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf"};
constexpr int kPaletteSize = int(std::size(kPalette));
constexpr double kMarginLeft = 64, kMarginRight = 18, kMarginTop = 30, kMarginBottom = 46;

void check_lengths(const std::string& name, std::size_t a, std::size_t b) {
  if (a != b) throw ConfigError(fmt::format("SvgPlot series '{}': {} x values but {} y values", name, a, b));
}

/// Whether v can be drawn on an axis (finite, and positive on a logarithmic one).
bool drawable(double v, bool log) { return std::isfinite(v) && (!log || v > 0.0); }

/// Tick values of a linear axis: multiples of 1, 2 or 5 x 10^k, about five of them.
std::vector<double> linear_ticks(double lo, double hi) {
  const double raw = (hi - lo) / 5.0;
  const double mag = std::pow(10.0, std::floor(std::log10(raw)));
  double step = mag;
  for (const double m : {1.0, 2.0, 5.0, 10.0})
    if (m * mag >= raw) {
      step = m * mag;
      break;
    }
  std::vector<double> t;
  for (double v = std::ceil(lo / step - 1e-9) * step; v <= hi + 1e-9 * step; v += step)
    t.push_back(std::abs(v) < 1e-12 * step ? 0.0 : v);
  return t;
}

/// Decades inside [lo, hi], thinned to at most eight.
std::vector<double> log_ticks(double lo, double hi) {
  const int a = int(std::ceil(std::log10(lo) - 1e-9)), b = int(std::floor(std::log10(hi) + 1e-9));
  const int every = std::max(1, (b - a + 8) / 8);
  std::vector<double> t;
  for (int k = a; k <= b; k += every) t.push_back(std::pow(10.0, k));
  return t;
}

std::string tick_label(double v, bool log) {
  if (log) {
    const int e = int(std::lround(std::log10(v)));
    if (e >= -3 && e <= 4) return fmt::format("{:g}", v);
    return fmt::format("1e{}", e);
  }
  return fmt::format("{:.6g}", v);
}

}  // namespace

std::string xml_escape(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (const char c : text) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&#39;"; break;
      default: out += c;
    }
  }
  return out;
}

SvgPlot::SvgPlot(std::string title, std::string x_label, std::string y_label) : title_(std::move(title)) {
  x_.label = std::move(x_label);
  y_.label = std::move(y_label);
}

SvgPlot& SvgPlot::size(int width, int height) {
  if (width < 160 || width > 4000 || height < 160 || height > 4000)
    throw ConfigError(fmt::format("SvgPlot size {}x{}: each must be in [160, 4000] px", width, height));
  width_ = width;
  height_ = height;
  return *this;
}

SvgPlot& SvgPlot::x_range(double lo, double hi) {
  x_.fixed = true;
  x_.lo = lo;
  x_.hi = hi;
  return *this;
}

SvgPlot& SvgPlot::y_range(double lo, double hi) {
  y_.fixed = true;
  y_.lo = lo;
  y_.hi = hi;
  return *this;
}

SvgPlot& SvgPlot::log_x(bool on) {
  x_.log = on;
  return *this;
}

SvgPlot& SvgPlot::log_y(bool on) {
  y_.log = on;
  return *this;
}

SvgPlot& SvgPlot::legend(Corner corner) {
  legend_ = corner;
  return *this;
}

SvgPlot& SvgPlot::add(Series s) {
  if (s.kind == Kind::DIAGONAL) {
    s.colour = -1;
  } else {
    s.colour = colours_used_++ % kPaletteSize;
  }
  series_.push_back(std::move(s));
  return *this;
}

SvgPlot& SvgPlot::line(std::string name, std::span<const double> x, std::span<const double> y, bool dashed) {
  check_lengths(name, x.size(), y.size());
  Series s;
  s.kind = Kind::LINE;
  s.name = std::move(name);
  s.x.assign(x.begin(), x.end());
  s.y.assign(y.begin(), y.end());
  s.dashed = dashed;
  return add(std::move(s));
}

SvgPlot& SvgPlot::scatter(std::string name, std::span<const double> x, std::span<const double> y, double radius) {
  check_lengths(name, x.size(), y.size());
  if (!(radius > 0.0 && radius <= 50.0))
    throw ConfigError(fmt::format("SvgPlot series '{}': radius = {}: must be in (0, 50] px", name, radius));
  Series s;
  s.kind = Kind::SCATTER;
  s.name = std::move(name);
  s.x.assign(x.begin(), x.end());
  s.y.assign(y.begin(), y.end());
  s.radius = radius;
  return add(std::move(s));
}

SvgPlot& SvgPlot::error_bars(std::string name, std::span<const double> x, std::span<const double> y,
                             std::span<const double> y_low, std::span<const double> y_high) {
  check_lengths(name, x.size(), y.size());
  check_lengths(name, x.size(), y_low.size());
  check_lengths(name, x.size(), y_high.size());
  Series s;
  s.kind = Kind::ERROR_BARS;
  s.name = std::move(name);
  s.x.assign(x.begin(), x.end());
  s.y.assign(y.begin(), y.end());
  s.y_low.assign(y_low.begin(), y_low.end());
  s.y_high.assign(y_high.begin(), y_high.end());
  s.radius = 3.0;
  return add(std::move(s));
}

SvgPlot& SvgPlot::histogram(std::string name, std::span<const double> edges, std::span<const double> counts) {
  if (edges.size() != counts.size() + 1)
    throw ConfigError(fmt::format("SvgPlot histogram '{}': {} edges for {} counts: need counts + 1", name,
                                  edges.size(), counts.size()));
  Series s;
  s.kind = Kind::HISTOGRAM;
  s.name = std::move(name);
  s.x.assign(edges.begin(), edges.end());
  s.y.assign(counts.begin(), counts.end());
  return add(std::move(s));
}

SvgPlot& SvgPlot::diagonal(std::string name) {
  Series s;
  s.kind = Kind::DIAGONAL;
  s.name = std::move(name);
  s.dashed = true;
  return add(std::move(s));
}

std::string SvgPlot::render(std::string_view id) const {
  for (const char c : id)
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_'))
      throw ConfigError(fmt::format("SvgPlot id '{}': only letters, digits, '-' and '_' are allowed", id));

  // Axis ranges from the data unless fixed.
  auto range = [&](const Axis& axis, bool is_x) {
    if (axis.fixed) {
      if (!(std::isfinite(axis.lo) && std::isfinite(axis.hi) && axis.lo < axis.hi && (!axis.log || axis.lo > 0.0)))
        throw ConfigError(fmt::format("SvgPlot '{}': {} range [{}, {}] must be finite, increasing{}", title_,
                                      is_x ? "x" : "y", axis.lo, axis.hi, axis.log ? " and > 0 (log axis)" : ""));
      return std::pair{axis.lo, axis.hi};
    }
    double lo = std::numeric_limits<double>::infinity(), hi = -lo;
    auto take = [&](double v) {
      if (drawable(v, axis.log)) {
        lo = std::min(lo, v);
        hi = std::max(hi, v);
      }
    };
    for (const Series& s : series_) {
      if (s.kind == Kind::DIAGONAL) continue;
      if (is_x) {
        for (const double v : s.x) take(v);
      } else {
        for (const double v : s.y) take(v);
        for (const double v : s.y_low) take(v);
        for (const double v : s.y_high) take(v);
        if (s.kind == Kind::HISTOGRAM && !axis.log) take(0.0);
      }
    }
    if (!(lo <= hi)) return axis.log ? std::pair{0.1, 10.0} : std::pair{0.0, 1.0};  // nothing to show
    if (axis.log) {
      double a = std::pow(10.0, std::floor(std::log10(lo))), b = std::pow(10.0, std::ceil(std::log10(hi)));
      if (a == b) b *= 10.0;
      return std::pair{a, b};
    }
    if (lo == hi) return std::pair{lo - 0.5 * std::max(1.0, std::abs(lo)), hi + 0.5 * std::max(1.0, std::abs(hi))};
    const double pad = 0.05 * (hi - lo);
    return std::pair{lo - pad, hi + pad};
  };
  const auto [x0, x1] = range(x_, true);
  const auto [y0, y1] = range(y_, false);

  const double pw = width_ - kMarginLeft - kMarginRight, ph = height_ - kMarginTop - kMarginBottom;
  auto fx = [&](double v) {
    const double t = x_.log ? (std::log10(v) - std::log10(x0)) / (std::log10(x1) - std::log10(x0)) : (v - x0) / (x1 - x0);
    return kMarginLeft + t * pw;
  };
  auto fy = [&](double v) {
    const double t = y_.log ? (std::log10(v) - std::log10(y0)) / (std::log10(y1) - std::log10(y0)) : (v - y0) / (y1 - y0);
    return kMarginTop + (1.0 - t) * ph;
  };
  auto colour = [](const Series& s) { return s.colour < 0 ? "#555555" : kPalette[s.colour]; };

  std::string o = fmt::format(
      "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{0}\" height=\"{1}\" viewBox=\"0 0 {0} {1}\" role=\"img\" "
      "font-family=\"sans-serif\" font-size=\"12\">\n<title>{2}</title>\n"
      "<defs><clipPath id=\"{3}-clip\"><rect x=\"{4}\" y=\"{5}\" width=\"{6}\" height=\"{7}\"/></clipPath></defs>\n"
      "<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n",
      width_, height_, xml_escape(title_), id, kMarginLeft, kMarginTop, pw, ph);
  o += fmt::format("<text x=\"{}\" y=\"18\" text-anchor=\"middle\" font-size=\"14\">{}</text>\n",
                   kMarginLeft + 0.5 * pw, xml_escape(title_));

  // Grid, ticks and tick labels.
  const auto xt = x_.log ? log_ticks(x0, x1) : linear_ticks(x0, x1);
  const auto yt = y_.log ? log_ticks(y0, y1) : linear_ticks(y0, y1);
  o += "<g stroke=\"#e4e4e4\">\n";
  for (const double v : xt) o += fmt::format("<line x1=\"{0:.2f}\" y1=\"{1}\" x2=\"{0:.2f}\" y2=\"{2}\"/>\n", fx(v), kMarginTop, kMarginTop + ph);
  for (const double v : yt) o += fmt::format("<line x1=\"{1}\" y1=\"{0:.2f}\" x2=\"{2}\" y2=\"{0:.2f}\"/>\n", fy(v), kMarginLeft, kMarginLeft + pw);
  o += "</g>\n<g fill=\"#222\">\n";
  for (const double v : xt)
    o += fmt::format("<text x=\"{:.2f}\" y=\"{:.2f}\" text-anchor=\"middle\">{}</text>\n", fx(v), kMarginTop + ph + 16,
                     xml_escape(tick_label(v, x_.log)));
  for (const double v : yt)
    o += fmt::format("<text x=\"{:.2f}\" y=\"{:.2f}\" text-anchor=\"end\">{}</text>\n", kMarginLeft - 6, fy(v) + 4,
                     xml_escape(tick_label(v, y_.log)));
  o += fmt::format("<text x=\"{:.2f}\" y=\"{:.2f}\" text-anchor=\"middle\">{}</text>\n", kMarginLeft + 0.5 * pw,
                   double(height_) - 10, xml_escape(x_.label));
  o += fmt::format("<text transform=\"translate(16 {:.2f}) rotate(-90)\" text-anchor=\"middle\">{}</text>\n</g>\n",
                   kMarginTop + 0.5 * ph, xml_escape(y_.label));
  o += fmt::format("<rect x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\" fill=\"none\" stroke=\"#222\"/>\n", kMarginLeft,
                   kMarginTop, pw, ph);

  // Series, clipped to the plot area.
  o += fmt::format("<g clip-path=\"url(#{}-clip)\" fill=\"none\" stroke-width=\"1.6\">\n", id);
  for (const Series& s : series_) {
    const std::string dash = s.dashed ? " stroke-dasharray=\"5 4\"" : "";
    switch (s.kind) {
      case Kind::LINE: {
        std::string pts;
        auto flush = [&] {
          if (!pts.empty()) o += fmt::format("<polyline points=\"{}\" stroke=\"{}\"{}/>\n", pts, colour(s), dash);
          pts.clear();
        };
        for (std::size_t i = 0; i < s.x.size(); ++i) {
          if (!drawable(s.x[i], x_.log) || !drawable(s.y[i], y_.log)) {
            flush();
            continue;
          }
          pts += fmt::format("{}{:.2f},{:.2f}", pts.empty() ? "" : " ", fx(s.x[i]), fy(s.y[i]));
        }
        flush();
        break;
      }
      case Kind::SCATTER:
        o += fmt::format("<g fill=\"{}\" fill-opacity=\"0.6\" stroke=\"none\">\n", colour(s));
        for (std::size_t i = 0; i < s.x.size(); ++i)
          if (drawable(s.x[i], x_.log) && drawable(s.y[i], y_.log))
            o += fmt::format("<circle cx=\"{:.2f}\" cy=\"{:.2f}\" r=\"{}\"/>\n", fx(s.x[i]), fy(s.y[i]), s.radius);
        o += "</g>\n";
        break;
      case Kind::ERROR_BARS:
        o += fmt::format("<g stroke=\"{0}\" fill=\"{0}\">\n", colour(s));
        for (std::size_t i = 0; i < s.x.size(); ++i) {
          if (!drawable(s.x[i], x_.log)) continue;
          const double x = fx(s.x[i]);
          if (drawable(s.y_low[i], y_.log) && drawable(s.y_high[i], y_.log))
            o += fmt::format("<line x1=\"{0:.2f}\" y1=\"{1:.2f}\" x2=\"{0:.2f}\" y2=\"{2:.2f}\"/>\n", x, fy(s.y_low[i]),
                             fy(s.y_high[i]));
          if (drawable(s.y[i], y_.log))
            o += fmt::format("<circle cx=\"{:.2f}\" cy=\"{:.2f}\" r=\"{}\" stroke=\"none\"/>\n", x, fy(s.y[i]), s.radius);
        }
        o += "</g>\n";
        break;
      case Kind::HISTOGRAM: {
        const double base = y_.log ? y0 : std::max(y0, 0.0);
        std::string d;
        for (std::size_t b = 0; b + 1 < s.x.size(); ++b) {
          if (!drawable(s.x[b], x_.log) || !drawable(s.x[b + 1], x_.log)) continue;
          const double top = drawable(s.y[b], y_.log) ? s.y[b] : base;
          d += fmt::format("M{:.2f},{:.2f}V{:.2f}H{:.2f}V{:.2f}", fx(s.x[b]), fy(base), fy(top), fx(s.x[b + 1]), fy(base));
        }
        if (!d.empty())
          o += fmt::format("<path d=\"{}\" stroke=\"{}\" fill=\"{}\" fill-opacity=\"0.15\"/>\n", d, colour(s), colour(s));
        break;
      }
      case Kind::DIAGONAL: {
        // y = x from the larger of the lower bounds to the smaller of the upper ones.
        const double a = std::max(x0, y0), b = std::min(x1, y1);
        if (a < b)
          o += fmt::format("<line x1=\"{:.2f}\" y1=\"{:.2f}\" x2=\"{:.2f}\" y2=\"{:.2f}\" stroke=\"{}\"{}/>\n", fx(a),
                           fy(a), fx(b), fy(b), colour(s), dash);
        break;
      }
    }
  }
  o += "</g>\n";

  // Legend: one row per named series.
  std::vector<const Series*> named;
  for (const Series& s : series_)
    if (!s.name.empty()) named.push_back(&s);
  if (!named.empty()) {
    std::size_t longest = 0;
    for (const Series* s : named) longest = std::max(longest, s->name.size());
    const double lw = 34 + 7.0 * double(longest), lh = 8 + 16.0 * double(named.size());
    const bool left = legend_ == Corner::TOP_LEFT || legend_ == Corner::BOTTOM_LEFT;
    const bool top = legend_ == Corner::TOP_LEFT || legend_ == Corner::TOP_RIGHT;
    const double lx = left ? kMarginLeft + 8 : kMarginLeft + pw - 8 - lw;
    const double ly = top ? kMarginTop + 8 : kMarginTop + ph - 8 - lh;
    o += fmt::format("<g class=\"legend\"><rect x=\"{:.2f}\" y=\"{:.2f}\" width=\"{:.2f}\" height=\"{:.2f}\" "
                     "fill=\"white\" fill-opacity=\"0.85\" stroke=\"#bbb\"/>\n",
                     lx, ly, lw, lh);
    for (std::size_t k = 0; k < named.size(); ++k) {
      const Series& s = *named[k];
      const double y = ly + 12 + 16.0 * double(k);
      if (s.kind == Kind::SCATTER || s.kind == Kind::ERROR_BARS)
        o += fmt::format("<circle cx=\"{:.2f}\" cy=\"{:.2f}\" r=\"3.5\" fill=\"{}\"/>\n", lx + 15, y, colour(s));
      else
        o += fmt::format("<line x1=\"{:.2f}\" y1=\"{:.2f}\" x2=\"{:.2f}\" y2=\"{:.2f}\" stroke=\"{}\" stroke-width=\"2\"{}/>\n",
                         lx + 6, y, lx + 24, y, colour(s), s.dashed ? " stroke-dasharray=\"5 4\"" : "");
      o += fmt::format("<text x=\"{:.2f}\" y=\"{:.2f}\">{}</text>\n", lx + 30, y + 4, xml_escape(s.name));
    }
    o += "</g>\n";
  }
  o += "</svg>\n";
  return o;
}

}  // namespace lensforge::eval
