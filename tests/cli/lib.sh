# Shared by the CLI test scripts: sourced after `cli` names the segbridge
# binary. Gives a temporary directory, check/run helpers, a mock starter
# and the closing count line.
tmp=$(mktemp -d)
mock_pid=
passed=0
failed=0
trap '[ -n "$mock_pid" ] && kill "$mock_pid" 2>/dev/null; rm -rf "$tmp"' EXIT

check() { # NAME CONDITION...
  local name=$1
  shift
  if "$@"; then
    passed=$((passed + 1))
  else
    failed=$((failed + 1))
    echo "FAIL: $name" >&2
  fi
}

# run EXPECTED_STATUS ARGS...: run the CLI, keep its output, check the status
run() {
  local want=$1 got
  shift
  "$cli" "$@" >"$tmp/out" 2>"$tmp/err"
  got=$?
  check "segbridge $* exits $want (got $got: $(head -c 300 "$tmp/err"))" \
    [ "$got" -eq "$want" ]
}

# start_mock ARGS...: `segbridge mock --port 0 ARGS` in the background;
# sets url once it listens (its output is in $tmp/mock.out).
start_mock() {
  # emptied first: the mock's own redirection may truncate the file after
  # the loop below read the URL of the mock before
  : >"$tmp/mock.out"
  "$cli" mock --port 0 "$@" >"$tmp/mock.out" 2>&1 &
  mock_pid=$!
  # The line may be read while the mock is still writing it: wait for the
  # port and the space after it, not for the first "http://".
  for _ in $(seq 1200); do # up to 60 s on a loaded machine
    grep -qE 'http://127\.0\.0\.1:[0-9]+ ' "$tmp/mock.out" 2>/dev/null && break
    kill -0 "$mock_pid" 2>/dev/null || break # it died: say so below
    sleep 0.05
  done
  url=$(grep -oE 'http://127\.0\.0\.1:[0-9]+' "$tmp/mock.out")
  check "mock prints its URL" [ -n "$url" ]
  if [ -z "$url" ]; then
    kill -0 "$mock_pid" 2>/dev/null || echo "the mock exited before it listened" >&2
    echo "mock output: $(cat "$tmp/mock.out")" >&2
  fi
}

# stop_mock: SIGTERM the mock and wait; its closing counts are then in
# $tmp/mock.out ("mock: N requests, M messages, ...").
stop_mock() {
  kill -TERM "$mock_pid"
  wait "$mock_pid"
  mock_pid=
}

# mock_requests: the request count of the mock stop_mock ended.
mock_requests() {
  sed -n 's/^mock: \([0-9]*\) requests.*/\1/p' "$tmp/mock.out"
}

# The closing line ctest reads, and the script's status.
finish() {
  echo "$passed passed, $failed failed"
  [ "$failed" -eq 0 ]
}
