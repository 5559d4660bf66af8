#!/usr/bin/env bash
# The main job on its built-in default: installs what is missing, builds, renders the example
# lens systems noiseless (one FITS extension per component) and as Euclid and LSST would observe
# them (one extension per band, with noise, sigma and mask planes), with PNG previews, and
# generates a small Euclid-like training set (HDF5) with a gallery, all in out/demo/.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
bash scripts/build.sh build
sim=./build/sim/lensforge-sim
mkdir -p out/demo
for scene in configs/scenes/*.yaml; do
  name=$(basename "$scene" .yaml)
  "$sim" render "$scene" -o "out/demo/$name.fits" --overwrite
done
"$sim" render configs/scenes/sie_shear.yaml -o out/demo/sie_shear_euclid.fits --survey euclid --bands VIS,Y,J \
  --seed 1 --overwrite
"$sim" render configs/scenes/jackpot_double_source.yaml -o out/demo/jackpot_lsst.fits --survey lsst_10yr \
  --bands g,r,i --seed 1 --overwrite
"$sim" generate configs/populations/euclid.yaml -n 200 -o out/demo/euclid_demo.h5 --seed 1 --overwrite
"$sim" inspect out/demo/euclid_demo.h5 | grep -E "^(images|bands|planes|counts)" || true
"$sim" gallery out/demo/euclid_demo.h5 -o out/demo/euclid_demo_gallery.png --n 25 --bands VIS
echo "demo: images in out/demo/ (open the .png previews, or the .fits files in ds9 or astropy);"
echo "      training set out/demo/euclid_demo.h5 (lensforge-sim inspect it; README: HDF5 schema)"
