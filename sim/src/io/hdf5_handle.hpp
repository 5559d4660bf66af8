#pragma once
// Internal: owning wrappers of HDF5 identifiers (one per kind, each closed with its own H5?close),
// scoped silencing of HDF5's automatic error printing with the error stack turned into IoError
// messages, and attribute helpers. Uses the HDF5 1.10 C API.
#include <hdf5.h>

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace lensforge::detail {

/// Owns one HDF5 identifier and closes it with `Close` (errors while closing are ignored; call
/// close() to see them).
template <herr_t (*Close)(hid_t)>
class H5Handle {
 public:
  H5Handle() = default;
  explicit H5Handle(hid_t id) : id_(id) {}
  H5Handle(H5Handle&& o) noexcept : id_(std::exchange(o.id_, H5I_INVALID_HID)) {}
  H5Handle& operator=(H5Handle&& o) noexcept {
    if (this != &o) {
      reset();
      id_ = std::exchange(o.id_, H5I_INVALID_HID);
    }
    return *this;
  }
  H5Handle(const H5Handle&) = delete;
  H5Handle& operator=(const H5Handle&) = delete;
  ~H5Handle() { reset(); }

  hid_t get() const { return id_; }
  bool valid() const { return id_ >= 0; }
  /// Closes now; returns Close's status (0 also when there was nothing to close).
  herr_t close() {
    if (id_ < 0) return 0;
    return Close(std::exchange(id_, H5I_INVALID_HID));
  }
  void reset() { close(); }

 private:
  hid_t id_ = H5I_INVALID_HID;
};

using H5File = H5Handle<H5Fclose>;
using H5Group = H5Handle<H5Gclose>;
using H5Dataset = H5Handle<H5Dclose>;
using H5Space = H5Handle<H5Sclose>;
using H5Type = H5Handle<H5Tclose>;
using H5Plist = H5Handle<H5Pclose>;
using H5Attr = H5Handle<H5Aclose>;

/// While alive, HDF5 prints no error stacks on this thread (H5Eset_auto2 is per thread in a
/// thread-safe HDF5); restores the previous setting on destruction.
class H5ErrorSilencer {
 public:
  H5ErrorSilencer();
  ~H5ErrorSilencer();
  H5ErrorSilencer(const H5ErrorSilencer&) = delete;
  H5ErrorSilencer& operator=(const H5ErrorSilencer&) = delete;

 private:
  H5E_auto2_t func_ = nullptr;
  void* data_ = nullptr;
};

/// The current thread's HDF5 error stack as one line: the outermost message and, when different,
/// the innermost one (the cause) in parentheses. Clears the stack.
std::string h5_error_text();

/// Error reporting for one file: every message starts with "'<path>': ".
class H5Context {
 public:
  explicit H5Context(std::string path) : path_(std::move(path)) {}
  const std::string& path() const { return path_; }

  /// Throws IoError "'<path>': <what>: <HDF5 error text>".
  [[noreturn]] void fail_h5(const std::string& what) const;
  /// For a failed H5Fopen/H5Fcreate: throws IoError "'<path>': <what>: <HDF5 error text>", then
  /// "; the file is locked by another process (a writer still running?)" when HDF5's file lock
  /// refused it, else "; <if_damaged>" when that is not empty.
  [[noreturn]] void fail_open(const std::string& what, const std::string& if_damaged) const;
  /// Throws IoError "'<path>': <what>" (errors found by lensforge itself).
  [[noreturn]] void fail(const std::string& what) const;
  /// Returns id, or throws via fail_h5 if it is negative.
  hid_t id(hid_t id, const std::string& what) const {
    if (id < 0) fail_h5(what);
    return id;
  }
  void ok(herr_t status, const std::string& what) const {
    if (status < 0) fail_h5(what);
  }

 private:
  std::string path_;
};

// ---- attributes (scalars; strings variable-length UTF-8) ----------------------------------------

bool has_attr(const H5Context& c, hid_t obj, const char* name);
/// Creates or replaces the attribute.
void write_attr(const H5Context& c, hid_t obj, const char* name, std::int64_t v);
void write_attr(const H5Context& c, hid_t obj, const char* name, std::uint64_t v);
void write_attr(const H5Context& c, hid_t obj, const char* name, double v);
void write_attr(const H5Context& c, hid_t obj, const char* name, const std::string& v);
void write_attr(const H5Context& c, hid_t obj, const char* name, const std::vector<std::string>& v);
/// Reads with conversion to the requested type; throws IoError naming `where`/`name` if the
/// attribute is missing or not convertible. Strings may be fixed- or variable-length.
std::int64_t read_attr_i64(const H5Context& c, hid_t obj, const char* name, const std::string& where);
std::uint64_t read_attr_u64(const H5Context& c, hid_t obj, const char* name, const std::string& where);
double read_attr_f64(const H5Context& c, hid_t obj, const char* name, const std::string& where);
std::string read_attr_string(const H5Context& c, hid_t obj, const char* name, const std::string& where);
std::vector<std::string> read_attr_strings(const H5Context& c, hid_t obj, const char* name, const std::string& where);

/// True if `path` (absolute within the file, e.g. "/images/g") names an existing link.
bool has_link(const H5Context& c, hid_t file, const std::string& path);

}  // namespace lensforge::detail
