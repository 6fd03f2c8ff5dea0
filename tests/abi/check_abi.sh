#!/usr/bin/env bash
# Compare the built libsegbridge.so with the committed ABI baseline
# (abi/libsegbridge.abi, written by abidw from a release build) using
# libabigail's abidiff. Added functions are compatible and pass; a removed
# or changed function, variable or type fails (abidiff ranks many breaking
# changes, a parameter's type for one, as mere "changes", so the summary
# counts decide). Usage: check_abi.sh LIB BASELINE HEADERS-DIR...
set -u
lib=$1
baseline=$2
shift 2
headers=()
for dir in "$@"; do
  headers+=(--headers-dir2 "$dir")
done

if ! command -v abidiff >/dev/null; then
  echo "abi.baseline: abidiff not found (scripts/bootstrap.sh installs abigail-tools)"
  exit 1
fi
report=$(abidiff "${headers[@]}" "$baseline" "$lib")
status=$?
echo "$report"
# abidiff's status is a bit set: 1 error, 2 usage error, 4 ABI change,
# 8 incompatible ABI change.
if ((status & 3)); then
  echo "abi.baseline: abidiff failed (status $status)"
  exit 1
fi
# "N Removed, N Changed" in the summaries of functions and variables.
broken=$(grep -E 'changes summary:' <<<"$report" |
  grep -oE '[0-9]+ (Removed|Changed)' | awk '{n += $1} END {print n + 0}')
if ((status & 8)) || ((broken > 0)); then
  echo "abi.baseline: FAILED: $broken removed or changed (see docs/ABI.md)"
  exit 1
fi
if ((status & 4)); then
  echo "abi.baseline: compatible additions; refresh the baseline at release" \
    "(cmake --build build --target abi-baseline)"
fi
echo "abi.baseline: ok"
