#!/usr/bin/env bash
# What the CLI tells its user: --version, the help of each command with
# its own options only, every option in the man page, errors naming the
# flag or variable typed, why a file cannot be read, the import summary's
# counts and line numbers, test-connection's lines and the mock's help.
# Usage: test_cli_help.sh PATH/TO/segbridge VERSION PATH/TO/segbridge.1
set -u
cli=$1
version=$2
page=$3
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

# --version and version: the library's version
run 0 --version
check "--version is the library's ($(cat "$tmp/out"))" \
  [ "$(cat "$tmp/out")" = "segbridge $version" ]
run 0 version
check "version is the library's" [ "$(cat "$tmp/out")" = "segbridge $version" ]

# help: every command listed; help CMD and CMD --help alike
run 0 help
commands=$(sed -n '/^commands:/,/^$/s/^  \([a-z-]*\) .*/\1/p' "$tmp/out")
check "help lists 19 commands (got $(echo $commands | wc -w))" \
  [ "$(echo $commands | wc -w)" -eq 19 ]
run 0 --help
check "--help is help" grep -q '^  test-connection ' "$tmp/out"
run 2
check "no command: the list on standard error" grep -q '^  import ' "$tmp/err"
# flags: the options a command's help lists, one per line
flags() { grep -oE '^  (--[a-z-]+|-[a-z])' "$tmp/out" | tr -d ' ' | sort; }
for c in $commands; do
  [ "$c" = help ] && continue
  run 0 help "$c"
  flags >"$tmp/help.$c"
  check "help $c: its usage line" grep -q "^usage: .*$c" "$tmp/out"
  check "help $c: each option once" [ -z "$(uniq -d "$tmp/help.$c")" ]
  "$cli" "$c" --help >"$tmp/out" 2>&1
  check "$c --help is help $c" \
    diff -q <(flags) "$tmp/help.$c"
  # each option of each command in the man page
  while read -r flag; do
    check "segbridge.1 documents $c $flag" grep -qF -- "${flag//-/\\-}" "$page"
  done <"$tmp/help.$c"
done
has() { grep -qx -- "$2" "$tmp/help.$1"; }
hasnt() { ! has "$@"; }
check "help track has --user-id" has track --user-id
check "help track has no --batch-size" hasnt track --batch-size
check "help track has no --port" hasnt track --port
check "help track has no --token" hasnt track --token
check "help import has --spool" has import --spool
check "help import has --batch-size" has import --batch-size
check "help import has no --user-id" hasnt import --user-id
check "help mock has --record" has mock --record
check "help mock has no --endpoint" hasnt mock --endpoint
check "help token has --oauth-key-file" has token --oauth-key-file
check "help token has no --dry-run" hasnt token --dry-run
check "help workspace has --token" has workspace --token
check "help workspace has no --all" hasnt workspace --all
check "help sources has --count" has sources --count
check "help profile has --space" has profile --space
check "help profile has no --count" hasnt profile --count
check "help test-connection has --json" has test-connection --json
check "help test-connection has --write-key" has test-connection --write-key
check "help spool lists no option" [ ! -s "$tmp/help.spool" ]
check "help webhook-receiver has --secret" has webhook-receiver --secret
# the options a help lists are the ones the command takes
run 2 track --user-id u --event E --batch-size 7
check "an option of another command is refused" \
  grep -q "unrecognized option '--batch-size'" "$tmp/err"
check "... and the help to read named" grep -q 'segbridge help track' "$tmp/err"
run 2 help frobnicate
check "help of an unknown command" grep -q 'unknown command "frobnicate"' "$tmp/err"

# Errors name the flag or the variable typed, not the config property
env -u SEGMENT_WRITE_KEY "$cli" track --user-id u --event E \
  >"$tmp/out" 2>"$tmp/err"
check "no write key: exit 2" [ $? -eq 2 ]
check "no write key: --write-key and \$SEGMENT_WRITE_KEY named" \
  grep -qF -- '--write-key ($SEGMENT_WRITE_KEY)' "$tmp/err"
check "no write key: not write_key" bash -c "! grep -q write_key '$tmp/err'"
printf '{"type":"track","userId":"u","event":"E"}\n' >"$tmp/one.ndjson"
run 2 import "$tmp/one.ndjson" --write-key k --batch-size 0
check "--batch-size named, the library's reason kept" \
  grep -qx -- 'segbridge: --batch-size: "0" is out of range 1..2500' "$tmp/err"
check "not batch.max_events" bash -c "! grep -q batch.max_events '$tmp/err'"
run 2 track --write-key k --user-id u --event E --region mars
check "--region named" grep -q -- '^segbridge: --region: "mars" is not one of' "$tmp/err"
SEGMENT_WRITE_KEY=$'bad\nkey' run 2 track --user-id u --event E --dry-run
check "a bad value from the environment names the variable" \
  grep -q '^segbridge: \$SEGMENT_WRITE_KEY: ' "$tmp/err"
env -u SEGMENT_SPACE_ID "$cli" profile traits user_id:u-1 --profile-token p \
  --profiles-url http://127.0.0.1:9 >"$tmp/out" 2>"$tmp/err"
check "no space: --space and \$SEGMENT_SPACE_ID named" \
  grep -qF -- '--space ($SEGMENT_SPACE_ID) is not set' "$tmp/err"
env -u SEGMENT_WRITE_KEY -u SEGMENT_PUBLIC_API_TOKEN -u SEGMENT_PROFILE_TOKEN \
  "$cli" test-connection >"$tmp/out" 2>"$tmp/err"
check "nothing to check: the flags named" \
  grep -qF -- 'set --write-key ($SEGMENT_WRITE_KEY), --token' "$tmp/err"
check "nothing to check: a line per direction, skipped" \
  [ "$(grep -c '^[a-z]* *skipped  no --' "$tmp/out")" -eq 3 ]

# A file that cannot be read says why
run 2 import "$tmp/missing.ndjson" --write-key k
check "import: strerror" \
  grep -q "cannot open $tmp/missing.ndjson: No such file or directory" "$tmp/err"
run 2 track --write-key k --user-id u --event E --ca-file "$tmp/missing.pem"
check "--ca-file: strerror" grep -q \
  -- "--ca-file: cannot read $tmp/missing.pem: No such file or directory" "$tmp/err"
run 2 token --oauth-client-id a --oauth-key-id b --oauth-key-file "$tmp/missing.pem"
check "--oauth-key-file: strerror" grep -q \
  -- "--oauth-key-file: cannot read $tmp/missing.pem: No such file or directory" \
  "$tmp/err"
run 2 mock --oauth-public-key "$tmp/missing.pem"
check "--oauth-public-key: strerror" grep -q \
  -- "--oauth-public-key: cannot read $tmp/missing.pem: No such file or directory" \
  "$tmp/err"
run 1 mock --port 0 --record "$tmp/no/such/dir/rec.ndjson"
check "--record: strerror" grep -q "No such file or directory" "$tmp/err"
mkdir "$tmp/dir"
run 2 import "$tmp/dir" --write-key k --dry-run
check "import of a directory: why" grep -q "Is a directory" "$tmp/err"

# The mock's help: the three APIs, its space and tokens
run 0 mock --help
check "mock help: the Public API" grep -q 'the Public API' "$tmp/out"
check "mock help: the Profile API" grep -q 'the Profile API' "$tmp/out"
check "mock help: its space" grep -q 'spa_mock' "$tmp/out"
check "mock help: any token" grep -q 'any Bearer token' "$tmp/out"

start_mock --write-key cli-key

# The import summary: each reason once, its count, its first lines, the
# first one's reason in full
{
  printf 'not json\n'                                       # 1
  printf '{"type":"track","userId":"u","event":"E"}\n'      # 2
  printf '{bad\n'                                           # 3
  printf '{"type":"track","userId":"x"}\n'                  # 4
  for _ in 1 2 3 4 5 6; do printf '[1\n'; done              # 5-10
  printf '{"type":"track","userId":"u","event":"E","bogus":1}\n' # 11
} >"$tmp/mixed.ndjson"
run 2 import "$tmp/mixed.ndjson" --write-key cli-key --endpoint "$url"
check "summary: the totals" grep -qx 'delivered 1, failed 10' "$tmp/out"
check "summary: 8 invalid JSON, the first five lines" grep -qE \
  '^  8 x SEGB_ERR_INVALID_JSON \(lines 1, 3, 5, 6, 7, \.\.\.\): .+' "$tmp/out"
check "summary: one missing field, its line and reason" \
  grep -qx '  1 x SEGB_ERR_MISSING_FIELD (line 4): track message needs event' \
  "$tmp/out"
check "summary: one invalid field, its line" \
  grep -qE '^  1 x SEGB_ERR_[A-Z_]+ \(line 11\): .*bogus' "$tmp/out"
check "summary: three reasons" [ "$(grep -c '^  [0-9]* x SEGB_' "$tmp/out")" -eq 3 ]

# test-connection: a line per direction, and --json
run 0 test-connection --write-key cli-key --endpoint "$url" --token t \
  --api-url "$url" --profile-token p --profiles-url "$url" --space spa_mock
check "test-connection: three directions passed" \
  [ "$(grep -cE '^(send|receive|profiles) +passed ' "$tmp/out")" -eq 3 ]
check "test-connection: no JSON by default" bash -c "! grep -q '{\"send\"' '$tmp/out'"
run 3 test-connection --write-key not-the-key --endpoint "$url"
check "refused key: send failed" grep -qE '^send +failed ' "$tmp/out"
check "refused key: the error code" grep -qE '^ +error: SEGB_ERR_AUTH$' "$tmp/out"
check "refused key: why, on the send line" \
  grep -qE '^send +failed .*write key was refused' "$tmp/out"
check "refused key: the fix" grep -qE '^ +fix: .+' "$tmp/out"
check "refused key: the others skipped, naming their flags" \
  [ "$(grep -cE '^(receive|profiles) +skipped +no --' "$tmp/out")" -eq 2 ]
check "refused key: not printed" bash -c "! grep -q not-the-key '$tmp/out' '$tmp/err'"
run 3 test-connection --write-key not-the-key --endpoint "$url" --json
check "--json: one object" grep -q '^{"send":{"verdict":"failed","error":"SEGB_ERR_AUTH"' "$tmp/out"
stop_mock

finish
