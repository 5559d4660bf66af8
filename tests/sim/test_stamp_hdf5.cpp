// Stamp libraries in one HDF5 file: the same pixels as FITS give bit-identical entries and renders,
// the dataset's pixel_scale attribute serves `header`, errors name the row; h5py-written files
// (float32, as a user would make them) load too.
#include <gtest/gtest.h>
#include <hdf5.h>

#include <cstring>
#include <filesystem>
#include <fstream>

#include "lensforge/sim/core/error.hpp"
#include "lensforge/sim/io/fits.hpp"
#include "lensforge/sim/light/stamp_library.hpp"
#include "lensforge/sim/light/stamp_pack.hpp"
#include "lensforge/sim/render/renderer.hpp"
#include "test_support.hpp"

using namespace lensforge;

namespace {

const std::string kCatalogs = std::string(LENSFORGE_SOURCE_DIR) + "/catalogs";
const std::string kHeader = "name,file,hdu,pixel_scale,zero_point,redshift,psf_fwhm\n";

std::string temp_dir() { return test::test_dir("lensforge_stamph5_"); }
using test::write_text;

// Writes `data` (rows x cols, float64 or float32) as dataset `path` (groups created), with an
// optional pixel_scale attribute. `dims3` > 0 writes a [dims3, rows/dims3, cols] cube instead.
void write_dataset(hid_t file, const std::string& path, const ImageD& data, bool f32, double pixel_scale = 0.0,
                   hsize_t dims3 = 0) {
  hid_t lcpl = H5Pcreate(H5P_LINK_CREATE);
  H5Pset_create_intermediate_group(lcpl, 1);
  const hsize_t d2[2] = {hsize_t(data.rows()), hsize_t(data.cols())};
  const hsize_t d3[3] = {dims3, dims3 ? hsize_t(data.rows()) / dims3 : 0, hsize_t(data.cols())};
  hid_t space = dims3 ? H5Screate_simple(3, d3, nullptr) : H5Screate_simple(2, d2, nullptr);
  hid_t ds = H5Dcreate2(file, path.c_str(), f32 ? H5T_IEEE_F32LE : H5T_IEEE_F64LE, space, lcpl, H5P_DEFAULT,
                        H5P_DEFAULT);
  ASSERT_GE(ds, 0) << path;
  ASSERT_GE(H5Dwrite(ds, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, data.data()), 0);
  if (pixel_scale > 0.0) {
    hid_t as = H5Screate(H5S_SCALAR);
    hid_t a = H5Acreate2(ds, "pixel_scale", H5T_IEEE_F64LE, as, H5P_DEFAULT, H5P_DEFAULT);
    H5Awrite(a, H5T_NATIVE_DOUBLE, &pixel_scale);
    H5Aclose(a);
    H5Sclose(as);
  }
  H5Dclose(ds);
  H5Sclose(space);
  H5Pclose(lcpl);
}

std::string catalog_error(const std::string& path) {
  try {
    load_stamp_library(path);
  } catch (const ConfigError& e) {
    return e.what();
  }
  return "(no error)";
}

void expect_same_entries(const StampLibrary& a, const StampLibrary& b) {
  ASSERT_EQ(a.entries.size(), b.entries.size());
  for (std::size_t k = 0; k < a.entries.size(); ++k) {
    const StampEntry &x = a.entries[k], &y = b.entries[k];
    SCOPED_TRACE(x.name);
    EXPECT_EQ(x.name, y.name);
    EXPECT_EQ(x.pixel_scale, y.pixel_scale);
    EXPECT_EQ(x.magnitude, y.magnitude);
    EXPECT_EQ(x.size, y.size);
    EXPECT_EQ(x.flux, y.flux);
    EXPECT_EQ(x.redshift, y.redshift);
    ASSERT_EQ(x.stamp->rows(), y.stamp->rows());
    ASSERT_EQ(x.stamp->cols(), y.stamp->cols());
    EXPECT_EQ(0, std::memcmp(x.stamp->data(), y.stamp->data(), sizeof(double) * x.stamp->size()));
  }
}

ImageF render_stamp(const StampEntry& e) {
  Scene s;
  s.lens_planes.push_back(LensPlane{0.5, {Sis{0.8, 0.0, 0.0}}});
  s.sources.push_back(LightComponent{stamp_profile(e, 100.0, 0.05, -0.02, 0.7, true, 0.02), 1.5, {}});
  RenderOptions o;
  o.grid = PixelGrid{48, 48, 0.1, 0.0, 0.0};
  o.supersampling = 4;
  o.psf = GaussianPsf{0.2, 5.0};
  return render(s, o).source;
}

}  // namespace

TEST(StampHdf5, LibraryInOneFileGivesBitIdenticalEntriesAndRenders) {
  const std::string dir = temp_dir();
  const StampLibrary fits = load_stamp_library(kCatalogs + "/real_galaxies.csv", StampCleaning{1.0});
  // The same raw pixels (float64, FITS scale from the header as attribute) in one HDF5 file.
  const std::string h5 = dir + "/lib.h5";
  hid_t f = H5Fcreate(h5.c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
  ASSERT_GE(f, 0);
  for (const StampEntry& e : fits.entries) {
    const FitsImage img = read_fits_image(e.file, std::stoi(e.hdu));
    write_dataset(f, "/stamps/" + e.name, img.data, false, img.pixel_scale_arcsec().value_or(0.0));
  }
  H5Fclose(f);
  const std::string cat = write_text(dir + "/lib.csv", kHeader +
                                                           "cosmos_147246,lib.h5,/stamps/cosmos_147246,header,25.94,,0.09\n"
                                                           "cosmos_147246_z1,lib.h5,stamps/cosmos_147246_z1,0.03,25.94,1.0,0.09\n");
  const StampLibrary hdf = load_stamp_library(cat, StampCleaning{1.0});
  expect_same_entries(fits, hdf);
  EXPECT_EQ(hdf.entries[0].file, dir + "/lib.h5");
  const ImageF a = render_stamp(fits.entries[0]), b = render_stamp(hdf.entries[0]);
  EXPECT_GT(a.sum(), 10.0);
  EXPECT_EQ(0, std::memcmp(a.data(), b.data(), sizeof(float) * a.size()));
}

TEST(StampHdf5, ErrorsNameTheRow) {
  const std::string dir = temp_dir();
  const std::string h5 = dir + "/lib.h5";
  ImageD img = ImageD::Constant(16, 16, 1.0);
  img(8, 8) = 50.0;
  hid_t f = H5Fcreate(h5.c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
  write_dataset(f, "/stamps/good", img, true, 0.05);
  write_dataset(f, "/stamps/noscale", img, false);
  write_dataset(f, "/stamps/cube", img, false, 0.05, 2);
  H5Fclose(f);
  write_text(dir + "/fake.h5", "not hdf5\n");
  struct Case {
    std::string row, expect;
  };
  const Case cases[] = {
      {"gone,missing.h5,/stamps/good,0.05,25,,0.1", "file '" + dir + "/missing.h5' not found"},
      {"nods,lib.h5,/stamps/nothere,0.05,25,,0.1", "dataset '/stamps/nothere' of '" + h5 + "': '" + h5 +
                                                       "': no dataset '/stamps/nothere'"},
      {"group,lib.h5,/stamps,0.05,25,,0.1", "'/stamps' is not a dataset"},
      {"cube,lib.h5,/stamps/cube,0.05,25,,0.1", "has 3 dimensions; a stamp is 2-D"},
      {"noattr,lib.h5,/stamps/noscale,header,25,,0.1", "has no pixel_scale attribute"},
      {"empty,lib.h5,,0.05,25,,0.1", "hdu is empty; for an HDF5 library it is the dataset path"},
      {"fake,fake.h5,/x,0.05,25,,0.1", "not an HDF5 file"},
  };
  for (const Case& c : cases) {
    const std::string path =
        write_text(dir + "/cat.csv", kHeader + "ok,lib.h5,/stamps/good,header,25,,0.1\n" + c.row + "\n");
    const std::string msg = catalog_error(path);
    const std::string name = c.row.substr(0, c.row.find(','));
    EXPECT_NE(msg.find(path + ":3: row '" + name + "': "), std::string::npos) << msg;
    EXPECT_NE(msg.find(c.expect), std::string::npos) << msg;
    EXPECT_EQ(msg.find('\n'), std::string::npos) << "one line: " << msg;
  }
  // The good row alone loads, with the float32 dataset's attribute as its scale.
  const StampLibrary ok = load_stamp_library(write_text(dir + "/ok.csv", kHeader + "ok,lib.h5,/stamps/good,header,25,,0.1\n"));
  EXPECT_EQ(ok.entries.at(0).pixel_scale, 0.05);
  EXPECT_NEAR(ok.entries[0].flux, 49.0, 1e-12);  // border median 1 subtracted
}

TEST(StampHdf5, H5pyWrittenFloat32LibraryMatchesTheFitsStamps) {
  // What the README tells users to run: astropy reads the FITS stamp, h5py writes float32.
  const std::string dir = temp_dir();
  const std::string script = dir + "/pack.py";
  write_text(script,
             "import sys, h5py, numpy as np\n"
             "from astropy.io import fits\n"
             "src, out = sys.argv[1], sys.argv[2]\n"
             "with fits.open(src) as f, h5py.File(out, 'w') as h:\n"
             "    d = h.create_dataset('stamps/cosmos_147246', data=f[0].data.astype(np.float32))\n"
             "    d.attrs['pixel_scale'] = 0.03\n");
  const std::string fits_path = kCatalogs + "/real/cosmos_147246_F814W.fits";
  if (test::shell("/usr/bin/python3 -c 'import h5py, astropy' 2>/dev/null") != 0)
    GTEST_SKIP() << "/usr/bin/python3 has no h5py or astropy";
  ASSERT_EQ(test::shell("/usr/bin/python3 " + script + " " + fits_path + " " + dir + "/lib.h5"), 0);
  const std::string h5cat = write_text(dir + "/h5.csv", kHeader + "c,lib.h5,stamps/cosmos_147246,header,25.94,,0.09\n");
  const std::string fcat = write_text(dir + "/f.csv", kHeader + "c," + fits_path + ",0,0.03,25.94,,0.09\n");
  const FitsImage raw = read_fits_image(fits_path, 0);
  ASSERT_EQ(raw.bitpix, -32) << "the shipped stamp is float32, so float32 HDF5 holds the same values";
  expect_same_entries(load_stamp_library(fcat), load_stamp_library(h5cat));
}

TEST(StampHdf5, PackCopiesAFitsLibraryIntoOneFileWithBitIdenticalEntries) {
  const std::string dir = temp_dir();
  StampPackOptions o;
  o.catalog_path = kCatalogs + "/real_galaxies.csv";
  o.h5_path = dir + "/lib.h5";
  const StampPackSummary s = pack_stamp_library(o);
  EXPECT_EQ(s.rows, 2u);
  EXPECT_EQ(s.datasets, 1u);  // both rows name the same FITS HDU
  EXPECT_EQ(s.catalog_out, dir + "/lib.csv");
  const StampLibrary packed = load_stamp_library(s.catalog_out);
  expect_same_entries(load_stamp_library(o.catalog_path), packed);
  EXPECT_EQ(packed.entries[1].hdu, "/stamps/cosmos_147246");
  EXPECT_EQ(packed.entries[1].file, dir + "/lib.h5");
  // The second row kept its own stated scale; the first reads the attribute written from the header.
  EXPECT_EQ(packed.entries[0].pixel_scale, load_stamp_library(o.catalog_path).entries[0].pixel_scale);
  // Existing outputs are refused without overwrite; an input catalog is never the output.
  EXPECT_THROW(pack_stamp_library(o), ConfigError);
  o.overwrite = true;
  EXPECT_NO_THROW(pack_stamp_library(o));
  o.catalog_out = o.catalog_path;
  EXPECT_THROW(pack_stamp_library(o), ConfigError);
}

#ifdef LENSFORGE_SIM_EXE
TEST(StampHdf5, PackCommandLine) {
  const std::string dir = temp_dir();
  const std::string cmd = std::string(LENSFORGE_SIM_EXE) + " stamps pack " + kCatalogs + "/real_galaxies.csv -o " +
                          dir + "/lib.h5 --catalog-out " + dir + "/new.csv > " + dir + "/out.txt 2> " + dir +
                          "/err.txt";
  ASSERT_EQ(test::shell(cmd), 0);
  expect_same_entries(load_stamp_library(kCatalogs + "/real_galaxies.csv"), load_stamp_library(dir + "/new.csv"));
  EXPECT_EQ(test::shell(cmd), 2);  // refused: outputs exist
  std::ifstream err(dir + "/err.txt");
  std::string line;
  std::getline(err, line);
  EXPECT_NE(line.find("lensforge-sim: error: stamps pack: '" + dir + "/lib.h5' exists; pass --overwrite"),
            std::string::npos)
      << line;
}
#endif
