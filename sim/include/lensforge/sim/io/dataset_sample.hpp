#pragma once
// One image of a data set as handed to DatasetWriter::append (layout in io/dataset_schema.hpp).
#include <cstdint>
#include <string>
#include <variant>
#include <vector>

#include "lensforge/sim/core/image.hpp"
#include "lensforge/sim/detector/mask.hpp"

namespace lensforge {

/// The planes of one band of one image, each ny x nx (BandSchema) and in the band's unit. Planes
/// the schema does not ask for must be left empty.
struct BandPlanes {
  ImageF image;      ///< observed image (always required)
  ImageF noiseless;  ///< DatasetPlanes::noiseless
  ImageF source;     ///< DatasetPlanes::source
  ImageF sigma;      ///< DatasetPlanes::sigma
  Mask mask;         ///< DatasetPlanes::mask
};

/// A label value: its alternative must match the column's LabelType (FLOAT64: double, INT64:
/// std::int64_t, STRING: std::string). LabelValue(1) holds an int64, LabelValue(1.0) a double.
using LabelValue = std::variant<double, std::int64_t, std::string>;

struct Sample {
  std::vector<BandPlanes> bands;   ///< one per schema band, in schema order
  ImageF kappa;                    ///< KappaGrid ny x nx when the schema has one, else empty
  std::vector<LabelValue> labels;  ///< one per schema label column, in schema order
};

}  // namespace lensforge
