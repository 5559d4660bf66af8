#pragma once
// Internal: an owning handle to a cfitsio fitsfile* that closes on every path, and the translation
// of cfitsio status codes into IoError messages naming the file, the HDU and cfitsio's own text.
// Paths are taken literally (fits_open_diskfile / fits_create_diskfile): no cfitsio extended
// file-name syntax, so names with brackets or '!' work; gzip-compressed input is still detected.
#include <fitsio.h>

#include <string>

namespace lensforge::detail {

/// cfitsio's description of `status` followed by the messages on its error stack (drained).
std::string cfitsio_error_text(int status);

class FitsFile {
 public:
  /// Opens an existing file read-only. Throws IoError for a missing file, a folder, or a file
  /// cfitsio cannot open (not FITS, damaged header).
  static FitsFile open_read(const std::string& path);
  /// Creates a new file at `path` (fails if it exists). Errors name `display_path`, the file the
  /// caller is producing (e.g. the final name of a file written through a temporary one).
  static FitsFile create(const std::string& path, const std::string& display_path);

  FitsFile(FitsFile&& o) noexcept;
  FitsFile& operator=(FitsFile&& o) noexcept;
  FitsFile(const FitsFile&) = delete;
  FitsFile& operator=(const FitsFile&) = delete;
  ~FitsFile();  ///< closes the file if still open, ignoring cfitsio errors

  fitsfile* get() const { return f_; }
  const std::string& display_path() const { return display_; }

  /// Closes the file, flushing buffers; throws IoError if cfitsio reports an error.
  void close();
  /// Number of HDUs in the file.
  int num_hdus();
  /// Moves to the 0-based HDU `hdu`; throws IoError naming the number of HDUs if out of range.
  void move_to(int hdu);
  /// Moves to the 0-based HDU `hdu`; false if the file ends before it, IoError on other errors.
  bool try_move_to(int hdu);
  /// 0-based index of the current HDU.
  int current_hdu() const;
  /// EXTNAME of the current HDU, "" if none (never throws).
  std::string extname() const;

  /// Throws IoError: "<file>: HDU <n> [EXTNAME '<name>']: <what>: <cfitsio text>".
  [[noreturn]] void fail(int status, const std::string& what) const;
  /// As fail() without a cfitsio status: for errors lensforge itself detects.
  [[noreturn]] void fail(const std::string& what) const;
  void check(int status, const std::string& what) const {
    if (status != 0) fail(status, what);
  }
  /// "'<file>': HDU <n> (EXTNAME '<name>')", the context prefix of every message.
  std::string where() const;

 private:
  FitsFile(fitsfile* f, std::string display) : f_(f), display_(std::move(display)) {}
  fitsfile* f_ = nullptr;
  std::string display_;
};

}  // namespace lensforge::detail
