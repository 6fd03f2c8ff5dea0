#!/usr/bin/env bash
# The segbridge CLI with OAuth: `segbridge token`, send commands with the
# --oauth-* flags, and `segbridge mock` serving /token, with keys made by
# the openssl command line. Usage: test_oauth_cli.sh PATH/TO/segbridge
set -u
cli=$1
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 \
  -out "$tmp/key.pem" 2>/dev/null
openssl pkey -in "$tmp/key.pem" -pubout -out "$tmp/pub.pem"
openssl pkey -in "$tmp/key.pem" -traditional -out "$tmp/key1.pem"
openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:1024 \
  -out "$tmp/small.pem" 2>/dev/null

start_mock --write-key cli-key --record "$tmp/rec.ndjson" \
  --oauth-public-key "$tmp/pub.pem" --oauth-client-id app-1 \
  --oauth-key-id kid-1
check "mock says it serves /token" grep -q 'OAuth /token served' "$tmp/mock.out"

oauth=(--oauth-server "$url" --oauth-client-id app-1 --oauth-key-id kid-1)

# token: the server's answer as JSON
run 0 token "${oauth[@]}" --oauth-key-file "$tmp/key.pem"
check "token prints access_token" grep -q '"access_token":"mock-' "$tmp/out"
check "token prints expires_in" grep -q '"expires_in":3600' "$tmp/out"
run 0 token "${oauth[@]}" --oauth-key-file "$tmp/key1.pem"
check "PKCS#1 key works" grep -q '"access_token"' "$tmp/out"

# token: each mistake its own error and exit status, no key in the output
run 3 token --oauth-server "$url" --oauth-client-id app-1 \
  --oauth-key-id kid-2 --oauth-key-file "$tmp/key.pem"
check "wrong kid: invalid_client" grep -q 'SEGB_ERR_OAUTH_INVALID_CLIENT' "$tmp/err"
check "no key material in errors" bash -c "! grep -q 'BEGIN\|MII' '$tmp/err'"
run 3 token "${oauth[@]}" --oauth-key-file "$tmp/key.pem" \
  --oauth-scope functions:write
check "bad scope: invalid_scope" grep -q 'invalid_scope' "$tmp/err"
run 2 token "${oauth[@]}" --oauth-key-file "$tmp/small.pem"
check "small key explained" grep -q '1024-bit' "$tmp/err"
run 2 token "${oauth[@]}" --oauth-key-file "$tmp/pub.pem"
check "public key explained" grep -q 'not a private key' "$tmp/err"
run 2 token "${oauth[@]}" --oauth-key-file "$tmp/missing.pem"
run 2 token --oauth-key-file "$tmp/key.pem"
check "token wants a client ID" grep -q 'oauth-client-id' "$tmp/err"

# sending: a Bearer token, and the write key still in the body
run 0 track --write-key cli-key --endpoint "$url" "${oauth[@]}" \
  --oauth-key-file "$tmp/key.pem" --user-id u1 --event OAuthed
check "event recorded" grep -q '"event":"OAuthed"' "$tmp/rec.ndjson"
run 3 track --write-key cli-key --endpoint "$url" "${oauth[@]}" \
  --oauth-key-file "$tmp/key.pem" --oauth-scope nope --user-id u1 --event E
run 2 track --write-key cli-key --endpoint "$url" "${oauth[@]}" \
  --oauth-key-file "$tmp/key.pem" --user-id u1 --event E --dry-run
check "dry-run refuses OAuth" grep -q 'segbridge token' "$tmp/err"

finish
