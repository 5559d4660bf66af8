#pragma once
// `lensforge-sim gallery FILE.h5 -o grid.png`: a PNG grid of a data set's images.
//
// Tiles are laid out left to right, top to bottom in index order, ceil(sqrt(n)) per row, each
// image shown with y up (row 0 at the bottom, as write_png_rgb). One band gives grey tiles, three
// bands (R, G, B) a colour composite; every band of a tile is asinh-stretched on its own
// (io/png.hpp asinh_stretch: 0.5 and 99.8 percentiles), so colours show structure, not flux
// ratios. There are no text labels (no font dependency): when the file has an int64 label `class`,
// each tile gets a coloured frame, green for a lens (class >= 1), red for a non-lens (class 0),
// grey otherwise; the frame is max(2, min(H, W) / 16) pixels wide, and tiles are separated by as
// many black pixels.
#include <cstdint>
#include <iosfwd>
#include <string>
#include <vector>

#include "lensforge/sim/app/exit_status.hpp"

namespace lensforge {

struct GalleryCommandArgs {
  std::string path;                ///< data set (.h5)
  std::string output_path;         ///< PNG to write (.png)
  int n = 16;                      ///< tiles, [1, 1024]; fewer if the file ends first
  std::vector<std::string> bands;  ///< 1 band (grey) or 3 (R, G, B); empty: default below
  std::int64_t first = 0;          ///< index of the first image, [0, num_images)
  bool overwrite = false;          ///< replace an existing output
};

/// Default bands: the first band when the file has fewer than 3, else the last three in reverse
/// file order (files list bands blue to red, so g, r, i gives R = i, G = r, B = g).
std::vector<std::string> default_gallery_bands(const std::vector<std::string>& file_bands);

/// Runs the command: a summary line to `out`; one error line to `err` and kExitBadInput for bad
/// arguments or an unreadable file, kExitFailure if writing fails. Writes nothing on error.
int run_gallery_command(const GalleryCommandArgs& args, std::ostream& out, std::ostream& err);

}  // namespace lensforge
