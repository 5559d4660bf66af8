#pragma once
// Allocator tuning for the per-sample loops (generation, online training). Every sample allocates
// and frees images of 0.1-2 MiB (a 200x200 band in double is 0.3 MiB). glibc serves blocks above
// its mmap threshold (128 KiB at start) with fresh mmaps and returns freed heap tops to the system,
// so each image costs page faults on first touch: 53,000 faults and ~10% of the CPU time for 150
// Euclid samples. Keeping such blocks on the heap lets freed images be reused without faults.

namespace lensforge {

/// Process-wide (glibc mallopt): blocks up to 16 MiB come from the heap, and up to 64 MiB of free
/// heap top are kept. Idempotent and cheap after the first call; a no-op without glibc. Changes no
/// result, only where memory comes from; peak resident memory stays bounded by the live samples.
void retain_freed_image_memory();

}  // namespace lensforge
