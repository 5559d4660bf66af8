#!/usr/bin/env bash
# Configures and builds lensforge. Usage: scripts/build.sh [BUILD_DIR] [extra cmake args...]
# Environment: LENSFORGE_JOBS (default: all cores).
set -euo pipefail
cd "$(dirname "$0")/.."
dir=${1:-build}
shift || true
jobs=${LENSFORGE_JOBS:-$(nproc)}
cmake -S . -B "$dir" -DCMAKE_BUILD_TYPE=Release "$@" >/dev/null
cmake --build "$dir" -j "$jobs"
