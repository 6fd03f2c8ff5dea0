#!/usr/bin/env bash
# install.consumers: install a build into a temporary prefix, then build and
# run consumer.c against it the ways a user would: pkg-config with the shared
# library, pkg-config --static with the archive, and find_package (shared and
# static targets).
#
# usage: run.sh BUILD_DIR CMAKE C_COMPILER [SANITIZE]
#   SANITIZE is the build's SEGB_SANITIZE; the consumers are built with the
#   same -fsanitize so they carry the runtime the library expects.
set -euo pipefail

build=$1 cmake=$2 cc=$3 sanitize=${4:-}
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
san=()
if [[ -n $sanitize ]]; then
  san=(-fsanitize="$sanitize")
fi
cflags=(-std=c11 -Wall -Wextra -Werror "${san[@]}")

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
prefix=$tmp/prefix

step() { echo "== $*"; }

# Check that PROGRAM loads libsegbridge.so (shared) or does not (static).
expect_link() { # shared|static PROGRAM
  local needed
  needed=$(readelf -d "$2" | awk '/NEEDED/ && /libsegbridge\.so/')
  if [[ $1 == shared && -z $needed ]] || [[ $1 == static && -n $needed ]]; then
    echo "FAIL: $2 is not linked to the $1 libsegbridge"
    exit 1
  fi
}

step "install into $prefix"
"$cmake" --install "$build" --prefix "$prefix"

# The libdir is whatever the build was configured with (lib, lib64,
# lib/<multiarch>): find the .pc file rather than guess.
pc=$(find "$prefix" -path '*/pkgconfig/segbridge.pc')
if [[ -z $pc ]]; then
  echo "FAIL: no pkgconfig/segbridge.pc under $prefix"
  exit 1
fi
export PKG_CONFIG_PATH
PKG_CONFIG_PATH=$(dirname "$pc")
libdir=$(pkg-config --variable=libdir segbridge)
if ! grep -qx 'License: MIT' "$pc" || ! [[ -f $prefix/share/doc/segbridge/LICENSE ]]; then
  echo "FAIL: the installed copy does not carry its licence"
  exit 1
fi
if [[ -d $build/examples ]] && ! "$prefix/bin/segbridge" --help >/dev/null; then
  echo "FAIL: the installed segbridge tool does not run"
  exit 1
fi
echo "pkg-config: segbridge $(pkg-config --modversion segbridge), libdir $libdir"

step "pkg-config, shared library"
read -ra pc_cflags <<<"$(pkg-config --cflags segbridge)"
read -ra pc_libs <<<"$(pkg-config --libs segbridge)"
"$cc" "${cflags[@]}" "${pc_cflags[@]}" "$here/consumer.c" \
  -o "$tmp/consumer_shared" "${pc_libs[@]}"
expect_link shared "$tmp/consumer_shared"
LD_LIBRARY_PATH=$libdir "$tmp/consumer_shared"

step "pkg-config, static library"
# Link libsegbridge.a itself statically and its dependencies, the modules
# segbridge.pc names in Requires.private, as the system's shared libraries:
# Debian ships no static builds of libcurl's own dependencies. The .so next
# to the archive would win over -lsegbridge, so the archive is named.
read -ra pc_cflags <<<"$(pkg-config --static --cflags segbridge)"
read -ra pc_requires <<<"$(pkg-config --print-requires-private segbridge | cut -d' ' -f1)"
read -ra pc_libs <<<"$(pkg-config --libs-only-L segbridge) -l:libsegbridge.a \
  $(pkg-config --libs "${pc_requires[@]}") -pthread"
"$cc" "${cflags[@]}" "${pc_cflags[@]}" "$here/consumer.c" \
  -o "$tmp/consumer_static" "${pc_libs[@]}"
expect_link static "$tmp/consumer_static"
"$tmp/consumer_static"

step "find_package(segbridge), shared and static targets"
"$cmake" -S "$here/cmake_consumer" -B "$tmp/cmake_consumer" \
  -DCMAKE_PREFIX_PATH="$prefix" -DCMAKE_C_COMPILER="$cc" \
  -DCMAKE_C_FLAGS="${cflags[*]}"
"$cmake" --build "$tmp/cmake_consumer"
expect_link shared "$tmp/cmake_consumer/consumer"
expect_link static "$tmp/cmake_consumer/consumer_static"
"$tmp/cmake_consumer/consumer"
"$tmp/cmake_consumer/consumer_static"

echo "install.consumers: OK"
