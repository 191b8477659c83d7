#!/usr/bin/env bash
# Builds the libFuzzer targets (clang, ASan + UBSan) and runs each for SECONDS (default 60),
# starting from the seed corpus in fuzz/corpus/. New inputs go to build-fuzz/corpus/<target>/;
# a crash leaves build-fuzz/findings/<target>/crash-* and a non-zero exit.
# Usage: scripts/fuzz.sh [SECONDS] [TARGET ...]      (targets: scenario model csv)
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-60}
shift || true
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(scenario model csv)

CC=clang CXX=clang++ cmake -S . -B build-fuzz -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    -DKINDRED_BUILD_FUZZERS=ON -DKINDRED_SANITIZE=address,undefined \
    -DKINDRED_BUILD_TESTS=OFF -DKINDRED_BUILD_BENCHMARKS=OFF > /dev/null
cmake --build build-fuzz --parallel --target $(printf 'fuzz_%s ' "${targets[@]}")

status=0
for target in "${targets[@]}"; do
    corpus=build-fuzz/corpus/$target
    findings=build-fuzz/findings/$target
    mkdir -p "$corpus" "$findings"
    echo "fuzz_$target: ${seconds} s"
    if ! ./build-fuzz/fuzz/fuzz_$target "$corpus" "fuzz/corpus/$target" \
            -max_total_time="$seconds" -max_len=65536 -timeout=10 -rss_limit_mb=4096 \
            -artifact_prefix="$findings/" -print_final_stats=1 2> "build-fuzz/fuzz_$target.log"; then
        echo "fuzz_$target: FINDING (see build-fuzz/fuzz_$target.log and $findings/)"
        status=1
    fi
    grep -E "stat::number_of_executed_units|stat::peak_rss_mb" "build-fuzz/fuzz_$target.log" || true
done
exit $status
