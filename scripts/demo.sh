#!/usr/bin/env bash
# README command 1: build the library and run the demo program.
# Arguments are passed on to segbridge-demo.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

bash scripts/bootstrap.sh
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo
cmake --build build -j "$(nproc)" --target segbridge-demo
exec build/examples/segbridge-demo "$@"
