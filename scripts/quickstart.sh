#!/usr/bin/env bash
# Installs the dependencies, builds Kindred and runs the default trial scenario.
# Usage: scripts/quickstart.sh [extra arguments for `kindred run`]
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=Release > /dev/null
cmake --build build --parallel --target kindred
./build/sim/cli/kindred run scenarios/default.yaml "$@"
