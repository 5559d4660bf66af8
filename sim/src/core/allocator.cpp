#include "lensforge/sim/core/allocator.hpp"

#include <cstdlib>  // defines __GLIBC__ on glibc
#include <mutex>

#if defined(__GLIBC__)
#include <malloc.h>
#endif

namespace lensforge {

void retain_freed_image_memory() {
  static std::once_flag once;
  std::call_once(once, [] {
#if defined(__GLIBC__)
    mallopt(M_MMAP_THRESHOLD, 16 << 20);  // bytes
    mallopt(M_TRIM_THRESHOLD, 64 << 20);  // bytes
#endif
  });
}

}  // namespace lensforge
