#pragma once
// A self-contained HTML page: headings, paragraphs, tables, inline SVG figures (svg_plot.hpp) and
// galleries of PNG images embedded as base64 data: URIs. No scripts and no external resources, so
// the one file can be mailed, archived or opened offline.
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "lensforge/train/eval/svg_plot.hpp"

namespace lensforge::eval {

/// One image of a gallery: the bytes of a PNG file and a caption (plain text).
struct GalleryTile {
  std::vector<std::uint8_t> png;
  std::string caption;
};

class HtmlReport {
 public:
  explicit HtmlReport(std::string title);

  /// Section heading, level 2 or 3 (ConfigError otherwise).
  void heading(std::string_view text, int level = 2);
  /// A paragraph of plain text (escaped).
  void paragraph(std::string_view text);
  /// A table of plain-text cells; every row must have header.size() cells (ConfigError otherwise).
  void table(const std::vector<std::string>& header, const std::vector<std::vector<std::string>>& rows);
  /// A figure: the plot rendered with a page-unique id, and a caption.
  void figure(const SvgPlot& plot, std::string_view caption);
  /// A grid of images with captions (an empty gallery writes a line saying so).
  void gallery(std::string_view title, const std::vector<GalleryTile>& tiles, int display_px = 128);

  /// Figures (SVG elements) and gallery images added so far.
  int figures() const { return figures_; }
  int images() const { return images_; }

  std::string html() const;
  /// Writes html() to `path` (IoError naming it on failure).
  void write(const std::string& path) const;

 private:
  std::string title_;
  std::string body_;
  int figures_ = 0;
  int images_ = 0;
};

/// RFC 4648 base64 with padding.
std::string base64_encode(std::span<const std::uint8_t> bytes);

}  // namespace lensforge::eval
