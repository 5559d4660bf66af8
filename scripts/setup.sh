#!/usr/bin/env bash
# Installs the Debian 12 packages lensforge needs, only those missing. Idempotent; prints
# nothing when everything is already there. Run as root (or with sudo available).
set -euo pipefail

PACKAGES=(
  build-essential cmake pkg-config git
  libeigen3-dev libfftw3-dev libcfitsio-dev libhdf5-dev libtbb-dev
  libtorch-dev libopenblas0-openmp libgloo-dev python3-torch
  openmpi-bin libopenmpi-dev
  libgtest-dev libbenchmark-dev libyaml-cpp-dev libcli11-dev nlohmann-json3-dev
  libfmt-dev libpng-dev
  chromium
  hdf5-tools python3-h5py python3-astropy python3-numpy python3-pandas
)
if [[ "${LENSFORGE_NO_TORCH:-0}" == "1" ]]; then
  PACKAGES=("${PACKAGES[@]/libtorch-dev/}")
  PACKAGES=("${PACKAGES[@]/libopenblas0-openmp/}")
  PACKAGES=("${PACKAGES[@]/libgloo-dev/}")
  PACKAGES=("${PACKAGES[@]/python3-torch/}")
fi

missing=()
for p in "${PACKAGES[@]}"; do
  [[ -z "$p" ]] && continue
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done
[[ ${#missing[@]} -eq 0 ]] && exit 0

SUDO=""
if [[ $(id -u) -ne 0 ]]; then
  command -v sudo >/dev/null || { echo "setup: missing packages (${missing[*]}) and not root; run as root" >&2; exit 1; }
  SUDO=sudo
fi
echo "setup: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
echo "setup: done"
