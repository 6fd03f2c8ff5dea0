#!/usr/bin/env bash
# Build the libFuzzer targets with clang (ASan + UBSan, the library
# instrumented for coverage) and run every tests/fuzz/fuzz_<name>.c for a
# bounded time on a copy of its seed corpus, so the repository's corpus is
# never modified. The corpus of fuzz_<name> is tests/fuzz/corpus/<name>/,
# else tests/fuzz/corpus/<first word of name>/ (fuzz_json_parse -> json/).
#
#   scripts/fuzz.sh [SECONDS]   seconds per target (default 30)
#   SEGB_FUZZ_BUILD=DIR         build tree (default build-fuzz-ci)
#
# Exits non-zero when the build fails or any target finds a crash, a leak
# or undefined behaviour; the reproducer is kept under DIR/fuzz-artifacts/.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

seconds=${1:-30}
build=${SEGB_FUZZ_BUILD:-build-fuzz-ci}
if ! [[ $seconds =~ ^[1-9][0-9]*$ ]]; then
  echo "usage: scripts/fuzz.sh [SECONDS]" >&2
  exit 2
fi

echo "=== $build: configure and build the fuzz targets (clang)"
cmake -S . -B "$build" \
  -DCMAKE_C_COMPILER=clang -DCMAKE_CXX_COMPILER=clang++ \
  -DSEGB_BUILD_FUZZ=ON -DSEGB_SANITIZE=fuzzer-no-link,address,undefined \
  -DSEGB_BUILD_TESTS=OFF -DSEGB_BUILD_EXAMPLES=OFF -DSEGB_BUILD_BENCH=OFF
cmake --build "$build" -j "$(nproc)"

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
artifacts=$build/fuzz-artifacts
mkdir -p "$artifacts"
export ASAN_OPTIONS=detect_leaks=1:halt_on_error=1
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
status=0
summary=()

for src in tests/fuzz/fuzz_*.c; do
  target=$(basename "$src" .c)
  name=${target#fuzz_}
  seeds=tests/fuzz/corpus/$name
  [[ -d $seeds ]] || seeds=tests/fuzz/corpus/${name%%_*}
  corpus=$tmp/$name
  mkdir -p "$corpus"
  if [[ -d $seeds ]]; then
    cp "$seeds"/* "$corpus"/
  fi
  echo "=== $target: ${seconds}s on $(ls "$corpus" | wc -l) seeds"
  if "$build/tests/fuzz/$target" -max_total_time="$seconds" -timeout=25 \
    -rss_limit_mb=2048 -print_final_stats=1 \
    -artifact_prefix="$artifacts/$target-" "$corpus" \
    >"$tmp/$target.log" 2>&1; then
    runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$tmp/$target.log")
    summary+=("$target: ok, ${runs:-?} runs")
  else
    tail -n 60 "$tmp/$target.log"
    summary+=("$target: FAILED (reproducer in $artifacts/)")
    status=1
  fi
done

echo "=== fuzz summary"
printf '%s\n' "${summary[@]}"
exit "$status"
