#!/usr/bin/env bash
# segbridge demo: every step's line and exit 0; the same with networking
# off (a new user and network namespace has a loopback only, down until
# brought up: with it left down the demo fails at step 1), skipped where
# unshare is not permitted; its help.
# Usage: test_demo.sh PATH/TO/segbridge
set -u
cli=$1
. "$(dirname "$0")/lib.sh"

steps=(mock events oauth profile webhook)

# check_steps WHAT: each step of the demo's output in $tmp/out passed
check_steps() {
  local i
  for i in "${!steps[@]}"; do
    check "$1: step $((i + 1)) (${steps[i]}) passed" \
      grep -qE "^$((i + 1))\. ${steps[i]}:" "$tmp/out"
  done
  check "$1: five verdicts, all passed" \
    [ "$(grep -c ': passed$' "$tmp/out")" -eq 5 ]
  check "$1: no step failed" bash -c "! grep -q FAILED '$tmp/out'"
  check "$1: the closing line" grep -q '^passed: 5 of 5 steps passed$' "$tmp/out"
}

run 0 demo
check_steps demo
check "the six types reached the mock" \
  grep -q 'the mock accepted 6: identify, track, page, screen, group, alias: passed' "$tmp/out"
check "the OAuth batch went with a token" \
  grep -qE 'the mock issued [1-9][0-9]* tokens? and accepted 20 events' "$tmp/out"
check "the profile's traits came back" grep -q 'email jane@example.com' "$tmp/out"
check "the signed webhook passed, the forged one did not" \
  grep -q 'signed: answered 200, the event printed; forged: answered 401' "$tmp/out"
check "no secret on the output" \
  bash -c "! grep -qE 'PRIVATE KEY|demo-write-key|demo-webhook-secret' '$tmp/out' '$tmp/err'"

# Networking off: the namespace's loopback is down until brought up, and it
# is all there is.
if ! unshare -rn true 2>/dev/null; then
  echo "SKIP: unshare -rn is not permitted here: the offline run is not tested"
elif ! command -v ip >/dev/null; then
  echo "SKIP: no ip(8) (iproute2) to bring the namespace's loopback up"
else
  # no route to anywhere but the loopback, then the demo
  unshare -rn bash -c 'ip link set lo up && ! ip route get 192.0.2.1 \
    >/dev/null 2>&1 && exec "$0" demo' "$cli" >"$tmp/out" 2>"$tmp/err"
  status=$?
  check "demo with networking off exits 0 (got $status: $(head -c 300 "$tmp/err"))" \
    [ "$status" -eq 0 ]
  check_steps "networking off"
  # and with the loopback left down, it fails at once, saying so
  unshare -rn "$cli" demo >"$tmp/out" 2>"$tmp/err"
  status=$?
  check "demo with the loopback down exits 1 (got $status)" [ "$status" -eq 1 ]
  check "the loopback down: step 1 says so" \
    grep -q '^   .*FAILED (no connection to it: is the loopback interface down?' "$tmp/out"
  check "the loopback down: the closing line" \
    grep -q '^FAILED: 0 of 5 steps passed$' "$tmp/out"
fi

run 0 help demo
check "help demo: its usage" grep -q '^usage: segbridge demo$' "$tmp/out"
check "help demo: no options" bash -c "! grep -q '^options:' '$tmp/out'"
check "help demo: what it does" grep -q 'network and no credentials' "$tmp/out"
run 0 demo --help
run 2 demo extra
check "help lists demo" bash -c "'$cli' --help | grep -q '^  demo '"

finish
