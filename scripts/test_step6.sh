#!/usr/bin/env bash
# Step 6: /mcp requires a valid Bearer JWT; every kind of bad token is a 401, never a 5xx.
source "$(dirname "$0")/lib.sh"
parse_args "$@"
build tokengen
start_auth_server step6 --public-key "$ROOT/keys/mcp_public_key.pem"
ALICE="$(tokengen --demo alice)"
INSPECT_TOKEN="$ALICE"

scenario "No token" "RFC 6750 §3.1: a challenge that says how to authenticate, and no error code."
mcp_post "$RPC_PING"
expect_status 401 "POST /mcp without a token"
expect_header www-authenticate '^Bearer realm="mcp-server"$' 'WWW-Authenticate: Bearer realm="mcp-server"'
expect_jq '.error == "unauthorized" and (.error_description | length > 0)' "an OAuth-style JSON body"
mcp_post "$RPC_PING" -H 'Authorization: Basic YWxpY2U6c2VjcmV0'
expect_status 401 "the Basic scheme is not a bearer token"
http POST "/mcp?access_token=$ALICE" -H 'Content-Type: application/json' --data-binary "$RPC_PING"
expect_status 401 "a valid token in the query string is not read (MCP: MUST NOT be in the URI)"

scenario "A valid token" "tokengen signs with the demo private key; the server verifies with the public key of step 5."
mcp_post "$RPC_PING" -H "$(bearer "$ALICE")"
expect_status 200 "ping with alice's token"
mcp_post "$RPC_PING" -H "authorization: bearer $ALICE"
expect_status 200 "the scheme is case-insensitive (bearer)"
mcp_post "$RPC_INITIALIZE" -H "$(bearer "$ALICE")"
expect_jq '.result._meta["mcp-auth-step-by-step/identity"] | .sub == "alice" and .scopes == ["mcp:read","mcp:tools"]' "initialize shows who you are in _meta"
T="$(tokengen --forge audience-list-with-ours)"
mcp_post "$RPC_PING" -H "$(bearer "$T")"
expect_status 200 "control: an aud list that contains our resource is accepted"

scenario "The bad-token table" "Each forged by tokengen --forge KIND; each must be 401 invalid_token (and never a 5xx)."
for kind in expired not-yet-valid wrong-issuer issuer-trailing-slash wrong-audience audience-list-without-ours \
            missing-exp missing-iss missing-aud missing-sub other-key unknown-kid missing-kid alg-none \
            hs256-public-key ps256 tampered-payload flipped-signature truncated-signature two-segments \
            four-segments five-segments garbage oversized not-an-access-token unknown-crit \
            issued-in-future ten-year-lifetime dpop-bound mtls-bound; do
  T="$(tokengen --forge "$kind")"
  # A kind tokengen no longer knows makes no token, and "Bearer " alone is a 401 too: check first.
  if [[ -z $T || $T == "$ALICE" ]]; then fail "$kind" "tokengen --forge $kind made no token"; continue; fi
  mcp_post "$RPC_PING" -H "$(bearer "$T")" >/dev/null
  if [[ $STATUS == 401 ]] && grep -qi '^www-authenticate: Bearer realm="mcp-server", error="invalid_token"' "$HEADERS_FILE"; then
    pass "$kind ($(forge_reason "$kind")) → 401 invalid_token"
  else
    fail "$kind" "got $STATUS: $(grep -i www-authenticate "$HEADERS_FILE")"
  fi
done
mcp_post "$RPC_PING" -H 'Authorization: Bearer '
expect_status 401 "empty → 401"
T="$(tokengen --forge expired)"
mcp_post "$RPC_PING" -H "$(bearer "$T")"
expect_header www-authenticate 'error_description="The access token expired"' "an expired token is told so"

scenario "What the log says" "Detailed reasons go to the log with the request id; the token itself never does."
T="$(tokengen --forge wrong-audience)"
mcp_post "$RPC_PING" -H "$(bearer "$T")"
RID="$(grep -i '^x-request-id:' "$HEADERS_FILE" | cut -d' ' -f2 | tr -d '\r')"
sleep 0.2
check "the log line for request $RID gives the reason (InvalidAudience)" grep -q "request_id=$RID.*InvalidAudience" "$SERVER_LOG"
expect_log_lacks "$ALICE" "alice's token never appears in the log"
expect_log_lacks "$(cut -d. -f2 <<<"$T")" "no part of a rejected token appears in the log"

scenario "What stays open" "Health and the key set need no token; and auth runs before the body is read."
http GET /health
expect_status 200 "/health"
http GET /.well-known/jwks.json
expect_status 200 "/.well-known/jwks.json"
head -c $((4 * 1024 * 1024)) /dev/zero | tr '\0' 'x' > "$WORK/big.json"
http POST /mcp -H 'Content-Type: application/json' --data-binary "@$WORK/big.json"
expect_status 401 "a 4 MiB body without a token is refused before it is read"
check "the server is still alive" kill -0 "$SERVER_PID"
stop_server

scenario "A public URL that cannot be one" "--server-url is parsed into a URL by clap: a path, a query, a user name or another scheme stops the server before it listens (usage error, exit 2)."
for bad in http://localhost:9000/mcp 'http://localhost:9000/?x' http://user@localhost:9000 ftp://localhost localhost:9000; do
  timeout 20 "$ROOT/target/debug/step6" --bind 127.0.0.1:0 --server-url "$bad" >"$WORK/bad-url.out" 2>&1; rc=$?
  check "--server-url $bad is refused (exit $rc)" test "$rc" -eq 2
done

finish
