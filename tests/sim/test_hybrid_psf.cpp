// Hybrid cutouts: pixel PSF kernels from FITS (psf_file) and the Faber-Jackson sigma_v proxy.
// Delta kernels give the unconvolved arc, a point-sampled Gaussian kernel reproduces the psf_fwhm
// path, flux is kept, resampled kernels keep their moments, bad rows give one-line errors; the
// proxy inverts M = -21 - 10 log10(sigma_v / 220) and measures magnitudes on the cutout.
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <limits>
#include <numbers>
#include <sstream>

#include "test_support.hpp"
#include "lensforge/sim/core/error.hpp"
#include "lensforge/sim/io/fits.hpp"
#include "lensforge/sim/render/hybrid.hpp"
#include "lensforge/sim/render/renderer.hpp"

using namespace lensforge;

namespace {

const std::string kCatalogs = std::string(LENSFORGE_SOURCE_DIR) + "/catalogs";
const std::string kCutout = kCatalogs + "/real/ngc2274_hst.fits";  // 64x64, 0.12825"/px, EXTNAME SCI
constexpr double kScale = 0.12825;
const std::string kHeader = "name,band,file,hdu,pixel_scale,zero_point,psf_fwhm,z_lens,sigma_v,exposure_time";

std::string temp_dir() { return test::test_dir("lensforge_hybpsf_"); }
using test::write_text;

void write_image(const std::string& path, const ImageF& img, const std::string& extname = "") {
  FitsImageHdu h;
  h.extname = extname;
  h.data = img;
  write_fits(path, {h});
}

// Point-sampled Gaussian taps exp(-k^2 / (2 s^2)) on a (2r+1)^2 grid centred at (c, c) (pixels),
// as scipy's gaussian_filter samples them (not normalised).
ImageF gaussian_image(int n, double centre, double sigma_pix) {
  ImageF k(n, n);
  for (int i = 0; i < n; ++i)
    for (int j = 0; j < n; ++j)
      k(i, j) = float(std::exp(-(std::pow(i - centre, 2) + std::pow(j - centre, 2)) / (2.0 * sigma_pix * sigma_pix)));
  return k;
}

double fwhm_to_sigma(double fwhm) { return fwhm / (2.0 * std::sqrt(2.0 * std::log(2.0))); }

// A compact source near the axis: a ring-like arc inside the 8.2" cutout, far from its border.
LightComponent source() { return LightComponent{Sersic{50.0, 0.15, 1.0, 0.08, -0.05, 0.1, 0.05}, 1.5, {}}; }

std::vector<HybridCutout> load(const std::string& dir, const std::string& rows, const std::string& extra_cols = "") {
  return load_hybrid_catalog(write_text(dir + "/hyb.csv", kHeader + extra_cols + "\n" + rows));
}

std::string catalog_error(const std::string& path) {
  try {
    load_hybrid_catalog(path);
  } catch (const ConfigError& e) {
    return e.what();
  }
  return "(no error)";
}

double border_max(const ImageF& img, int width) {
  double m = 0.0;
  for (Eigen::Index i = 0; i < img.rows(); ++i)
    for (Eigen::Index j = 0; j < img.cols(); ++j)
      if (i < width || j < width || i >= img.rows() - width || j >= img.cols() - width)
        m = std::max(m, double(std::abs(img(i, j))));
  return m;
}

}  // namespace

TEST(HybridPsf, DeltaKernelGivesTheUnconvolvedArc) {
  const std::string dir = temp_dir();
  ImageF delta = ImageF::Zero(5, 5);
  delta(2, 2) = 3.0f;  // normalised on loading
  write_image(dir + "/delta.fits", delta, "PSF");
  const auto cs = load(dir,
                       "k," + std::string("VIS,") + kCutout + ",SCI,header,25.94,,0.3,260,2000,delta.fits,PSF,\n"
                       "g,VIS," + kCutout + ",SCI,header,25.94,0.3,0.3,260,2000,,,\n",
                       ",psf_file,psf_hdu,psf_pixel_scale");
  const HybridCutout& k = cs.at(0);
  ASSERT_TRUE(k.psf_kernel.has_value());
  EXPECT_EQ(k.psf_kernel->rows(), 5);
  EXPECT_DOUBLE_EQ(k.psf_kernel->sum(), 1.0);
  EXPECT_EQ(k.psf_fwhm, 0.0);
  EXPECT_FALSE(cs.at(1).psf_kernel.has_value());

  const FlatLambdaCDM cosmo;
  const HybridSystem sys = hybrid_system(k, cosmo, source(), 0.1, 0.0, 4);
  EXPECT_FALSE(sys.options.psf.has_value());  // the kernel is applied by hybrid_arc
  const ImageF plain = render(sys.scene, sys.options).source;
  const ImageF arc = hybrid_arc(k, sys.scene, 4);
  const double peak = plain.maxCoeff();
  ASSERT_GT(peak, 0.0);
  // FFT in float32: errors ~1e-7 of the peak times log(size); 2e-6 leaves a margin.
  EXPECT_LT((arc - plain).abs().maxCoeff(), 2e-6 * peak);
  // The Gaussian row differs (the comparison above can fail).
  EXPECT_GT((hybrid_arc(cs.at(1), sys.scene, 4) - plain).abs().maxCoeff(), 0.05 * peak);
  // render_hybrid goes through the same arc.
  Rng rng(1, 0);
  const HybridImage h = render_hybrid(k, cosmo, source(), rng, 0.1, 0.0, 4);
  EXPECT_TRUE((h.arc == arc).all());
}

TEST(HybridPsf, PointSampledGaussianKernelMatchesThePsfFwhmPathAndKeepsFlux) {
  const std::string dir = temp_dir();
  const double fwhm = 0.3, sigma_pix = fwhm_to_sigma(fwhm) / kScale;
  const int r = int(5.0 * sigma_pix + 0.5);  // gaussian_filter's radius for truncate = 5
  write_image(dir + "/gauss.fits", gaussian_image(2 * r + 1, r, sigma_pix));
  const auto cs = load(dir,
                       "k,VIS," + kCutout + ",SCI,header,25.94,0,0.3,260,2000,gauss.fits\n"
                       "g,VIS," + kCutout + ",SCI,header,25.94,0.3,0.3,260,2000,\n",
                       ",psf_file");
  const FlatLambdaCDM cosmo;
  const HybridSystem sys = hybrid_system(cs.at(1), cosmo, source(), 0.0, 0.1, 4);
  ASSERT_TRUE(sys.options.psf.has_value());
  RenderOptions none = sys.options;
  none.psf.reset();
  const ImageF plain = render(sys.scene, none).source;
  const ImageF with_kernel = hybrid_arc(cs.at(0), sys.scene, 4);
  const ImageF with_gauss = hybrid_arc(cs.at(1), sys.scene, 4);
  const double peak = with_gauss.maxCoeff();
  // The two paths differ only at the border (repeated border pixels vs zero padding: at most the
  // largest unconvolved pixel within r of the border) and by float32 rounding (taps stored as
  // float32, FFT ~1e-7 of the peak): tolerance = that border maximum + 1e-5 peak.
  const double border = border_max(plain, r);
  EXPECT_LT(border, 1e-4 * peak);  // the arc is well inside the cutout
  const double diff = (with_kernel - with_gauss).abs().maxCoeff();
  EXPECT_LT(diff, border + 1e-5 * peak) << "peak " << peak << ", border " << border;
  // ... and the PSF does something at that level.
  EXPECT_GT((plain - with_gauss).abs().maxCoeff(), 0.05 * peak);
  // Flux kept: the kernel sums to 1 and nothing reaches the border.
  const double f0 = plain.cast<double>().sum();
  EXPECT_NEAR(with_kernel.cast<double>().sum(), f0, 1e-5 * f0 + border * plain.size());
}

TEST(HybridPsf, OversampledEvenKernelIsRecentredAndResampledKeepingItsMoments) {
  const std::string dir = temp_dir();
  // 2x oversampled (0.064125"/px), 20x20 (even), centred between pixels (9.5, 9.5), sigma 0.1".
  const double fine = kScale / 2.0, sigma = 0.1;
  write_image(dir + "/fine.fits", gaussian_image(20, 9.5, sigma / fine));
  // pixel_scale given (not the header's CD value) so that the ratio is exactly 2.
  const auto cs = load(dir, "k,VIS," + kCutout + ",SCI,0.12825,25.94,,0.3,260,2000,fine.fits," + std::to_string(fine) + "\n",
                       ",psf_file,psf_pixel_scale");
  const ImageD& k = *cs.at(0).psf_kernel;
  ASSERT_EQ(k.rows(), k.cols());
  ASSERT_EQ(k.rows() % 2, 1);
  EXPECT_NEAR(k.sum(), 1.0, 1e-12);
  // Centroid on the central pixel, second moment in arcsec^2 as the input's (downsampling by an
  // integer factor preserves both exactly up to float32 rounding of the kernel).
  const ImageF in = gaussian_image(20, 9.5, sigma / fine);
  double in_sum = 0.0, in_xx = 0.0;
  for (int i = 0; i < 20; ++i)
    for (int j = 0; j < 20; ++j) {
      in_sum += in(i, j);
      in_xx += in(i, j) * std::pow((j - 9.5) * fine, 2);
    }
  double cx = 0.0, cy = 0.0, xx = 0.0, yy = 0.0;
  const double c = double(k.rows() / 2);
  for (Eigen::Index i = 0; i < k.rows(); ++i)
    for (Eigen::Index j = 0; j < k.cols(); ++j) {
      cx += k(i, j) * (double(j) - c);
      cy += k(i, j) * (double(i) - c);
      xx += k(i, j) * std::pow((double(j) - c) * kScale, 2);
      yy += k(i, j) * std::pow((double(i) - c) * kScale, 2);
    }
  EXPECT_NEAR(cx, 0.0, 1e-5);
  EXPECT_NEAR(cy, 0.0, 1e-5);
  EXPECT_NEAR(xx, in_xx / in_sum, 1e-4 * in_xx / in_sum);
  EXPECT_NEAR(yy, in_xx / in_sum, 1e-4 * in_xx / in_sum);
  // Flux kept by the convolution.
  const FlatLambdaCDM cosmo;
  const HybridSystem sys = hybrid_system(cs.at(0), cosmo, source(), 0.0, 0.0, 4);
  const double f0 = render(sys.scene, sys.options).source.cast<double>().sum();
  EXPECT_NEAR(hybrid_arc(cs.at(0), sys.scene, 4).cast<double>().sum(), f0, 1e-5 * f0);
}

TEST(HybridPsf, BadKernelRowsGiveOneLineErrorsNamingTheRow) {
  const std::string dir = temp_dir();
  ImageF good = gaussian_image(7, 3, 1.0);
  write_image(dir + "/good.fits", good, "PSF");
  ImageF nan = good;
  nan(1, 2) = std::numeric_limits<float>::quiet_NaN();
  write_image(dir + "/nan.fits", nan);
  write_image(dir + "/zero.fits", ImageF::Zero(5, 5));
  write_image(dir + "/offcentre.fits", gaussian_image(9, 2.0, 0.5));
  ImageF noscale = good;
  write_image(dir + "/noscale.fits", noscale);
  struct Case {
    std::string name, psf, expect;
  };
  const std::string pre = "VIS," + kCutout + ",SCI,header,25.94,";
  const Case cases[] = {
      {"gone", "0.3,0.3,260,2000,nope.fits,,", "psf_file '" + dir + "/nope.fits': not found"},
      {"nan", ",0.3,260,2000,nan.fits,,", "psf_file '" + dir + "/nan.fits': 1 NaN or infinite pixels"},
      {"zero", ",0.3,260,2000,zero.fits,,", "pixel sum = 0 must be > 0"},
      {"off", ",0.3,260,2000,offcentre.fits,,", "flux centroid is (-2, -2) pixels"},
      {"scale", ",0.3,260,2000,good.fits,,abc", "psf_pixel_scale = 'abc' must be a number > 0"},
      {"hscale", ",0.3,260,2000,noscale.fits,,header", "psf_pixel_scale = header, but the kernel has no PIXSCALE"},
      {"hdu", ",0.3,260,2000,good.fits,KERN,", "hdu 'KERN'"},
      {"orphan", "0.3,0.3,260,2000,,PSF,", "psf_file is empty"},
      {"nofwhm", ",0.3,260,2000,,,", "psf_fwhm = '' must be a number > 0"},
  };
  for (const Case& c : cases) {
    const std::string path = write_text(dir + "/hyb.csv", kHeader + ",psf_file,psf_hdu,psf_pixel_scale\n" +
                                                              "ok," + pre + ",0.3,260,2000,good.fits,PSF,\n" +
                                                              c.name + "," + pre + c.psf + "\n");
    const std::string msg = catalog_error(path);
    EXPECT_NE(msg.find(path + ":3: row '" + c.name + "': "), std::string::npos) << msg;
    EXPECT_NE(msg.find(c.expect), std::string::npos) << msg;
    EXPECT_EQ(msg.find('\n'), std::string::npos) << "one line: " << msg;
  }
}

TEST(HybridSigmaV, FaberJacksonProxyInvertsTheRelation) {
  const FlatLambdaCDM cosmo;  // H0 = 70, Om0 = 0.3
  // Hand values: DM(z) = 5 log10((1 + z) D_C / 10 pc), D_C by a 2e5-point trapezoid of c/H0 / E(z):
  // D_C(0.5) = 1888.6254 Mpc, DM = 42.261185; D_C(0.3) = 1194.3969 Mpc, DM = 40.955460.
  // sigma_v = 250 km/s: M = -21 - 10 log10(250/220) = -21.555173, m = M + DM.
  EXPECT_NEAR(faber_jackson_sigma_v(20.70601214304257, 0.5, cosmo), 250.0, 1e-4);
  EXPECT_NEAR(faber_jackson_sigma_v(19.400286765616045, 0.3, cosmo), 250.0, 1e-4);
  // 1 mag fainter: sigma_v / 10^0.1.
  EXPECT_NEAR(faber_jackson_sigma_v(21.70601214304257, 0.5, cosmo), 250.0 / std::pow(10.0, 0.1), 1e-4);
  // Clipped to [100, 400] km/s.
  EXPECT_EQ(faber_jackson_sigma_v(12.0, 0.5, cosmo), kFaberJacksonSigmaMax);
  EXPECT_EQ(faber_jackson_sigma_v(26.0, 0.5, cosmo), kFaberJacksonSigmaMin);
  EXPECT_THROW(faber_jackson_sigma_v(20.0, 0.0, cosmo), ConfigError);

  // catalogs/example_lenses.csv drew lens_mag_VIS from this relation + normal(0, 0.3) mag: the
  // proxy recovers its sigma_v with log10 residuals of mean 0 +- 0.03/sqrt(50) and rms ~0.03.
  std::ifstream in(kCatalogs + "/example_lenses.csv");
  std::string line;
  double s1 = 0.0, s2 = 0.0;
  int n = 0;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == '#' || line.rfind("id,", 0) == 0) continue;
    std::stringstream ss(line);
    std::string f[7];
    for (auto& x : f) std::getline(ss, x, ',');
    const double z = std::stod(f[1]), sv = std::stod(f[2]), m = std::stod(f[4]);
    const double d = std::log10(faber_jackson_sigma_v(m, z, cosmo) / sv);
    s1 += d;
    s2 += d * d;
    ++n;
  }
  ASSERT_EQ(n, 50);
  const double mean = s1 / n, rms = std::sqrt(s2 / n);
  EXPECT_LT(std::abs(mean), 0.015) << "mean log10(proxy / sigma_v)";
  EXPECT_GT(rms, 0.015);
  EXPECT_LT(rms, 0.05);
}

TEST(HybridSigmaV, MeasuredMagnitudeOnASyntheticCutoutDrivesTheEinsteinRadius) {
  const std::string dir = temp_dir();
  // 48x48 cutout: sky 3 e-/s per pixel + a pixel-integrated Gaussian of 500 e-/s (sigma 2 px) at
  // the centre; at the 4-pixel border the galaxy adds < 1e-20 of its flux.
  const int n = 48;
  const double flux = 500.0, s = 2.0, c = 23.5;
  auto cdf = [&](double x) { return 0.5 * std::erfc(-(x - c) / (s * std::sqrt(2.0))); };
  ImageF img(n, n), sky = ImageF::Constant(n, n, 3.0f);
  for (int i = 0; i < n; ++i)
    for (int j = 0; j < n; ++j)
      img(i, j) = float(3.0 + flux * (cdf(i + 0.5) - cdf(i - 0.5)) * (cdf(j + 0.5) - cdf(j - 0.5)));
  write_image(dir + "/gal.fits", img);
  write_image(dir + "/sky.fits", sky);
  const double zp = 25.0;
  const auto cs = load(dir,
                       "meas,VIS,gal.fits,0,0.1,25,0.2,0.4,,1000,\n"
                       "given,VIS,gal.fits,0,0.1,25,0.2,0.4,,1000,18.0\n"
                       "both,VIS,gal.fits,0,0.1,25,0.2,0.4,300,1000,\n",
                       ",magnitude");
  const HybridCutout& m = cs.at(0);
  ASSERT_TRUE(m.magnitude.has_value());
  EXPECT_TRUE(m.magnitude_measured);
  EXPECT_FALSE(m.sigma_v.has_value());
  // float32 pixels: the sum of 2304 values ~3-23 is good to ~1e-3 e-/s, i.e. ~2e-6 mag.
  EXPECT_NEAR(*m.magnitude, zp - 2.5 * std::log10(flux), 1e-5);
  const FlatLambdaCDM cosmo;
  const double sv = hybrid_sigma_v(m, cosmo);
  EXPECT_DOUBLE_EQ(sv, faber_jackson_sigma_v(*m.magnitude, 0.4, cosmo));
  EXPECT_DOUBLE_EQ(hybrid_theta_E(m, cosmo, 2.0), cosmo.sis_theta_E(sv, 0.4, 2.0));
  // A catalog magnitude overrides the measurement; a catalog sigma_v overrides the proxy.
  EXPECT_FALSE(cs.at(1).magnitude_measured);
  EXPECT_DOUBLE_EQ(hybrid_sigma_v(cs.at(1), cosmo), faber_jackson_sigma_v(18.0, 0.4, cosmo));
  EXPECT_DOUBLE_EQ(hybrid_sigma_v(cs.at(2), cosmo), 300.0);
  // The shipped cutout keeps its catalog sigma_v.
  EXPECT_DOUBLE_EQ(hybrid_sigma_v(load_hybrid_catalog(kCatalogs + "/hybrid_cutouts.csv").at(0), cosmo), 260.0);

  // Neither sigma_v nor a positive flux (a flat sky): one error naming the row.
  const std::string path = write_text(dir + "/hyb.csv", kHeader + "\nflat,VIS,sky.fits,0,0.1,25,0.2,0.4,,1000\n");
  const std::string msg = catalog_error(path);
  EXPECT_NE(msg.find(path + ":2: row 'flat': sigma_v is empty and the cutout's flux"), std::string::npos) << msg;
  // ... and a cutout built by hand without either throws at use time.
  HybridCutout bare = m;
  bare.magnitude.reset();
  EXPECT_THROW(hybrid_sigma_v(bare, cosmo), ConfigError);
}
