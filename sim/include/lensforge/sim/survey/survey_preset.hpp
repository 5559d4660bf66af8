#pragma once
// Survey presets are data: configs/surveys/<survey>.yaml. A file holds
//   survey: <name>              (required)
//   description: <text>         (optional)
//   defaults: {<band fields>}   (optional; every band starts from these)
//   bands: {<band>: {<band fields>}, ...}   (required, at least one)
//   presets:                    (optional; absent: the file is one preset named after its stem)
//     <preset>: {description: <text>, defaults: {...}, bands: {<existing band>: {...}}}
// A band's value of a field is the last of: defaults, bands.<b>, presets.<p>.defaults,
// presets.<p>.bands.<b> (nested maps such as psf and artefacts merge key by key).
// Band fields (units and ranges in survey/band.hpp): pixel_scale, nx, ny, zero_point,
// sky_zero_point, exposure_time, n_exposures, gain, read_noise, sky_brightness, dark_current,
// full_well, pixel_size, psf {type, fwhm, beta, file, oversampling}, artefacts {cosmic_rays,
// hot_pixels, dead_pixels, bad_columns, satellite_trails, neighbours} (detector/artefact_settings.hpp).
// Unknown keys, wrong types, missing fields and out-of-range values throw ConfigError with
// "<file>:<line>:<column>: <key path>: ..."; an unreadable file throws IoError.
#include <string>
#include <string_view>
#include <vector>

#include "lensforge/sim/survey/band.hpp"

namespace lensforge {

struct SurveyPreset {
  std::string name;         ///< e.g. "lsst_10yr", or the file stem ("euclid")
  std::string survey;       ///< e.g. "LSST"
  std::string description;  ///< preset's description, else the file's
  std::string file;         ///< YAML file it was read from
  std::vector<Band> bands;  ///< in file order, each validated

  /// The band called `name`; throws ConfigError listing the bands otherwise.
  const Band& band(std::string_view name) const;
};

/// Every preset of one survey file.
std::vector<SurveyPreset> load_survey_file(const std::string& path);

/// The preset called `name`, searched in <configs_dir>/surveys/*.yaml (a file whose stem is
/// `name` and that defines no presets, or a preset of that name in any file). Throws ConfigError
/// naming the available presets when there is none.
SurveyPreset load_survey_preset(const std::string& configs_dir, std::string_view name);

/// Names of every preset in <configs_dir>/surveys/*.yaml, sorted.
std::vector<std::string> list_survey_presets(const std::string& configs_dir);

}  // namespace lensforge
