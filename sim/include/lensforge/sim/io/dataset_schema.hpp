#pragma once
// The lensforge training-set format: one HDF5 file per data set, schema_version 1.
//
//   /                         root attributes (below)
//   /images/<band>            float32 [N, H, W]   the observed (noisy) image, in the band's unit
//   /noiseless/<band>         float32 [N, H, W]   optional: noiseless lens light + lensed sources
//   /source/<band>            float32 [N, H, W]   optional: noiseless lensed sources only
//   /sigma/<band>             float32 [N, H, W]   optional: expected 1-sigma noise per pixel
//   /masks/<band>             uint16  [N, H, W]   optional: artefact bits (detector/mask.hpp)
//   /kappa                    float32 [N, H, W]   optional: convergence on its own grid
//   /labels/<name>            [N] float64 | int64 | fixed-length ASCII string, one per column
//
// Each band has its own H (rows, ny) and W (columns, nx); image i of every dataset is the same
// system, row-major as numpy reads it (x along the last axis). All planes of a band are in the
// band's `unit` (the writer stores what it is given: scale noiseless/source planes, which the
// observer makes in e-/s, by Observation::scale when the images are in another unit).
//
// Storage: every image dataset is chunked one image per chunk ([1, H, W]) with an unlimited first
// dimension, so it grows as images are appended (every dataset holds num_written images after
// each flush) and an interrupted file is truncated to its last flushed image on resume; optional
// gzip (deflate) level 1-9 with the byte-shuffle filter before it. Label datasets are 1-D,
// unlimited, chunked 1024 values. Strings are fixed-length, null-padded ASCII (numpy dtype S<n>;
// h5py returns bytes: `.astype(str)` or pandas `.str.decode("ascii")`). Every string attribute
// is a variable-length UTF-8 scalar (h5py: str).
//
// Root attributes:
//   schema_version   int64   1
//   software_version string  LENSFORGE_VERSION of the writer
//   created          string  UTC time the file was created, ISO 8601 ("2025-01-31T12:00:00Z")
//   seed             uint64  run seed (image i was drawn from Rng(seed, i))
//   num_images       int64   N, images the run writes
//   num_written      int64   images written and flushed so far (== N when complete)
//   complete         int64   1 once the writer finished (file renamed from <name>.partial), else 0
//   config           string  full text of the run's YAML configuration
//   bands            string[] band names in order
//   planes           string[] optional planes present, from "noiseless", "source", "sigma", "mask", "kappa"
// /images/<band> attributes (also on /noiseless, /source, /sigma of that band): band, survey,
//   unit, zero_point (AB mag of 1 unit in total), pixel_scale (arcsec/px), exposure_time (total, s),
//   psf_fwhm (arcsec; 0: none).
// /masks/<band> attributes: band, bit_names (string[], name of bit k at index k).
// /kappa attributes: pixel_scale (arcsec/px), unit ("dimensionless"), description.
// /labels attribute columns (string[]): column names in schema order. /labels/<name> attributes:
//   unit, description.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace lensforge {

struct Band;

/// The schema version this lensforge writes and reads.
inline constexpr std::int64_t kDatasetSchemaVersion = 1;

/// Value type of a label column.
enum class LabelType {
  FLOAT64,  ///< real number (NaN allowed, e.g. "not applicable")
  INT64,    ///< integer or class index
  STRING,   ///< short ASCII text (e.g. a subtype name), at most LabelColumn::string_length bytes
};

/// "float64", "int64" or "string".
std::string_view label_type_name(LabelType t);

struct LabelColumn {
  /// 1-64 characters from A-Z a-z 0-9 _, not starting with a digit (a Python identifier, so the
  /// column works as a pandas attribute and a FITS HIERARCH key). Unique within a schema.
  std::string name;
  LabelType type = LabelType::FLOAT64;
  std::string unit;         ///< e.g. "arcsec"; "" for dimensionless or categories; printable ASCII
  std::string description;  ///< one line, printable ASCII
  /// STRING only: fixed length in bytes, [1, 1024]; longer values are refused. Ignored otherwise.
  int string_length = 0;
};

/// One band of the data set and the metadata written on its datasets.
struct BandSchema {
  /// 1-64 characters from A-Z a-z 0-9 _ + - . (not "." or ".."); unique within a schema.
  std::string name;
  std::string survey;          ///< survey name, printable ASCII (may be empty)
  int nx = 0;                  ///< image columns W, [1, 100000]
  int ny = 0;                  ///< image rows H, [1, 100000]
  std::string unit;            ///< pixel unit, e.g. "e-/s", "ADU", "flux"; non-empty printable ASCII
  double zero_point = 0.0;     ///< AB magnitude of a source totalling 1 unit, [-100, 100]
  double pixel_scale = 0.0;    ///< arcsec per pixel, (0, 10]
  double exposure_time = 0.0;  ///< total integration time, s, [0, 1e12]
  double psf_fwhm = 0.0;       ///< PSF FWHM, arcsec, [0, 10]; 0: no PSF
};

/// A band's schema from its description: name, survey, shape, pixel scale, total exposure time
/// and PSF FWHM from `band`; `unit` and `zero_point` as the images are written (Observation::unit
/// name and Observation::zero_point).
BandSchema band_schema(const Band& band, std::string unit, double zero_point);

/// The float32 planes of a band.
enum class DatasetPlane { IMAGE, NOISELESS, SOURCE, SIGMA };

/// "image", "noiseless", "source" or "sigma" (the plane's group is /images, /noiseless, ...).
std::string_view dataset_plane_name(DatasetPlane p);

/// Optional per-band planes written beside /images.
struct DatasetPlanes {
  bool noiseless = false;  ///< /noiseless/<band>
  bool source = false;     ///< /source/<band>
  bool sigma = false;      ///< /sigma/<band>
  bool mask = false;       ///< /masks/<band>
};

/// Grid of the optional /kappa plane (centred on the optical axis, like Band::grid()).
struct KappaGrid {
  int nx = 0;               ///< columns, [1, 100000]
  int ny = 0;               ///< rows, [1, 100000]
  double pixel_scale = 0;   ///< arcsec per pixel, (0, 10]
};

struct DatasetSchema {
  std::vector<BandSchema> bands;     ///< at least one, in the order written
  DatasetPlanes planes;
  std::optional<KappaGrid> kappa;    ///< /kappa written when set
  std::vector<LabelColumn> labels;   ///< label columns, in the order of Sample::labels

  /// Empty when valid, else a message naming the field ("bands[1].nx = 0 px: must be in ...").
  std::string validate() const;
  /// Index of the band or label column with this name, if any.
  std::optional<std::size_t> band_index(std::string_view name) const;
  std::optional<std::size_t> label_index(std::string_view name) const;
  /// Whether `plane` is written (IMAGE always is).
  bool has_plane(DatasetPlane plane) const;
};

/// First difference between the schema a file holds and the one expected, as
/// "<field>: file has X, expected Y"; empty when they are equal (doubles compared exactly).
std::string schema_difference(const DatasetSchema& file, const DatasetSchema& expected);

}  // namespace lensforge
