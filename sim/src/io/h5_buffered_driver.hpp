#pragma once
// Internal: an HDF5 file driver (VFD) for writing a data set: POSIX I/O like HDF5's default
// "sec2" driver, plus a write-combining buffer. HDF5 writes every chunk (one image of one plane)
// with its own pwrite, a few KiB each; the kernel's cost per write (page-cache folios sized by
// the write, delayed allocation, writeback) makes such small writes about twice as expensive per
// byte as writes of a MiB. This driver gathers consecutive writes into one buffer of
// kWriteBufferBytes and hands it to the kernel when a write does not continue it, on a read of a
// buffered range, on a flush and on close. The file is byte for byte what sec2 writes (same
// driver features, so the same allocation; no driver information in the superblock), and sec2
// reads it. A flush (H5Fflush) also starts the kernel's write-back of the file to disk without
// waiting for it, so the fsync at the end of a run finds little left to write.
#include <cstddef>

#include "hdf5_handle.hpp"

namespace lensforge::detail {

/// Bytes gathered before they are written; 0 < kWriteBufferBytes.
inline constexpr std::size_t kWriteBufferBytes = std::size_t(4) << 20;

/// One registration of the driver (unregistered on destruction; files opened with it keep it
/// alive until they are closed).
class H5BufferedDriver {
 public:
  explicit H5BufferedDriver(const H5Context& c);
  /// A new file access property list that opens files with this driver.
  H5Plist file_access(const H5Context& c) const;

 private:
  H5Handle<H5FDunregister> id_;
};

}  // namespace lensforge::detail
