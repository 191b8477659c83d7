#!/usr/bin/env bash
# Builds Kindred and runs the whole test suite (GoogleTest via CTest, plus the cross-check
# against the independent Python reference implementation).
# Usage: scripts/test.sh [build-dir]      (default build dir: build)
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build}
cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release > /dev/null
cmake --build "$build" --parallel
ctest --test-dir "$build" --output-on-failure --parallel "$(nproc)"
