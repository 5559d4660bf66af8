// lensforge-infer predict: FITS cutouts score exactly as the same images read from the data set,
// a missing pixel scale warns and assumes the model's, broken files are reported and skipped.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <sstream>
#include <string>
#include <vector>

#include "infer_fixture.hpp"
#include "lensforge/infer/inference.hpp"
#include "lensforge/infer/input_item.hpp"
#include "lensforge/infer/prediction_csv.hpp"
#include "lensforge/sim/app/export_fits_command.hpp"
#include "lensforge/sim/io/dataset_reader.hpp"
#include "lensforge/sim/io/fits.hpp"
#include "lensforge/train/predictor.hpp"

using namespace lensforge;
using namespace lensforge::infer;
namespace fs = std::filesystem;

namespace {

std::vector<std::string> lines_of(const std::string& path) {
  std::ifstream in(path);
  std::vector<std::string> lines;
  for (std::string l; std::getline(in, l);) lines.push_back(l);
  return lines;
}

/// Prepared images of items, stacked [n, C, H, W].
std::vector<float> load_all(const InputLoader& loader, const std::vector<InputItem>& items,
                            std::vector<std::string>& warnings) {
  std::vector<float> images;
  for (const InputItem& item : items) {
    const train::Example e = loader.load(item, warnings);
    images.insert(images.end(), e.pixels.begin(), e.pixels.end());
  }
  return images;
}

/// The fixture's data set exported with `lensforge-sim export-fits` (one file per image).
std::string exported_fits() {
  const auto& f = test::infer_fixture();
  const std::string dir = (f.dir / "exported").string();
  if (!fs::exists(dir)) {
    std::ostringstream out, err;
    ExportFitsCommandArgs a;
    a.path = f.dataset;
    a.indices = "0-7";
    a.output_dir = dir;
    EXPECT_EQ(run_export_fits_command(a, out, err), 0) << err.str();
  }
  return dir;
}

}  // namespace

TEST(InferPredict, FitsCutoutsScoreExactlyAsTheDataSet) {
  // export-fits writes the float32 pixels unchanged and PIXSCALE in a form that reads back exactly,
  // so the prepared images (VIS binned, Y interpolated onto 0.2"/px) and hence the logits must be
  // bit-identical to those of the data set read through open_dataset_source.
  const auto& f = test::infer_fixture();
  const train::Predictor predictor(f.checkpoint, "cpu", 1);
  const InputLoader loader(predictor);
  const std::vector<InputItem> h5 = list_inputs({f.dataset}, "", predictor.card().stack.bands);
  const std::vector<InputItem> fits = list_inputs({exported_fits()}, "", predictor.card().stack.bands);
  ASSERT_EQ(h5.size(), 8u);
  ASSERT_EQ(fits.size(), 8u);
  std::vector<std::string> warnings;
  const std::vector<float> a = load_all(loader, h5, warnings), b = load_all(loader, fits, warnings);
  EXPECT_TRUE(warnings.empty());
  ASSERT_EQ(a.size(), 8 * std::size_t(predictor.card().model.input.numel()));
  EXPECT_EQ(a, b);
  const train::Predictions pa = predictor.predict(a, 8), pb = predictor.predict(b, 8);
  EXPECT_EQ(pa.logit, pb.logit);
  EXPECT_EQ(pa.mean, pb.mean);
  EXPECT_EQ(pa.sigma, pb.sigma);
}

TEST(InferPredict, FitsWithoutPixelScaleWarnsAndAssumesTheModels) {
  // FITS files written from the data set's images with no WCS and no PIXSCALE: each file warns once,
  // and since the model's pixel scales are the data set's, the scores still equal the data set's.
  const auto& f = test::infer_fixture();
  const train::Predictor predictor(f.checkpoint, "cpu", 1);
  const DatasetReader reader(f.dataset);
  const fs::path dir = f.dir / "noscale";
  fs::create_directories(dir);
  std::vector<InputItem> h5, fits;
  for (int i = 0; i < 3; ++i) {
    std::vector<FitsImageHdu> hdus;
    for (const std::string band : {"Y", "VIS"}) hdus.push_back({band, reader.read_image(band, i), {}, std::nullopt, {}});
    const std::string path = (dir / ("obj" + std::to_string(i) + ".fits")).string();
    write_fits(path, hdus);
    fits.push_back({InputKind::FITS_FILE, path, {path}, -1});
    h5.push_back({InputKind::DATASET, f.dataset, {f.dataset}, i});
  }
  const InputLoader loader(predictor);
  std::vector<std::string> wh, wf;
  const std::vector<float> a = load_all(loader, h5, wh), b = load_all(loader, fits, wf);
  EXPECT_TRUE(wh.empty());
  ASSERT_EQ(wf.size(), 3u);
  EXPECT_NE(wf[0].find("obj0.fits: no pixel scale"), std::string::npos) << wf[0];
  EXPECT_NE(wf[0].find("VIS 0.1\"/px, Y 0.3\"/px"), std::string::npos) << wf[0];
  EXPECT_EQ(a, b);
  EXPECT_EQ(predictor.predict(a, 3).logit, predictor.predict(b, 3).logit);

  // The run reports the warning on stderr and in the row's message, and still scores the row.
  const std::string csv = (dir / "scores.csv").string();
  PredictionCsv table(csv, predictor.card().model.classify, predictor.card().scaling.names, false);
  std::ostringstream err;
  PredictOptions o;
  o.progress = false;
  const PredictSummary s = predict_inputs(predictor, fits, o, table, err, false);
  EXPECT_EQ(s.ok, 3);
  EXPECT_EQ(s.warned, 3);
  EXPECT_NE(err.str().find("warning: " + fits[1].id + ": no pixel scale"), std::string::npos) << err.str();
}

TEST(InferPredict, BrokenFilesAreReportedAndSkipped) {
  const auto& f = test::infer_fixture();
  const train::Predictor predictor(f.checkpoint, "cpu", 1);
  const fs::path dir = f.dir / "mixed";
  fs::create_directories(dir);
  const std::string exported = exported_fits();
  std::vector<std::string> good;
  for (const auto& e : fs::directory_iterator(exported)) good.push_back(e.path().string());
  std::sort(good.begin(), good.end());
  fs::copy_file(good[0], dir / "a_good.fits");
  fs::copy_file(good[1], dir / "d_good.fits");
  std::ofstream(dir / "b_text.fits") << "SIMPLE  = this is not a FITS file";
  {  // a FITS file cut short in its data
    std::ifstream in(good[2], std::ios::binary);
    std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    std::ofstream(dir / "c_truncated.fits", std::ios::binary) << bytes.substr(0, bytes.size() / 3);
  }
  const DatasetReader reader(f.dataset);
  write_fits((dir / "e_no_y.fits").string(), {{"VIS", reader.read_image("VIS", 0), {}, FitsWcs{0, 0, 0.1}, {}}});

  const std::vector<InputItem> items = list_inputs({dir.string()}, "", predictor.card().stack.bands);
  ASSERT_EQ(items.size(), 5u);
  const std::string csv = (dir / "scores.csv").string();
  {
    PredictionCsv table(csv, predictor.card().model.classify, predictor.card().scaling.names, false);
    std::ostringstream err;
    PredictOptions o;
    o.batch_size = 2;  // errors in the first, second and last batch
    o.progress = false;
    const PredictSummary s = predict_inputs(predictor, items, o, table, err, false);
    EXPECT_EQ(s.ok, 2);
    EXPECT_EQ(s.failed, 3);
    for (const char* name : {"b_text.fits", "c_truncated.fits", "e_no_y.fits"})
      EXPECT_NE(err.str().find(std::string(name)), std::string::npos) << name << "\n" << err.str();
    EXPECT_NE(err.str().find("band 'Y'"), std::string::npos) << err.str();
  }
  const std::vector<std::string> rows = lines_of(csv);
  ASSERT_EQ(rows.size(), 6u);
  EXPECT_EQ(rows[0], "id,index,status,logit,probability,lens_theta_E_mean,lens_theta_E_sigma,message");
  const char* status[] = {"ok", "error", "error", "ok", "error"};
  for (int k = 0; k < 5; ++k) EXPECT_NE(rows[k + 1].find("," + std::string(status[k]) + ","), std::string::npos) << rows[k + 1];

  // The good rows carry the logits of the same images scored directly.
  const InputLoader loader(predictor);
  std::vector<std::string> w;
  const std::vector<float> img = load_all(loader, {items[0]}, w);
  const float logit = predictor.predict(img, 1).logit[0];
  const std::size_t at = rows[1].find(",ok,");
  ASSERT_NE(at, std::string::npos) << rows[1];
  EXPECT_EQ(std::stof(rows[1].substr(at + 4)), logit) << rows[1];  // shortest form: reads back exactly
}

#ifdef LENSFORGE_INFER_EXE
TEST(InferPredict, CommandLineScoresAFolderAndADataSetAndReportsAMissingInput) {
  const auto& f = test::infer_fixture();
  const std::string csv = (f.dir / "cli_scores.csv").string();
  const std::string cmd = std::string(LENSFORGE_INFER_EXE) + " predict " + f.checkpoint + " " + exported_fits() + " " +
                          f.dataset + " " + (f.dir / "missing.fits").string() + " -o " + csv + " --batch 3 --threads 1 --mc-samples 2 --no-progress 2> " +
                          (f.dir / "cli_err.txt").string();
  ASSERT_EQ(std::system(cmd.c_str()), 0) << cmd;
  const std::vector<std::string> rows = lines_of(csv);
  ASSERT_EQ(rows.size(), 18u);  // header, 8 FITS files, 8 data set images, the missing input
  EXPECT_EQ(rows[0], "id,index,status,logit,probability,probability_std,lens_theta_E_mean,lens_theta_E_sigma,"
                     "lens_theta_E_sigma_epistemic,message");
  EXPECT_EQ(rows[9].rfind(f.dataset + ",0,ok,", 0), 0u) << rows[9];
  EXPECT_EQ(rows[17].rfind((f.dir / "missing.fits").string() + ",,error,", 0), 0u) << rows[17];
  EXPECT_NE(rows[17].find("does not exist"), std::string::npos) << rows[17];
  const std::vector<std::string> err = lines_of((f.dir / "cli_err.txt").string());
  ASSERT_FALSE(err.empty());
  EXPECT_NE(err.back().find("16 scored, 0 with warnings, 1 errors"), std::string::npos) << err.back();
}
#endif
