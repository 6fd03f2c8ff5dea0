#!/usr/bin/env bash
# README command 1: build the library, its tools and tests, and run
# `segbridge demo`, the round trip against the bundled mock. The build tree
# (build/) is then ready for `cmake --install build` and for scripts/test.sh.
# Arguments are passed on to `segbridge demo`.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

bash scripts/bootstrap.sh
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo
cmake --build build -j "$(nproc)"
exec build/tools/segbridge/segbridge demo "$@"
