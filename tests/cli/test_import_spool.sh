#!/usr/bin/env bash
# segbridge import --spool: an import killed with SIGKILL and run again
# sends what the spool kept and goes on after its checkpoint, so that every
# line arrives, none is enqueued twice but the one a kill may leave at the
# checkpoint's edge (deduplicated by its messageId); another input is
# refused the checkpoint; `spool status` shows what is kept. Conditions
# are waited for with a bound, never timed.
# Usage: test_import_spool.sh PATH/TO/segbridge
set -u
cli=$1
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

lines=1000
for i in $(seq $lines); do
  printf '{"type":"track","userId":"u%d","event":"Spooled","properties":{"n":%d}}\n' \
    $((i % 20)) "$i"
done >"$tmp/in.ndjson"
spool=$tmp/spool
import() { # the import of the test, one request of 10 at a time; exec:
  # run in the background, its pid is the import's own
  exec "$cli" import "$tmp/in.ndjson" --write-key k --endpoint "$url" \
    --spool "$spool" --batch-size 10 --max-in-flight 2 --max-queue 40
}
# checkpoint: the input offset the checkpoint holds, 0 when there is none
checkpoint() {
  if [ -f "$spool/import.checkpoint" ]; then
    od -An -t u8 -j 16 -N 8 "$spool/import.checkpoint" | tr -d ' '
  else
    echo 0
  fi
}
kept() { # the records the spool status shows
  "$cli" spool status "$spool" 2>/dev/null | sed -n 's/.*"records":\([0-9]*\),.*/\1/p'
}

# A slow sink (200 ms a request): the import is killed once it has marked
# lines and the spool keeps events.
start_mock --latency-ms 200 --record "$tmp/first.ndjson"
(import) >"$tmp/out1" 2>"$tmp/err1" &
pid=$!
for _ in $(seq 1200); do # up to 60 s on a loaded machine
  [ "$(checkpoint)" -gt 0 ] && [ "$(kept)" -gt 0 ] && break
  sleep 0.05
done
check "the import marked lines and the spool keeps events ($(checkpoint), $(kept))" \
  [ "$(checkpoint)" -gt 0 ] && [ "$(kept)" -gt 0 ]
"$cli" spool status "$spool" >"$tmp/status1"
check "spool status names the live import as holder" \
  grep -q "\"holder_pid\":$pid}" "$tmp/status1"
kill -KILL $pid
wait $pid 2>/dev/null
check "the import was killed before it was done" \
  bash -c "! grep -q '^delivered' '$tmp/out1'"
stop_mock
"$cli" spool status "$spool" >"$tmp/status2"
check "after the kill nobody holds the spool" grep -q '"holder_pid":0}' "$tmp/status2"
check "after the kill the spool keeps events" \
  bash -c "! grep -q '\"records\":0,' '$tmp/status2'"

# Another input is refused the checkpoint, and changes nothing.
start_mock --record "$tmp/second.ndjson"
head -5 "$tmp/in.ndjson" >"$tmp/other.ndjson"
"$cli" import "$tmp/other.ndjson" --write-key k --endpoint "$url" \
  --spool "$spool" >"$tmp/out" 2>"$tmp/err"
check "another input: exit 2 ($?)" [ $? -eq 2 ]
check "another input: told why" grep -q 'belongs to another input' "$tmp/err"
check "another input: the checkpoint is kept" [ "$(checkpoint)" -gt 0 ]

# The same command again: what the spool kept, then the rest of the file.
(import) >"$tmp/out" 2>"$tmp/err"
check "resumed: exit 0 ($(head -c 300 "$tmp/err"))" [ $? -eq 0 ]
check "resumed: it said so" grep -q '^segbridge: resuming after line [0-9]*' "$tmp/err"
check "resumed: the kept events first" \
  grep -q "^segbridge: [0-9]* events left in $spool by a run before are sent first" \
  "$tmp/err"
check "resumed: nothing failed" grep -q '^delivered [0-9]*, failed 0$' "$tmp/out"
check "resumed: the checkpoint is gone" [ ! -e "$spool/import.checkpoint" ]
check "resumed: the spool is empty" [ "$(kept)" = 0 ]
stop_mock

cat "$tmp/first.ndjson" "$tmp/second.ndjson" >"$tmp/all.ndjson"
check "every line arrived ($(grep -o '"n":[0-9]*' "$tmp/all.ndjson" | sort -u | wc -l))" \
  [ "$(grep -o '"n":[0-9]*' "$tmp/all.ndjson" | sort -u | wc -l)" -eq $lines ]
dups=$(grep -o '"messageId":"[^"]*"' "$tmp/all.ndjson" | sort | uniq -d | wc -l)
echo "resumed import: $dups duplicate messageIds"
# at most the requests in flight at the kill, and the line at the edge
check "duplicates within the bound ($dups <= 21)" [ "$dups" -le 21 ]
check "lines without a messageId got one from their place" \
  grep -q '"messageId":"import-[0-9a-f]\{16\}-[0-9]*"' "$tmp/all.ndjson"

# spool status: usage and a directory without a spool
run 2 spool list "$spool"
check "spool: an unknown subcommand is named" grep -q 'unknown subcommand "list"' "$tmp/err"
mkdir "$tmp/empty"
run 5 spool status "$tmp/empty"
check "spool status: no spool there" grep -q 'SEGB_ERR_NOT_FOUND' "$tmp/err"

finish
