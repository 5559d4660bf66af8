#!/usr/bin/env bash
# The main job on its built-in default: installs what is missing, builds, and renders the
# example lens systems to FITS (one extension per component) and PNG previews in out/demo/.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
bash scripts/build.sh build
mkdir -p out/demo
for scene in configs/scenes/*.yaml; do
  name=$(basename "$scene" .yaml)
  ./build/sim/lensforge-sim render "$scene" -o "out/demo/$name.fits"
done
echo "demo: images in out/demo/ (open the .png previews, or the .fits files in ds9/astropy)"
