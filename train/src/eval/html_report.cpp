#include "lensforge/train/eval/html_report.hpp"

#include <cerrno>
#include <cstring>
#include <fstream>
#include <utility>

#include <fmt/format.h>

#include "lensforge/sim/core/error.hpp"

namespace lensforge::eval {

std::string base64_encode(std::span<const std::uint8_t> bytes) {
  static constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  out.reserve((bytes.size() + 2) / 3 * 4);
  std::size_t i = 0;
  for (; i + 3 <= bytes.size(); i += 3) {
    const std::uint32_t v = std::uint32_t(bytes[i]) << 16 | std::uint32_t(bytes[i + 1]) << 8 | bytes[i + 2];
    for (int s = 18; s >= 0; s -= 6) out += kAlphabet[(v >> s) & 63];
  }
  if (i < bytes.size()) {
    const bool two = i + 1 < bytes.size();
    const std::uint32_t v = std::uint32_t(bytes[i]) << 16 | (two ? std::uint32_t(bytes[i + 1]) << 8 : 0u);
    out += kAlphabet[(v >> 18) & 63];
    out += kAlphabet[(v >> 12) & 63];
    out += two ? kAlphabet[(v >> 6) & 63] : '=';
    out += '=';
  }
  return out;
}

HtmlReport::HtmlReport(std::string title) : title_(std::move(title)) {}

void HtmlReport::heading(std::string_view text, int level) {
  if (level != 2 && level != 3) throw ConfigError(fmt::format("HtmlReport heading level {}: must be 2 or 3", level));
  body_ += fmt::format("<h{0}>{1}</h{0}>\n", level, xml_escape(text));
}

void HtmlReport::paragraph(std::string_view text) { body_ += fmt::format("<p>{}</p>\n", xml_escape(text)); }

void HtmlReport::table(const std::vector<std::string>& header, const std::vector<std::vector<std::string>>& rows) {
  std::string t = "<table>\n<tr>";
  for (const auto& h : header) t += fmt::format("<th>{}</th>", xml_escape(h));
  t += "</tr>\n";
  for (std::size_t r = 0; r < rows.size(); ++r) {
    if (rows[r].size() != header.size())
      throw ConfigError(fmt::format("HtmlReport table: row {} has {} cells, the header {}", r, rows[r].size(), header.size()));
    t += "<tr>";
    for (const auto& c : rows[r]) t += fmt::format("<td>{}</td>", xml_escape(c));
    t += "</tr>\n";
  }
  body_ += t + "</table>\n";
}

void HtmlReport::figure(const SvgPlot& plot, std::string_view caption) {
  ++figures_;
  body_ += fmt::format("<figure>\n{}<figcaption>{}</figcaption>\n</figure>\n", plot.render(fmt::format("fig{}", figures_)),
                       xml_escape(caption));
}

void HtmlReport::gallery(std::string_view title, const std::vector<GalleryTile>& tiles, int display_px) {
  body_ += fmt::format("<h3>{}</h3>\n", xml_escape(title));
  if (tiles.empty()) {
    body_ += "<p>(none)</p>\n";
    return;
  }
  body_ += "<div class=\"gallery\">\n";
  for (const GalleryTile& t : tiles) {
    ++images_;
    body_ += fmt::format(
        "<figure class=\"tile\"><img width=\"{0}\" height=\"{0}\" alt=\"{1}\" src=\"data:image/png;base64,{2}\">"
        "<figcaption>{1}</figcaption></figure>\n",
        display_px, xml_escape(t.caption), base64_encode(t.png));
  }
  body_ += "</div>\n";
}

std::string HtmlReport::html() const {
  return fmt::format(
      "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>{0}</title>\n<style>\n"
      "body {{ font-family: sans-serif; max-width: 1200px; margin: 1em auto; padding: 0 1em; color: #222; }}\n"
      "table {{ border-collapse: collapse; margin: 0.5em 0 1em; font-size: 13px; }}\n"
      "th, td {{ border: 1px solid #ccc; padding: 2px 8px; text-align: right; }}\n"
      "th {{ background: #f2f2f2; }}\n"
      "figure {{ display: inline-block; margin: 0.5em; vertical-align: top; }}\n"
      "figcaption {{ font-size: 12px; max-width: 560px; }}\n"
      ".gallery figure.tile figcaption {{ max-width: 140px; }}\n"
      ".gallery img {{ image-rendering: pixelated; border: 1px solid #888; }}\n"
      "</style>\n</head>\n<body>\n<h1>{0}</h1>\n{1}</body>\n</html>\n",
      xml_escape(title_), body_);
}

void HtmlReport::write(const std::string& path) const {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  if (!out) throw IoError(fmt::format("cannot write report '{}': {}", path, std::strerror(errno)));
  out << html();
  out.close();
  if (!out) throw IoError(fmt::format("cannot write report '{}': {}", path, std::strerror(errno)));
}

}  // namespace lensforge::eval
