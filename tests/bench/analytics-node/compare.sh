#!/bin/sh
# Side by side behind a simulated round trip: `segbridge import` with its
# default settings and @segment/analytics-node in a few configurations send
# the same NDJSON file (track events with five small properties, from 1000
# users, as tests/bench/bench_events.h makes them) to one mock that answers
# each request LATENCY_MS after it arrived. Prints events/s and peak RSS
# (/usr/bin/time -v) of each run, then segbridge against the best
# analytics-node run: goals >= 2x its events/s, <= 1/10 of its peak RSS.
#
# segbridge is timed as a whole process (start, reading the file, close);
# analytics-node by bench.mjs, from its first call to closeAndFlush()
# resolving (start-up and parsing the file excluded): any bias favours it.
#
# Not run in CI: it needs Node.js 20 and `npm install` in this directory.
# Usage: tests/bench/analytics-node/compare.sh       (from a Release build)
# Environment:
#   SEGBRIDGE     the CLI (default build-rel/tools/segbridge/segbridge, else
#                 build/tools/segbridge/segbridge)
#   EVENTS        events in the file (default 20000)
#   LATENCY_MS    the mock's --latency-ms (default 20)
#   CONFIGS       analytics-node runs, flushAt:flushInterval each (default
#                 "15:10000 15:100 50:10000 50:100 100:100 200:100 500:100";
#                 15 and 10000 ms are its defaults)
#   IMPORT_FLAGS  extra `segbridge import` flags to try (default none)
set -eu

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../../.." && pwd)
segbridge=${SEGBRIDGE:-}
if [ -z "$segbridge" ]; then
  segbridge=$root/build-rel/tools/segbridge/segbridge
  [ -x "$segbridge" ] || segbridge=$root/build/tools/segbridge/segbridge
fi
events=${EVENTS:-20000}
latency=${LATENCY_MS:-20}
configs=${CONFIGS:-"15:10000 15:100 50:10000 50:100 100:100 200:100 500:100"}
import_flags=${IMPORT_FLAGS:-}

[ -x "$segbridge" ] || { echo "compare.sh: no segbridge CLI at $segbridge (build it, or set SEGBRIDGE)" >&2; exit 2; }
[ -d "$here/node_modules/@segment/analytics-node" ] ||
  { echo "compare.sh: run 'npm install' in $here first" >&2; exit 2; }
[ -x /usr/bin/time ] || { echo "compare.sh: needs /usr/bin/time (GNU time) for peak RSS" >&2; exit 2; }

tmp=$(mktemp -d)
mock=
cleanup() {
  [ -n "$mock" ] && kill "$mock" 2>/dev/null && wait "$mock" 2>/dev/null
  rm -rf "$tmp"
}
trap cleanup EXIT INT TERM

# The same events as bench_events.h: user (i * 2654435761 mod 2^32) mod 1000.
awk -v n="$events" 'BEGIN {
  for (i = 0; i < n; i++)
    printf "{\"type\":\"track\",\"userId\":\"user-%d\",\"event\":\"Order Completed\",\"properties\":{\"plan\":\"pro\",\"items\":%d,\"revenue\":19.99,\"gift\":false,\"currency\":\"EUR\"}}\n",
      (i * 2654435761) % 4294967296 % 1000, i
}' >"$tmp/events.ndjson"

"$segbridge" mock --port 0 --latency-ms "$latency" >"$tmp/mock.out" 2>&1 &
mock=$!
url=
for _ in $(seq 100); do
  url=$(grep -o 'http://127\.0\.0\.1:[0-9]*' "$tmp/mock.out" || true)
  [ -n "$url" ] && break
  sleep 0.1
done
[ -n "$url" ] || { echo "compare.sh: the mock did not start:" >&2; cat "$tmp/mock.out" >&2; exit 1; }

now_ns() { date +%s%N; }
rss_mib() { awk '/Maximum resident set size/ { printf "%.1f", $NF / 1024 }' "$tmp/time"; }
results=$tmp/results # label, events/s, peak RSS MiB; one run a line

where="behind a $latency ms round trip (segbridge mock --latency-ms $latency)"
[ "$latency" -gt 0 ] || where="on loopback (segbridge mock)"
echo "$where, $events track events from 1000 users"

t0=$(now_ns)
# shellcheck disable=SC2086 # IMPORT_FLAGS is a list of flags
if /usr/bin/time -v -o "$tmp/time" "$segbridge" import "$tmp/events.ndjson" \
  --endpoint "$url" --write-key bench $import_flags >"$tmp/import.out" 2>&1; then
  rate=$(awk -v n="$events" -v t0="$t0" -v t1="$(now_ns)" 'BEGIN { printf "%.0f", n / ((t1 - t0) / 1e9) }')
else
  rate=0
  echo "  segbridge import failed:" && sed 's/^/    /' "$tmp/import.out"
fi
ours_rss=$(rss_mib)
label="segbridge import, default settings"
[ -z "$import_flags" ] || label="segbridge import $import_flags"
printf '  %-52s %7s events/s   peak RSS %6s MiB\n' "$label" "$rate" "$ours_rss"
ours=$rate

for cfg in $configs; do
  flush_at=${cfg%%:*}
  interval=${cfg#*:}
  label="analytics-node flushAt $flush_at, flushInterval $interval ms"
  if /usr/bin/time -v -o "$tmp/time" node "$here/bench.mjs" --url "$url" --file "$tmp/events.ndjson" \
    --flush-at "$flush_at" --flush-interval "$interval" >"$tmp/node.out" 2>&1; then
    # "  delivered D, failed F in S s: R events/s"
    rate=$(awk '/ delivered / { print $(NF - 1) }' "$tmp/node.out")
    grep -q ' failed 0 ' "$tmp/node.out" || echo "  $label: some events failed"
  else
    rate=0
    echo "  $label failed:" && sed 's/^/    /' "$tmp/node.out"
  fi
  printf '  %-52s %7s events/s   peak RSS %6s MiB\n' "$label" "$rate" "$(rss_mib)"
  echo "$label|$rate|$(rss_mib)" >>"$results"
done

sort -t'|' -k2,2nr "$results" | head -n1 | awk -F'|' -v ours="$ours" -v ours_rss="$ours_rss" '{
  printf "  best: %s: %s events/s, peak RSS %s MiB\n", $1, $2, $3
  ratio = ($2 > 0) ? ours / $2 : 0
  printf("  segbridge / best analytics-node: %.2fx (goal >= 2x): %s\n", ratio, (ratio >= 2) ? "PASS" : "MISS")
  share = ($3 > 0) ? ours_rss / $3 : 1
  printf("  peak RSS segbridge / analytics-node: %.1f %% (goal <= 10 %%): %s\n", 100 * share, (share <= 0.1) ? "PASS" : "MISS")
}'
