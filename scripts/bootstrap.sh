#!/usr/bin/env bash
# Installs the Debian packages that building and testing libsegbridge need.
# Quick and silent apart from one line when everything is already there.
set -euo pipefail

packages=(
  build-essential gcc g++ cmake pkg-config binutils           # toolchain
  abigail-tools                                               # ABI baseline
  libcurl4-openssl-dev libssl-dev zlib1g-dev                  # library
  libcmocka-dev libmicrohttpd-dev libcjson-dev valgrind openssl # tests, mock
  clang libclang-rt-dev libjansson-dev                        # fuzz builds
  clang-format                                                # style check
  doxygen                                                     # API reference (docs.doxygen)
  python3 python3-pytest                                      # python binding tests
  chromium firefox-esr                                        # Debugger page tests
)

if ! command -v dpkg-query >/dev/null; then
  echo "bootstrap: not a Debian system; install the equivalents of:"
  echo "  ${packages[*]}"
  exit 1
fi

missing=()
for pkg in "${packages[@]}"; do
  if ! dpkg-query -W -f='${db:Status-Status}\n' "$pkg" 2>/dev/null |
    grep -qx installed; then
    missing+=("$pkg")
  fi
done

if ((${#missing[@]} == 0)); then
  echo "bootstrap: all dependencies present"
  exit 0
fi

echo "bootstrap: missing: ${missing[*]}"
apt=(env DEBIAN_FRONTEND=noninteractive apt-get)
if ((EUID != 0)); then
  if ! command -v sudo >/dev/null; then
    echo "bootstrap: run as root:"
    echo "  apt-get update && apt-get install -y --no-install-recommends ${missing[*]}"
    exit 1
  fi
  apt=(sudo "${apt[@]}")
fi
"${apt[@]}" update -qq
"${apt[@]}" install -y -qq --no-install-recommends "${missing[@]}"
echo "bootstrap: installed: ${missing[*]}"
