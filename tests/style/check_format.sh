#!/usr/bin/env bash
# style.format: every C source and header of the project is formatted as
# .clang-format says. Formatting differs between clang-format releases, so
# the check runs with the release the project formats with (Debian 12's,
# which scripts/bootstrap.sh installs) and is skipped (status 77) with
# another or none. To format a file: clang-format -i FILE.
#
# usage: check_format.sh SOURCE_DIR
set -euo pipefail
cd "$1"
want=14
if ! command -v clang-format >/dev/null; then
  echo "style.format: skipped, clang-format is not installed"
  exit 77
fi
have=$(clang-format --version | sed -n 's/.*version \([0-9]*\)\..*/\1/p')
if [[ $have != "$want" ]]; then
  echo "style.format: skipped, clang-format $have is not release $want"
  exit 77
fi
if git rev-parse --is-inside-work-tree >/dev/null 2>&1; then
  mapfile -t files < <(git ls-files -- '*.c' '*.h' | grep -v '^tests/fuzz/corpus/')
else
  mapfile -t files < <(find include src tools tests examples -name '*.[ch]' \
    -not -path 'tests/fuzz/corpus/*' | sort)
fi
if ! clang-format --dry-run --Werror "${files[@]}"; then
  echo "style.format: FAILED; run clang-format -i on the files above"
  exit 1
fi
echo "style.format: OK (${#files[@]} files)"
