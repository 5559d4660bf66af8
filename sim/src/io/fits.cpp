#include "lensforge/sim/io/fits.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <limits>
#include <memory>
#include <random>
#include <set>

#include "fits_file.hpp"
#include "lensforge/sim/core/error.hpp"

namespace lensforge {

namespace fs = std::filesystem;
using detail::FitsFile;

namespace {

constexpr std::size_t kCard = 80;

std::string upper(std::string s) {
  for (char& c : s) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return s;
}

bool equal_ci(const std::string& a, const std::string& b) { return a.size() == b.size() && upper(a) == upper(b); }

std::string trim(const std::string& s) {
  const auto b = s.find_first_not_of(' ');
  if (b == std::string::npos) return {};
  return s.substr(b, s.find_last_not_of(' ') - b + 1);
}

std::string trim_right(std::string s) {
  while (!s.empty() && s.back() == ' ') s.pop_back();
  return s;
}

bool printable_ascii(const std::string& s) {
  return std::all_of(s.begin(), s.end(), [](char c) { return c >= 0x20 && c <= 0x7e; });
}

/// Text of a FITS string value starting at the opening quote: '' is an escaped quote, trailing
/// blanks are not significant (FITS standard 4.2.1).
std::string unquote(const std::string& v) {
  std::string out;
  const auto start = v.find('\'');
  if (start == std::string::npos) return trim(v);
  for (std::size_t i = start + 1; i < v.size(); ++i) {
    if (v[i] == '\'') {
      if (i + 1 < v.size() && v[i + 1] == '\'') {
        out += '\'';
        ++i;
      } else {
        break;
      }
    } else {
      out += v[i];
    }
  }
  return trim_right(out);
}

/// A header value as a double ('D' exponents accepted), if it is a number.
std::optional<double> to_double(const std::string& text) {
  std::string t = trim(text);
  std::replace(t.begin(), t.end(), 'D', 'E');
  std::replace(t.begin(), t.end(), 'd', 'e');
  if (!t.empty() && t.front() == '+') t.erase(0, 1);
  double v = 0;
  const auto [end, ec] = std::from_chars(t.data(), t.data() + t.size(), v);
  if (ec != std::errc() || end != t.data() + t.size() || !std::isfinite(v)) return std::nullopt;
  return v;
}

// ---------------------------------------------------------------------------------------------
// Reading

struct HduShape {
  int type = IMAGE_HDU;
  std::vector<long> naxes;  ///< NAXIS1, NAXIS2, ...
};

HduShape shape_of(const FitsFile& f) {
  HduShape s;
  int status = 0;
  fits_get_hdu_type(f.get(), &s.type, &status);
  f.check(status, "reading the HDU type failed");
  if (s.type != IMAGE_HDU) return s;
  int naxis = 0;
  fits_get_img_dim(f.get(), &naxis, &status);
  f.check(status, "reading NAXIS failed");
  s.naxes.assign(static_cast<std::size_t>(naxis), 0);
  if (naxis > 0) fits_get_img_size(f.get(), naxis, s.naxes.data(), &status);
  f.check(status, "reading the image size failed");
  return s;
}

/// A 2-D image, trailing axes of length 1 allowed (NAXIS = 3 with NAXIS3 = 1 is common).
bool is_2d_image(const HduShape& s) {
  if (s.type != IMAGE_HDU || s.naxes.size() < 2 || s.naxes[0] <= 0 || s.naxes[1] <= 0) return false;
  return std::all_of(s.naxes.begin() + 2, s.naxes.end(), [](long n) { return n == 1; });
}

std::string describe(const HduShape& s) {
  if (s.type == BINARY_TBL) return "a binary table";
  if (s.type == ASCII_TBL) return "an ASCII table";
  if (s.naxes.empty()) return "an image HDU without data (NAXIS = 0)";
  std::string dims;
  for (std::size_t k = 0; k < s.naxes.size(); ++k) dims += (k ? " x " : "") + std::to_string(s.naxes[k]);
  return "a " + std::to_string(s.naxes.size()) + "-D image (NAXIS = " + std::to_string(s.naxes.size()) +
         ", " + dims + ")";
}

/// Every card of the current HDU as (key, value text). For a tile-compressed image, the header of
/// the uncompressed image (cfitsio's fits_convert_hdr2str). Strings are unquoted, long strings
/// (CONTINUE cards) joined, commentary cards (COMMENT, HISTORY, blank key) give their text;
/// blank cards and END are left out.
std::vector<std::pair<std::string, std::string>> read_header(const FitsFile& f) {
  char* raw = nullptr;
  int nkeys = 0, status = 0;
  fits_convert_hdr2str(f.get(), 0, nullptr, 0, &raw, &nkeys, &status);
  std::unique_ptr<char, void (*)(char*)> hold(raw, [](char* p) {
    int s = 0;
    if (p != nullptr) fits_free_memory(p, &s);
  });
  f.check(status, "reading the header failed");

  std::vector<std::pair<std::string, std::string>> header;
  bool continues = false;  // the last string value ended with '&' (long-string convention)
  for (int k = 0; k < nkeys; ++k) {
    std::array<char, kCard + 1> card{};
    std::copy_n(raw + static_cast<std::size_t>(k) * kCard, kCard, card.data());
    const std::string text(card.data());
    if (text.compare(0, 8, "END     ") == 0) break;
    if (trim(text).empty()) continue;
    if (continues && text.compare(0, 8, "CONTINUE") == 0) {
      std::string& value = header.back().second;
      value.pop_back();  // the '&'
      const std::string more = unquote(text.substr(8));
      value += more;
      continues = !more.empty() && more.back() == '&';
      continue;
    }
    char name[FLEN_KEYWORD] = {}, value[FLEN_VALUE] = {}, comment[FLEN_COMMENT] = {};
    int len = 0, s = 0;
    fits_write_errmark();
    fits_get_keyname(card.data(), name, &len, &s);
    fits_parse_value(card.data(), value, comment, &s);
    fits_clear_errmark();
    if (s != 0) {  // a card cfitsio cannot parse (e.g. a string without its closing quote): raw text
      header.emplace_back(trim(text.substr(0, 8)), trim(text.substr(std::min<std::size_t>(10, text.size()))));
      continues = false;
      continue;
    }
    const std::string v = trim(value);
    std::string entry;
    if (v.empty())
      entry = trim_right(comment);  // commentary card, or a key without a value
    else if (v.front() == '\'')
      entry = unquote(v);
    else
      entry = v;
    continues = !v.empty() && v.front() == '\'' && !entry.empty() && entry.back() == '&';
    header.emplace_back(name, std::move(entry));
  }
  // cfitsio presents a tile-compressed extension as a primary array; it is an image extension.
  if (f.current_hdu() > 0 && !header.empty() && header.front().first == "SIMPLE")
    header.front() = {"XTENSION", "IMAGE"};
  return header;
}

FitsImage read_current(const FitsFile& f) {
  const HduShape s = shape_of(f);
  if (!is_2d_image(s)) f.fail("not a 2-D image: it is " + describe(s));
  FitsImage img;
  img.hdu = f.current_hdu();
  int status = 0;
  fits_get_img_type(f.get(), &img.bitpix, &status);
  f.check(status, "reading BITPIX failed");
  const long nx = s.naxes[0], ny = s.naxes[1];
  img.data.resize(ny, nx);
  // Null checking (nulval = NaN) turns BLANK integers and the ZBLANK pixels of tile-compressed
  // images into NaN, but cfitsio's check also maps +-inf to NaN and float denormals to 0. Plain
  // floating-point images need no check (NaN stays NaN), so they are converted untouched.
  const bool compressed = fits_is_compressed_image(f.get(), &status) != 0;
  double nulval = (img.bitpix < 0 && !compressed) ? 0.0 : std::numeric_limits<double>::quiet_NaN();
  int anynul = 0;
  fits_read_img(f.get(), TDOUBLE, 1, static_cast<LONGLONG>(nx) * ny, &nulval, img.data.data(), &anynul, &status);
  f.check(status, "reading the " + std::to_string(nx) + " x " + std::to_string(ny) +
                      " pixels failed (truncated or damaged file?)");
  img.num_nan = static_cast<long long>(img.data.isNaN().count());
  img.header = read_header(f);
  if (const auto name = img.card("EXTNAME")) img.extname = *name;
  return img;
}

// ---------------------------------------------------------------------------------------------
// Writing

/// Removes a file on destruction unless released: a failed write leaves nothing behind.
class TempFileGuard {
 public:
  explicit TempFileGuard(fs::path p) : path_(std::move(p)) {}
  TempFileGuard(const TempFileGuard&) = delete;
  TempFileGuard& operator=(const TempFileGuard&) = delete;
  ~TempFileGuard() {
    if (!released_) {
      std::error_code ec;
      fs::remove(path_, ec);
    }
  }
  void release() { released_ = true; }

 private:
  fs::path path_;
  bool released_ = false;
};

std::string random_tag() {
  std::random_device rd;
  const unsigned long long v = (static_cast<unsigned long long>(rd()) << 32) ^ rd();
  char buf[17];
  std::snprintf(buf, sizeof buf, "%016llx", v);
  return buf;
}

/// Shortest text that reads back as exactly `v` (C++17 to_chars), in FITS form: upper-case
/// exponent, and always a '.' or exponent so that readers take it as a real.
std::string format_real(double v) {
  char buf[32];
  const auto res = std::to_chars(buf, buf + sizeof buf, v);
  std::string s = upper(std::string(buf, res.ptr));
  if (s.find_first_of(".E") == std::string::npos) s += ".0";
  return s;
}

/// A string value in quotes, quotes doubled, padded to at least 8 characters (FITS 4.2.1.1).
std::string quote(const std::string& s) {
  std::string q = "'";
  for (char c : s) q += (c == '\'') ? std::string("''") : std::string(1, c);
  if (s.size() < 8) q.append(8 - s.size(), ' ');
  return q + "'";
}

/// A standard keyword: 1 to 8 characters of A-Z, 0-9, '-' and '_'.
bool is_standard_key(const std::string& key) {
  return !key.empty() && key.size() <= 8 && std::all_of(key.begin(), key.end(), [](char c) {
    return (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '_';
  });
}

/// cfitsio upper-cases every keyword name it writes, HIERARCH names included. A HIERARCH name
/// with lower case is restored after the file is closed by overwriting its bytes in place (same
/// length, so nothing moves).
struct KeyCasePatch {
  LONGLONG offset;  ///< byte offset of the name in the file
  std::string name;
};

void restore_key_case(const fs::path& file, const std::vector<KeyCasePatch>& patches, const std::string& display) {
  if (patches.empty()) return;
  std::fstream io(file, std::ios::in | std::ios::out | std::ios::binary);
  for (const KeyCasePatch& p : patches) {
    std::string written(p.name.size(), '\0');
    io.seekg(p.offset);
    io.read(written.data(), static_cast<std::streamsize>(written.size()));
    if (!io || written != upper(p.name))
      throw IoError("'" + display + "': restoring the case of HIERARCH key '" + p.name + "' failed");
    io.seekp(p.offset);
    io.write(p.name.data(), static_cast<std::streamsize>(p.name.size()));
  }
  io.flush();
  if (!io) throw IoError("'" + display + "': restoring the case of HIERARCH keys failed");
}

class HduWriter {
 public:
  HduWriter(FitsFile& f, std::size_t index, std::vector<KeyCasePatch>& patches)
      : f_(f), index_(index), patches_(patches) {}

  [[noreturn]] void fail(const std::string& what) const {
    throw IoError("'" + f_.display_path() + "': HDU " + std::to_string(index_) + ": " + what);
  }
  void check(int status, const std::string& what) const {
    if (status != 0) fail(what + ": " + detail::cfitsio_error_text(status));
  }

  /// Writes `KEY = value / comment` (standard key, fixed format) or
  /// `HIERARCH key = value / comment` (case and spaces of the key kept). The comment is cut at
  /// column 80 as cfitsio does; a key and value that do not fit in one card are an error.
  void put(const std::string& key, bool hierarch, const std::string& value, bool is_string,
           const std::string& comment) {
    std::string card;
    if (hierarch) {
      card = "HIERARCH " + key + " = " + value;
    } else {
      card = key + std::string(8 - key.size(), ' ') + "= ";
      card += (is_string || value.size() >= 20) ? value : std::string(20 - value.size(), ' ') + value;
    }
    if (card.size() > kCard)
      fail("card '" + key + "' does not fit in one 80-character header card (" + std::to_string(card.size()) +
           " characters without its comment)");
    if (!comment.empty() && card.size() + 3 < kCard) card = (card + " / " + comment).substr(0, kCard);
    int status = 0;
    fits_write_record(f_.get(), card.c_str(), &status);
    check(status, "writing card '" + key + "' failed");
    if (hierarch && key != upper(key)) {
      LONGLONG headstart = 0, datastart = 0, dataend = 0;
      int nexist = 0, position = 0;
      fits_get_hduaddrll(f_.get(), &headstart, &datastart, &dataend, &status);
      fits_get_hdrpos(f_.get(), &nexist, &position, &status);
      check(status, "locating card '" + key + "' failed");
      // The card just written is the last of the header; its name follows "HIERARCH ".
      patches_.push_back({headstart + static_cast<LONGLONG>(nexist - 1) * static_cast<LONGLONG>(kCard) + 9, key});
    }
  }

  void put_real(const std::string& key, double v, const std::string& comment) {
    put(key, false, format_real(v), false, comment);
  }
  void put_string(const std::string& key, const std::string& v, const std::string& comment) {
    put(key, false, quote(v), true, comment);
  }

  void image(const FitsImageHdu& hdu) {
    const bool u16 = hdu.data_u16.size() > 0;
    if (u16 && hdu.data.size() > 0) fail("both float and uint16 pixels given: give one of data and data_u16");
    const Eigen::Index rows = u16 ? hdu.data_u16.rows() : hdu.data.rows();
    const Eigen::Index cols = u16 ? hdu.data_u16.cols() : hdu.data.cols();
    if (rows == 0 || cols == 0)
      fail("empty image (" + std::to_string(rows) + " x " + std::to_string(cols) + "): nothing to write");
    if (hdu.planes < 1 || hdu.planes > rows || rows % hdu.planes != 0)
      fail("planes = " + std::to_string(hdu.planes) + ": must be in [1, " + std::to_string(rows) +
           "] and divide the " + std::to_string(rows) + " rows");
    const Eigen::Index plane_rows = rows / hdu.planes;
    long naxes[3] = {static_cast<long>(cols), static_cast<long>(plane_rows), static_cast<long>(hdu.planes)};
    int status = 0;
    fits_create_img(f_.get(), u16 ? USHORT_IMG : FLOAT_IMG, hdu.planes > 1 ? 3 : 2, naxes, &status);
    check(status, "creating the image HDU failed");
    if (!hdu.extname.empty()) {
      if (!printable_ascii(hdu.extname)) fail("EXTNAME '" + hdu.extname + "' has characters FITS does not allow");
      put_string("EXTNAME", hdu.extname, "name of this HDU");
    }
    if (hdu.wcs) wcs(*hdu.wcs, cols, plane_rows);
    fits_write_date(f_.get(), &status);
    check(status, "writing DATE failed");
    put_string("ORIGIN", "lensforge", "written by lensforge " LENSFORGE_VERSION);

    std::set<std::string> used;
    for (const FitsCard& c : hdu.cards) card(c, hdu.wcs.has_value(), used);

    const auto n = static_cast<LONGLONG>(rows * cols);
    if (u16)
      fits_write_img(f_.get(), TUSHORT, 1, n, const_cast<std::uint16_t*>(hdu.data_u16.data()), &status);
    else
      fits_write_img(f_.get(), TFLOAT, 1, n, const_cast<float*>(hdu.data.data()), &status);
    check(status, "writing the " + std::to_string(cols) + " x " + std::to_string(rows) + " pixels failed");
  }

 private:
  /// TAN projection centred on the image: CRPIX at the centre in FITS 1-based pixels, RA growing
  /// to the left (CD1_1 < 0), north up.
  void wcs(const FitsWcs& w, Eigen::Index nx, Eigen::Index ny) {
    if (!(std::isfinite(w.pixel_scale_arcsec) && w.pixel_scale_arcsec > 0))
      fail("WCS pixel_scale_arcsec = " + std::to_string(w.pixel_scale_arcsec) + " must be finite and > 0");
    if (!std::isfinite(w.ra_deg)) fail("WCS ra_deg = " + std::to_string(w.ra_deg) + " must be finite");
    if (!(w.dec_deg >= -90.0 && w.dec_deg <= 90.0))
      fail("WCS dec_deg = " + std::to_string(w.dec_deg) + " must be in [-90, 90]");
    const double cd = w.pixel_scale_arcsec / 3600.0;
    put_string("CTYPE1", "RA---TAN", "gnomonic projection, right ascension");
    put_string("CTYPE2", "DEC--TAN", "gnomonic projection, declination");
    put_real("CRPIX1", (static_cast<double>(nx) + 1.0) / 2.0, "reference pixel: image centre (1-based)");
    put_real("CRPIX2", (static_cast<double>(ny) + 1.0) / 2.0, "reference pixel: image centre (1-based)");
    put_real("CRVAL1", w.ra_deg, "[deg] right ascension at the reference pixel");
    put_real("CRVAL2", w.dec_deg, "[deg] declination at the reference pixel");
    put_real("CD1_1", -cd, "[deg/pixel] RA grows to the left");
    put_real("CD1_2", 0.0, "[deg/pixel]");
    put_real("CD2_1", 0.0, "[deg/pixel]");
    put_real("CD2_2", cd, "[deg/pixel]");
    put_string("CUNIT1", "deg", "unit of CRVAL1 and CD1_*");
    put_string("CUNIT2", "deg", "unit of CRVAL2 and CD2_*");
    put_string("RADESYS", "ICRS", "reference frame");
  }

  static bool reserved(const std::string& ukey, bool has_wcs) {
    static const std::set<std::string> structural = {"SIMPLE", "XTENSION", "BITPIX", "NAXIS",  "EXTEND",
                                                     "PCOUNT", "GCOUNT",   "END",    "EXTNAME", "BSCALE",
                                                     "BZERO",  "BLANK",    "DATE",   "ORIGIN",  "CONTINUE"};
    static const std::set<std::string> wcs_keys = {"CTYPE1", "CTYPE2", "CRPIX1", "CRPIX2", "CRVAL1",
                                                   "CRVAL2", "CD1_1",  "CD1_2",  "CD2_1",  "CD2_2",
                                                   "CUNIT1", "CUNIT2", "RADESYS"};
    if (structural.count(ukey) || (has_wcs && wcs_keys.count(ukey))) return true;
    return ukey.size() > 5 && ukey.compare(0, 5, "NAXIS") == 0 &&
           std::all_of(ukey.begin() + 5, ukey.end(), [](char c) { return c >= '0' && c <= '9'; });
  }

  void card(const FitsCard& c, bool has_wcs, std::set<std::string>& used) {
    std::string key = c.key;
    bool hierarch = false;
    if (key.size() > 9 && equal_ci(key.substr(0, 9), "HIERARCH ")) {
      key = trim(key.substr(9));
      hierarch = true;
    }
    if (key.empty()) fail("a card has an empty key");
    if (!is_standard_key(key)) hierarch = true;
    if (hierarch && (!printable_ascii(key) || key.find('=') != std::string::npos || trim(key) != key))
      fail("card key '" + key + "' is not valid: HIERARCH keys must be printable ASCII without '=' or " +
           "leading/trailing blanks");
    const std::string ukey = upper(key);
    const auto* text = std::get_if<std::string>(&c.value);
    if (text && !printable_ascii(*text))
      fail("card '" + key + "' has a string value with characters FITS does not allow (printable ASCII only)");
    if (!hierarch && (ukey == "COMMENT" || ukey == "HISTORY")) {
      if (!text) fail("card '" + key + "' must have a string value");
      int status = 0;
      (ukey == "COMMENT" ? fits_write_comment : fits_write_history)(f_.get(), text->c_str(), &status);
      check(status, "writing " + ukey + " failed");
      return;
    }
    if (reserved(ukey, has_wcs)) fail("card '" + key + "' is written by write_fits itself");
    if (!used.insert(ukey).second) fail("card '" + key + "' is given twice");

    if (text && !hierarch && quote(*text).size() > kCard - 10) {  // long-string convention: CONTINUE cards
      int status = 0;
      fits_write_key_longstr(f_.get(), key.c_str(), text->c_str(), c.comment.c_str(), &status);
      check(status, "writing card '" + key + "' failed");
      return;
    }
    std::string value;
    if (const auto* b = std::get_if<bool>(&c.value)) value = *b ? "T" : "F";
    if (const auto* i = std::get_if<long long>(&c.value)) value = std::to_string(*i);
    if (const auto* d = std::get_if<double>(&c.value)) {
      if (!std::isfinite(*d)) fail("card '" + key + "' = " + std::to_string(*d) + ": FITS headers need finite numbers");
      value = format_real(*d);
    }
    if (text) value = quote(*text);
    put(key, hierarch, value, text != nullptr, c.comment);
  }

  FitsFile& f_;
  std::size_t index_;
  std::vector<KeyCasePatch>& patches_;
};

/// Flushes a finished file to disk so that the rename never publishes an incomplete one.
void sync_to_disk(const fs::path& p, const std::string& display) {
  const int fd = ::open(p.c_str(), O_RDONLY);
  if (fd < 0 || ::fsync(fd) != 0) {
    if (fd >= 0) ::close(fd);
    throw IoError("'" + display + "': flushing the written file to disk failed");
  }
  ::close(fd);
}

}  // namespace

// ---------------------------------------------------------------------------------------------

std::optional<std::string> FitsImage::card(const std::string& key) const {
  std::string k = trim(key);
  if (k.size() > 9 && equal_ci(k.substr(0, 9), "HIERARCH ")) k = trim(k.substr(9));
  for (const auto& [name, value] : header)
    if (name == k) return value;
  for (const auto& [name, value] : header)
    if (equal_ci(name, k)) return value;
  return std::nullopt;
}

std::optional<double> FitsImage::pixel_scale_arcsec() const {
  auto num = [this](const char* key) -> std::optional<double> {
    const auto v = card(key);
    return v ? to_double(*v) : std::nullopt;
  };
  if (const auto p = num("PIXSCALE"); p && *p > 0) return *p;
  const auto cd11 = num("CD1_1"), cd12 = num("CD1_2"), cd21 = num("CD2_1"), cd22 = num("CD2_2");
  if (cd11 || cd12 || cd21 || cd22) {
    const double det = cd11.value_or(0) * cd22.value_or(0) - cd12.value_or(0) * cd21.value_or(0);
    if (det != 0) return std::sqrt(std::abs(det)) * 3600.0;
  }
  const auto d1 = num("CDELT1"), d2 = num("CDELT2");
  if (d1 && d2) {
    const double pc = num("PC1_1").value_or(1) * num("PC2_2").value_or(1) -
                      num("PC1_2").value_or(0) * num("PC2_1").value_or(0);
    const double det = *d1 * *d2 * pc;
    if (det != 0) return std::sqrt(std::abs(det)) * 3600.0;
  }
  return std::nullopt;
}

void write_fits(const std::string& path, const std::vector<FitsImageHdu>& hdus) {
  if (hdus.empty()) throw IoError("cannot write FITS file '" + path + "': no HDUs given");
  const fs::path target(path);
  if (!target.has_filename()) throw IoError("cannot write FITS file '" + path + "': not a file name");
  fs::path dir = target.parent_path();
  if (dir.empty()) dir = ".";
  std::error_code ec;
  if (!fs::is_directory(dir, ec))
    throw IoError("cannot write FITS file '" + path + "': folder '" + dir.string() + "' does not exist");
  if (fs::is_directory(target, ec)) throw IoError("cannot write FITS file '" + path + "': it is a folder");

  // Hidden temporary in the same folder (same file system: the rename is atomic).
  const fs::path temp = dir / ("." + target.filename().string() + ".tmp-" + random_tag());
  TempFileGuard guard(temp);
  std::vector<KeyCasePatch> patches;
  {
    FitsFile f = FitsFile::create(temp.string(), path);
    for (std::size_t k = 0; k < hdus.size(); ++k) HduWriter(f, k, patches).image(hdus[k]);
    f.close();
  }
  restore_key_case(temp, patches, path);
  sync_to_disk(temp, path);
  fs::rename(temp, target, ec);
  if (ec)
    throw IoError("cannot write FITS file '" + path + "': renaming the temporary file '" + temp.string() +
                  "' failed: " + ec.message());
  guard.release();
}

FitsImage read_fits_image(const std::string& path, int hdu) {
  FitsFile f = FitsFile::open_read(path);
  if (hdu >= 0) {
    f.move_to(hdu);
    return read_current(f);
  }
  std::string seen;
  for (int k = 0; f.try_move_to(k); ++k) {
    const HduShape s = shape_of(f);
    if (is_2d_image(s)) return read_current(f);
    seen += (k ? "; " : "") + std::to_string(k) + ": " + describe(s);
  }
  throw IoError("'" + path + "': no HDU holds a 2-D image (" + seen + ")");
}

FitsImage read_fits_image(const std::string& path, const std::string& extname) {
  FitsFile f = FitsFile::open_read(path);
  std::string seen;
  for (int k = 0; f.try_move_to(k); ++k) {
    const std::string name = f.extname();
    if (equal_ci(name, trim_right(extname))) return read_current(f);
    seen += (k ? ", " : "") + std::to_string(k) + " '" + name + "'";
  }
  throw IoError("'" + path + "': no HDU has EXTNAME '" + extname + "' (HDUs: " + seen + ")");
}

std::vector<std::string> fits_hdu_names(const std::string& path) {
  FitsFile f = FitsFile::open_read(path);
  std::vector<std::string> names;
  for (int k = 0; f.try_move_to(k); ++k) names.push_back(f.extname());
  return names;
}

}  // namespace lensforge
