#!/usr/bin/env bash
# What the code cites is in reach: a comment of src/, include/, tools/ or
# tests/ names a docs/*.md of this repo that exists, or a public source
# (an RFC, a page of Segment's docs), never a section of a spec or design
# note that the repo does not hold.
set -u
root=${1:?usage: test_refs.sh REPO_DIR}
self=tests/layers/test_refs.sh
fail=0

cd "$root" || exit 2
files=$(find src include tools tests -type f \
  \( -name '*.c' -o -name '*.h' -o -name '*.sh' -o -name '*.txt' \
     -o -name '*.py' -o -name '*.map' \) | grep -v "^$self\$")

# A section of a document that is not here: "spec §4.1", "DESIGN.md §7".
# shellcheck disable=SC2086
if grep -nE 'spec §|protocol spec|DESIGN\.md' $files; then
  echo "FAIL: the lines above cite a document that is not in the repo" >&2
  fail=1
fi

# Every docs/NAME.md cited exists.
# shellcheck disable=SC2086
for doc in $(grep -ohE 'docs/[A-Za-z0-9_]+\.md' $files | sort -u); do
  if [ ! -f "$doc" ]; then
    echo "FAIL: $doc is cited but missing:" >&2
    # shellcheck disable=SC2086
    grep -nF "$doc" $files >&2
    fail=1
  fi
done
exit $fail
