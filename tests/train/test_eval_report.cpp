// The SVG plotter, base64, and a whole evaluation written to disk and opened in headless Chromium:
// every figure must render with a non-zero size and content, and every gallery PNG must decode.
#include <gtest/gtest.h>
#include <unistd.h>

#include <array>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <memory>
#include <regex>
#include <sstream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "lensforge/sim/core/error.hpp"
#include "lensforge/sim/core/rng.hpp"
#include "lensforge/train/eval/evaluation.hpp"
#include "lensforge/train/eval/html_report.hpp"
#include "lensforge/train/eval/svg_plot.hpp"

using namespace lensforge;
using namespace lensforge::eval;
namespace fs = std::filesystem;

namespace {

std::size_t count(const std::string& text, const std::string& what) {
  std::size_t n = 0;
  for (std::size_t p = text.find(what); p != std::string::npos; p = text.find(what, p + 1)) ++n;
  return n;
}

std::string read(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

/// Runs a shell command and returns its standard output.
std::string run(const std::string& command) {
  std::unique_ptr<FILE, int (*)(FILE*)> pipe(popen(command.c_str(), "r"), pclose);
  std::string out;
  std::array<char, 4096> buf{};
  while (pipe && std::fgets(buf.data(), int(buf.size()), pipe.get())) out += buf.data();
  return out;
}

/// A synthetic test set: scores separate the classes partly; theta_E regressed with honest sigmas.
SetPredictions synthetic_set(const std::string& name, std::uint64_t seed, int n, double separation) {
  Rng rng(seed, 0);
  SetPredictions s;
  s.name = name;
  s.path = name + ".h5";
  TargetPredictions t;
  t.name = "lens_theta_E";
  t.unit = "arcsec";
  BinVariable theta{"lens_theta_E", "arcsec", {}}, snr{"arc_snr", "", {}};
  const char* positives[] = {"lens", "compound_arc"};
  const char* negatives[] = {"nonlens_galaxy", "spiral", "ring_galaxy"};
  for (int i = 0; i < n; ++i) {
    const int y = rng.uniform() < 0.4;
    s.indices.push_back(i);
    s.labels.push_back(y);
    s.subtypes.push_back(y ? positives[rng.below(2)] : negatives[rng.below(3)]);
    const double th = y ? rng.uniform(0.5, 2.5) : std::nan("");
    const double sn = y ? rng.uniform(5.0, 80.0) : std::nan("");
    s.logits.push_back(separation * (y - 0.5) + (y ? 0.02 * (sn - 40.0) : 0.0) + rng.normal());
    s.probability_std.push_back(0.05 * rng.uniform());
    theta.values.push_back(th);
    snr.values.push_back(sn);
    const double sig = rng.uniform(0.05, 0.2), epi = 0.05;
    t.truth.push_back(th);
    t.mean.push_back(y ? th + std::hypot(sig, epi) * rng.normal() : rng.uniform(0.5, 2.5));
    t.sigma.push_back(sig);
    t.sigma_epistemic.push_back(epi);
  }
  s.variables = {theta, snr};
  s.targets = {t};
  return s;
}

}  // namespace

TEST(EvalReport, Base64KnownVectors) {
  auto b64 = [](const std::string& s) {
    return base64_encode(std::span(reinterpret_cast<const std::uint8_t*>(s.data()), s.size()));
  };
  EXPECT_EQ(b64(""), "");
  EXPECT_EQ(b64("f"), "Zg==");
  EXPECT_EQ(b64("fo"), "Zm8=");
  EXPECT_EQ(b64("foo"), "Zm9v");
  EXPECT_EQ(b64("foobar"), "Zm9vYmFy");
  EXPECT_EQ(b64("\xff\xfe"), "//4=");
}

TEST(EvalReport, SvgPlotDrawsSeriesAndBreaksLinesAtGaps) {
  const double nan = std::nan("");
  SvgPlot p("a <title>", "x", "y");
  p.line("with gap", std::vector<double>{0, 1, nan, 3, 4}, std::vector<double>{0, 1, 2, 3, 4})
      .scatter("dots", std::vector<double>{1, 2}, std::vector<double>{1, 2})
      .histogram("h", std::vector<double>{0, 1, 2}, std::vector<double>{3, 4})
      .diagonal("1:1");
  const std::string svg = p.render("f1");
  EXPECT_EQ(count(svg, "<polyline"), 2u);  // broken at the NaN
  EXPECT_EQ(count(svg, "<circle"), 3u);  // 2 dots and the legend's marker
  EXPECT_EQ(count(svg, "<path"), 1u);
  EXPECT_NE(svg.find("a &lt;title&gt;"), std::string::npos);
  EXPECT_NE(svg.find("id=\"f1-clip\""), std::string::npos);
  EXPECT_EQ(count(svg, "<text"), count(svg, "</text>"));
  // A logarithmic axis leaves out values <= 0.
  SvgPlot q("log", "x", "y");
  q.log_x().scatter("", std::vector<double>{0.0, 1e-3, 1.0}, std::vector<double>{1, 2, 3});
  EXPECT_EQ(count(q.render("f2"), "<circle"), 2u);
  EXPECT_THROW(p.render("bad id"), ConfigError);
  EXPECT_THROW(p.line("x", std::vector<double>{1}, std::vector<double>{}), ConfigError);
  SvgPlot r("r", "x", "y");
  r.x_range(1, 1);
  EXPECT_THROW(r.render("f3"), ConfigError);
}

TEST(EvalReport, WholeEvaluationOpensInChromiumWithEveryFigure) {
  EvalOptions o;
  o.bootstrap = 50;  // intervals are tested elsewhere; keep this fast
  Evaluation e;
  e.title = "synthetic evaluation";
  e.about = {{"checkpoint", "none (synthetic)"}};
  e.options = o;
  e.sets = {synthetic_set("easy", 1, 600, 3.0), synthetic_set("hard", 2, 400, 1.5)};
  e.sets[1].temperature = 1.5;
  e.temperature_fit = TemperatureFit{1.5, 0.6, 0.5, false, 40};
  e.temperature_source = "validation.h5";
  Rng rng(9, 0);
  for (const SetPredictions& s : e.sets) {
    e.metrics.push_back(evaluate_set(s, o));
    const auto [fp, missed] = gallery_selection(s, o.threshold, 4);
    ASSERT_EQ(fp.size(), 4u);
    ASSERT_EQ(missed.size(), 4u);
    SetGallery g;
    for (const auto& [list, out] : {std::pair{&fp, &g.false_positives}, std::pair{&missed, &g.missed}})
      for (const std::int64_t k : *list) {
        std::vector<float> px(3 * 16 * 16);
        for (float& v : px) v = float(rng.normal());
        out->push_back(cutout_tile(px, 3, 16, 16, "row " + std::to_string(s.indices[std::size_t(k)])));
      }
    e.galleries.push_back(std::move(g));
  }
  // The gallery order: false positives by falling probability.
  const auto [fp, missed] = gallery_selection(e.sets[0], o.threshold, 4);
  EXPECT_GE(e.sets[0].logits[std::size_t(fp[0])], e.sets[0].logits[std::size_t(fp[1])]);
  EXPECT_LE(e.sets[0].logits[std::size_t(missed[0])], e.sets[0].logits[std::size_t(missed[1])]);

  const fs::path dir = fs::temp_directory_path() / ("lensforge_eval_report_" + std::to_string(::getpid()));
  fs::remove_all(dir);
  write_evaluation(e, dir.string());
  const HtmlReport report = evaluation_report(e);
  // ROC (linear + log), 2 score histograms, 2 completeness variables, reliability, theta_E.
  EXPECT_EQ(report.figures(), 8);
  EXPECT_EQ(report.images(), 16);

  const nlohmann::json j = nlohmann::json::parse(read(dir / "metrics.json"));
  ASSERT_EQ(j["sets"].size(), 2u);
  const auto& auroc = j["sets"][0]["classification"]["scalars"]["auroc"];
  EXPECT_GT(auroc["value"].get<double>(), 0.9);
  EXPECT_LE(auroc["lower"].get<double>(), auroc["value"].get<double>());
  EXPECT_EQ(j["sets"][0]["targets"][0]["coverage"].size(), 6u);  // aleatoric, epistemic, combined x 2 levels
  EXPECT_EQ(j["temperature_fit"]["temperature"], 1.5);
  const std::string csv = read(dir / "metrics.csv");
  EXPECT_EQ(csv.rfind("set,group,metric,value,lower,upper\n", 0), 0u);
  EXPECT_NE(csv.find("easy,classification,auroc,"), std::string::npos);
  EXPECT_NE(csv.find("hard,classification,ece_uncalibrated,"), std::string::npos);
  EXPECT_NE(csv.find("easy,coverage:lens_theta_E:combined,coverage_0.6827,"), std::string::npos);

  const std::string html = read(dir / "report.html");
  EXPECT_EQ(count(html, "<svg"), 8u);
  EXPECT_EQ(count(html, "data:image/png;base64,"), 16u);
  EXPECT_EQ(html.find("<script"), std::string::npos);  // self-contained and static
  EXPECT_EQ(html.find("http://"), html.find("http://www.w3.org/2000/svg"));  // no external resource

  if (run("command -v chromium").empty()) {
    fs::remove_all(dir);
    GTEST_SKIP() << "chromium is not installed (scripts/setup.sh installs it): the report was not opened in a browser";
  }
  // A copy of the report with a probe that records, after loading, each <svg>'s rendered size and
  // number of drawn elements and each image's decoded size.
  std::string probe = html;
  probe.insert(probe.rfind("</body>"),
               "<script>window.addEventListener('load', () => { const r = [];"
               "for (const s of document.querySelectorAll('svg')) { const b = s.getBoundingClientRect();"
               "r.push('svg:' + Math.round(b.width) + 'x' + Math.round(b.height) + ':' +"
               "s.querySelectorAll('polyline,circle,path,line,text').length); }"
               "for (const i of document.images) r.push('img:' + i.naturalWidth + 'x' + i.naturalHeight);"
               "document.body.setAttribute('data-probe', r.join(' ')); });</script>");
  std::ofstream(dir / "probe.html") << probe;
  const std::string dom = run("timeout 120 chromium --headless --disable-gpu --no-sandbox --user-data-dir=" +
                              (dir / "profile").string() + " --dump-dom " + (dir / "probe.html").string() +
                              " 2>/dev/null");
  std::smatch m;
  ASSERT_TRUE(std::regex_search(dom, m, std::regex("data-probe=\"([^\"]*)\""))) << dom.substr(0, 500);
  std::istringstream items(m[1].str());
  int svgs = 0, imgs = 0;
  for (std::string item; items >> item;) {
    std::smatch f;
    if (std::regex_match(item, f, std::regex("svg:(\\d+)x(\\d+):(\\d+)"))) {
      ++svgs;
      EXPECT_GT(std::stoi(f[1]), 100) << item;
      EXPECT_GT(std::stoi(f[2]), 100) << item;
      EXPECT_GT(std::stoi(f[3]), 10) << item;
    } else if (std::regex_match(item, f, std::regex("img:(\\d+)x(\\d+)"))) {
      ++imgs;
      EXPECT_EQ(f[1], "16") << item;  // the PNG decoded at its own size
      EXPECT_EQ(f[2], "16") << item;
    } else {
      ADD_FAILURE() << "unexpected probe item " << item;
    }
  }
  EXPECT_EQ(svgs, 8);
  EXPECT_EQ(imgs, 16);
  fs::remove_all(dir);
}
