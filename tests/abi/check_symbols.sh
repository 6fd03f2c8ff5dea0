#!/usr/bin/env bash
# abi.symbols: the shared library exports exactly the functions that the
# public headers declare with SEGB_API and that src/libsegbridge.map lists,
# each under the map's version node, and its SONAME follows the major version.
#
# usage: check_symbols.sh LIBRARY MAP MAJOR HEADER...
set -euo pipefail
export LC_ALL=C # one collation for sort, comm and join

lib=$1 map=$2 major=$3
shift 3
headers=("$@")

for f in "$lib" "$map" "${headers[@]}"; do
  [[ -r $f ]] || { echo "abi.symbols: cannot read $f"; exit 1; }
done

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
failed=0

fail() {
  echo "FAIL: $*"
  failed=1
}

# Print the lines of stdin indented under a failure message.
indent() { sed 's/^/    /'; }

# C or linker-script text without comments and without preprocessor lines
# (continuations included), so prose and macros cannot look like code.
strip_c() {
  sed -z -e 's#/\*[^*]*\*\+\([^/*][^*]*\*\+\)*/# #g' -e 's/\\\n//g' "$@" |
    tr -d '\0' | grep -v '^[[:space:]]*#' || true
}

# Report what is in one sorted list and not in the other.
compare() { # NAME_A FILE_A NAME_B FILE_B
  local only
  only=$(comm -23 "$2" "$4")
  if [[ -n $only ]]; then
    fail "in $1 but not in $3:"
    indent <<<"$only"
  fi
  only=$(comm -13 "$2" "$4")
  if [[ -n $only ]]; then
    fail "in $3 but not in $1:"
    indent <<<"$only"
  fi
}

# The map: "name node" for every name in a global: section. Tokens are split
# around { } ; : so the layout of the file does not matter.
strip_c "$map" | sed 's/[{};:]/ & /g' | tr -s '[:space:]' '\n' | awk '
  depth == 0 && $0 == "{" { node = prev; depth = 1; scope = "global"; next }
  depth == 0             { prev = $0; next }
  $0 == "}"              { depth = 0; next }
  $0 == ":"              { scope = prev; prev = ""; next }
  $0 == ";"              { if (scope == "global" && prev != "") print prev, node
                           prev = ""; next }
                         { prev = $0 }
' | sort >"$tmp/map_nodes"
cut -d' ' -f1 "$tmp/map_nodes" | sort -u >"$tmp/map"
cut -d' ' -f2 "$tmp/map_nodes" | sort -u >"$tmp/nodes"
if grep -q '[*?[]' "$tmp/map"; then
  fail "the map must list names, not patterns, under global:"
  grep '[*?[]' "$tmp/map" | indent
fi

# The headers: every "SEGB_API <type> name(" declaration, and every segb_
# name declared as a function at all (which must then carry SEGB_API).
strip_c "${headers[@]}" | tr '\n' ' ' >"$tmp/decls"
grep -o 'SEGB_API[^;{}(]*(' "$tmp/decls" |
  sed -E 's/.*[^A-Za-z0-9_]([A-Za-z_][A-Za-z0-9_]*)[[:space:]]*\($/\1/' |
  sort -u >"$tmp/headers"
# (typedefs of callback types look like declarations; they are not symbols)
sed -E 's/typedef[^;]*;//g' "$tmp/decls" |
  grep -o '\bsegb_[A-Za-z0-9_]*[[:space:]]*(' |
  sed -E 's/[[:space:]]*\($//' | sort -u >"$tmp/declared"
# The library: defined dynamic symbols as "name node", less the absolute
# symbols that stand for the version nodes themselves.
nm -D --defined-only --with-symbol-versions "$lib" | awk '$2 != "A" {
  split($3, v, "@@"); print v[1], (2 in v ? v[2] : "no-version") }' |
  sort >"$tmp/exported_nodes"
cut -d' ' -f1 "$tmp/exported_nodes" | sort -u >"$tmp/exported"

echo "exported: $(wc -l <"$tmp/exported"), map: $(wc -l <"$tmp/map"), headers: $(wc -l <"$tmp/headers")"

compare "functions declared in the headers" "$tmp/declared" \
  "SEGB_API declarations" "$tmp/headers"

compare "the library's exports" "$tmp/exported" "src/libsegbridge.map" "$tmp/map"
compare "the library's exports" "$tmp/exported" \
  "the headers' SEGB_API declarations" "$tmp/headers"

leaked=$(grep -E '^(cJSON|curl_|Curl_|SSL_|EVP_|OPENSSL_|CRYPTO_|BIO_|ERR_|sbi_|segb__)' "$tmp/exported" || true)
if [[ -n $leaked ]]; then
  fail "dependency or internal symbols are exported:"
  indent <<<"$leaked"
fi
unprefixed=$(sort -u "$tmp/exported" "$tmp/map" "$tmp/headers" |
  grep -v '^segb_' || true)
if [[ -n $unprefixed ]]; then
  fail "public names must start with segb_:"
  indent <<<"$unprefixed"
fi

# Each export carries, as its default version, the node the map puts it in.
wrong_node=$(join "$tmp/exported_nodes" "$tmp/map_nodes" |
  awk '$2 != $3 { print $1 ": exported as " $2 ", the map says " $3 }')
if [[ -n $wrong_node ]]; then
  fail "symbols under the wrong version node:"
  indent <<<"$wrong_node"
fi

soname=$(readelf -d "$lib" | sed -n 's/.*Library soname: \[\(.*\)\].*/\1/p')
if [[ $soname != "libsegbridge.so.$major" ]]; then
  fail "SONAME is '$soname', expected 'libsegbridge.so.$major'"
fi

if ((failed)); then
  echo "abi.symbols: FAILED (see docs/ABI.md, 'Adding a function')"
  exit 1
fi
echo "abi.symbols: OK ($soname, nodes: $(paste -sd' ' "$tmp/nodes"))"
