// The files occlusion and dream write, and the scores table's format.
#include <gtest/gtest.h>

#include <fitsio.h>

#include <filesystem>
#include <fstream>
#include <random>
#include <string>
#include <vector>

#include "lensforge/infer/explanation_files.hpp"
#include "lensforge/infer/prediction_csv.hpp"
#include "lensforge/sim/io/fits.hpp"

using namespace lensforge;
using namespace lensforge::infer;
namespace fs = std::filesystem;

namespace {

class TempDir {
 public:
  TempDir() {
    std::random_device rd;
    path_ = fs::temp_directory_path() / ("lensforge_test_explain_" + std::to_string(rd()) + std::to_string(rd()));
    fs::create_directories(path_);
  }
  ~TempDir() { fs::remove_all(path_); }
  std::string path() const { return path_.string(); }
  std::string file(const std::string& n) const { return (path_ / n).string(); }

 private:
  fs::path path_;
};

std::vector<std::string> lines_of(const std::string& path) {
  std::ifstream in(path);
  std::vector<std::string> lines;
  for (std::string l; std::getline(in, l);) lines.push_back(l);
  return lines;
}

}  // namespace

TEST(ExplanationFiles, OcclusionFitsHoldsTheMapThePatchesAndTheInput) {
  TempDir dir;
  const train::InputShape shape{2, 6, 8};
  std::vector<float> image(shape.numel());
  for (std::size_t k = 0; k < image.size(); ++k) image[k] = float(k) / 96.f;
  const BatchScorer scorer = [&](const std::vector<float>& x, std::int64_t n) {
    std::vector<float> s(n);
    for (std::int64_t b = 0; b < n; ++b) s[b] = x[b * shape.numel() + 9];  // pixel (1, 1) of channel 0
    return s;
  };
  OcclusionOptions o;
  o.patch = 2;
  o.fill = OcclusionFill::VALUE;
  o.fill_value = -1;
  const OcclusionMap m = occlusion_map(image, shape, scorer, o);
  const auto files = write_occlusion_files(dir.path(), "obj 1", m, image, shape, {"VIS", "Y"}, o);
  ASSERT_EQ(files, (std::vector<std::string>{dir.file("occlusion.fits"), dir.file("occlusion.png")}));
  EXPECT_EQ(fits_hdu_names(files[0]), (std::vector<std::string>{"OCCLUSION", "PATCHES", "VIS", "Y"}));
  const FitsImage map = read_fits_image(files[0], "OCCLUSION");
  EXPECT_EQ(map.data.cast<float>().matrix(), m.drop.matrix());
  EXPECT_EQ(map.data(1, 1), 9.f / 96.f + 1.f);  // pixel value minus the fill
  EXPECT_EQ(map.card("FILL"), "-1");
  EXPECT_EQ(map.card("OBJECT"), "obj 1");
  const FitsImage y = read_fits_image(files[0], "Y");
  EXPECT_EQ(y.data(0, 0), float(48) / 96.f);
  EXPECT_GT(fs::file_size(files[1]), 0u);
}

TEST(ExplanationFiles, DreamCubeHoldsEveryFrame) {
  TempDir dir;
  DreamResult r;
  r.shape = {1, 3, 4};
  for (int f = 0; f < 3; ++f) r.frames.push_back(std::vector<float>(12, float(f)));
  r.logits = {0.5f, 1.f, 2.f};
  const auto files = write_dream_files(dir.path(), "noise", r, {"VIS"}, DreamOptions{});
  ASSERT_EQ(files.size(), 5u);
  fitsfile* f = nullptr;
  int status = 0;
  ASSERT_EQ(fits_open_file(&f, files[0].c_str(), READONLY, &status), 0);
  long naxes[3] = {0, 0, 0};
  fits_get_img_size(f, 3, naxes, &status);
  std::vector<float> px(36);
  int anynul = 0;
  fits_read_img(f, TFLOAT, 1, 36, nullptr, px.data(), &anynul, &status);
  fits_close_file(f, &status);
  ASSERT_EQ(status, 0);
  EXPECT_EQ(naxes[0], 4);
  EXPECT_EQ(naxes[1], 3);
  EXPECT_EQ(naxes[2], 3);
  for (int k = 0; k < 36; ++k) EXPECT_EQ(px[k], float(k / 12)) << k;
  EXPECT_EQ(lines_of(files[1]), (std::vector<std::string>{"step,logit", "0,0.5", "1,1", "2,2"}));
  EXPECT_EQ(files[4], dir.file("dream_0002.png"));
}

TEST(PredictionCsv, RowsForScoresAndErrors) {
  TempDir dir;
  const std::string path = dir.file("s.csv");
  {
    PredictionCsv t(path, true, {"theta_E"}, true);
    train::Predictions p;
    p.size = 2;
    p.num_targets = 1;
    p.logit = {0.25f, -3.f};
    p.probability = {0.5f, 0.125f};
    p.probability_std = {0.01f, 0.02f};
    p.mean = {1.5f, 0.75f};
    p.sigma = {0.1f, 0.2f};
    p.sigma_epistemic = {0.3f, 0.4f};
    t.write_ok({InputKind::DATASET, "x.h5", {"x.h5"}, 7}, p, 1, "");
    t.write_error({InputKind::FITS_FILE, "a,b.fits", {"a,b.fits"}, -1}, "bad \"thing\"");
    t.write_ok({InputKind::FITS_FILE, "c.fits", {"c.fits"}, -1}, p, 0, "warned");
  }
  EXPECT_EQ(lines_of(path),
            (std::vector<std::string>{
                "id,index,status,logit,probability,probability_std,theta_E_mean,theta_E_sigma,theta_E_sigma_epistemic,message",
                "x.h5,7,ok,-3,0.125,0.02,0.75,0.2,0.4,",
                "\"a,b.fits\",,error,,,,,,,\"bad \"\"thing\"\"\"",
                "c.fits,,ok,0.25,0.5,0.01,1.5,0.1,0.3,warned"}));
}
