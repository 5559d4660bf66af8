#pragma once
// A small SVG plotter for the evaluation report: line plots, scatter plots, error bars and
// histograms on linear or logarithmic axes with ticks, labels, a title and a legend. Output is a
// self-contained <svg> element (no scripts, no external fonts) to inline in HTML.
//
//   SvgPlot p("ROC", "false-positive rate", "true-positive rate");
//   p.log_x().line("test.h5", fpr, tpr).diagonal("chance");
//   std::string svg = p.render("fig1");
//
// Non-finite points (and, on a logarithmic axis, values <= 0) are skipped: a line is broken there.
// Axis ranges default to the data's (5% padding on linear axes, whole decades on logarithmic ones,
// histograms from 0); points outside a set range are clipped.
#include <cstddef>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace lensforge::eval {

class SvgPlot {
 public:
  enum class Corner { TOP_LEFT, TOP_RIGHT, BOTTOM_LEFT, BOTTOM_RIGHT };

  SvgPlot(std::string title, std::string x_label, std::string y_label);

  /// Picture size in CSS px, each [160, 4000] (ConfigError otherwise). Default 560 x 400.
  SvgPlot& size(int width, int height);
  /// Fixed axis range, lo < hi finite (and > 0 on a logarithmic axis), else ConfigError at render.
  SvgPlot& x_range(double lo, double hi);
  SvgPlot& y_range(double lo, double hi);
  SvgPlot& log_x(bool on = true);
  SvgPlot& log_y(bool on = true);
  SvgPlot& legend(Corner corner);

  /// A polyline through (x[i], y[i]) in the given order (ConfigError for different lengths).
  SvgPlot& line(std::string name, std::span<const double> x, std::span<const double> y, bool dashed = false);
  /// Dots of `radius` px.
  SvgPlot& scatter(std::string name, std::span<const double> x, std::span<const double> y, double radius = 2.0);
  /// Dots with vertical bars from y_low to y_high (e.g. Wilson intervals).
  SvgPlot& error_bars(std::string name, std::span<const double> x, std::span<const double> y,
                      std::span<const double> y_low, std::span<const double> y_high);
  /// Outlined, lightly filled bars: counts[b] over [edges[b], edges[b+1]] (edges.size() == counts.size() + 1).
  SvgPlot& histogram(std::string name, std::span<const double> edges, std::span<const double> counts);
  /// The line y = x across the plot (grey, dashed): the 1:1 line of predicted-vs-true plots, the
  /// chance line of a ROC plot, perfect calibration on a reliability diagram.
  SvgPlot& diagonal(std::string name);

  std::size_t series_count() const { return series_.size(); }
  /// The <svg> element. `id` (letters, digits, '-', '_'; unique within the page) prefixes the
  /// element ids (the clip path), so several plots can share one HTML document.
  std::string render(std::string_view id) const;

 private:
  enum class Kind { LINE, SCATTER, ERROR_BARS, HISTOGRAM, DIAGONAL };
  struct Series {
    Kind kind = Kind::LINE;
    std::string name;
    std::vector<double> x, y, y_low, y_high;
    bool dashed = false;
    double radius = 2.0;
    int colour = 0;
  };
  struct Axis {
    std::string label;
    bool log = false;
    bool fixed = false;
    double lo = 0.0, hi = 1.0;
  };
  SvgPlot& add(Series s);

  std::string title_;
  Axis x_, y_;
  int width_ = 560, height_ = 400;
  Corner legend_ = Corner::TOP_LEFT;
  std::vector<Series> series_;
  int colours_used_ = 0;
};

/// Text with &, <, >, " and ' escaped for HTML and SVG.
std::string xml_escape(std::string_view text);

}  // namespace lensforge::eval
