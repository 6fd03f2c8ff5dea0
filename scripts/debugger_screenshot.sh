#!/usr/bin/env bash
# Regenerates docs/debugger.png, the README's picture of the mock's Debugger
# page: `segbridge mock --ui` with the six event types, a duplicate, a 401
# and a 400, shown at 1280x800 in headless Chromium with the track's JSON
# open (tests/browser/debugger_browser.py --docs). The events carry fixed
# timestamps, so the picture changes only when the page does.
#   scripts/debugger_screenshot.sh [BUILD_DIR]   (default build/, built first)
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
build=${1:-build}
if [ ! -d "$build" ]; then
  cmake -S . -B "$build" >/dev/null
fi
cmake --build "$build" -j "$(nproc)" --target segbridge-cli >/dev/null
python3 tests/browser/debugger_browser.py \
  --cli "$build/tools/segbridge/segbridge" --docs docs/debugger.png
