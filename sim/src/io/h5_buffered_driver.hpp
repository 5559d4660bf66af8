#pragma once
// Internal: the HDF5 file driver (VFD) of DatasetWriter: POSIX I/O like HDF5's default "sec2"
// driver, with HDF5's many small writes (one per chunk, i.e. per image and plane, a few KiB each)
// gathered in a buffer of kWriteBufferBytes.
//
// Why: copying data into the page cache costs the writing thread about 0.3 ms per MiB where the
// kernel recycles pages and up to 2 ms per MiB on fresh ones (measured in the development VM,
// whose free memory is handed back to the host), and more per byte for small writes than for
// MiB-sized ones: more than half the cost of writing a data set. So the whole pages of each run of
// consecutive writes of at least 1 MiB (a full buffer, or what a flush finds) are written with
// O_DIRECT from a second thread while HDF5 fills the other buffer: the device copies them without
// the page cache, and the writing thread need not wait. The rest (the bytes around those pages,
// shorter runs: HDF5's metadata, label chunks) goes through the page cache. Where the file system
// refuses O_DIRECT (at open, or a write fails with EINVAL) everything does. Each flush (H5Fflush)
// also starts the kernel's write-back of the page cache to disk without waiting for it.
//
// The file is byte for byte what sec2 writes (the same driver features, so the same allocation,
// and no driver information in the superblock), and sec2 reads it. Overlapping writes reach the
// file in the order HDF5 made them, a read sees every earlier write, and a flush, truncate or
// close returns once every earlier write is in the file.
#include <cstddef>

#include "hdf5_handle.hpp"

namespace lensforge::detail {

/// Bytes gathered before they are written, a multiple of the huge page size (2 MiB). Smaller
/// buffers are written earlier, so a flush waits less for the last one (2 MiB measured best).
inline constexpr std::size_t kWriteBufferBytes = std::size_t(2) << 20;

/// One registration of the driver (unregistered on destruction; files opened with it keep it
/// alive until they are closed).
class H5BufferedDriver {
 public:
  explicit H5BufferedDriver(const H5Context& c);
  /// A new file access property list that opens files with this driver; direct_io = false keeps
  /// every write in the page cache (for tests of that path).
  H5Plist file_access(const H5Context& c, bool direct_io = true) const;

 private:
  H5Handle<H5FDunregister> id_;
};

}  // namespace lensforge::detail
