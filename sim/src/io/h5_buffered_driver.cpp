#include "h5_buffered_driver.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <string>
#include <type_traits>

namespace lensforge::detail {
namespace {

constexpr haddr_t kMaxAddr = haddr_t(std::numeric_limits<off_t>::max());

/// An open file. `pub` must come first: HDF5 hands the driver a pointer to it.
struct BufferedFile {
  H5FD_t pub;
  int fd;
  dev_t device;
  ino_t inode;
  haddr_t eoa;       // end of the address space HDF5 has allocated
  haddr_t eof;       // end of the file, buffered bytes included
  char* buffer;      // kWriteBufferBytes
  haddr_t buf_addr;  // file address of buffer[0]
  std::size_t buf_len;
};
static_assert(std::is_standard_layout_v<BufferedFile>);

BufferedFile* self(H5FD_t* f) { return reinterpret_cast<BufferedFile*>(f); }
const BufferedFile* self(const H5FD_t* f) { return reinterpret_cast<const BufferedFile*>(f); }

/// Pushes an error of the driver onto HDF5's error stack (read back by h5_error_text).
template <class... Args>
herr_t fail(const char* func, hid_t minor, const char* format, Args... args) {
  H5Epush2(H5E_DEFAULT, __FILE__, func, __LINE__, H5E_ERR_CLS, H5E_VFL, minor, format, args...);
  return -1;
}

herr_t fail_errno(const char* func, hid_t minor, const char* what, int err) {
  return fail(func, minor, "%s, errno = %d, error message = '%s'", what, err, std::strerror(err));
}

bool region_overflows(haddr_t addr, std::size_t size) {
  return addr == HADDR_UNDEF || addr > kMaxAddr || size > kMaxAddr || addr + size > kMaxAddr;
}

herr_t write_all(int fd, const char* data, std::size_t size, haddr_t addr) {
  while (size > 0) {
    const ssize_t n = ::pwrite(fd, data, std::min(size, std::size_t(1) << 30), off_t(addr));
    if (n < 0) {
      if (errno == EINTR) continue;
      return fail_errno(__func__, H5E_WRITEERROR, "file write failed", errno);
    }
    data += n;
    size -= std::size_t(n);
    addr += haddr_t(n);
  }
  return 0;
}

/// Hands the buffered bytes to the kernel.
herr_t write_out(BufferedFile* f) {
  if (f->buf_len == 0) return 0;
  if (write_all(f->fd, f->buffer, f->buf_len, f->buf_addr) < 0) return -1;
  f->buf_len = 0;
  return 0;
}

H5FD_t* open_file(const char* name, unsigned flags, hid_t, haddr_t maxaddr) {
  if (!name || !*name) {
    fail(__func__, H5E_BADVALUE, "invalid file name");
    return nullptr;
  }
  if (maxaddr == 0 || maxaddr == HADDR_UNDEF || maxaddr > kMaxAddr) {
    fail(__func__, H5E_OVERFLOW, "bogus maxaddr");
    return nullptr;
  }
  int o_flags = (flags & H5F_ACC_RDWR) ? O_RDWR : O_RDONLY;
  if (flags & H5F_ACC_TRUNC) o_flags |= O_TRUNC;
  if (flags & H5F_ACC_CREAT) o_flags |= O_CREAT;
  if (flags & H5F_ACC_EXCL) o_flags |= O_EXCL;
  const int fd = ::open(name, o_flags | O_CLOEXEC, 0666);
  if (fd < 0) {
    const int err = errno;
    fail(__func__, H5E_CANTOPENFILE, "unable to open file: name = '%s', errno = %d, error message = '%s'", name, err,
         std::strerror(err));
    return nullptr;
  }
  struct stat sb {};
  if (::fstat(fd, &sb) < 0) {
    fail_errno(__func__, H5E_BADFILE, "unable to fstat file", errno);
    ::close(fd);
    return nullptr;
  }
  auto* f = static_cast<BufferedFile*>(std::calloc(1, sizeof(BufferedFile)));
  char* buffer = static_cast<char*>(std::malloc(kWriteBufferBytes));
  if (!f || !buffer) {
    std::free(f);
    std::free(buffer);
    ::close(fd);
    fail(__func__, H5E_NOSPACE, "unable to allocate the write buffer");
    return nullptr;
  }
  f->fd = fd;
  f->device = sb.st_dev;
  f->inode = sb.st_ino;
  f->eof = haddr_t(sb.st_size);
  f->buffer = buffer;
  return &f->pub;
}

herr_t close_file(H5FD_t* file) {
  BufferedFile* f = self(file);
  herr_t status = write_out(f);
  if (::close(f->fd) < 0 && status >= 0) status = fail_errno(__func__, H5E_CANTCLOSEFILE, "unable to close file", errno);
  std::free(f->buffer);
  std::free(f);
  return status;
}

int compare(const H5FD_t* a, const H5FD_t* b) {
  const BufferedFile *fa = self(a), *fb = self(b);
  if (fa->device != fb->device) return fa->device < fb->device ? -1 : 1;
  if (fa->inode != fb->inode) return fa->inode < fb->inode ? -1 : 1;
  return 0;
}

herr_t query(const H5FD_t*, unsigned long* flags) {
  // sec2's features, so that HDF5 allocates and writes the file exactly as with sec2.
  if (flags)
    *flags = H5FD_FEAT_AGGREGATE_METADATA | H5FD_FEAT_ACCUMULATE_METADATA | H5FD_FEAT_DATA_SIEVE |
             H5FD_FEAT_AGGREGATE_SMALLDATA | H5FD_FEAT_DEFAULT_VFD_COMPATIBLE;
  return 0;
}

haddr_t get_eoa(const H5FD_t* file, H5FD_mem_t) { return self(file)->eoa; }

herr_t set_eoa(H5FD_t* file, H5FD_mem_t, haddr_t addr) {
  self(file)->eoa = addr;
  return 0;
}

haddr_t get_eof(const H5FD_t* file, H5FD_mem_t) { return self(file)->eof; }

herr_t get_handle(H5FD_t* file, hid_t, void** handle) {
  if (!handle) return fail(__func__, H5E_BADVALUE, "file handle not valid");
  *handle = &self(file)->fd;
  return 0;
}

herr_t read_file(H5FD_t* file, H5FD_mem_t, hid_t, haddr_t addr, std::size_t size, void* out) {
  BufferedFile* f = self(file);
  if (region_overflows(addr, size)) return fail(__func__, H5E_OVERFLOW, "read at %llu of %zu bytes overflows",
                                                static_cast<unsigned long long>(addr), size);
  char* dst = static_cast<char*>(out);
  if (f->buf_len > 0) {
    const haddr_t buf_end = f->buf_addr + f->buf_len;
    if (addr >= f->buf_addr && addr + size <= buf_end) {
      std::memcpy(dst, f->buffer + (addr - f->buf_addr), size);
      return 0;
    }
    if (addr < buf_end && addr + size > f->buf_addr && write_out(f) < 0) return -1;
  }
  while (size > 0) {
    const ssize_t n = ::pread(f->fd, dst, std::min(size, std::size_t(1) << 30), off_t(addr));
    if (n < 0) {
      if (errno == EINTR) continue;
      return fail_errno(__func__, H5E_READERROR, "file read failed", errno);
    }
    if (n == 0) {  // past the end of the file: zeros, as sec2 reads
      std::memset(dst, 0, size);
      break;
    }
    dst += n;
    size -= std::size_t(n);
    addr += haddr_t(n);
  }
  return 0;
}

herr_t write_file(H5FD_t* file, H5FD_mem_t, hid_t, haddr_t addr, std::size_t size, const void* in) {
  BufferedFile* f = self(file);
  if (region_overflows(addr, size)) return fail(__func__, H5E_OVERFLOW, "write at %llu of %zu bytes overflows",
                                                static_cast<unsigned long long>(addr), size);
  const char* src = static_cast<const char*>(in);
  const haddr_t buf_end = f->buf_addr + f->buf_len;
  if (f->buf_len > 0 && addr >= f->buf_addr && addr + size <= buf_end) {
    std::memcpy(f->buffer + (addr - f->buf_addr), src, size);  // rewrites buffered bytes
  } else if (f->buf_len > 0 && addr == buf_end && f->buf_len + size <= kWriteBufferBytes) {
    std::memcpy(f->buffer + f->buf_len, src, size);  // continues the buffer
    f->buf_len += size;
  } else {
    // Anything else starts anew, after the buffered bytes: the kernel sees the writes in order.
    if (write_out(f) < 0) return -1;
    if (size >= kWriteBufferBytes) {
      if (write_all(f->fd, src, size, addr) < 0) return -1;
    } else {
      std::memcpy(f->buffer, src, size);
      f->buf_addr = addr;
      f->buf_len = size;
    }
  }
  f->eof = std::max(f->eof, addr + size);
  return 0;
}

herr_t flush_file(H5FD_t* file, hid_t, hbool_t closing) {
  BufferedFile* f = self(file);
  if (write_out(f) < 0) return -1;
  // Start writing the file back to disk without waiting (a hint: errors surface at fsync).
  if (!closing) ::sync_file_range(f->fd, 0, 0, SYNC_FILE_RANGE_WRITE);
  return 0;
}

herr_t truncate_file(H5FD_t* file, hid_t, hbool_t) {
  BufferedFile* f = self(file);
  if (write_out(f) < 0) return -1;
  if (f->eoa != f->eof) {
    if (::ftruncate(f->fd, off_t(f->eoa)) < 0)
      return fail_errno(__func__, H5E_SEEKERROR, "unable to extend file properly", errno);
    f->eof = f->eoa;
  }
  return 0;
}

herr_t lock_file(H5FD_t* file, hbool_t rw) {
  if (::flock(self(file)->fd, (rw ? LOCK_EX : LOCK_SH) | LOCK_NB) < 0) {
    const int err = errno;
    if (err == ENOSYS) return 0;  // the file system has no locks: best effort, as sec2
    return fail_errno(__func__, H5E_CANTLOCKFILE, "unable to lock file", err);
  }
  return 0;
}

herr_t unlock_file(H5FD_t* file) {
  if (::flock(self(file)->fd, LOCK_UN) < 0) {
    const int err = errno;
    if (err == ENOSYS) return 0;
    return fail_errno(__func__, H5E_CANTUNLOCKFILE, "unable to unlock file", err);
  }
  return 0;
}

const H5FD_class_t kDriverClass = {
    "lensforge_buffered",  // name
    kMaxAddr,              // maxaddr
    H5F_CLOSE_WEAK,        // fc_degree
    nullptr,               // terminate
    nullptr,               // sb_size: no driver information in the superblock
    nullptr,               // sb_encode
    nullptr,               // sb_decode
    0,                     // fapl_size
    nullptr,               // fapl_get
    nullptr,               // fapl_copy
    nullptr,               // fapl_free
    0,                     // dxpl_size
    nullptr,               // dxpl_copy
    nullptr,               // dxpl_free
    open_file,
    close_file,
    compare,
    query,
    nullptr,  // get_type_map
    nullptr,  // alloc
    nullptr,  // free
    get_eoa,
    set_eoa,
    get_eof,
    get_handle,
    read_file,
    write_file,
    flush_file,
    truncate_file,
    lock_file,
    unlock_file,
    H5FD_FLMAP_DICHOTOMY,
};

}  // namespace

H5BufferedDriver::H5BufferedDriver(const H5Context& c)
    : id_(c.id(H5FDregister(&kDriverClass), "cannot register the HDF5 file driver")) {}

H5Plist H5BufferedDriver::file_access(const H5Context& c) const {
  const std::string what = "cannot make a file access property list";
  H5Plist fapl(c.id(H5Pcreate(H5P_FILE_ACCESS), what));
  c.ok(H5Pset_driver(fapl.get(), id_.get(), nullptr), what);
  return fapl;
}

}  // namespace lensforge::detail
