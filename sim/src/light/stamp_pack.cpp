#include "lensforge/sim/light/stamp_pack.hpp"

#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <vector>

#include <fmt/format.h>

#include "../config/csv_fields.hpp"
#include "../io/hdf5_handle.hpp"
#include "lensforge/sim/core/error.hpp"
#include "lensforge/sim/light/stamp_library.hpp"

namespace lensforge {
namespace {

namespace fs = std::filesystem;
using namespace detail;

bool same_file(const fs::path& a, const fs::path& b) {
  std::error_code ec;
  return fs::weakly_canonical(a, ec) == fs::weakly_canonical(b, ec);
}

void write_stamp(const H5Context& c, hid_t file, const std::string& path, const StampPixels& p) {
  H5Plist lcpl(c.id(H5Pcreate(H5P_LINK_CREATE), "cannot create a property list"));
  c.ok(H5Pset_create_intermediate_group(lcpl.get(), 1), "cannot set intermediate group creation");
  const hsize_t dims[2] = {hsize_t(p.data.rows()), hsize_t(p.data.cols())};
  H5Space space(c.id(H5Screate_simple(2, dims, nullptr), "cannot create a dataspace"));
  H5Dataset ds(c.id(H5Dcreate2(file, path.c_str(), p.float32 ? H5T_IEEE_F32LE : H5T_IEEE_F64LE, space.get(),
                               lcpl.get(), H5P_DEFAULT, H5P_DEFAULT),
                    fmt::format("cannot create '{}'", path)));
  c.ok(H5Dwrite(ds.get(), H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, p.data.data()),
       fmt::format("cannot write '{}'", path));
  if (p.header_scale) write_attr(c, ds.get(), "pixel_scale", *p.header_scale);
}

}  // namespace

StampPackSummary pack_stamp_library(const StampPackOptions& o) {
  StampPackSummary sum;
  sum.catalog_out = o.catalog_out.empty() ? fs::path(o.h5_path).replace_extension(".csv").string() : o.catalog_out;
  if (!is_hdf5_stamp_file(o.h5_path))
    throw ConfigError(fmt::format("stamps pack: output '{}' must end in .h5 or .hdf5", o.h5_path));
  if (same_file(sum.catalog_out, o.catalog_path))
    throw ConfigError(fmt::format("stamps pack: the new catalog '{}' is the input catalog; choose another "
                                  "--catalog-out",
                                  sum.catalog_out));
  const StampLibrary lib = load_stamp_library(o.catalog_path);
  for (const std::string& out : {o.h5_path, sum.catalog_out}) {
    if (fs::exists(out) && !o.overwrite)
      throw ConfigError(fmt::format("stamps pack: '{}' exists; pass --overwrite to replace it", out));
    const fs::path folder = fs::path(out).parent_path();
    if (!folder.empty() && !fs::is_directory(folder))
      throw ConfigError(fmt::format("stamps pack: folder '{}' of '{}' does not exist", folder.string(), out));
  }
  for (const StampEntry& e : lib.entries) {
    if (same_file(e.file, o.h5_path))
      throw ConfigError(fmt::format("stamps pack: output '{}' is the stamp file of row '{}'", o.h5_path, e.name));
    if (e.name.find('/') != std::string::npos)
      throw ConfigError(fmt::format("stamps pack: row '{}' (line {}): a name with '/' cannot name a dataset; rename "
                                    "it",
                                    e.name, e.line));
  }

  // Stamps, one dataset per distinct (file, HDU).
  std::vector<std::string> dataset_of(lib.entries.size());
  const std::string h5_tmp = o.h5_path + ".partial";
  {
    const H5Context c(h5_tmp);
    H5ErrorSilencer quiet;
    H5File f(H5Fcreate(h5_tmp.c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT));
    if (!f.valid()) c.fail_open("cannot create it", "");
    std::map<std::pair<std::string, std::string>, std::string> written;
    try {
      for (std::size_t k = 0; k < lib.entries.size(); ++k) {
        const StampEntry& e = lib.entries[k];
        const auto key = std::make_pair(fs::weakly_canonical(e.file).string(), e.hdu);
        if (const auto it = written.find(key); it != written.end()) {
          dataset_of[k] = it->second;
          continue;
        }
        dataset_of[k] = "/stamps/" + e.name;
        write_stamp(c, f.get(), dataset_of[k], read_stamp_pixels(e.file, e.hdu));
        written.emplace(key, dataset_of[k]);
      }
      write_attr(c, f.get(), "source_catalog", o.catalog_path);
      c.ok(f.close(), "cannot close it");
    } catch (...) {
      f.reset();
      fs::remove(h5_tmp);
      throw;
    }
    sum.datasets = written.size();
  }

  // The catalog, rows rewritten in order (the loader kept the data rows' order).
  std::ifstream in(o.catalog_path);
  if (!in) throw IoError(fmt::format("cannot open stamp catalog '{}'", o.catalog_path));
  fs::path h5_ref = fs::relative(fs::absolute(o.h5_path), fs::absolute(sum.catalog_out).parent_path());
  if (h5_ref.empty()) h5_ref = fs::absolute(o.h5_path);
  std::ostringstream text;
  text << "# Packed by lensforge-sim stamps pack from " << o.catalog_path << ": stamps in " << h5_ref.string()
       << " (hdu = dataset path).\n";
  std::string line;
  std::size_t file_col = 0, hdu_col = 0, row = 0;
  bool header = true;
  while (std::getline(in, line)) {
    std::string data = line;
    if (const auto h = data.find('#'); h != std::string::npos) data.resize(h);
    if (trim(data).empty()) {
      text << line << "\n";
      continue;
    }
    std::vector<std::string> f = split_fields(data);
    if (header) {
      for (std::size_t k = 0; k < f.size(); ++k) {
        if (f[k] == "file") file_col = k;
        if (f[k] == "hdu") hdu_col = k;
      }
      header = false;
    } else {
      f[file_col] = h5_ref.string();
      f[hdu_col] = dataset_of.at(row++);
    }
    for (std::size_t k = 0; k < f.size(); ++k) text << (k ? "," : "") << f[k];
    text << "\n";
  }
  sum.rows = row;
  const std::string csv_tmp = sum.catalog_out + ".partial";
  {
    std::ofstream out(csv_tmp);
    out << text.str();
    out.close();
    if (!out) {
      fs::remove(csv_tmp);
      fs::remove(h5_tmp);
      throw IoError(fmt::format("cannot write '{}'", csv_tmp));
    }
  }
  fs::rename(h5_tmp, o.h5_path);
  fs::rename(csv_tmp, sum.catalog_out);
  return sum;
}

}  // namespace lensforge
