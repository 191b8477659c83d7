#!/usr/bin/env bash
# Installs every build, test and run dependency of Kindred from Debian packages.
# Usage: scripts/setup.sh        (needs root or sudo; safe to run more than once)
set -euo pipefail

packages=(
    build-essential cmake ninja-build pkg-config
    libeigen3-dev libtbb-dev libyaml-cpp-dev libhdf5-dev hdf5-tools
    libcli11-dev libfmt-dev librandom123-dev
    libgtest-dev libgmock-dev libbenchmark-dev
    python3 python3-numpy python3-h5py python3-yaml
    libopenmpi-dev openmpi-bin
    clang-format
)

missing=()
for p in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done

if [ ${#missing[@]} -eq 0 ]; then
    echo "setup: all ${#packages[@]} packages already installed"
    exit 0
fi

SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
echo "setup: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
echo "setup: done"
