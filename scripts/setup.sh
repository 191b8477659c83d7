#!/usr/bin/env bash
# Installs every build, test and run dependency of Kindred from Debian packages, and the
# explorer's drawing libraries and browser-test driver from npm (`npm ci` in web/, pinned by
# web/package-lock.json; the browser test needs Node.js 20 or later).
# Usage: scripts/setup.sh        (needs root or sudo; safe to run more than once)
set -euo pipefail

packages=(
    build-essential cmake ninja-build pkg-config
    libeigen3-dev libtbb-dev libyaml-cpp-dev libhdf5-dev hdf5-tools libdeflate-dev
    libcli11-dev libfmt-dev librandom123-dev
    libgtest-dev libgmock-dev libbenchmark-dev
    python3 python3-numpy python3-h5py python3-yaml python3-scipy
    python3-matplotlib chromium             # kindred report: pictures; the report test's browser
    pybind11-dev python3-dev                # the Python module (python/)
    libopenmpi-dev openmpi-bin
    libcpp-httplib-dev nlohmann-json3-dev   # kindred serve: the web server and its JSON
    clang-format
)

# Node.js and npm for web/ (Debian's, unless the machine has its own already).
command -v node > /dev/null || packages+=(nodejs)
command -v npm > /dev/null || packages+=(npm)

# The explorer's libraries (web/node_modules), installed again only when the lock file changed.
npm_ci() {
    local web
    web="$(cd "$(dirname "$0")/.." && pwd)/web"
    if cmp -s "$web/package-lock.json" "$web/node_modules/.kindred-package-lock.json"; then
        echo "setup: web/node_modules is up to date"
        return
    fi
    echo "setup: npm ci in web/"
    (cd "$web" && npm ci --no-audit --no-fund)
    cp "$web/package-lock.json" "$web/node_modules/.kindred-package-lock.json"
}

missing=()
for p in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done

if [ ${#missing[@]} -eq 0 ]; then
    echo "setup: all ${#packages[@]} packages already installed"
    npm_ci
    exit 0
fi

SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
echo "setup: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
npm_ci
echo "setup: done"
