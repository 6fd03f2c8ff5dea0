#!/usr/bin/env bash
# segbridge import when things go wrong, and --dry-run: a dead endpoint
# bounded by --timeout-ms for the whole run, refused credentials stopping
# the import, a dry run that sends nothing, events exported from Segment
# replayed as they were, and over-long lines skipped without being held.
# Usage: test_import_cli.sh PATH/TO/segbridge
set -u
cli=$1
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

lines() { # N EVENT: N track lines
  for i in $(seq "$1"); do
    printf '{"type":"track","userId":"u%d","event":"%s"}\n' "$i" "$2"
  done
}
lines 5000 Dead >"$tmp/5000.ndjson"

# A dead endpoint: --timeout-ms bounds the whole import, not each flush
# (before, every line after the first 1 000 waited its own 2 s). 120 s is
# only a bound against that hang, for slow machines.
timeout 120 "$cli" import "$tmp/5000.ndjson" --write-key k \
  --endpoint http://127.0.0.1:9 --timeout-ms 2000 >"$tmp/out" 2>"$tmp/err"
status=$?
check "dead endpoint: import ends, network status 4 (got $status)" \
  [ "$status" -eq 4 ]
check "dead endpoint: nothing delivered" grep -q '^delivered 0, failed 0$' "$tmp/out"
check "dead endpoint: all 5000 reported not sent" \
  grep -q '^not sent 5000: nothing was delivered for 2000 ms' "$tmp/out"
check "dead endpoint: the last failure is shown" \
  grep -q "last failure: .*127.0.0.1:9" "$tmp/out"

# Refused credentials: one batch is refused, the rest is not sent (exit 3)
start_mock --write-key cli-key
lines 3000 Refused >"$tmp/3000.ndjson"
run 3 import "$tmp/3000.ndjson" --write-key not-the-key --endpoint "$url"
check "refused: the first batch failed" \
  grep -q '^delivered 0, failed 50$' "$tmp/out"
check "refused: the rest not sent" \
  grep -q '^not sent 2950: the server refused the credentials' "$tmp/out"
check "refused: no key in the output" \
  bash -c "! grep -q not-the-key '$tmp/out' '$tmp/err'"
stop_mock
check "refused: the mock saw one request, not 60 (got $(mock_requests))" \
  [ "$(mock_requests)" = 1 ]

# The same from a pipe: stopped without reading on
start_mock --write-key cli-key
run 3 import - --write-key not-the-key --endpoint "$url" \
  < <(cat "$tmp/3000.ndjson")
check "refused from a pipe: the rest is left unread" \
  grep -q '^not sent 0 + the rest of the input, unread: the server refused' "$tmp/out"
stop_mock
check "refused from a pipe: one request (got $(mock_requests))" \
  [ "$(mock_requests)" = 1 ]

# --dry-run sends nothing and prints every request it would send
start_mock --write-key cli-key --record "$tmp/dry.ndjson"
lines 120 DryRun >"$tmp/120.ndjson"
run 0 import "$tmp/120.ndjson" --write-key cli-key --endpoint "$url" --dry-run
check "dry-run import: summary says it did not deliver" \
  grep -q '^dry run, would deliver 120, failed 0$' "$tmp/out"
check "dry-run import: three requests shown" \
  [ "$(grep -c "^POST $url/v1/batch$" "$tmp/out")" -eq 3 ]
check "dry-run import: every line in a body" \
  [ "$(grep -o '"event":"DryRun"' "$tmp/out" | wc -l)" -eq 120 ]
check "dry-run import: credentials redacted" \
  grep -q '^Authorization: Basic \[redacted\]' "$tmp/out"
check "dry-run import: no key printed" bash -c "! grep -q cli-key '$tmp/out'"

# track --dry-run -v says it did not send, and shows what it would send
run 0 track --write-key cli-key --endpoint "$url" --user-id u --event V \
  --dry-run -v
check "dry-run -v: not sent" grep -q '^not sent .*: dry run' "$tmp/err"
check "dry-run -v: no claim of delivery" bash -c "! grep -q delivered '$tmp/err'"
check "dry-run -v: the request is shown" grep -q '"event":"V"' "$tmp/out"
stop_mock
check "dry runs: the mock saw no request (got $(mock_requests))" \
  [ "$(mock_requests)" = 0 ]
check "dry runs: nothing recorded" bash -c "[ ! -s '$tmp/dry.ndjson' ]"

# Events exported from Segment replay with their messageId, timestamp and
# context (library included); server fields are dropped, numeric IDs
# become strings, nulls are absent.
start_mock --write-key cli-key --record "$tmp/replayed.ndjson"
cat >"$tmp/export.ndjson" <<'EOF'
{"anonymousId":null,"channel":"server","context":{"library":{"name":"analytics-node","version":"1.2.3"},"ip":"203.0.113.9"},"event":"Order Completed","integrations":{},"messageId":"api-bV5ZmieDrhHeMrqws","originalTimestamp":"2017-09-10T00:32:29+08:00","projectId":"3jjqD3uFsq","properties":{"revenue":19.99},"receivedAt":"2017-09-09T16:32:30.575Z","sentAt":"2017-09-09T16:32:29.000Z","timestamp":"2017-09-09T16:32:30.575Z","type":"track","userId":12345,"version":2,"writeKey":"old-export-key","_metadata":{"bundled":["Segment.io"],"unbundled":[]}}
{"type":"identify","userId":"u-7","traits":{"plan":"pro"},"context":{"library":{"name":"analytics.js","version":"5.0.0"},"traits":{"plan":"pro"}},"channel":"client","messageId":"ajs-next-1","timestamp":"2024-05-06T07:08:09.010Z","receivedAt":"2024-05-06T07:08:10.000Z","version":2}
{"type":"page","anonymousId":"a-1","userId":null,"name":null,"properties":{"path":"/"},"messageId":"ajs-next-2","timestamp":"2024-05-06T07:08:11.000Z"}
EOF
run 0 import "$tmp/export.ndjson" --write-key cli-key --endpoint "$url"
check "export: three delivered" grep -q '^delivered 3, failed 0$' "$tmp/out"
track=$(grep '"messageId":"api-bV5ZmieDrhHeMrqws"' "$tmp/replayed.ndjson")
check "export: messageId kept" [ -n "$track" ]
has() { [[ $track == *"$1"* ]]; }
check "export: timestamp kept" has '"timestamp":"2017-09-09T16:32:30.575Z"'
check "export: original library kept" \
  has '"library":{"name":"analytics-node","version":"1.2.3"}'
check "export: context kept" has '"ip":"203.0.113.9"'
check "export: numeric userId as a string" has '"userId":"12345"'
check "export: channel kept" has '"channel":"server"'
check "export: _metadata kept" has '"_metadata":{"bundled":["Segment.io"]'
check "export: server fields dropped" bash -c "! grep -q \
  'receivedAt\|originalTimestamp\|projectId\|\"version\":2\|old-export-key' \
  '$tmp/replayed.ndjson'"
check "export: a null is an absent field" bash -c "! grep -q null \
  '$tmp/replayed.ndjson'"
check "export: the identify keeps analytics.js" \
  grep -q '"messageId":"ajs-next-1".*"name":"analytics.js"' "$tmp/replayed.ndjson"

# An over-long line is skipped and reported with its number; the lines
# around it go through.
{
  lines 1 Before
  head -c 200000 /dev/zero | tr '\0' ' '
  printf 'x\n'
  lines 1 After
} >"$tmp/long.ndjson"
run 2 import "$tmp/long.ndjson" --write-key cli-key --endpoint "$url"
check "long line: the others delivered" grep -q '^delivered 2, failed 1$' "$tmp/out"
check "long line: reported by number and size" grep -q \
  '^  1 x SEGB_ERR_TOO_LARGE (line 2): 200001 bytes, over the 65536-byte line limit; skipped$' \
  "$tmp/out"

# ... and never held whole: a 200 MB line from a pipe costs no 200 MB
if [ -x /usr/bin/time ]; then
  { head -c 200000000 /dev/zero | tr '\0' 'a'; printf '\n'; lines 1 After; } |
    /usr/bin/time -f '%M' -o "$tmp/rss" "$cli" import - --write-key cli-key \
      --endpoint "$url" >"$tmp/out" 2>"$tmp/err"
  check "200 MB line: skipped" grep -q '^delivered 1, failed 1$' "$tmp/out"
  check "200 MB line: peak RSS under 100 MB (got $(tail -1 "$tmp/rss") KiB)" \
    [ "$(tail -1 "$tmp/rss")" -lt 100000 ]
fi
stop_mock

finish
