#include "hdf5_handle.hpp"

#include <algorithm>

#include <fmt/format.h>

#include "lensforge/sim/core/error.hpp"

namespace lensforge::detail {

H5ErrorSilencer::H5ErrorSilencer() {
  H5Eget_auto2(H5E_DEFAULT, &func_, &data_);
  H5Eset_auto2(H5E_DEFAULT, nullptr, nullptr);
}

H5ErrorSilencer::~H5ErrorSilencer() { H5Eset_auto2(H5E_DEFAULT, func_, data_); }

namespace {

herr_t collect_message(unsigned, const H5E_error2_t* e, void* data) {
  auto* msgs = static_cast<std::vector<std::string>*>(data);
  if (e->desc && *e->desc) msgs->emplace_back(e->desc);
  return 0;
}

/// Number of elements of an attribute's dataspace (scalar: 1).
hssize_t attr_points(const H5Context& c, hid_t attr, const std::string& what) {
  H5Space space(c.id(H5Aget_space(attr), what));
  const hssize_t n = H5Sget_simple_extent_npoints(space.get());
  if (n < 0) c.fail_h5(what);
  return n;
}

H5Attr open_attr(const H5Context& c, hid_t obj, const char* name, const std::string& where) {
  if (!has_attr(c, obj, name)) c.fail(fmt::format("{} has no attribute '{}'", where, name));
  return H5Attr(c.id(H5Aopen(obj, name, H5P_DEFAULT), fmt::format("cannot open attribute {}/{}", where, name)));
}

/// Creates attribute `name` on obj (deleting an existing one) and writes `buf` of `mem_type`.
void create_attr(const H5Context& c, hid_t obj, const char* name, hid_t file_type, hid_t space, hid_t mem_type,
                 const void* buf) {
  const std::string what = fmt::format("cannot write attribute '{}'", name);
  if (has_attr(c, obj, name)) c.ok(H5Adelete(obj, name), what);
  H5Attr attr(c.id(H5Acreate2(obj, name, file_type, space, H5P_DEFAULT, H5P_DEFAULT), what));
  c.ok(H5Awrite(attr.get(), mem_type, buf), what);
}

H5Type vlen_string_type(const H5Context& c, H5T_cset_t cset) {
  H5Type t(c.id(H5Tcopy(H5T_C_S1), "cannot make a string type"));
  c.ok(H5Tset_size(t.get(), H5T_VARIABLE), "cannot make a string type");
  c.ok(H5Tset_cset(t.get(), cset), "cannot make a string type");
  return t;
}

template <class T>
T read_number(const H5Context& c, hid_t obj, const char* name, const std::string& where, hid_t mem_type) {
  const H5Attr attr = open_attr(c, obj, name, where);
  const std::string what = fmt::format("cannot read attribute {}/{}", where, name);
  H5Type type(c.id(H5Aget_type(attr.get()), what));
  const H5T_class_t cls = H5Tget_class(type.get());
  if ((cls != H5T_INTEGER && cls != H5T_FLOAT) || attr_points(c, attr.get(), what) != 1)
    c.fail(fmt::format("attribute {}/{} is not a number", where, name));
  T v{};
  c.ok(H5Aread(attr.get(), mem_type, &v), what);
  return v;
}

/// Reads the n strings of a string attribute (fixed or variable length).
std::vector<std::string> read_strings(const H5Context& c, hid_t obj, const char* name, const std::string& where) {
  const H5Attr attr = open_attr(c, obj, name, where);
  const std::string what = fmt::format("cannot read attribute {}/{}", where, name);
  H5Type type(c.id(H5Aget_type(attr.get()), what));
  if (H5Tget_class(type.get()) != H5T_STRING) c.fail(fmt::format("attribute {}/{} is not a string", where, name));
  const auto n = static_cast<std::size_t>(attr_points(c, attr.get(), what));
  std::vector<std::string> out;
  if (n == 0) return out;
  out.reserve(n);
  const htri_t variable = H5Tis_variable_str(type.get());
  if (variable < 0) c.fail_h5(what);
  if (variable) {
    const H5Type mem = vlen_string_type(c, H5Tget_cset(type.get()));
    std::vector<char*> ptrs(n, nullptr);
    c.ok(H5Aread(attr.get(), mem.get(), ptrs.data()), what);
    for (char* p : ptrs) {
      out.emplace_back(p ? p : "");
      H5free_memory(p);
    }
  } else {
    const std::size_t size = H5Tget_size(type.get());
    std::vector<char> buf(n * size);
    c.ok(H5Aread(attr.get(), type.get(), buf.data()), what);
    const bool space_pad = H5Tget_strpad(type.get()) == H5T_STR_SPACEPAD;
    for (std::size_t k = 0; k < n; ++k) {
      std::string s(buf.data() + k * size, size);
      s.erase(std::min(s.find('\0'), s.size()));
      if (space_pad) s.erase(s.find_last_not_of(' ') + 1);
      out.push_back(std::move(s));
    }
  }
  return out;
}

}  // namespace

std::string h5_error_text() {
  std::vector<std::string> msgs;
  H5Ewalk2(H5E_DEFAULT, H5E_WALK_DOWNWARD, collect_message, &msgs);
  H5Eclear2(H5E_DEFAULT);
  if (msgs.empty()) return "HDF5 error";
  if (msgs.size() == 1 || msgs.back() == msgs.front()) return msgs.front();
  return fmt::format("{} ({})", msgs.front(), msgs.back());
}

void H5Context::fail_h5(const std::string& what) const {
  throw IoError(fmt::format("'{}': {}: {}", path_, what, h5_error_text()));
}

void H5Context::fail_open(const std::string& what, const std::string& if_damaged) const {
  const std::string text = h5_error_text();
  std::string msg = fmt::format("'{}': {}: {}", path_, what, text);
  if (text.find("unable to lock file") != std::string::npos)
    msg += "; the file is locked by another process (a writer still running?)";
  else if (!if_damaged.empty())
    msg += "; " + if_damaged;
  throw IoError(msg);
}

void H5Context::fail(const std::string& what) const { throw IoError(fmt::format("'{}': {}", path_, what)); }

bool has_attr(const H5Context& c, hid_t obj, const char* name) {
  const htri_t e = H5Aexists(obj, name);
  if (e < 0) c.fail_h5(fmt::format("cannot look up attribute '{}'", name));
  return e > 0;
}

void write_attr(const H5Context& c, hid_t obj, const char* name, std::int64_t v) {
  H5Space space(c.id(H5Screate(H5S_SCALAR), "cannot make a dataspace"));
  create_attr(c, obj, name, H5T_STD_I64LE, space.get(), H5T_NATIVE_INT64, &v);
}

void write_attr(const H5Context& c, hid_t obj, const char* name, std::uint64_t v) {
  H5Space space(c.id(H5Screate(H5S_SCALAR), "cannot make a dataspace"));
  create_attr(c, obj, name, H5T_STD_U64LE, space.get(), H5T_NATIVE_UINT64, &v);
}

void write_attr(const H5Context& c, hid_t obj, const char* name, double v) {
  H5Space space(c.id(H5Screate(H5S_SCALAR), "cannot make a dataspace"));
  create_attr(c, obj, name, H5T_IEEE_F64LE, space.get(), H5T_NATIVE_DOUBLE, &v);
}

void write_attr(const H5Context& c, hid_t obj, const char* name, const std::string& v) {
  H5Space space(c.id(H5Screate(H5S_SCALAR), "cannot make a dataspace"));
  const H5Type type = vlen_string_type(c, H5T_CSET_UTF8);
  const char* p = v.c_str();
  create_attr(c, obj, name, type.get(), space.get(), type.get(), &p);
}

void write_attr(const H5Context& c, hid_t obj, const char* name, const std::vector<std::string>& v) {
  const hsize_t n = v.size();
  H5Space space(c.id(H5Screate_simple(1, &n, nullptr), "cannot make a dataspace"));
  const H5Type type = vlen_string_type(c, H5T_CSET_UTF8);
  std::vector<const char*> ptrs;
  ptrs.reserve(v.size());
  for (const auto& s : v) ptrs.push_back(s.c_str());
  const char* none = nullptr;  // H5Awrite wants a buffer even for no elements (h5py writes [] so too)
  create_attr(c, obj, name, type.get(), space.get(), type.get(), ptrs.empty() ? &none : ptrs.data());
}

std::int64_t read_attr_i64(const H5Context& c, hid_t obj, const char* name, const std::string& where) {
  return read_number<std::int64_t>(c, obj, name, where, H5T_NATIVE_INT64);
}

std::uint64_t read_attr_u64(const H5Context& c, hid_t obj, const char* name, const std::string& where) {
  return read_number<std::uint64_t>(c, obj, name, where, H5T_NATIVE_UINT64);
}

double read_attr_f64(const H5Context& c, hid_t obj, const char* name, const std::string& where) {
  return read_number<double>(c, obj, name, where, H5T_NATIVE_DOUBLE);
}

std::string read_attr_string(const H5Context& c, hid_t obj, const char* name, const std::string& where) {
  auto v = read_strings(c, obj, name, where);
  if (v.size() != 1) c.fail(fmt::format("attribute {}/{} holds {} strings, expected 1", where, name, v.size()));
  return std::move(v.front());
}

std::vector<std::string> read_attr_strings(const H5Context& c, hid_t obj, const char* name, const std::string& where) {
  return read_strings(c, obj, name, where);
}

bool has_link(const H5Context& c, hid_t file, const std::string& path) {
  // Checks each component so that a missing group is "absent", not an error.
  std::size_t pos = 0;
  while (pos != std::string::npos) {
    pos = path.find('/', pos + 1);
    const std::string prefix = path.substr(0, pos);
    const htri_t e = H5Lexists(file, prefix.c_str(), H5P_DEFAULT);
    if (e < 0) c.fail_h5(fmt::format("cannot look up '{}'", prefix));
    if (e == 0) return false;
  }
  return true;
}

}  // namespace lensforge::detail
