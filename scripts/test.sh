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
# Every libFuzzer target (clang, ASan+UBSan) for a bounded time each.
if bash scripts/fuzz.sh "${SEGB_FUZZ_SECONDS:-30}"; then
  summary+=("fuzz: ok")
else
  summary+=("fuzz: FAILED")
  status=1
fi

# Valgrind over the plain build's unit and integration programs: leaks and
# uninitialised reads that the sanitizers do not see.
valgrind_pass() {
  local t failed=0 count=0
  echo "=== build: valgrind"
  for t in build/tests/unit/test_* build/tests/integration/integration_test_*; do
    [ -x "$t" ] || continue
    count=$((count + 1))
    if ! valgrind -q --leak-check=full --errors-for-leak-kinds=definite \
      --error-exitcode=99 "$t" >"$t.valgrind.log" 2>&1; then
      echo "valgrind: $t failed (see $t.valgrind.log)"
      tail -n 30 "$t.valgrind.log"
      failed=$((failed + 1))
    fi
  done
  summary+=("valgrind: $((count - failed)) of $count programs clean")
  [ "$failed" -eq 0 ] || status=1
}
valgrind_pass

echo "=== summary"
printf '%s\n' "${summary[@]}"
exit "$status"
