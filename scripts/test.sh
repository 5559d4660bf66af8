#!/usr/bin/env bash
# Installs what is missing, builds, and runs the whole test suite.
#   scripts/test.sh              Release build in build/, all tests
#   scripts/test.sh --sanitize   AddressSanitizer + UBSan build in build-asan/, all tests
set -euo pipefail
cd "$(dirname "$0")/.."
dir=build
args=()
if [[ "${1:-}" == "--sanitize" ]]; then
  dir=build-asan
  args=(-DLENSFORGE_SANITIZE=ON -DLENSFORGE_BUILD_BENCH=OFF)
fi
bash scripts/setup.sh
bash scripts/build.sh "$dir" "${args[@]}"
cd "$dir"
ctest --output-on-failure -j "$(nproc)"
