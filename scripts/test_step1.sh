#!/usr/bin/env bash
# Step 1: /health, and the Origin/Host guard that keeps web pages out of a local server.
source "$(dirname "$0")/lib.sh"
parse_args "$@"
build_and_start step1
INSPECT_CURL="curl -s -i \$BASE/health -H 'Origin: http://localhost.evil.example'"

scenario "Health" "A plain GET from curl (no Origin header) is a non-browser client: allowed."
http GET /health
expect_status 200 "GET /health answers"
expect_jq '. == {"status":"healthy"}' 'the body is {"status":"healthy"}, as in the blog'
expect_header x-request-id '^[0-9a-f-]{36}$' "every response carries an x-request-id for matching logs"

scenario "Loopback origins are allowed" "A page served from localhost (any port) may call us — e.g. MCP Inspector on :6274."
for origin in http://localhost:6274 http://127.0.0.1:3000 'http://[::1]:8080' https://localhost; do
  http GET /health -H "Origin: $origin"
  expect_status 200 "Origin $origin is allowed"
done

scenario "Foreign origins are refused" "Exact host match: the Python original's prefix check let http://localhost.evil.example in."
for origin in http://localhost.evil.example http://evil.example http://127.0.0.1.nip.io null 'http://localhost@evil.example'; do
  http GET /health -H "Origin: $origin"
  expect_status 403 "Origin $origin is refused"
done
expect_jq '.error.code == -32000 and .id == null' "the refusal is a JSON-RPC shaped error"

scenario "DNS rebinding" "evil.example now resolves to 127.0.0.1: the browser sends Host: evil.example to our loopback socket."
http GET /health -H "Host: evil.example:$PORT"
expect_status 403 "Host evil.example is refused while bound to loopback"
http GET /health -H "Host: localhost:$PORT"
expect_status 200 "Host localhost is fine"
http GET /health -H "Host: [::1]:$PORT"
expect_status 200 "Host [::1] is fine"

scenario "Unknown paths" "Anything else is a plain 404, not a crash."
http GET /nope
expect_status 404 "GET /nope is 404"

scenario "Slow clients are cut off" "A client that sends half its headers, would hold a connection for ever (slowloris). Limits: --header-read-timeout (step 2 shows --request-timeout), --max-connections."
stop_server
start_server step1 --header-read-timeout 2s --request-timeout 3s
SLOW="$(python3 "$ROOT/scripts/slow_client.py" "$PORT" half-headers)"
echo "  half-sent headers: $SLOW"
check "half-sent headers: the server closed the connection after $(jq .seconds <<<"$SLOW") s (--header-read-timeout 2s)" \
  test "$(jq '.closed and .seconds < 5' <<<"$SLOW")" = true

scenario "Help" "Every flag is documented."
for flag in --bind --header-read-timeout --request-timeout --write-timeout --max-connections --max-connections-per-client --max-requests-per-connection; do
  check "--help documents $flag" bash -c "'$ROOT/target/debug/step1' --help | grep -q -- $flag"
done

finish
