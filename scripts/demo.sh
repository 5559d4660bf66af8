#!/usr/bin/env bash
# The main job on its built-in default: installs what is missing, builds, renders the example
# lens systems noiseless (one FITS extension per component) and as Euclid and LSST would observe
# them (one extension per band, with noise, sigma and mask planes), with PNG previews, in out/demo/.
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
echo "demo: images in out/demo/ (open the .png previews, or the .fits files in ds9 or astropy)"
