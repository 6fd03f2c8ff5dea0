#!/usr/bin/env bash
# The whole test suite, as CI runs it: the project is built three times and
# each build runs every ctest test.
#   build/       plain
#   build-asan/  AddressSanitizer + UndefinedBehaviorSanitizer, leaks checked
#   build-tsan/  ThreadSanitizer
# Exits non-zero when any build or test fails.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

bash scripts/bootstrap.sh

jobs=$(nproc)
status=0
summary=()

# run_build DIR SANITIZE [COMMAND-PREFIX...]: configure, build and test one
# tree; ctest runs under the prefix (an environment, a personality).
run_build() {
  local dir=$1 sanitize=$2 result
  shift 2
  echo "=== $dir: configure and build${sanitize:+ (-fsanitize=$sanitize)}"
  if ! cmake -S . -B "$dir" -DSEGB_SANITIZE="$sanitize" ||
    ! cmake --build "$dir" -j "$jobs"; then
    summary+=("$dir: BUILD FAILED")
    status=1
    return
  fi
  echo "=== $dir: ctest"
  if "$@" ctest --test-dir "$dir" -j "$jobs" --output-on-failure |
    tee "$dir/ctest.log"; then
    result=ok
  else
    result=FAILED
    status=1
  fi
  summary+=("$dir: $result: $(grep -E 'tests passed|tests failed' \
    "$dir/ctest.log" | tail -n 1)")
}

run_build build ""
run_build build-asan address,undefined \
  env ASAN_OPTIONS=detect_leaks=1 \
  UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
# TSan maps its shadow memory at fixed addresses; with the kernel's larger
# mmap randomisation a randomised layout can collide with it ("unexpected
# memory mapping"), so the TSan tests run with ASLR off.
run_build build-tsan thread setarch "$(uname -m)" -R

echo "=== summary"
printf '%s\n' "${summary[@]}"
exit "$status"
