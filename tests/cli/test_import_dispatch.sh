#!/usr/bin/env bash
# segbridge import's dispatcher flags: each reaches its setting (what the
# mock receives shows it, or the library's refusal of a bad value names
# it), a full queue makes the import wait instead of losing events, the
# summary's counters are what the mock received, and the progress line
# appears on a terminal only. Counts and contents only, no timings.
# Usage: test_import_dispatch.sh PATH/TO/segbridge
set -u
cli=$1
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

lines() { # N EVENT [USER]: N track lines, of N users or all of USER
  for i in $(seq "$1"); do
    printf '{"type":"track","userId":"%s","event":"%s","properties":{"n":%d}}\n' \
      "${3:-u$i}" "$2" "$i"
  done
}

# mock_batches: the event count of each request the mock (run with -v)
# accepted, one a line
mock_batches() {
  sed -n 's|^mock: POST /v1/batch 200 \([0-9]*\) events*$|\1|p' "$tmp/mock.out"
}

# mock_messages: the message count of the mock stop_mock ended.
mock_messages() {
  sed -n 's/^mock: [0-9]* requests, \([0-9]*\) messages.*/\1/p' "$tmp/mock.out"
}

# counter NAME: the number after NAME in the summary's "stats:" line
counter() {
  sed -n "s/^stats:.*[ ,]$1 \([0-9]*\)[,;].*/\1/p" "$tmp/out"
}

# --batch-size reaches batch.max_events: no request over 7 events, all 50
# delivered; the summary's counters are the mock's
lines 50 Sized >"$tmp/50.ndjson"
start_mock -v --record "$tmp/sized.ndjson"
run 0 import "$tmp/50.ndjson" --write-key k --endpoint "$url" --batch-size 7
stop_mock
check "batch-size: every line delivered" grep -q '^delivered 50, failed 0$' "$tmp/out"
check "batch-size: no request over 7 events ($(mock_batches | sort -n | tail -1))" \
  [ "$(mock_batches | sort -n | tail -1)" -le 7 ]
check "batch-size: the requests carried the 50 events" \
  [ "$(mock_batches | awk '{ n += $1 } END { print n }')" -eq 50 ]
check "batch-size: at least 8 requests (got $(mock_requests))" \
  [ "$(mock_requests)" -ge 8 ]
check "summary: requests as the mock counted ($(counter requests) vs $(mock_requests))" \
  [ "$(counter requests)" = "$(mock_requests)" ]
check "summary: delivered as the mock recorded ($(counter delivered))" \
  [ "$(counter delivered)" = "$(mock_messages)" ]
check "the mock recorded 50 (got $(mock_messages))" [ "$(mock_messages)" = 50 ]
check "summary: nothing dropped, refused or retried" \
  grep -q '^stats: delivered 50, dropped 0, refused 0, requests [0-9]*, retries 0; ' "$tmp/out"
check "summary: a rate" grep -q '^stats: .* s, [0-9]* events/s$' "$tmp/out"

# --max-queue reaches queue.max_events: a queue of 5 makes the import
# wait, and it loses nothing (nor sends anything twice)
lines 200 Bounded >"$tmp/200.ndjson"
start_mock -v --record "$tmp/bounded.ndjson"
run 0 import "$tmp/200.ndjson" --write-key k --endpoint "$url" --max-queue 5
stop_mock
check "max-queue: all 200 delivered" grep -q '^delivered 200, failed 0$' "$tmp/out"
check "max-queue: the waits are not refusals" \
  grep -q '^stats: delivered 200, dropped 0, refused 0,' "$tmp/out"
check "max-queue: no request over 5 events" \
  [ "$(mock_batches | sort -n | tail -1)" -le 5 ]
check "max-queue: 200 messages recorded, no duplicate" \
  grep -q '^mock: [0-9]* requests, 200 messages, 0 duplicates' "$tmp/mock.out"
check "max-queue: each event once" \
  [ "$(grep -o '"n":[0-9]*' "$tmp/bounded.ndjson" | sort -u | wc -l)" -eq 200 ]

# One user's events keep their order with 8 requests in flight (per_user,
# the default) and with fifo; none still delivers them all. Inline, before
# the dispatcher, every request is sent alone and this holds trivially.
lines 300 Ordered same-user >"$tmp/one-user.ndjson"
seq 300 | sed 's/^/"n":/' >"$tmp/order.want"
for ordering in per_user fifo none; do
  rm -f "$tmp/ordered.ndjson"
  start_mock --record "$tmp/ordered.ndjson"
  run 0 import "$tmp/one-user.ndjson" --write-key k --endpoint "$url" \
    --ordering "$ordering" --max-in-flight 8 --batch-size 10
  stop_mock
  check "ordering $ordering: all 300 delivered" \
    grep -q '^delivered 300, failed 0$' "$tmp/out"
  grep -o '"n":[0-9]*' "$tmp/ordered.ndjson" >"$tmp/order.got"
  if [ "$ordering" = none ]; then
    check "ordering none: each event once" \
      [ "$(sort -u "$tmp/order.got" | wc -l)" -eq 300 ]
  else
    check "ordering $ordering: one user's events in their order" \
      cmp -s "$tmp/order.want" "$tmp/order.got"
  fi
done

# --freshness, --linger-ms and --max-in-flight take their settings' values
start_mock --record "$tmp/fresh.ndjson"
run 0 import "$tmp/50.ndjson" --write-key k --endpoint "$url" \
  --freshness realtime --linger-ms 0 --max-in-flight 1
check "realtime, linger 0, one in flight: all delivered" \
  grep -q '^delivered 50, failed 0$' "$tmp/out"
# a batch that never fills and the longest linger: the flush at the end
# sends them
run 0 import "$tmp/50.ndjson" --write-key k --endpoint "$url" \
  --freshness batch --linger-ms 600000 --batch-size 2500 --max-in-flight 64
check "batch, the longest linger, 64 in flight: all delivered" \
  grep -q '^delivered 50, failed 0$' "$tmp/out"
stop_mock
check "freshness: the mock recorded both imports" \
  [ "$(mock_messages)" = 100 ]

# A bad value: the library's explanation under the flag the user typed,
# not the setting's name; exit 2, nothing sent
start_mock
bad() { # FLAG VALUE SETTING
  run 2 import "$tmp/50.ndjson" --write-key k --endpoint "$url" "$1" "$2"
  check "$1 $2: refused, naming $1" grep -q -- "^segbridge: $1: \"$2\" is" "$tmp/err"
  [ "$1" = "--$3" ] ||
    check "$1 $2: not naming $3" bash -c "! grep -q -- '$3' '$tmp/err'"
}
bad --batch-size 0 batch.max_events
bad --batch-size 2501 batch.max_events
bad --batch-size seven batch.max_events
bad --max-in-flight 0 dispatch.max_in_flight
bad --max-in-flight 65 dispatch.max_in_flight
bad --ordering lifo dispatch.ordering
bad --max-queue 0 queue.max_events
bad --freshness hourly freshness
bad --linger-ms -1 batch.linger_ms
bad --linger-ms 600001 batch.linger_ms
check "bad values: no summary" bash -c "! grep -q delivered '$tmp/out'"
# the flags are the import's: a single send refuses them
run 2 track --write-key k --endpoint "$url" --user-id u --event E --batch-size 7
check "track: --batch-size is not its option" \
  grep -q "unrecognized option '--batch-size'" "$tmp/err"
stop_mock
check "bad values: the mock saw no request (got $(mock_requests))" \
  [ "$(mock_requests)" = 0 ]

# Standard error is a pipe here: no progress line, the summary still there
start_mock
run 0 import "$tmp/200.ndjson" --write-key k --endpoint "$url"
no_progress() { ! grep -q -e $'\r' -e 'events/s' "$tmp/err"; }
check "pipe: no progress line" no_progress
check "pipe: the summary" grep -q '^stats: delivered 200,' "$tmp/out"

# On a terminal (script gives the import one), a "\r" progress line with
# the counters, then the summary
if script -qc tty /dev/null </dev/null 2>/dev/null | grep -q '^/dev/'; then
  script -qc "$(printf '%q ' "$cli" import "$tmp/200.ndjson" --write-key k \
    --endpoint "$url")" /dev/null </dev/null >"$tmp/tty" 2>&1
  check "terminal: a progress line" \
    grep -q $'\r[ 0-9]*% [0-9]* events/s, delivered [0-9]*, dropped 0, queued [0-9]*' \
    "$tmp/tty"
  check "terminal: its last state, all delivered" \
    grep -q $'\r100% [0-9]* events/s, delivered 200, dropped 0, queued 0' "$tmp/tty"
  check "terminal: the summary" grep -q '^stats: delivered 200,' "$tmp/tty"
else
  echo "SKIP: no terminal from script(1); the progress line is not checked"
fi
stop_mock

finish
