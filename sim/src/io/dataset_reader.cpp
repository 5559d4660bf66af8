#include "lensforge/sim/io/dataset_reader.hpp"

#include <algorithm>
#include <array>
#include <filesystem>
#include <system_error>

#include <fmt/format.h>

#include "dataset_layout.hpp"
#include "hdf5_handle.hpp"
#include "lensforge/sim/core/error.hpp"

namespace lensforge {

using namespace detail;
namespace fs = std::filesystem;

struct DatasetReader::Impl {
  H5Context ctx;
  ReaderOptions options;
  StoredLayout layout;
  std::int64_t readable = 0;
  // Declared before the datasets, so closed after them.
  H5File file;
  struct BandSets {
    std::array<H5Dataset, 4> planes;  // by DatasetPlane
    H5Dataset mask;
  };
  std::vector<BandSets> bands;
  H5Dataset kappa;
  std::vector<std::string> shard_files;

  Impl(const std::string& path, const ReaderOptions& o) : ctx(path), options(o) {}

  H5Dataset open_images(const std::string& path) const {
    const std::string what = fmt::format("cannot open dataset '{}'", path);
    // A few hundred slots per cached chunk keep hash collisions rare (HDF5's advice is ~100x).
    H5Plist dapl(ctx.id(H5Pcreate(H5P_DATASET_ACCESS), what));
    ctx.ok(H5Pset_chunk_cache(dapl.get(), 521, options.chunk_cache_bytes, 1.0), what);
    return H5Dataset(ctx.id(H5Dopen2(file.get(), path.c_str(), dapl.get()), what));
  }

  std::size_t band_index(std::string_view band) const {
    if (auto k = layout.schema.band_index(band)) return *k;
    std::vector<std::string> names;
    for (const auto& b : layout.schema.bands) names.push_back(b.name);
    throw ConfigError(fmt::format("'{}': no band '{}' (bands: {})", ctx.path(), band, fmt::join(names, ", ")));
  }

  void check_range(std::int64_t first, std::int64_t count) const {
    if (first < 0 || count < 0 || first > readable || count > readable - first)
      throw ConfigError(fmt::format("'{}': images {}..{} are outside the {} images [0, {})", ctx.path(), first,
                                    first + count - 1, readable, readable));
  }

  /// Reads `count` images starting at `first` of an [N, ny, nx] dataset into `out`.
  void read_block(hid_t ds, const std::string& path, hid_t mem_type, std::int64_t first, std::int64_t count, int ny,
                  int nx, void* out) const {
    if (count == 0) return;
    const std::string what = fmt::format("cannot read images {}..{} of '{}'", first, first + count - 1, path);
    const hsize_t start[3] = {hsize_t(first), 0, 0}, n[3] = {hsize_t(count), hsize_t(ny), hsize_t(nx)};
    H5Space file_space(ctx.id(H5Dget_space(ds), what));
    ctx.ok(H5Sselect_hyperslab(file_space.get(), H5S_SELECT_SET, start, nullptr, n, nullptr), what);
    H5Space mem_space(ctx.id(H5Screate_simple(3, n, nullptr), what));
    ctx.ok(H5Dread(ds, mem_type, mem_space.get(), file_space.get(), H5P_DEFAULT, out), what);
  }

  void read_floats(std::string_view band, std::int64_t first, std::int64_t count, float* out, DatasetPlane plane) const {
    const std::size_t k = band_index(band);
    if (!layout.schema.has_plane(plane))
      throw ConfigError(fmt::format("'{}': the file has no {} plane", ctx.path(), dataset_plane_name(plane)));
    check_range(first, count);
    const BandSchema& b = layout.schema.bands[k];
    read_block(bands[k].planes[std::size_t(plane)].get(), plane_path(plane, b.name), H5T_NATIVE_FLOAT, first, count,
               b.ny, b.nx, out);
  }
};

DatasetReader::DatasetReader(const std::string& path, const ReaderOptions& options)
    : impl_(std::make_unique<Impl>(path, options)) {
  Impl& m = *impl_;
  const H5Context& c = m.ctx;
  if (options.chunk_cache_bytes > (std::size_t(1) << 30))
    throw ConfigError(fmt::format("reader options: chunk_cache_bytes = {}: must be in [0, 1 GiB]", options.chunk_cache_bytes));
  std::error_code ec;
  if (!fs::exists(path, ec)) c.fail("no such file");
  if (fs::is_directory(path, ec)) c.fail("is a folder, not an HDF5 file");

  H5ErrorSilencer quiet;
  const htri_t is_h5 = H5Fis_hdf5(path.c_str());
  if (is_h5 < 0) c.fail_h5("cannot read");
  if (is_h5 == 0) c.fail("not an HDF5 file");
  m.file = H5File(H5Fopen(path.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT));
  if (!m.file.valid()) c.fail_open("HDF5 cannot open it", "");
  m.layout = read_layout(c, m.file.get());
  if (!m.layout.complete && !options.allow_incomplete)
    c.fail(fmt::format("incomplete data set ({} of {} images written): its run was interrupted; resume it, or open "
                       "it with allow_incomplete",
                       m.layout.num_written, m.layout.run.num_images));
  m.readable = m.layout.num_written;
  const DatasetSchema& s = m.layout.schema;
  for (const BandSchema& b : s.bands) {
    Impl::BandSets sets;
    for (DatasetPlane p : {DatasetPlane::IMAGE, DatasetPlane::NOISELESS, DatasetPlane::SOURCE, DatasetPlane::SIGMA})
      if (s.has_plane(p)) sets.planes[std::size_t(p)] = m.open_images(plane_path(p, b.name));
    if (s.planes.mask) sets.mask = m.open_images(mask_path(b.name));
    m.bands.push_back(std::move(sets));
  }
  if (s.kappa) m.kappa = m.open_images(kKappaPath);
  // Every dataset of a virtual master maps the same shard files (write_virtual_dataset).
  if (!s.bands.empty())
    m.shard_files = virtual_source_files(c, m.bands.front().planes[0].get(), plane_path(DatasetPlane::IMAGE, s.bands.front().name));
  const fs::path folder = fs::path(path).parent_path();
  for (const std::string& f : m.shard_files) {
    const fs::path where = fs::path(f).is_absolute() ? fs::path(f) : folder / f;
    if (!fs::exists(where, ec))
      c.fail(fmt::format("virtual data set: shard file '{}' is missing (looked for '{}'); the master file only maps "
                         "the shards' images, so keep them beside it, or join them into one file with "
                         "'lensforge-sim merge --copy'",
                         f, where.string()));
  }
}

DatasetReader::~DatasetReader() = default;
DatasetReader::DatasetReader(DatasetReader&&) noexcept = default;
DatasetReader& DatasetReader::operator=(DatasetReader&&) noexcept = default;

const std::string& DatasetReader::path() const { return impl_->ctx.path(); }
const DatasetSchema& DatasetReader::schema() const { return impl_->layout.schema; }
std::int64_t DatasetReader::num_images() const { return impl_->readable; }
const DatasetRun& DatasetReader::run() const { return impl_->layout.run; }
bool DatasetReader::complete() const { return impl_->layout.complete; }
const std::vector<std::string>& DatasetReader::shard_files() const { return impl_->shard_files; }
std::int64_t DatasetReader::schema_version() const { return impl_->layout.schema_version; }
const std::string& DatasetReader::software_version() const { return impl_->layout.software_version; }
const std::string& DatasetReader::created() const { return impl_->layout.created; }

DatasetFilters DatasetReader::filters() const {
  if (!impl_->shard_files.empty()) {  // the master has none; its shards were written alike
    const fs::path f(impl_->shard_files.front());
    return DatasetReader((f.is_absolute() ? f : fs::path(path()).parent_path() / f).string()).filters();
  }
  H5ErrorSilencer quiet;
  const H5Context& c = impl_->ctx;
  const std::string what = "cannot read the filters of the image datasets";
  H5Plist dcpl(c.id(H5Dget_create_plist(impl_->bands.front().planes[0].get()), what));
  const int n = H5Pget_nfilters(dcpl.get());
  if (n < 0) c.fail_h5(what);
  DatasetFilters f;
  for (int k = 0; k < n; ++k) {
    unsigned flags = 0, values[8] = {};
    std::size_t num_values = 8;
    const H5Z_filter_t id = H5Pget_filter2(dcpl.get(), unsigned(k), &flags, &num_values, values, 0, nullptr, nullptr);
    if (id < 0) c.fail_h5(what);
    if (id == H5Z_FILTER_DEFLATE) f.gzip_level = num_values > 0 ? int(values[0]) : 0;
    if (id == H5Z_FILTER_SHUFFLE) f.shuffle = true;
  }
  return f;
}

ImageF DatasetReader::read_image(std::string_view band, std::int64_t i, DatasetPlane plane) const {
  H5ErrorSilencer quiet;
  const BandSchema& b = impl_->layout.schema.bands[impl_->band_index(band)];
  ImageF img(b.ny, b.nx);
  impl_->read_floats(band, i, 1, img.data(), plane);
  return img;
}

std::vector<ImageF> DatasetReader::read_images(std::string_view band, std::int64_t first, std::int64_t count,
                                               DatasetPlane plane) const {
  const BandSchema& b = impl_->layout.schema.bands[impl_->band_index(band)];
  impl_->check_range(first, count);
  const std::size_t per = std::size_t(b.ny) * std::size_t(b.nx);
  std::vector<float> block(per * std::size_t(count));
  read_images(band, first, count, block, plane);
  std::vector<ImageF> out;
  out.reserve(std::size_t(count));
  for (std::int64_t k = 0; k < count; ++k)
    out.emplace_back(Eigen::Map<const ImageF>(block.data() + std::size_t(k) * per, b.ny, b.nx));
  return out;
}

void DatasetReader::read_images(std::string_view band, std::int64_t first, std::int64_t count, std::span<float> out,
                                DatasetPlane plane) const {
  H5ErrorSilencer quiet;
  const BandSchema& b = impl_->layout.schema.bands[impl_->band_index(band)];
  if (count >= 0 && out.size() != std::size_t(count) * std::size_t(b.ny) * std::size_t(b.nx))
    throw ConfigError(fmt::format("read_images: the output holds {} values, {} images of band '{}' need {}",
                                  out.size(), count, b.name, std::size_t(count) * std::size_t(b.ny) * std::size_t(b.nx)));
  impl_->read_floats(band, first, count, out.data(), plane);
}

Mask DatasetReader::read_mask(std::string_view band, std::int64_t i) const {
  H5ErrorSilencer quiet;
  const Impl& m = *impl_;
  const std::size_t k = m.band_index(band);
  if (!m.layout.schema.planes.mask) throw ConfigError(fmt::format("'{}': the file has no masks", m.ctx.path()));
  m.check_range(i, 1);
  const BandSchema& b = m.layout.schema.bands[k];
  Mask mask(b.ny, b.nx);
  m.read_block(m.bands[k].mask.get(), mask_path(b.name), H5T_NATIVE_UINT16, i, 1, b.ny, b.nx, mask.data());
  return mask;
}

ImageF DatasetReader::read_kappa(std::int64_t i) const {
  H5ErrorSilencer quiet;
  const Impl& m = *impl_;
  if (!m.layout.schema.kappa) throw ConfigError(fmt::format("'{}': the file has no kappa plane", m.ctx.path()));
  m.check_range(i, 1);
  const KappaGrid& g = *m.layout.schema.kappa;
  ImageF kappa(g.ny, g.nx);
  m.read_block(m.kappa.get(), kKappaPath, H5T_NATIVE_FLOAT, i, 1, g.ny, g.nx, kappa.data());
  return kappa;
}

std::vector<std::string> DatasetReader::label_names() const {
  std::vector<std::string> names;
  for (const auto& c : impl_->layout.schema.labels) names.push_back(c.name);
  return names;
}

LabelData DatasetReader::read_label(std::string_view name) const {
  H5ErrorSilencer quiet;
  const Impl& m = *impl_;
  const H5Context& c = m.ctx;
  const auto k = m.layout.schema.label_index(name);
  if (!k) {
    const auto names = label_names();
    throw ConfigError(fmt::format("'{}': no label '{}' (labels: {})", c.path(), name, fmt::join(names, ", ")));
  }
  const LabelColumn& col = m.layout.schema.labels[*k];
  const std::string path = label_path(col.name);
  const std::string what = fmt::format("cannot read label '{}'", path);
  H5Dataset ds(c.id(H5Dopen2(m.file.get(), path.c_str(), H5P_DEFAULT), what));
  const hsize_t n = hsize_t(m.readable), start = 0;
  H5Space file_space(c.id(H5Dget_space(ds.get()), what));
  c.ok(H5Sselect_hyperslab(file_space.get(), H5S_SELECT_SET, &start, nullptr, &n, nullptr), what);
  H5Space mem_space(c.id(H5Screate_simple(1, &n, nullptr), what));
  auto read = [&](hid_t mem_type, void* out) {
    if (n > 0) c.ok(H5Dread(ds.get(), mem_type, mem_space.get(), file_space.get(), H5P_DEFAULT, out), what);
  };
  switch (col.type) {
    case LabelType::FLOAT64: {
      std::vector<double> v(n);
      read(H5T_NATIVE_DOUBLE, v.data());
      return v;
    }
    case LabelType::INT64: {
      std::vector<std::int64_t> v(n);
      read(H5T_NATIVE_INT64, v.data());
      return v;
    }
    case LabelType::STRING: break;
  }
  const H5Type type = label_memory_type(c, col);
  const std::size_t len = std::size_t(col.string_length);
  std::vector<char> buf(n * len);
  read(type.get(), buf.data());
  std::vector<std::string> v;
  v.reserve(n);
  for (hsize_t i = 0; i < n; ++i) {
    std::string s(buf.data() + i * len, len);
    s.erase(std::min(s.find('\0'), s.size()));
    v.push_back(std::move(s));
  }
  return v;
}

}  // namespace lensforge
