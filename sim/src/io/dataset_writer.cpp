#include "lensforge/sim/io/dataset_writer.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cassert>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <sstream>
#include <system_error>

#include <fmt/format.h>

#include "dataset_layout.hpp"
#include "h5_buffered_driver.hpp"
#include "hdf5_handle.hpp"
#include "lensforge/sim/core/error.hpp"

namespace lensforge {

using namespace detail;
namespace fs = std::filesystem;

std::string WriterOptions::validate() const {
  if (gzip_level < 0 || gzip_level > 9) return fmt::format("gzip_level = {}: must be in [0, 9]", gzip_level);
  if (shuffle && gzip_level == 0) return "shuffle = true: needs gzip_level > 0 (shuffling only helps compression)";
  if (flush_every < 1 || flush_every > 1000000) return fmt::format("flush_every = {}: must be in [1, 1000000]", flush_every);
  return {};
}

std::string partial_path_of(const std::string& final_path) { return final_path + ".partial"; }

namespace {

void check_inputs(const DatasetSchema& schema, const DatasetRun& run, const WriterOptions& options) {
  if (auto m = schema.validate(); !m.empty()) throw ConfigError("dataset schema: " + m);
  if (auto m = options.validate(); !m.empty()) throw ConfigError("writer options: " + m);
  if (run.num_images < 1 || run.num_images > 1000000000000LL)
    throw ConfigError(fmt::format("dataset run: num_images = {}: must be in [1, 1e12]", run.num_images));
  if (run.config_text.find('\0') != std::string::npos)
    throw ConfigError("dataset run: config_text contains a NUL byte");
}

void check_folder(const std::string& final_path) {
  const fs::path parent = fs::path(final_path).parent_path();
  std::error_code ec;
  if (!fs::is_directory(parent.empty() ? fs::path(".") : parent, ec))
    throw IoError(fmt::format("cannot write '{}': folder '{}' does not exist", final_path, parent.string()));
  if (fs::is_directory(final_path, ec)) throw IoError(fmt::format("cannot write '{}': it is a folder", final_path));
}

/// First line where two texts differ, for the resume error.
std::string first_line_difference(const std::string& a, const std::string& b) {
  std::istringstream sa(a), sb(b);
  std::string la, lb;
  for (int line = 1;; ++line) {
    const bool ga = bool(std::getline(sa, la)), gb = bool(std::getline(sb, lb));
    if (!ga && !gb) return "they differ in line endings";
    if (!ga || !gb || la != lb)
      return fmt::format("first difference in line {}: file has '{}', expected '{}'", line, ga ? la : "<end>",
                         gb ? lb : "<end>");
  }
}

void sync_path(const std::string& path, int flags) {
  const int fd = ::open(path.c_str(), flags | O_CLOEXEC);
  if (fd < 0) throw IoError(fmt::format("cannot open '{}' to sync it: {}", path, std::strerror(errno)));
  const int rc = ::fsync(fd);
  const int err = errno;
  ::close(fd);
  if (rc != 0) throw IoError(fmt::format("cannot sync '{}' to disk: {}", path, std::strerror(err)));
}

bool printable_ascii(const std::string& s) {
  return std::all_of(s.begin(), s.end(), [](char ch) { return ch >= 0x20 && ch <= 0x7e; });
}

constexpr std::array<DatasetPlane, 4> kFloatPlanes = {DatasetPlane::IMAGE, DatasetPlane::NOISELESS,
                                                      DatasetPlane::SOURCE, DatasetPlane::SIGMA};

const ImageF& plane_of(const BandPlanes& b, DatasetPlane p) {
  switch (p) {
    case DatasetPlane::NOISELESS: return b.noiseless;
    case DatasetPlane::SOURCE: return b.source;
    case DatasetPlane::SIGMA: return b.sigma;
    case DatasetPlane::IMAGE: break;
  }
  return b.image;
}

}  // namespace

struct DatasetWriter::Impl {
  /// One [N, ny, nx] dataset: a float plane of a band, the band's mask, or kappa.
  struct ImageSet {
    enum class Kind { PLANE, MASK, KAPPA };
    Kind kind = Kind::PLANE;
    std::size_t band = 0;                     // PLANE, MASK
    DatasetPlane plane = DatasetPlane::IMAGE;  // PLANE
    std::string path;
    H5Dataset ds;
    hid_t mem_type = H5I_INVALID_HID;  // H5T_NATIVE_FLOAT or H5T_NATIVE_UINT16 (owned by HDF5)
    hsize_t ny = 0, nx = 0;
    std::size_t image_bytes = 0;  // one image in memory
    /// Unfiltered and the memory type is the file type: each image (one chunk) is written as it is
    /// with H5Dwrite_chunk. Otherwise through H5Dwrite with these two dataspaces.
    bool direct = false;
    H5Space mem_space;   // [1, ny, nx]
    H5Space file_space;  // the dataset's current extent
  };
  /// One label column and its values not yet written to the file.
  struct LabelSet {
    H5Dataset ds;
    H5Type string_type;  // STRING columns: fixed-length null-padded ASCII
    hid_t mem_type = H5I_INVALID_HID;
    std::size_t size = 0;       // bytes per value
    std::vector<char> pending;  // label_capacity values, the first pending_rows of them in use
  };

  std::string final_path;
  DatasetSchema schema;
  DatasetRun run;
  WriterOptions options;
  H5Context ctx;
  // Declared before the file, and the file before the datasets: destroyed in the reverse order.
  H5BufferedDriver driver;
  H5File file;
  std::vector<ImageSet> images;
  std::vector<LabelSet> labels;
  std::int64_t written = 0;
  int since_flush = 0;
  bool finished = false;
  /// First dimension of every image dataset: grown a block ahead of `written` (to the next flush,
  /// at most num_images) and set back to `written` by a flush between blocks.
  hsize_t image_extent = 0;
  /// Label values are staged in memory and written as one block per column when the staging is
  /// full (label_capacity values) and by every flush, before num_written is recorded. The file's
  /// label datasets hold labels_in_file values; images [labels_in_file, written) are staged.
  std::int64_t labels_in_file = 0;
  std::size_t pending_rows = 0;
  std::size_t label_capacity;

  Impl(std::string final, const DatasetSchema& s, const DatasetRun& r, const WriterOptions& o)
      : final_path(std::move(final)),
        schema(s),
        run(r),
        options(o),
        ctx(partial_path_of(final_path)),
        driver(ctx),
        label_capacity(std::min(std::size_t(o.flush_every), std::size_t(kLabelChunk))) {}

  H5Dataset open_dataset(const std::string& path) const {
    const std::string what = fmt::format("cannot open dataset '{}'", path);
    // No chunk cache: every chunk is one whole image, written (filtered) straight to the file.
    H5Plist dapl(ctx.id(H5Pcreate(H5P_DATASET_ACCESS), what));
    ctx.ok(H5Pset_chunk_cache(dapl.get(), H5D_CHUNK_CACHE_NSLOTS_DEFAULT, 0, 1.0), what);
    return H5Dataset(ctx.id(H5Dopen2(file.get(), path.c_str(), dapl.get()), what));
  }

  H5Dataset open_label(const std::string& path) const {
    return H5Dataset(ctx.id(H5Dopen2(file.get(), path.c_str(), H5P_DEFAULT), fmt::format("cannot open '{}'", path)));
  }

  void add_image_set(ImageSet set) {
    const std::string what = fmt::format("cannot open dataset '{}'", set.path);
    set.ds = open_dataset(set.path);
    H5Plist dcpl(ctx.id(H5Dget_create_plist(set.ds.get()), what));
    const int filters = H5Pget_nfilters(dcpl.get());
    if (filters < 0) ctx.fail_h5(what);
    H5Type file_type(ctx.id(H5Dget_type(set.ds.get()), what));
    const htri_t same = H5Tequal(file_type.get(), set.mem_type);
    if (same < 0) ctx.fail_h5(what);
    set.direct = filters == 0 && same > 0;
    set.image_bytes = std::size_t(set.ny * set.nx) * H5Tget_size(set.mem_type);
    if (!set.direct) {
      const hsize_t count[3] = {1, set.ny, set.nx};
      set.mem_space = H5Space(ctx.id(H5Screate_simple(3, count, nullptr), what));
      set.file_space = H5Space(ctx.id(H5Dget_space(set.ds.get()), what));
    }
    images.push_back(std::move(set));
  }

  void open_datasets() {
    using Kind = ImageSet::Kind;
    for (std::size_t k = 0; k < schema.bands.size(); ++k) {
      const BandSchema& b = schema.bands[k];
      const hsize_t ny = hsize_t(b.ny), nx = hsize_t(b.nx);
      for (DatasetPlane p : kFloatPlanes)
        if (schema.has_plane(p))
          add_image_set({Kind::PLANE, k, p, plane_path(p, b.name), {}, H5T_NATIVE_FLOAT, ny, nx});
      if (schema.planes.mask)
        add_image_set({Kind::MASK, k, DatasetPlane::IMAGE, mask_path(b.name), {}, H5T_NATIVE_UINT16, ny, nx});
    }
    if (schema.kappa)
      add_image_set({Kind::KAPPA, 0, DatasetPlane::IMAGE, kKappaPath, {}, H5T_NATIVE_FLOAT, hsize_t(schema.kappa->ny),
                     hsize_t(schema.kappa->nx)});
    for (const LabelColumn& col : schema.labels) {
      LabelSet set;
      set.ds = open_label(label_path(col.name));
      // The numeric memory types equal the file types (little-endian); HDF5 converts on big-endian hosts.
      switch (col.type) {
        case LabelType::FLOAT64:
          set.mem_type = H5T_NATIVE_DOUBLE;
          set.size = sizeof(double);
          break;
        case LabelType::INT64:
          set.mem_type = H5T_NATIVE_INT64;
          set.size = sizeof(std::int64_t);
          break;
        case LabelType::STRING:
          set.string_type = label_memory_type(ctx, col);
          set.mem_type = set.string_type.get();
          set.size = std::size_t(col.string_length);
          break;
      }
      set.pending.resize(label_capacity * set.size);
      labels.push_back(std::move(set));
    }
  }

  /// Sets the first dimension of every image dataset to n.
  void set_image_extent(hsize_t n) {
    for (ImageSet& set : images) {
      const hsize_t dims[3] = {n, set.ny, set.nx};
      if (H5Dset_extent(set.ds.get(), dims) < 0)
        ctx.fail_h5(fmt::format("cannot set the length of '{}' to {} images", set.path, n));
      if (!set.direct)
        set.file_space = H5Space(ctx.id(H5Dget_space(set.ds.get()), fmt::format("cannot write '{}'", set.path)));
    }
    image_extent = n;
  }

  /// Sets every dataset's first dimension to n (drops images past the last flush on resume).
  void truncate(std::int64_t n) {
    set_image_extent(hsize_t(n));
    for (std::size_t k = 0; k < labels.size(); ++k) {
      const hsize_t dims = hsize_t(n);
      ctx.ok(H5Dset_extent(labels[k].ds.get(), &dims),
             fmt::format("cannot truncate '{}' to {} images", label_path(schema.labels[k].name), n));
    }
    labels_in_file = n;
  }

  /// Writes image i of one dataset (the chunk [i, 0, 0]); the extent must include it.
  void write_image(ImageSet& set, hsize_t i, const void* data) {
    herr_t status;
    if (set.direct) {
      const hsize_t offset[3] = {i, 0, 0};
      status = H5Dwrite_chunk(set.ds.get(), H5P_DEFAULT, 0, offset, set.image_bytes, data);
    } else {
      const hsize_t start[3] = {i, 0, 0}, count[3] = {1, set.ny, set.nx};
      status = H5Sselect_hyperslab(set.file_space.get(), H5S_SELECT_SET, start, nullptr, count, nullptr);
      if (status >= 0)
        status = H5Dwrite(set.ds.get(), set.mem_type, set.mem_space.get(), set.file_space.get(), H5P_DEFAULT, data);
    }
    if (status < 0) ctx.fail_h5(fmt::format("cannot write image {} of '{}'", i, set.path));
  }

  /// Copies the sample's labels into the staging (checked by check_sample; allocates nothing).
  void stage_labels(const Sample& s) {
    for (std::size_t k = 0; k < labels.size(); ++k) {
      LabelSet& set = labels[k];
      char* dst = set.pending.data() + pending_rows * set.size;
      if (const auto* d = std::get_if<double>(&s.labels[k])) {
        std::memcpy(dst, d, sizeof *d);
      } else if (const auto* v = std::get_if<std::int64_t>(&s.labels[k])) {
        std::memcpy(dst, v, sizeof *v);
      } else {
        const std::string& text = std::get<std::string>(s.labels[k]);
        std::memset(dst, 0, set.size);
        std::memcpy(dst, text.data(), text.size());
      }
    }
    ++pending_rows;
  }

  /// Appends the staged label values to the file, one block per column; on failure they stay
  /// staged (a retry rewrites the whole block).
  void write_pending_labels() {
    if (pending_rows == 0) return;
    const hsize_t first = hsize_t(labels_in_file), count = pending_rows, length = first + count;
    H5Space mem_space(ctx.id(H5Screate_simple(1, &count, nullptr), "cannot make a dataspace"));
    for (std::size_t k = 0; k < labels.size(); ++k) {
      const LabelSet& set = labels[k];
      const std::string path = label_path(schema.labels[k].name);
      auto what = [&] { return fmt::format("cannot write images {}..{} of '{}'", first, length - 1, path); };
      if (H5Dset_extent(set.ds.get(), &length) < 0) ctx.fail_h5(what());
      H5Space file_space(ctx.id(H5Dget_space(set.ds.get()), what()));
      if (H5Sselect_hyperslab(file_space.get(), H5S_SELECT_SET, &first, nullptr, &count, nullptr) < 0 ||
          H5Dwrite(set.ds.get(), set.mem_type, mem_space.get(), file_space.get(), H5P_DEFAULT, set.pending.data()) < 0)
        ctx.fail_h5(what());
    }
    labels_in_file = std::int64_t(length);
    pending_rows = 0;
  }

  void write_progress(bool complete) {
    write_attr(ctx, file.get(), "num_written", written);
    write_attr(ctx, file.get(), "complete", std::int64_t(complete ? 1 : 0));
  }

  /// Writes the staged labels, sets the image datasets to `written` images, then records
  /// num_written and flushes: the file then holds exactly num_written images.
  void flush() {
    write_pending_labels();
    if (image_extent != hsize_t(written)) set_image_extent(hsize_t(written));
    write_progress(false);
    ctx.ok(H5Fflush(file.get(), H5F_SCOPE_LOCAL), "cannot flush");
    since_flush = 0;
  }

  void check_sample(const Sample& s) const {
    const std::string at = fmt::format("'{}': image {}", final_path, written);
    auto fail = [&](const std::string& m) { throw ConfigError(fmt::format("{}: {}", at, m)); };
    if (written >= run.num_images) fail(fmt::format("all {} images are already written", run.num_images));
    if (s.bands.size() != schema.bands.size())
      fail(fmt::format("the sample has {} bands, the schema {}", s.bands.size(), schema.bands.size()));
    auto check_shape = [&](Eigen::Index rows, Eigen::Index cols, bool wanted, int ny, int nx, const std::string& what) {
      if (!wanted) {
        if (rows * cols != 0) fail(fmt::format("{} is given but not in the schema", what));
        return;
      }
      if (rows != ny || cols != nx)
        fail(fmt::format("{} is {}x{} (rows x columns), expected {}x{}", what, rows, cols, ny, nx));
    };
    for (std::size_t k = 0; k < s.bands.size(); ++k) {
      const BandSchema& b = schema.bands[k];
      const BandPlanes& p = s.bands[k];
      for (DatasetPlane plane : kFloatPlanes) {
        const ImageF& img = plane_of(p, plane);
        check_shape(img.rows(), img.cols(), schema.has_plane(plane), b.ny, b.nx,
                    fmt::format("band '{}' {}", b.name, dataset_plane_name(plane)));
      }
      check_shape(p.mask.rows(), p.mask.cols(), schema.planes.mask, b.ny, b.nx, fmt::format("band '{}' mask", b.name));
    }
    check_shape(s.kappa.rows(), s.kappa.cols(), schema.kappa.has_value(), schema.kappa ? schema.kappa->ny : 0,
                schema.kappa ? schema.kappa->nx : 0, "kappa");
    if (s.labels.size() != schema.labels.size())
      fail(fmt::format("the sample has {} labels, the schema {}", s.labels.size(), schema.labels.size()));
    for (std::size_t k = 0; k < s.labels.size(); ++k) {
      const LabelColumn& col = schema.labels[k];
      const std::size_t want = col.type == LabelType::FLOAT64 ? 0 : col.type == LabelType::INT64 ? 1 : 2;
      if (s.labels[k].index() != want) {
        static constexpr const char* kHeld[] = {"a double", "an int64", "a string"};
        fail(fmt::format("label '{}' holds {}, the column is {}", col.name, kHeld[s.labels[k].index()],
                         label_type_name(col.type)));
      }
      if (const auto* str = std::get_if<std::string>(&s.labels[k])) {
        if (str->size() > std::size_t(col.string_length))
          fail(fmt::format("label '{}' = '{}' is {} bytes, longer than the column's {}", col.name, *str, str->size(),
                           col.string_length));
        if (!printable_ascii(*str)) fail(fmt::format("label '{}' = '{}' is not printable ASCII", col.name, *str));
      }
    }
  }

  void append(const Sample& s) {
    check_sample(s);
    const hsize_t i = hsize_t(written);
    // Grown to the next flush at most: a flush then finds the extent equal to num_written.
    if (i >= image_extent)
      set_image_extent(std::min(hsize_t(run.num_images), i + hsize_t(std::max(1, options.flush_every - since_flush))));
    for (ImageSet& set : images) {
      const void* data = set.kind == ImageSet::Kind::KAPPA ? static_cast<const void*>(s.kappa.data())
                         : set.kind == ImageSet::Kind::MASK
                             ? static_cast<const void*>(s.bands[set.band].mask.data())
                             : static_cast<const void*>(plane_of(s.bands[set.band], set.plane).data());
      write_image(set, i, data);
    }
    stage_labels(s);
    if (pending_rows == label_capacity) {
      try {
        write_pending_labels();
      } catch (...) {
        --pending_rows;  // the image is not counted
        throw;
      }
    }
    ++written;
    if (++since_flush >= options.flush_every) flush();
  }

  void close_datasets() {
    images.clear();
    labels.clear();
  }

  void finish() {
    if (finished) throw ConfigError(fmt::format("'{}': finish() was already called", final_path));
    if (!file.valid()) throw IoError(fmt::format("'{}': the file was closed after an earlier failure", ctx.path()));
    if (written != run.num_images)
      throw ConfigError(fmt::format("'{}': finish() after {} of {} images", final_path, written, run.num_images));
    write_pending_labels();
    assert(image_extent == hsize_t(written));  // grown to num_images at most
    write_progress(true);
    close_datasets();
    const herr_t closed = file.close();
    if (closed < 0) ctx.fail_h5("cannot close");
    sync_path(ctx.path(), O_RDONLY);
    std::error_code ec;
    fs::rename(ctx.path(), final_path, ec);
    if (ec) throw IoError(fmt::format("cannot rename '{}' to '{}': {}", ctx.path(), final_path, ec.message()));
    const fs::path parent = fs::path(final_path).parent_path();
    sync_path(parent.empty() ? "." : parent.string(), O_RDONLY | O_DIRECTORY);
    finished = true;
  }

  /// Leaves the .partial resumable; never throws.
  void close_unfinished() noexcept {
    if (finished || !file.valid()) return;
    try {
      H5ErrorSilencer quiet;
      flush();
      close_datasets();
      file.close();
    } catch (...) {  // the destructor must not throw; resume() truncates to the last num_written
    }
  }
};

DatasetWriter::DatasetWriter(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
DatasetWriter::DatasetWriter(DatasetWriter&&) noexcept = default;
DatasetWriter& DatasetWriter::operator=(DatasetWriter&& o) noexcept {
  if (this != &o) {
    if (impl_) impl_->close_unfinished();
    impl_ = std::move(o.impl_);
  }
  return *this;
}
DatasetWriter::~DatasetWriter() {
  if (impl_) impl_->close_unfinished();
}

DatasetWriter DatasetWriter::create(const std::string& final_path, const DatasetSchema& schema, const DatasetRun& run,
                                    const WriterOptions& options) {
  check_inputs(schema, run, options);
  check_folder(final_path);
  const std::string partial = partial_path_of(final_path);
  std::error_code ec;
  if (!options.overwrite) {
    if (fs::exists(final_path, ec))
      throw IoError(fmt::format("'{}' exists; set overwrite to replace it", final_path));
    if (fs::exists(partial, ec))
      throw IoError(fmt::format("'{}' exists (an interrupted run): resume it, or remove it to start again", partial));
  }
  if (options.gzip_level > 0 && H5Zfilter_avail(H5Z_FILTER_DEFLATE) <= 0)
    throw IoError("this HDF5 library has no deflate (gzip) filter");

  H5ErrorSilencer quiet;
  auto impl = std::make_unique<Impl>(final_path, schema, run, options);
  const H5Context& c = impl->ctx;
  // Closed after the error stack is read (closing clears it).
  const H5Plist fapl = impl->driver.file_access(c);
  // Made under a temporary name and renamed once its empty layout is in the file, so that a
  // process killed at any moment leaves either no .partial or one that resume() can open.
  const std::string creating = partial + ".new";
  impl->file = H5File(H5Fcreate(creating.c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, fapl.get()));
  if (!impl->file.valid()) c.fail_open("cannot create", "");
  try {
    create_layout(c, impl->file.get(), schema, run, options);
    impl->open_datasets();
    impl->flush();
    fs::rename(creating, partial, ec);
    if (ec) throw IoError(fmt::format("cannot rename '{}' to '{}': {}", creating, partial, ec.message()));
  } catch (...) {
    impl->close_datasets();
    impl->file.close();
    fs::remove(creating, ec);
    throw;
  }
  // An old file under the final name belongs to the run being replaced: were it kept, an
  // interruption of this run would leave a .partial that resume() refuses beside a complete file.
  if (options.overwrite && fs::exists(final_path, ec) && !fs::remove(final_path, ec))
    throw IoError(fmt::format("cannot remove '{}' to replace it: {}", final_path, ec.message()));
  return DatasetWriter(std::move(impl));
}

DatasetWriter DatasetWriter::resume(const std::string& final_path, const DatasetSchema& schema, const DatasetRun& run,
                                    const WriterOptions& options) {
  check_inputs(schema, run, options);
  check_folder(final_path);
  const std::string partial = partial_path_of(final_path);
  std::error_code ec;
  if (fs::exists(final_path, ec))
    throw IoError(fmt::format("cannot resume '{}': the file exists, so its run is complete", final_path));
  if (!fs::exists(partial, ec))
    throw IoError(fmt::format("cannot resume '{}': there is no '{}' of an interrupted run", final_path, partial));

  H5ErrorSilencer quiet;
  auto impl = std::make_unique<Impl>(final_path, schema, run, options);
  const H5Context& c = impl->ctx;
  if (H5Fis_hdf5(partial.c_str()) <= 0) c.fail("cannot resume: not an HDF5 file; remove it to start again");
  const H5Plist fapl = impl->driver.file_access(c);  // closed after the error stack is read
  impl->file = H5File(H5Fopen(partial.c_str(), H5F_ACC_RDWR, fapl.get()));
  if (!impl->file.valid()) c.fail_open("cannot resume: HDF5 cannot open it", "remove it to start again");

  const StoredLayout stored = read_layout(c, impl->file.get());
  auto refuse = [&](const std::string& why) { c.fail("cannot resume: " + why); };
  if (stored.software_version != LENSFORGE_VERSION)
    refuse(fmt::format("it was written by lensforge {}, this is {}", stored.software_version, LENSFORGE_VERSION));
  if (auto d = schema_difference(stored.schema, schema); !d.empty()) refuse("the schema differs: " + d);
  if (stored.run.config_text != run.config_text)
    refuse("the configuration text differs (" + first_line_difference(stored.run.config_text, run.config_text) + ")");
  if (stored.run.seed != run.seed) refuse(fmt::format("seed: file has {}, expected {}", stored.run.seed, run.seed));
  if (stored.run.num_images != run.num_images)
    refuse(fmt::format("num_images: file has {}, expected {}", stored.run.num_images, run.num_images));
  if (stored.run.run_images != run.run_images)
    refuse(fmt::format("images of the whole run: file has {}, expected {}", stored.run.run_images, run.run_images));

  impl->open_datasets();
  impl->written = stored.num_written;
  impl->truncate(stored.num_written);
  impl->flush();
  return DatasetWriter(std::move(impl));
}

void DatasetWriter::append(const Sample& sample) {
  H5ErrorSilencer quiet;
  if (impl_->finished || !impl_->file.valid())
    throw ConfigError(fmt::format("'{}': append() after finish()", impl_->final_path));
  impl_->append(sample);
}

void DatasetWriter::flush() {
  H5ErrorSilencer quiet;
  if (impl_->finished || !impl_->file.valid())
    throw ConfigError(fmt::format("'{}': flush() after finish()", impl_->final_path));
  impl_->flush();
}

void DatasetWriter::finish() {
  H5ErrorSilencer quiet;
  impl_->finish();
}

std::int64_t DatasetWriter::num_written() const { return impl_->written; }
const DatasetSchema& DatasetWriter::schema() const { return impl_->schema; }
const DatasetRun& DatasetWriter::run() const { return impl_->run; }
const std::string& DatasetWriter::final_path() const { return impl_->final_path; }
std::string DatasetWriter::partial_path() const { return impl_->ctx.path(); }

void write_virtual_dataset(const std::string& final_path, const DatasetSchema& schema, const DatasetRun& run,
                           const std::vector<ShardFile>& shards, bool overwrite) {
  check_inputs(schema, run, WriterOptions{});
  check_folder(final_path);
  std::int64_t expect = 0;
  for (const ShardFile& sh : shards) {
    if (sh.first != expect || sh.count < 1)
      throw ConfigError(fmt::format("virtual data set '{}': shard '{}' holds images {}..{}, expected to start at {}",
                                    final_path, sh.path, sh.first, sh.first + sh.count - 1, expect));
    expect += sh.count;
  }
  if (expect != run.num_images)
    throw ConfigError(fmt::format("virtual data set '{}': the shards hold {} images, the run has {}", final_path,
                                  expect, run.num_images));
  std::error_code ec;
  if (!overwrite && fs::exists(final_path, ec))
    throw IoError(fmt::format("'{}' exists; set overwrite to replace it", final_path));
  const fs::path parent = fs::path(final_path).parent_path();
  const fs::path folder = parent.empty() ? fs::current_path() : fs::absolute(parent);
  std::vector<VirtualSource> sources;
  for (const ShardFile& sh : shards)
    sources.push_back({fs::relative(fs::absolute(sh.path), folder).string(), sh.first, sh.count});

  const std::string partial = partial_path_of(final_path);
  H5ErrorSilencer quiet;
  const H5Context c(partial);
  try {
    H5File file(H5Fcreate(partial.c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT));
    if (!file.valid()) c.fail_open("cannot create", "");
    create_layout(c, file.get(), schema, run, WriterOptions{}, &sources);
    write_attr(c, file.get(), "num_written", run.num_images);
    write_attr(c, file.get(), "complete", std::int64_t(1));
    if (file.close() < 0) c.fail_h5("cannot close");
    sync_path(partial, O_RDONLY);
    fs::rename(partial, final_path, ec);
    if (ec) throw IoError(fmt::format("cannot rename '{}' to '{}': {}", partial, final_path, ec.message()));
  } catch (...) {
    fs::remove(partial, ec);
    throw;
  }
}

}  // namespace lensforge
