#!/usr/bin/env bash
# Runs one program of examples/ against `segbridge mock`, configured as a
# user would configure it (environment variables), and checks its exit
# status, what it printed and what the mock recorded.
# Usage: run_example.sh CASE PATH/TO/segbridge PATH/TO/example EXAMPLES_DIR
#   CASE: activation, qualification_agent, nurture_conversion, analytics,
#   service, oauth or cpp. SEGB_EXAMPLE_WRAPPER, when set, prefixes the
#   example's command line (e.g. "valgrind --error-exitcode=1
#   --leak-check=full").
set -u
case_name=$1
cli=$2
example=$3
examples_dir=$4
. "$(dirname "${BASH_SOURCE[0]}")/../cli/lib.sh"
read -r -a wrapper <<<"${SEGB_EXAMPLE_WRAPPER:-}"
key=example-write-key

# run_ex EXPECTED_STATUS [VAR=VALUE...] -- ARGS...: the example with these
# variables, output in $tmp/out and $tmp/err.
run_ex() {
  local want=$1 got
  local -a vars=()
  shift
  while [ "$1" != -- ]; do
    vars+=("$1")
    shift
  done
  shift
  env "${vars[@]}" "${wrapper[@]}" "$example" "$@" <"${stdin:-/dev/null}" \
    >"$tmp/out" 2>"$tmp/err"
  got=$?
  check "$(basename "$example") $* exits $want (got $got: $(head -c 400 "$tmp/err"))" \
    [ "$got" -eq "$want" ]
}

# recorded PATTERN: the number of recorded messages matching PATTERN (ERE).
recorded() {
  grep -cE "$1" "$tmp/rec" || true
}

send_env() {
  echo "SEGMENT_WRITE_KEY=$key" "SEGMENT_ENDPOINT=$url"
}

case_activation() {
  start_mock --write-key "$key" --record "$tmp/rec"
  run_ex 0 $(send_env) -- lead_777 lead@example.com 92 Web
  check "activation: 2 delivered" grep -q '2 delivered, 0 dropped' "$tmp/out"
  check "activation: a fate per event" [ "$(grep -c '^delivered ' "$tmp/out")" -eq 2 ]
  # below the threshold: nothing sent
  run_ex 0 $(send_env) -- lead_778 low@example.com 40
  check "activation: unqualified lead sends nothing" grep -q 'not qualified' "$tmp/out"
  # a refused write key: the fates say so, the status too
  run_ex 1 SEGMENT_WRITE_KEY=wrong-key "SEGMENT_ENDPOINT=$url" -- lead_779
  check "activation: dropped reported" grep -q '^dropped ' "$tmp/out"
  run_ex 1 "SEGMENT_ENDPOINT=$url" --
  check "activation: names the missing variable" grep -q SEGMENT_WRITE_KEY "$tmp/err"
  stop_mock
  check "activation: identify with traits" \
    [ "$(recorded '"type":"identify".*"userId":"lead_777".*"email":"lead@example.com".*"lead_score":92')" -eq 1 ]
  check "activation: Lead Qualified with score and source" \
    [ "$(recorded '"userId":"lead_777".*"event":"Lead Qualified"')" -eq 1 ]
  check "activation: its properties" \
    [ "$(recorded '"properties":\{"score":92,"source":"Web"\}')" -eq 1 ]
  check "activation: two recorded in all" [ "$(wc -l <"$tmp/rec")" -eq 2 ]
}

profile_env() {
  echo "SEGMENT_PROFILE_TOKEN=example-token SEGMENT_SPACE_ID=spa_mock" \
    "SEGMENT_PROFILE_ENDPOINT=$url"
}

case_qualification_agent() {
  start_mock
  # the mock's Jane: plan pro, a CTO at Acme on the newsletter (50), 30
  # events of which 10 messages and 10 page views (30)
  run_ex 0 $(profile_env) -- email:jane@example.com
  check "agent: every trait read" grep -q '(Jane Doe): 12 traits, 30 recent events (10 messages, 10 page views)' "$tmp/out"
  check "agent: the score" grep -q 'lead score 80/100 (traits 50, engagement 30): qualified' "$tmp/out"
  run_ex 0 $(profile_env) -- 'user_id:jane doe/ü+1'
  check "agent: a low score" grep -q 'lead score .*: nurture' "$tmp/out"
  run_ex 2 $(profile_env) -- user_id:nobody
  check "agent: no such profile" grep -q 'no profile user_id:nobody' "$tmp/err"
  run_ex 1 SEGMENT_PROFILE_TOKEN=t "SEGMENT_PROFILE_ENDPOINT=$url" --
  check "agent: names the missing variable" grep -q SEGMENT_SPACE_ID "$tmp/err"
  stop_mock
}

case_nurture_conversion() {
  local secret=example-shared-secret sig
  start_mock --write-key "$key" --record "$tmp/rec"
  printf '%s' '{"type":"track","userId":"u-1","event":"Conversation Ended","properties":{"outcome":"converted","conversation_id":"c-77"}}' >"$tmp/body.json"
  sig=$(openssl dgst -sha1 -hmac "$secret" <"$tmp/body.json" | sed 's/.*= *//')
  local -a env=($(send_env) $(profile_env) "SEGMENT_WEBHOOK_SECRET=$secret")
  run_ex 0 "${env[@]}" -- -s "$sig" "$tmp/body.json"
  check "nurture: verified" grep -q 'webhook verified: 1 event' "$tmp/out"
  check "nurture: read the 360" grep -q '360 of user_id:u-1: Jane Doe, plan pro' "$tmp/out"
  check "nurture: delivered" grep -q '1 outcome(s) sent, 1 delivered' "$tmp/out"
  # the same body from standard input with a forged signature: refused
  stdin="$tmp/body.json" run_ex 1 "${env[@]}" -- -s 0000000000000000000000000000000000000000
  check "nurture: forged signature refused" grep -q 'SEGB_ERR_WEBHOOK_WRONG_SIGNATURE' "$tmp/err"
  # a customer Segment has no profile of, not converted: still sent
  printf '%s' '{"type":"track","userId":"u-new","event":"Conversation Ended","properties":{"outcome":"no_reply"}}' >"$tmp/body2.json"
  sig=$(openssl dgst -sha1 -hmac "$secret" <"$tmp/body2.json" | sed 's/.*= *//')
  stdin="$tmp/body2.json" run_ex 0 "${env[@]}" -- -s "$sig" -
  check "nurture: no profile yet" grep -q 'no profile user_id:u-new yet' "$tmp/out"
  stop_mock
  check "nurture: the outcome with the 360" \
    [ "$(recorded '"userId":"u-1","event":"Conversation Converted","properties":\{"conversation_id":"c-77","outcome":"converted","plan":"pro","recent_events":[0-9]+\}')" -eq 1 ]
  check "nurture: the nurtured one" \
    [ "$(recorded '"userId":"u-new","event":"Conversation Nurtured"')" -eq 1 ]
  check "nurture: nothing from the forged request" [ "$(wc -l <"$tmp/rec")" -eq 2 ]
}

case_analytics() {
  start_mock --write-key "$key" --record "$tmp/rec"
  run_ex 0 $(send_env) -- "$examples_dir/data/whatsapp_conversation.tsv"
  check "analytics: summary" grep -q '8 calls sent (1 page, 2 screen, 5 track), 8 delivered, 0 dropped, 0 lines failed' "$tmp/out"
  printf 'not a log line\n' >"$tmp/bad.tsv"
  run_ex 1 $(send_env) -- "$tmp/bad.tsv"
  check "analytics: names the bad line" grep -q 'line 1: not 4 tab-separated fields' "$tmp/err"
  stop_mock
  check "analytics: 8 recorded" [ "$(wc -l <"$tmp/rec")" -eq 8 ]
  check "analytics: the page" \
    [ "$(recorded '"type":"page".*"timestamp":"2026-04-19T10:01:05Z","userId":"\+15555550123".*"url":"https://example.com/pricing"\},"name":"/pricing"')" -eq 1 ]
  check "analytics: the screens" [ "$(recorded '"type":"screen".*"category":"WhatsApp Flow"')" -eq 2 ]
  check "analytics: received" [ "$(recorded '"event":"Message Received"')" -eq 3 ]
  check "analytics: sent" [ "$(recorded '"event":"Message Sent"')" -eq 2 ]
}

# counter NAME: the value of NAME= on the example's counters line.
counter() {
  sed -n "s/^counters:.* $1=\([0-9]*\).*/\1/p" "$tmp/out"
}

case_service() {
  local pid got
  start_mock --write-key "$key" --record "$tmp/rec"
  # a fixed number of events through a small queue that blocks when full
  run_ex 0 $(send_env) SERVICE_THREADS=4 SERVICE_EVENTS=100 SERVICE_PACE_MS=0 \
    SERVICE_QUEUE_MAX=20 --
  check "service: counters printed" grep -q '^counters: enqueued=' "$tmp/out"
  check "service: all accounted for" \
    [ $(($(counter enqueued) + $(counter refused))) -eq 400 ]
  check "service: all accepted delivered" [ "$(counter delivered)" -eq "$(counter enqueued)" ]
  local first=$(counter delivered)
  # until a signal: SIGTERM once the mock has seen events
  env $(send_env) SERVICE_THREADS=3 "${wrapper[@]}" "$example" \
    >"$tmp/out" 2>"$tmp/err" &
  pid=$!
  for _ in $(seq 1200); do # up to 60 s on a loaded machine
    grep -q 'until SIGINT or SIGTERM' "$tmp/out" && [ -s "$tmp/rec" ] &&
      [ "$(wc -l <"$tmp/rec")" -gt "$first" ] && break
    sleep 0.05
  done
  kill -TERM "$pid"
  wait "$pid"
  got=$?
  check "service: stops on SIGTERM with status 0 (got $got: $(head -c 300 "$tmp/err"))" [ "$got" -eq 0 ]
  check "service: says why it stopped" grep -q 'stopping on a signal' "$tmp/out"
  check "service: delivered what it accepted" [ "$(counter delivered)" -eq "$(counter enqueued)" ]
  local second=$(counter delivered)
  stop_mock
  check "service: the mock has every delivered event" \
    [ "$(recorded '"event":"Message Handled"')" -eq $((first + second)) ]
}

case_oauth() {
  openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 \
    -out "$tmp/key.pem" 2>/dev/null
  openssl pkey -in "$tmp/key.pem" -pubout -out "$tmp/pub.pem"
  start_mock --write-key "$key" --record "$tmp/rec" \
    --oauth-public-key "$tmp/pub.pem" --oauth-client-id app-1 \
    --oauth-key-id kid-1
  local -a env=($(send_env) "SEGMENT_OAUTH_SERVER=$url"
    SEGMENT_OAUTH_CLIENT_ID=app-1 "SEGMENT_OAUTH_KEY_FILE=$tmp/key.pem")
  run_ex 0 "${env[@]}" SEGMENT_OAUTH_KEY_ID=kid-1 -- u-oauth
  check "oauth: delivered" grep -q '2 of 2 delivered' "$tmp/out"
  # the mock refuses the assertion of another key ID: OAuth is in use
  run_ex 1 "${env[@]}" SEGMENT_OAUTH_KEY_ID=kid-2 -- u-refused
  check "oauth: the refusal explained" grep -q 'unknown key id' "$tmp/out"
  check "oauth: no key in the output" \
    bash -c "! grep -q 'PRIVATE KEY' '$tmp/out' '$tmp/err'"
  run_ex 1 "${env[@]}" --
  check "oauth: names the missing variable" grep -q SEGMENT_OAUTH_KEY_ID "$tmp/err"
  stop_mock
  check "oauth: recorded" [ "$(recorded '"userId":"u-oauth"')" -eq 2 ]
  check "oauth: nothing from the refused key" [ "$(recorded 'u-refused')" -eq 0 ]
}

case_cpp() {
  start_mock --write-key "$key" --record "$tmp/rec"
  run_ex 0 $(send_env) -- u-cpp
  check "cpp: delivered" grep -q '2 of 2 delivered, 0 dropped' "$tmp/out"
  run_ex 1 "SEGMENT_ENDPOINT=$url" --
  check "cpp: names the missing variable" grep -q SEGMENT_WRITE_KEY "$tmp/err"
  stop_mock
  check "cpp: identify" [ "$(recorded '"type":"identify".*"userId":"u-cpp".*"plan":"pro"')" -eq 1 ]
  check "cpp: track" [ "$(recorded '"userId":"u-cpp","event":"Lead Qualified","properties":\{"score":85,"source":"WhatsApp"\}')" -eq 1 ]
}

"case_$case_name"
finish
