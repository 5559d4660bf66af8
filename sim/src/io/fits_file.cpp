#include "fits_file.hpp"

#include <filesystem>
#include <utility>

#include "lensforge/sim/core/error.hpp"

namespace lensforge::detail {

namespace {

std::string trim_right(std::string s) {
  while (!s.empty() && (s.back() == ' ' || s.back() == '\n')) s.pop_back();
  return s;
}

}  // namespace

std::string cfitsio_error_text(int status) {
  char text[FLEN_STATUS] = {};
  fits_get_errstatus(status, text);
  std::string out = "cfitsio status " + std::to_string(status) + " (" + trim_right(text) + ")";
  char msg[FLEN_ERRMSG] = {};
  std::string stack;
  while (fits_read_errmsg(msg) != 0) {
    std::string m = trim_right(msg);
    for (char& c : m)  // cfitsio quotes the bytes it failed to parse: keep the text printable
      if (c < 0x20 || c > 0x7e) c = '?';
    if (m.empty()) continue;
    stack += stack.empty() ? "" : " | ";
    stack += m;
  }
  if (!stack.empty()) out += ": " + stack;
  return out;
}

FitsFile FitsFile::open_read(const std::string& path) {
  std::error_code ec;
  const auto st = std::filesystem::status(path, ec);
  if (!std::filesystem::exists(st))
    throw IoError("cannot open FITS file '" + path + "': no such file");
  if (std::filesystem::is_directory(st))
    throw IoError("cannot open FITS file '" + path + "': it is a folder");
  fitsfile* f = nullptr;
  int status = 0;
  fits_open_diskfile(&f, path.c_str(), READONLY, &status);
  if (status != 0) {
    const std::string text = cfitsio_error_text(status);
    if (f != nullptr) {  // cfitsio nulls the handle on most failures; close it where it did not
      int ignored = 0;
      fits_close_file(f, &ignored);
    }
    throw IoError("cannot open FITS file '" + path + "' (not a FITS file, or its primary header is damaged): " +
                  text);
  }
  return FitsFile(f, path);
}

FitsFile FitsFile::create(const std::string& path, const std::string& display_path) {
  fitsfile* f = nullptr;
  int status = 0;
  fits_create_diskfile(&f, path.c_str(), &status);
  if (status != 0) {
    const std::string text = cfitsio_error_text(status);
    if (f != nullptr) {
      int ignored = 0;
      fits_close_file(f, &ignored);
    }
    throw IoError("cannot create FITS file '" + display_path + "' (temporary '" + path + "'): " + text);
  }
  return FitsFile(f, display_path);
}

FitsFile::FitsFile(FitsFile&& o) noexcept : f_(std::exchange(o.f_, nullptr)), display_(std::move(o.display_)) {}

FitsFile& FitsFile::operator=(FitsFile&& o) noexcept {
  if (this != &o) {
    if (f_ != nullptr) {
      int ignored = 0;
      fits_close_file(f_, &ignored);
    }
    f_ = std::exchange(o.f_, nullptr);
    display_ = std::move(o.display_);
  }
  return *this;
}

FitsFile::~FitsFile() {
  if (f_ != nullptr) {
    int ignored = 0;
    fits_write_errmark();
    fits_close_file(f_, &ignored);
    fits_clear_errmark();
  }
}

void FitsFile::close() {
  int status = 0;
  fitsfile* f = std::exchange(f_, nullptr);
  fits_close_file(f, &status);  // frees the handle even when flushing fails
  if (status != 0) throw IoError("'" + display_ + "': closing the file failed: " + cfitsio_error_text(status));
}

int FitsFile::num_hdus() {
  int n = 0, status = 0;
  fits_get_num_hdus(f_, &n, &status);
  check(status, "counting the HDUs failed");
  return n;
}

bool FitsFile::try_move_to(int hdu) {
  int type = 0, status = 0;
  fits_write_errmark();
  fits_movabs_hdu(f_, hdu + 1, &type, &status);
  if (status == 0 || status == END_OF_FILE || status == BAD_HDU_NUM) {
    fits_clear_errmark();
    return status == 0;
  }
  fail(status, "moving to HDU " + std::to_string(hdu) + " failed");
}

void FitsFile::move_to(int hdu) {
  if (hdu >= 0 && try_move_to(hdu)) return;
  const int n = num_hdus();
  throw IoError("'" + display_ + "': HDU " + std::to_string(hdu) + " is out of range: the file has " +
                std::to_string(n) + " HDU" + (n == 1 ? "" : "s") + " (0.." + std::to_string(n - 1) + ")");
}

int FitsFile::current_hdu() const {
  int n = 0;
  fits_get_hdu_num(f_, &n);
  return n - 1;
}

std::string FitsFile::extname() const {
  char value[FLEN_VALUE] = {};
  int status = 0;
  fits_write_errmark();
  fits_read_key(f_, TSTRING, "EXTNAME", value, nullptr, &status);
  fits_clear_errmark();
  return status == 0 ? trim_right(value) : std::string();
}

std::string FitsFile::where() const {
  std::string w = "'" + display_ + "'";
  if (f_ == nullptr) return w;
  w += ": HDU " + std::to_string(current_hdu());
  const std::string name = extname();
  if (!name.empty()) w += " (EXTNAME '" + name + "')";
  return w;
}

void FitsFile::fail(int status, const std::string& what) const {
  // Drain cfitsio's messages before where() reads more keys.
  const std::string text = cfitsio_error_text(status);
  throw IoError(where() + ": " + what + ": " + text);
}

void FitsFile::fail(const std::string& what) const { throw IoError(where() + ": " + what); }

}  // namespace lensforge::detail
