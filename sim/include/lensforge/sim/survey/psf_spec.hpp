#pragma once
// Description of a band's point-spread function. This is only the description; the optics code
// builds normalised kernels from it.
#include <optional>
#include <string>
#include <string_view>

namespace lensforge {

enum class PsfType {
  GAUSSIAN,  ///< circular Gaussian of the given FWHM
  MOFFAT,    ///< circular Moffat (1 + (r/alpha)^2)^-beta, FWHM = 2 alpha sqrt(2^(1/beta) - 1)
  PIXEL,     ///< pixelated kernel read from a FITS file
};

/// "GAUSSIAN", "MOFFAT" or "PIXEL".
std::string_view psf_type_name(PsfType t);
/// Inverse of psf_type_name (exact, upper case); nullopt for anything else.
std::optional<PsfType> psf_type_from_name(std::string_view name);

struct PsfSpec {
  PsfType type = PsfType::GAUSSIAN;
  /// Full width at half maximum, arcsec, (0, 10]. Required for every type: for PIXEL it is the
  /// kernel's approximate FWHM, used where an analytic stand-in is needed (e.g. neighbour stars).
  double fwhm = 0.0;
  double beta = 4.765;    ///< Moffat index, MOFFAT only, (1, 100]; 4.765: Trujillo et al. 2001
  std::string file;       ///< FITS kernel, PIXEL only (non-empty); the loader makes it absolute
  int oversampling = 1;   ///< PIXEL only: kernel pixels per image pixel along each axis, [1, 20]

  /// Empty when valid, else a message starting with the key path ("psf.fwhm = ...").
  std::string validate() const;
};

}  // namespace lensforge
