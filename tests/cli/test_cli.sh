#!/usr/bin/env bash
# The segbridge CLI end to end: exit codes, --dry-run redaction, import
# with its summary, and the mock command, against `segbridge mock` on
# loopback. Usage: test_cli.sh PATH/TO/segbridge
set -u
cli=$1
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

# A mock requiring key "cli-key", recording to a file, on a free port.
start_mock --write-key cli-key --record "$tmp/rec.ndjson"

# Sending: every type, delivered (0); identity problems are input errors (2)
run 0 identify --write-key cli-key --endpoint "$url" --user-id u1 \
  --traits '{"plan":"pro"}'
run 0 track --write-key cli-key --endpoint "$url" --user-id u1 --event E \
  --properties '{"n":1}' --gzip
run 0 page --write-key cli-key --endpoint "$url" --anonymous-id a1 --name Home
run 0 screen --write-key cli-key --endpoint "$url" --user-id u1 --name S
run 0 group --write-key cli-key --endpoint "$url" --user-id u1 --group-id g1
SEGMENT_WRITE_KEY=cli-key run 0 alias --endpoint "$url" --user-id u1 \
  --previous-id a1 --message-id cli-fixed-id
check "the mock recorded six messages" [ "$(wc -l <"$tmp/rec.ndjson")" -eq 6 ]
check "messageId kept" grep -q '"messageId":"cli-fixed-id"' "$tmp/rec.ndjson"
run 2 track --write-key cli-key --endpoint "$url" --event E
check "missing identity is explained" grep -q 'userId or anonymousId' "$tmp/err"
run 2 track --write-key cli-key --endpoint "$url" --user-id u --properties '[1'
run 2 frobnicate
run 2 track --timeout-ms abc

# Wrong key: authentication rejected (3), and the key is not printed
run 3 track --write-key not-the-key --endpoint "$url" --user-id u --event E
check "auth advice" grep -q 'write key was refused' "$tmp/err"
check "no key in errors" bash -c "! grep -q not-the-key '$tmp/err'"

# Nothing listening: network failure (4) within the time budget
run 4 track --write-key k --endpoint http://127.0.0.1:9 --user-id u --event E \
  --timeout-ms 1000

# --dry-run sends nothing and redacts the credentials
before=$(wc -l <"$tmp/rec.ndjson")
run 0 track --write-key cli-key --endpoint "$url" --user-id u --event DryRun \
  --dry-run
check "dry-run shows the URL" grep -q "^POST $url/v1/batch" "$tmp/out"
check "dry-run redacts Basic" grep -q '^Authorization: Basic \[redacted\]' "$tmp/out"
check "dry-run prints no key" bash -c "! grep -q cli-key '$tmp/out'"
check "dry-run sent nothing" [ "$(wc -l <"$tmp/rec.ndjson")" -eq "$before" ]
# ... through the bundled mock in the CLI's own process: the real
# destination is printed, and neither --proxy nor a proxy from the
# environment is used (a dead one would fail the run)
http_proxy=http://127.0.0.1:9 https_proxy=http://127.0.0.1:9 \
  run 0 track --write-key cli-key --region eu --user-id u --event DryEU \
  --dry-run --gzip --proxy http://127.0.0.1:9
check "dry-run prints the region's host" \
  grep -q '^POST https://events.eu1.segmentapis.com/v1/batch$' "$tmp/out"
check "dry-run shows the body before gzip" grep -q '"event":"DryEU"' "$tmp/out"
check "dry-run says the body is compressed" \
  grep -q '^Content-Encoding: gzip (the body below' "$tmp/out"
check "dry-run shows the User-Agent sent" \
  grep -q '^User-Agent: libsegbridge/' "$tmp/out"
run 0 identify --write-key cli-key --endpoint 'example.com:8443/v1/' \
  --user-id u --dry-run
check "dry-run: the endpoint as the client reads it" \
  grep -q '^POST https://example.com:8443/v1/batch$' "$tmp/out"
check "dry-run: still nothing sent" [ "$(wc -l <"$tmp/rec.ndjson")" -eq "$before" ]

# One option table: a shared option is checked alike for every command;
# numbers out of range or past 2^64 are refused, not wrapped or saturated
run 2 track --timeout-ms 0
check "send: --timeout-ms range" grep -q -- '--timeout-ms: "0" is not a number from 1' "$tmp/err"
run 2 workspace --timeout-ms 0
check "read: --timeout-ms range" grep -q -- '--timeout-ms: "0" is not a number from 1' "$tmp/err"
run 2 sources --count 1001
run 2 mock --seed -1
run 2 mock --seed 18446744073709551616
run 2 mock --fail-rate 1.5
run 2 sources --user-id u
run 2 source
check "a missing argument is explained" grep -q 'source: missing arguments' "$tmp/err"
run 2 track --user-id u --event E extra

# Import: 120 good lines and 2 bad ones
for i in $(seq 120); do
  printf '{"type":"track","userId":"u%d","event":"Imported"}\n' "$i"
done >"$tmp/in.ndjson"
printf 'not json\n{"type":"track","userId":"x"}\n' >>"$tmp/in.ndjson"
run 2 import "$tmp/in.ndjson" --write-key cli-key --endpoint "$url"
check "import summary" grep -q '^delivered 120, failed 2$' "$tmp/out"
check "import names the bad line" \
  grep -q '^  1 x SEGB_ERR_MISSING_FIELD (line 122): track message needs event$' "$tmp/out"
run 0 import --write-key cli-key --endpoint "$url" < <(head -5 "$tmp/in.ndjson")
check "stdin import" grep -q '^delivered 5, failed 0$' "$tmp/out"

# Reading: the Public and Profile APIs the mock also serves
run 0 workspace --token t --api-url "$url"
check "workspace JSON" grep -q '"slug":"mock-workspace"' "$tmp/out"
run 0 sources --token t --api-url "$url" --count 2 --all
check "every source once, as NDJSON" [ "$(grep -c '"id":"src_' "$tmp/out")" -eq 5 ]
run 0 source src_003 --token t --api-url "$url"
check "one source" grep -q '"id":"src_003"' "$tmp/out"
run 0 profile traits user_id:u-1 --space spa_mock --profile-token p \
  --profiles-url "$url" --limit 3
check "profile traits" grep -q '"email":"jane@example.com"' "$tmp/out"
run 5 profile traits user_id:nobody --space spa_mock --profile-token p \
  --profiles-url "$url"
check "no such profile is explained" grep -q 'no profile user_id:nobody' "$tmp/err"
run 0 test-connection --write-key cli-key --endpoint "$url" --token t \
  --api-url "$url" --profile-token p --profiles-url "$url" --space spa_mock \
  --json
check "test-connection --json verdicts" \
  grep -q '"receive":{"verdict":"passed"' "$tmp/out"
run 3 test-connection --write-key not-the-key --endpoint "$url" --json
check "test-connection --json advice" grep -q 'write key was refused' "$tmp/out"

# The mock stops on SIGTERM and prints its counts
kill -TERM "$mock_pid"
wait "$mock_pid"
check "mock exits 0 on SIGTERM" [ $? -eq 0 ]
mock_pid=
check "mock prints stats" grep -q 'messages' "$tmp/mock.out"

finish
