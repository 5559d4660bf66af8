#include "lensforge/sim/survey/psf_spec.hpp"

#include "../core/range_check.hpp"

namespace lensforge {

std::string_view psf_type_name(PsfType t) {
  switch (t) {
    case PsfType::GAUSSIAN: return "GAUSSIAN";
    case PsfType::MOFFAT: return "MOFFAT";
    case PsfType::PIXEL: return "PIXEL";
  }
  return "UNKNOWN";
}

std::optional<PsfType> psf_type_from_name(std::string_view name) {
  for (PsfType t : {PsfType::GAUSSIAN, PsfType::MOFFAT, PsfType::PIXEL})
    if (name == psf_type_name(t)) return t;
  return std::nullopt;
}

std::string PsfSpec::validate() const {
  if (auto m = detail::check_open_closed("psf.fwhm", fwhm, 0.0, 10.0, "arcsec"); !m.empty()) return m;
  if (type == PsfType::MOFFAT)
    if (auto m = detail::check_open_closed("psf.beta", beta, 1.0, 100.0); !m.empty()) return m;
  if (type == PsfType::PIXEL) {
    if (file.empty()) return "psf.file is empty: a PIXEL PSF needs the path of a FITS kernel";
    if (auto m = detail::check_closed("psf.oversampling", oversampling, 1, 20); !m.empty()) return m;
  }
  return {};
}

}  // namespace lensforge
