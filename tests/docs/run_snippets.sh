#!/usr/bin/env bash
# docs.snippets: every ```c block of README.md and docs/*.md is a complete
# program. Each is extracted, compiled against the built library with the
# project's warnings as errors, and run with SEGMENT_ENDPOINT pointing at a
# `segbridge mock` and SEGMENT_WRITE_KEY set. A compile error or a non-zero
# exit fails the test. Blocks marked ```c fragment are not programs and are
# skipped.
# usage: run_snippets.sh SOURCE_DIR GENERATED_INCLUDE_DIR LIBRARY CLI CC [SANITIZE]
# DOCS_SNIPPET_RUNNER, when set, prefixes each run, e.g.
# "valgrind -q --leak-check=full --errors-for-leak-kinds=all --error-exitcode=9".
set -u
src=$1 gen_include=$2 library=$(realpath "$3") cli=$4 cc=$5 sanitize=${6:-}

tmp=$(mktemp -d)
mock_pid=
trap '[ -n "$mock_pid" ] && kill "$mock_pid" 2>/dev/null; rm -rf "$tmp"' EXIT

# An RSA key for the OAuth snippet; the mock issues tokens for it and still
# takes Basic auth.
openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 \
  -out "$tmp/private.pem" 2>/dev/null &&
  openssl pkey -in "$tmp/private.pem" -pubout -out "$tmp/public.pem" ||
  { echo "FAIL: openssl could not make a key" >&2; exit 1; }

"$cli" mock --port 0 --oauth-public-key "$tmp/public.pem" \
  --oauth-client-id docs-client --oauth-key-id docs-key >"$tmp/mock.out" 2>&1 &
mock_pid=$!
for _ in $(seq 1200); do # up to 60 s on a loaded machine
  grep -qE 'http://127\.0\.0\.1:[0-9]+ ' "$tmp/mock.out" 2>/dev/null && break
  sleep 0.05
done
url=$(grep -oE 'http://127\.0\.0\.1:[0-9]+' "$tmp/mock.out")
if [ -z "$url" ]; then
  echo "FAIL: the mock printed no URL" >&2
  cat "$tmp/mock.out" >&2
  exit 1
fi

export SEGMENT_ENDPOINT=$url
export SEGMENT_WRITE_KEY=docs-snippet-key
export SEGMENT_PROFILE_TOKEN=docs-snippet-token
export SEGMENT_SPACE_ID=spa_mock
export SEGMENT_OAUTH_SERVER=$url
export SEGMENT_OAUTH_CLIENT_ID=docs-client
export SEGMENT_OAUTH_KEY_ID=docs-key
export SEGMENT_OAUTH_KEY_FILE=$tmp/private.pem

snippets=()
for md in "$src"/README.md "$src"/docs/*.md; do
  name=$(basename "$md" .md)
  while read -r f; do
    snippets+=("$f")
  done < <(awk -v dir="$tmp" -v name="$name" -f "$src/tests/docs/extract_snippets.awk" "$md")
done

passed=0
failed=0
for c in "${snippets[@]}"; do
  label=$(basename "$c" .c)
  exe=${c%.c}
  if ! "$cc" -std=c11 -Wall -Wextra -Werror -Wno-unused-parameter \
    ${sanitize:+-fsanitize=$sanitize -g} \
    -I"$src/include" -I"$gen_include" -o "$exe" "$c" "$library" \
    -Wl,-rpath,"$(dirname "$library")" 2>"$tmp/cc.err"; then
    echo "FAIL: $label does not compile:" >&2
    cat "$tmp/cc.err" >&2
    failed=$((failed + 1))
    continue
  fi
  if ! (cd "$tmp" && timeout 120 ${DOCS_SNIPPET_RUNNER:-} "$exe") >"$tmp/run.out" 2>&1; then
    echo "FAIL: $label exits non-zero:" >&2
    cat "$tmp/run.out" >&2
    failed=$((failed + 1))
    continue
  fi
  echo "ok: $label"
  passed=$((passed + 1))
done

if [ "${#snippets[@]}" -eq 0 ]; then
  echo "FAIL: no snippets found" >&2
  failed=1
fi
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
