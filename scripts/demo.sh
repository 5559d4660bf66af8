#!/usr/bin/env bash
# The main job on its built-in default (configs/experiments/demo.yaml), in under 30 minutes on 2
# cores without a GPU, build included: installs what is missing, builds the three programs, renders
# the example lens systems, then runs the experiment: generates Euclid-like training, validation and
# test sets (single lenses, non-lenses, hard negatives) and test sets of compound arcs and double
# Einstein rings, trains the compact CNN finder, a theta_E regressor and a finder that also saw
# compound lenses, evaluates them, and writes out/demo/report.html and out/demo/results.json.
# Extra arguments go to the experiment (e.g. --set datasets.train.count=4000, or --fresh).
# Rerunning reuses every data set and model already made from the same config.
set -euo pipefail
cd "$(dirname "$0")/.."
start=$(date +%s)
bash scripts/setup.sh
cmake -S . -B build -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build build -j "${LENSFORGE_JOBS:-$(nproc)}" --target lensforge-sim lensforge-train lensforge-infer
echo "demo: built in $(( $(date +%s) - start )) s"

sim=./build/sim/lensforge-sim
mkdir -p out/demo/scenes
for scene in configs/scenes/*.yaml; do
  name=$(basename "$scene" .yaml)
  "$sim" render "$scene" -o "out/demo/scenes/$name.fits" --overwrite
done
"$sim" render configs/scenes/sie_shear.yaml -o out/demo/scenes/sie_shear_euclid.fits --survey euclid \
  --bands VIS,Y,J --seed 1 --overwrite
"$sim" render configs/scenes/jackpot_double_source.yaml -o out/demo/scenes/jackpot_lsst.fits --survey lsst_10yr \
  --bands g,r,i --seed 1 --overwrite

./build/train/lensforge-train experiment configs/experiments/demo.yaml "$@"
"$sim" gallery out/demo/data/test.h5 -o out/demo/test_gallery.png --n 25 --bands VIS
echo "demo: done in $(( $(date +%s) - start )) s; open out/demo/report.html (figures: out/demo/results.json;"
echo "      example scenes: out/demo/scenes/*.png and *.fits; test-set gallery: out/demo/test_gallery.png)"
