#!/usr/bin/env bash
# segbridge(1) renders without a warning: groff's man macros with every
# warning on, and man(1) at a terminal's width. Skipped (77) without groff.
# Usage: check_man.sh PATH/TO/segbridge.1
set -u
page=$1
if ! command -v groff >/dev/null; then
  echo "SKIP: no groff (apt-get install groff-base) to lint $page"
  exit 77
fi
status=0
lint() { # WHAT COMMAND...: the command must write nothing on standard error
  local err
  err=$("$@" 2>&1 >/dev/null)
  if [ -n "$err" ]; then
    echo "FAIL: $1: $err"
    status=1
  fi
}
lint groff -man -ww -z "$page"
if command -v man >/dev/null; then
  for width in 80 100; do
    LC_ALL=C.UTF-8 MANWIDTH=$width lint man --warnings -l -Tutf8 "$page"
  done
fi
[ "$status" -eq 0 ] && echo "segbridge.1: no warnings"
exit "$status"
