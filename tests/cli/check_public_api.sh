#!/usr/bin/env bash
# The programs outside the library use its public API only: no file of the
# CLI, the webhook receiver, the mock or the examples includes a header of
# src/ (their builds have no src/ on the include path either).
# Usage: check_public_api.sh SOURCE_DIR
set -u
root=$1
bad=0
while IFS=: read -r file _ text; do
  header=$(sed -n 's/^#include "\([^"]*\)".*/\1/p' <<<"$text")
  if [ -n "$header" ] && [ -e "$root/src/$header" ]; then
    echo "FAIL: $file includes src/$header" >&2
    bad=1
  fi
done < <(grep -rn '^#include "' "$root/tools/segbridge" \
  "$root/tools/webhook_receiver" "$root/tools/mock" "$root/examples")
[ "$bad" -eq 0 ] && echo "public API only"
