#include "dataset_layout.hpp"

#include <array>
#include <ctime>

#include <fmt/format.h>

#include "lensforge/sim/detector/mask.hpp"

namespace lensforge::detail {
namespace {

const char* plane_group(DatasetPlane p) {
  switch (p) {
    case DatasetPlane::IMAGE: return "/images";
    case DatasetPlane::NOISELESS: return "/noiseless";
    case DatasetPlane::SOURCE: return "/source";
    case DatasetPlane::SIGMA: return "/sigma";
  }
  return "/unknown";
}

constexpr const char* kMasksGroup = "/masks";
constexpr std::array<DatasetPlane, 3> kOptionalPlanes = {DatasetPlane::NOISELESS, DatasetPlane::SOURCE,
                                                         DatasetPlane::SIGMA};

std::string utc_now() {
  const std::time_t t = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

std::vector<std::string> plane_names(const DatasetSchema& s) {
  std::vector<std::string> names;
  for (DatasetPlane p : kOptionalPlanes)
    if (s.has_plane(p)) names.emplace_back(dataset_plane_name(p));
  if (s.planes.mask) names.emplace_back("mask");
  if (s.kappa) names.emplace_back("kappa");
  return names;
}

void create_group(const H5Context& c, hid_t file, const char* path) {
  H5Group g(c.id(H5Gcreate2(file, path, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT),
                 fmt::format("cannot create group '{}'", path)));
}

/// Maps images [first, first + count) of the virtual dataset with extent `dims` (first dimension
/// the image count) to images [0, count) of the same path in each source file.
void set_virtual_mapping(const H5Context& c, hid_t dcpl, const std::string& path, int rank, const hsize_t* dims,
                         const std::vector<VirtualSource>& sources) {
  const std::string what = fmt::format("cannot map the virtual dataset '{}'", path);
  H5Space vspace(c.id(H5Screate_simple(rank, dims, nullptr), what));
  for (const VirtualSource& src : sources) {
    hsize_t start[3] = {hsize_t(src.first), 0, 0};
    hsize_t count[3] = {hsize_t(src.count), rank > 1 ? dims[1] : 0, rank > 2 ? dims[2] : 0};
    H5Space sspace(c.id(H5Screate_simple(rank, count, nullptr), what));
    c.ok(H5Sselect_hyperslab(vspace.get(), H5S_SELECT_SET, start, nullptr, count, nullptr), what);
    c.ok(H5Pset_virtual(dcpl, vspace.get(), src.file.c_str(), path.c_str(), sspace.get()), what);
  }
}

/// Creates a [0, ny, nx] dataset (unlimited first dimension) chunked one image per chunk, or with
/// `sources` a virtual [N, ny, nx] one.
H5Dataset create_image_dataset(const H5Context& c, hid_t file, const std::string& path, hid_t type, int ny, int nx,
                               const WriterOptions& o, const std::vector<VirtualSource>* sources, std::int64_t n) {
  const std::string what = fmt::format("cannot create dataset '{}'", path);
  H5Plist dcpl(c.id(H5Pcreate(H5P_DATASET_CREATE), what));
  c.ok(H5Pset_obj_track_times(dcpl.get(), 0), what);
  hsize_t dims[3] = {0, hsize_t(ny), hsize_t(nx)};
  const hsize_t maxdims[3] = {H5S_UNLIMITED, hsize_t(ny), hsize_t(nx)};
  if (sources) {
    dims[0] = hsize_t(n);
    set_virtual_mapping(c, dcpl.get(), path, 3, dims, *sources);
  } else {
    const hsize_t chunk[3] = {1, hsize_t(ny), hsize_t(nx)};
    c.ok(H5Pset_chunk(dcpl.get(), 3, chunk), what);
    c.ok(H5Pset_fill_time(dcpl.get(), H5D_FILL_TIME_NEVER), what);  // every chunk is written whole
    if (o.gzip_level > 0) {
      if (o.shuffle) c.ok(H5Pset_shuffle(dcpl.get()), what);
      c.ok(H5Pset_deflate(dcpl.get(), unsigned(o.gzip_level)), what);
    }
  }
  H5Space space(c.id(H5Screate_simple(3, dims, sources ? nullptr : maxdims), what));
  return H5Dataset(c.id(H5Dcreate2(file, path.c_str(), type, space.get(), H5P_DEFAULT, dcpl.get(), H5P_DEFAULT), what));
}

H5Dataset create_label_dataset(const H5Context& c, hid_t file, const LabelColumn& col,
                               const std::vector<VirtualSource>* sources, std::int64_t n) {
  const std::string path = label_path(col.name);
  const std::string what = fmt::format("cannot create dataset '{}'", path);
  H5Plist dcpl(c.id(H5Pcreate(H5P_DATASET_CREATE), what));
  c.ok(H5Pset_obj_track_times(dcpl.get(), 0), what);
  hsize_t dims = 0;
  const hsize_t maxdims = H5S_UNLIMITED, chunk = kLabelChunk;
  if (sources) {
    dims = hsize_t(n);
    set_virtual_mapping(c, dcpl.get(), path, 1, &dims, *sources);
  } else {
    c.ok(H5Pset_chunk(dcpl.get(), 1, &chunk), what);
  }
  H5Space space(c.id(H5Screate_simple(1, &dims, sources ? nullptr : &maxdims), what));
  const H5Type type = label_memory_type(c, col);
  return H5Dataset(
      c.id(H5Dcreate2(file, path.c_str(), type.get(), space.get(), H5P_DEFAULT, dcpl.get(), H5P_DEFAULT), what));
}

void write_band_attrs(const H5Context& c, hid_t ds, const BandSchema& b) {
  write_attr(c, ds, "band", b.name);
  write_attr(c, ds, "survey", b.survey);
  write_attr(c, ds, "unit", b.unit);
  write_attr(c, ds, "zero_point", b.zero_point);
  write_attr(c, ds, "pixel_scale", b.pixel_scale);
  write_attr(c, ds, "exposure_time", b.exposure_time);
  write_attr(c, ds, "psf_fwhm", b.psf_fwhm);
}

/// Shape and element type of a stored dataset.
struct StoredShape {
  std::vector<hsize_t> dims;
  H5T_class_t type_class = H5T_NO_CLASS;
  std::size_t type_size = 0;
  bool variable_string = false;
};

StoredShape stored_shape(const H5Context& c, hid_t file, const std::string& path) {
  if (!has_link(c, file, path)) c.fail(fmt::format("dataset '{}' is missing", path));
  const std::string what = fmt::format("cannot read dataset '{}'", path);
  H5Dataset ds(c.id(H5Dopen2(file, path.c_str(), H5P_DEFAULT), what));
  H5Space space(c.id(H5Dget_space(ds.get()), what));
  const int rank = H5Sget_simple_extent_ndims(space.get());
  if (rank < 0) c.fail_h5(what);
  StoredShape s;
  s.dims.resize(std::size_t(rank));
  if (H5Sget_simple_extent_dims(space.get(), s.dims.data(), nullptr) < 0) c.fail_h5(what);
  H5Type type(c.id(H5Dget_type(ds.get()), what));
  s.type_class = H5Tget_class(type.get());
  s.type_size = H5Tget_size(type.get());
  if (s.type_class == H5T_STRING) s.variable_string = H5Tis_variable_str(type.get()) > 0;
  return s;
}

/// Checks an [n, ny, nx] dataset of `class`/`size` elements; returns n.
hsize_t check_image_dataset(const H5Context& c, hid_t file, const std::string& path, H5T_class_t cls,
                            std::size_t size, const char* type_name, int ny, int nx) {
  const StoredShape s = stored_shape(c, file, path);
  if (s.type_class != cls || s.type_size != size)
    c.fail(fmt::format("dataset '{}' is not {}", path, type_name));
  if (s.dims.size() != 3 || s.dims[1] != hsize_t(ny) || s.dims[2] != hsize_t(nx))
    c.fail(fmt::format("dataset '{}' has shape [{}], expected [N, {}, {}]", path, fmt::join(s.dims, ", "), ny, nx));
  return s.dims[0];
}

}  // namespace

std::string plane_path(DatasetPlane plane, const std::string& band) {
  return std::string(plane_group(plane)) + "/" + band;
}

std::string mask_path(const std::string& band) { return std::string(kMasksGroup) + "/" + band; }

std::string label_path(const std::string& name) { return std::string(kLabelsGroup) + "/" + name; }

H5Type label_memory_type(const H5Context& c, const LabelColumn& col) {
  const std::string what = fmt::format("cannot make the type of label '{}'", col.name);
  switch (col.type) {
    case LabelType::FLOAT64: return H5Type(c.id(H5Tcopy(H5T_IEEE_F64LE), what));
    case LabelType::INT64: return H5Type(c.id(H5Tcopy(H5T_STD_I64LE), what));
    case LabelType::STRING: break;
  }
  H5Type t(c.id(H5Tcopy(H5T_C_S1), what));
  c.ok(H5Tset_size(t.get(), std::size_t(col.string_length)), what);
  c.ok(H5Tset_strpad(t.get(), H5T_STR_NULLPAD), what);
  c.ok(H5Tset_cset(t.get(), H5T_CSET_ASCII), what);
  return t;
}

void create_layout(const H5Context& c, hid_t file, const DatasetSchema& s, const DatasetRun& run,
                   const WriterOptions& o, const std::vector<VirtualSource>* sources) {
  const std::int64_t n = run.num_images;
  write_attr(c, file, "schema_version", kDatasetSchemaVersion);
  write_attr(c, file, "software_version", std::string(LENSFORGE_VERSION));
  write_attr(c, file, "created", utc_now());
  write_attr(c, file, "seed", run.seed);
  write_attr(c, file, "num_images", run.num_images);
  if (run.run_images > 0) write_attr(c, file, "run_num_images", run.run_images);
  write_attr(c, file, "num_written", std::int64_t(0));
  write_attr(c, file, "complete", std::int64_t(0));
  write_attr(c, file, "config", run.config_text);
  std::vector<std::string> band_names;
  for (const auto& b : s.bands) band_names.push_back(b.name);
  write_attr(c, file, "bands", band_names);
  write_attr(c, file, "planes", plane_names(s));

  create_group(c, file, plane_group(DatasetPlane::IMAGE));
  for (DatasetPlane p : kOptionalPlanes)
    if (s.has_plane(p)) create_group(c, file, plane_group(p));
  if (s.planes.mask) create_group(c, file, kMasksGroup);
  for (const BandSchema& b : s.bands) {
    for (DatasetPlane p : {DatasetPlane::IMAGE, DatasetPlane::NOISELESS, DatasetPlane::SOURCE, DatasetPlane::SIGMA}) {
      if (!s.has_plane(p)) continue;
      const H5Dataset ds = create_image_dataset(c, file, plane_path(p, b.name), H5T_IEEE_F32LE, b.ny, b.nx, o, sources, n);
      write_band_attrs(c, ds.get(), b);
    }
    if (s.planes.mask) {
      const H5Dataset ds = create_image_dataset(c, file, mask_path(b.name), H5T_STD_U16LE, b.ny, b.nx, o, sources, n);
      write_attr(c, ds.get(), "band", b.name);
      std::vector<std::string> bit_names;
      for (MaskBit bit : kAllMaskBits) bit_names.emplace_back(mask_bit_name(bit));
      write_attr(c, ds.get(), "bit_names", bit_names);
    }
  }
  if (s.kappa) {
    const H5Dataset ds = create_image_dataset(c, file, kKappaPath, H5T_IEEE_F32LE, s.kappa->ny, s.kappa->nx, o, sources, n);
    write_attr(c, ds.get(), "pixel_scale", s.kappa->pixel_scale);
    write_attr(c, ds.get(), "unit", std::string("dimensionless"));
    write_attr(c, ds.get(), "description",
               std::string("convergence at the pixel centres of a grid centred on the optical axis"));
  }

  create_group(c, file, kLabelsGroup);
  {
    H5Group labels(c.id(H5Gopen2(file, kLabelsGroup, H5P_DEFAULT), "cannot open group '/labels'"));
    std::vector<std::string> names;
    for (const auto& col : s.labels) names.push_back(col.name);
    write_attr(c, labels.get(), "columns", names);
  }
  for (const LabelColumn& col : s.labels) {
    const H5Dataset ds = create_label_dataset(c, file, col, sources, n);
    write_attr(c, ds.get(), "unit", col.unit);
    write_attr(c, ds.get(), "description", col.description);
  }
}

std::vector<std::string> virtual_source_files(const H5Context& c, hid_t dataset, const std::string& path) {
  const std::string what = fmt::format("cannot read the layout of '{}'", path);
  H5Plist dcpl(c.id(H5Dget_create_plist(dataset), what));
  const H5D_layout_t layout = H5Pget_layout(dcpl.get());
  if (layout < 0) c.fail_h5(what);
  std::vector<std::string> files;
  if (layout != H5D_VIRTUAL) return files;
  std::size_t count = 0;
  c.ok(H5Pget_virtual_count(dcpl.get(), &count), what);
  for (std::size_t k = 0; k < count; ++k) {
    const ssize_t len = H5Pget_virtual_filename(dcpl.get(), k, nullptr, 0);
    if (len < 0) c.fail_h5(what);
    std::string name(std::size_t(len) + 1, '\0');
    if (H5Pget_virtual_filename(dcpl.get(), k, name.data(), name.size()) < 0) c.fail_h5(what);
    name.resize(std::size_t(len));
    files.push_back(std::move(name));
  }
  return files;
}

hsize_t dataset_length(const H5Context& c, hid_t dataset, const std::string& path) {
  const std::string what = fmt::format("cannot read the shape of '{}'", path);
  H5Space space(c.id(H5Dget_space(dataset), what));
  hsize_t dims[H5S_MAX_RANK];
  if (H5Sget_simple_extent_dims(space.get(), dims, nullptr) < 1) c.fail_h5(what);
  return dims[0];
}

StoredLayout read_layout(const H5Context& c, hid_t file) {
  const std::string root = "root";
  if (!has_attr(c, file, "schema_version"))
    c.fail("not a lensforge data set: the file has no root attribute 'schema_version'");
  StoredLayout L;
  L.schema_version = read_attr_i64(c, file, "schema_version", root);
  if (L.schema_version != kDatasetSchemaVersion)
    c.fail(fmt::format("schema_version {} is not supported: this lensforge ({}) reads schema_version {}",
                       L.schema_version, LENSFORGE_VERSION, kDatasetSchemaVersion));
  L.software_version = read_attr_string(c, file, "software_version", root);
  L.created = read_attr_string(c, file, "created", root);
  L.run.seed = read_attr_u64(c, file, "seed", root);
  L.run.num_images = read_attr_i64(c, file, "num_images", root);
  if (has_attr(c, file, "run_num_images")) L.run.run_images = read_attr_i64(c, file, "run_num_images", root);
  L.run.config_text = read_attr_string(c, file, "config", root);
  L.num_written = read_attr_i64(c, file, "num_written", root);
  L.complete = read_attr_i64(c, file, "complete", root) != 0;
  if (L.num_written < 0 || L.num_written > L.run.num_images)
    c.fail(fmt::format("num_written = {} is outside [0, num_images = {}]", L.num_written, L.run.num_images));
  if (L.complete && L.num_written != L.run.num_images)
    c.fail(fmt::format("marked complete but num_written = {} differs from num_images = {}", L.num_written,
                       L.run.num_images));

  DatasetSchema& s = L.schema;
  for (const std::string& p : read_attr_strings(c, file, "planes", root)) {
    if (p == "noiseless") s.planes.noiseless = true;
    else if (p == "source") s.planes.source = true;
    else if (p == "sigma") s.planes.sigma = true;
    else if (p == "mask") s.planes.mask = true;
    else if (p == "kappa") s.kappa = KappaGrid{};
    else c.fail(fmt::format("root attribute 'planes' names an unknown plane '{}'", p));
  }
  // Every dataset must hold the num_written images; a complete file exactly num_images.
  auto check_length = [&](hsize_t n, const std::string& path) {
    if (n < hsize_t(L.num_written) || (L.complete && n != hsize_t(L.run.num_images)))
      c.fail(fmt::format("dataset '{}' holds {} images, but num_written = {}{}", path, n, L.num_written,
                         L.complete ? " and the file is marked complete" : ""));
  };
  for (const std::string& name : read_attr_strings(c, file, "bands", root)) {
    BandSchema b;
    b.name = name;
    const std::string path = plane_path(DatasetPlane::IMAGE, name);
    const StoredShape shape = stored_shape(c, file, path);
    if (shape.dims.size() != 3) c.fail(fmt::format("dataset '{}' has rank {}, expected 3", path, shape.dims.size()));
    b.ny = int(shape.dims[1]);
    b.nx = int(shape.dims[2]);
    {
      H5Dataset ds(c.id(H5Dopen2(file, path.c_str(), H5P_DEFAULT), fmt::format("cannot open '{}'", path)));
      b.survey = read_attr_string(c, ds.get(), "survey", path);
      b.unit = read_attr_string(c, ds.get(), "unit", path);
      b.zero_point = read_attr_f64(c, ds.get(), "zero_point", path);
      b.pixel_scale = read_attr_f64(c, ds.get(), "pixel_scale", path);
      b.exposure_time = read_attr_f64(c, ds.get(), "exposure_time", path);
      b.psf_fwhm = read_attr_f64(c, ds.get(), "psf_fwhm", path);
    }
    for (DatasetPlane p : {DatasetPlane::IMAGE, DatasetPlane::NOISELESS, DatasetPlane::SOURCE, DatasetPlane::SIGMA})
      if (s.has_plane(p)) {
        const std::string pp = plane_path(p, name);
        check_length(check_image_dataset(c, file, pp, H5T_FLOAT, 4, "float32", b.ny, b.nx), pp);
      }
    if (s.planes.mask)
      check_length(check_image_dataset(c, file, mask_path(name), H5T_INTEGER, 2, "uint16", b.ny, b.nx),
                   mask_path(name));
    s.bands.push_back(std::move(b));
  }
  if (s.kappa) {
    const StoredShape shape = stored_shape(c, file, kKappaPath);
    if (shape.dims.size() != 3) c.fail(fmt::format("dataset '{}' has rank {}, expected 3", kKappaPath, shape.dims.size()));
    s.kappa->ny = int(shape.dims[1]);
    s.kappa->nx = int(shape.dims[2]);
    check_length(check_image_dataset(c, file, kKappaPath, H5T_FLOAT, 4, "float32", s.kappa->ny, s.kappa->nx),
                 kKappaPath);
    H5Dataset ds(c.id(H5Dopen2(file, kKappaPath, H5P_DEFAULT), "cannot open '/kappa'"));
    s.kappa->pixel_scale = read_attr_f64(c, ds.get(), "pixel_scale", kKappaPath);
  }

  if (!has_link(c, file, kLabelsGroup)) c.fail("group '/labels' is missing");
  H5Group labels(c.id(H5Gopen2(file, kLabelsGroup, H5P_DEFAULT), "cannot open group '/labels'"));
  for (const std::string& name : read_attr_strings(c, labels.get(), "columns", kLabelsGroup)) {
    LabelColumn col;
    col.name = name;
    const std::string path = label_path(name);
    const StoredShape shape = stored_shape(c, file, path);
    if (shape.dims.size() != 1) c.fail(fmt::format("label '{}' has rank {}, expected 1", path, shape.dims.size()));
    check_length(shape.dims[0], path);
    if (shape.type_class == H5T_FLOAT) {
      col.type = LabelType::FLOAT64;
    } else if (shape.type_class == H5T_INTEGER) {
      col.type = LabelType::INT64;
    } else if (shape.type_class == H5T_STRING && !shape.variable_string) {
      col.type = LabelType::STRING;
      col.string_length = int(shape.type_size);
    } else {
      c.fail(fmt::format("label '{}' is neither a number nor a fixed-length string", path));
    }
    H5Dataset ds(c.id(H5Dopen2(file, path.c_str(), H5P_DEFAULT), fmt::format("cannot open '{}'", path)));
    col.unit = read_attr_string(c, ds.get(), "unit", path);
    col.description = read_attr_string(c, ds.get(), "description", path);
    s.labels.push_back(std::move(col));
  }
  return L;
}

}  // namespace lensforge::detail
