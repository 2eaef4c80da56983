#!/usr/bin/env bash
# Step 10: env files (direct and proxy), the effective configuration, and CORS for browser clients.
source "$(dirname "$0")/lib.sh"
parse_args "$@"
build step10
export IDP_PORT="$(free_port)"
IDP="http://localhost:$IDP_PORT"
idp() { "$ROOT/scripts/idp.sh" "$@"; }
trap 'idp stop >/dev/null 2>&1; cleanup' EXIT
idp start >/dev/null || { echo "could not start the identity provider" >&2; exit 1; }
ADMIN="$(idp token mcp-admin)"; USER="$(idp token mcp-user)"

scenario "Direct mode: --env env/keycloak_direct.env" \
  "The file configures realm, audience and CORS; variables already set (bind, Keycloak URL, public URL — free ports here) win over it."
P="$(free_port)"
export MCP_SERVER_URL="http://localhost:$P" KEYCLOAK_URL="$IDP" KEYCLOAK_CLIENT_SECRET=do-not-print-me
start_server_on_port step10 "$P" --env "$ROOT/env/keycloak_direct.env"
unset MCP_SERVER_URL KEYCLOAK_URL KEYCLOAK_CLIENT_SECRET
check "the effective configuration is printed, naming the env file" grep -q "env file .*env/keycloak_direct.env" "$SERVER_LOG"
check "…with the issuer from KEYCLOAK_URL set in the environment (not the file's :8080)" grep -q "issuer .*$IDP/realms/mcp-realm" "$SERVER_LOG"
check "…with the audience and CORS origins from the file" grep -q "audience .*echo-mcp-server" "$SERVER_LOG"
check "a secret in the environment is announced but never printed" bash -c "grep -q 'KEYCLOAK_CLIENT_SECRET (set, not shown)' '$SERVER_LOG' && ! grep -q do-not-print-me '$SERVER_LOG'"
mcp_post "$RPC_TOOLS_CALL" -H "$(bearer "$ADMIN")"
expect_status 200 "mcp-admin calls echo"
mcp_post "$RPC_PROMPTS_GET" -H "$(bearer "$USER")"
expect_status 403 "mcp-user still may not get prompts (step 8's policy, unchanged)"
mcp_post "$RPC_PROMPTS_GET" -H 'Mcp-Method: prompts/get'
expect_header www-authenticate 'scope="mcp:prompts"' "a 401 names the scope its request needs (prompts/get → mcp:prompts)"
mcp_post "$RPC_TOOLS_CALL"
expect_header www-authenticate 'scope="mcp:tools"' "…from the body when the method is not in a header (legacy tools/call → mcp:tools)"
mcp_post "$RPC_TOOLS_LIST"
expect_header www-authenticate 'scope="mcp:read"' "…and the baseline mcp:read for tools/list"

scenario "CORS for MCP Inspector (http://localhost:6274)" \
  "The preflight carries no token, so it is answered before authentication; the 401 challenge is exposed to the page."
http OPTIONS /mcp -H 'Origin: http://localhost:6274' -H 'Access-Control-Request-Method: POST' -H 'Access-Control-Request-Headers: authorization, content-type, mcp-protocol-version'
if [[ $STATUS =~ ^2 ]]; then pass "preflight without a token → $STATUS"; else fail "preflight" "got $STATUS"; fi
expect_header access-control-allow-origin '^http://localhost:6274$' "Access-Control-Allow-Origin echoes the allowed origin"
expect_header access-control-allow-headers 'authorization' "Authorization is allowed"
expect_header access-control-allow-headers 'content-type' "Content-Type is allowed"
expect_header access-control-allow-headers 'mcp-protocol-version' "MCP-Protocol-Version is allowed"
expect_header access-control-allow-headers 'mcp-method' "Mcp-Method is allowed (2026-07-28 mirrors the method into it)"
expect_header access-control-allow-headers 'mcp-name' "Mcp-Name is allowed (…and the tool or prompt name)"
mcp_post "$RPC_PING" -H 'Origin: http://localhost:6274'
expect_status 401 "the real request without a token is 401"
expect_header access-control-expose-headers 'www-authenticate' "…and WWW-Authenticate is exposed to the page"
expect_header access-control-expose-headers 'mcp-session-id' "…as is Mcp-Session-Id"
mcp_post "$RPC_TOOLS_LIST" -H 'Origin: http://localhost:6274' -H "$(bearer "$ADMIN")"
expect_status 200 "with a token, the browser client lists tools"
http OPTIONS /mcp -H 'Origin: https://evil.example' -H 'Access-Control-Request-Method: POST'
expect_header access-control-allow-origin '^$' "an origin not on the list gets no CORS permission"
mcp_post "$RPC_PING" -H 'Origin: https://evil.example' -H "$(bearer "$ADMIN")"
expect_status 403 "…and the Origin guard refuses its requests"
http GET /.well-known/oauth-protected-resource/mcp -H 'Origin: https://anything.example'
expect_header access-control-allow-origin '^\*$' "the public metadata stays readable from any origin"
stop_server

scenario "Proxy mode: --env env/keycloak_proxy.env" \
  "Clients reach the server through a proxy (here a loopback forwarder): every URL the server publishes names the proxy."
BIND_PORT="$(free_port)"; PROXY_PORT="$(free_port)"
python3 "$ROOT/scripts/forward.py" "$PROXY_PORT" "$BIND_PORT" & STARTED_PIDS+=($!)
wait_for_port "$PROXY_PORT"
export MCP_SERVER_URL="http://localhost:$PROXY_PORT" KEYCLOAK_URL="$IDP"
start_server_on_port step10 "$BIND_PORT" --env "$ROOT/env/keycloak_proxy.env"
unset MCP_SERVER_URL KEYCLOAK_URL
check "the printed configuration names the proxy's public URL" grep -q "server url .*http://localhost:$PROXY_PORT" "$SERVER_LOG"
PROXY="http://localhost:$PROXY_PORT"
http POST "$PROXY/mcp" -H 'Content-Type: application/json' --data-binary "$RPC_PING"
expect_status 401 "through the proxy, no token → 401"
expect_header www-authenticate "resource_metadata=\"$PROXY/.well-known/oauth-protected-resource/mcp\"" "the challenge points to the metadata at the proxy's URL"
http GET "$PROXY/.well-known/oauth-protected-resource/mcp"
expect_jq ".resource == \"$PROXY/mcp\"" "the resource is the proxy's URL"
http POST "$PROXY/mcp" -H 'Content-Type: application/json' -H "$(bearer "$ADMIN")" --data-binary "$RPC_TOOLS_CALL"
expect_status 200 "a Keycloak token works through the proxy"
stop_server

scenario "A missing env file" "Naming a file that does not exist is an error, not a silent default."
out="$("$ROOT/target/debug/step10" --env /nonexistent/x.env 2>&1)"; rc=$?
check "exit code is non-zero" test "$rc" -ne 0
check "the message names the file and the two shipped ones" grep -q "/nonexistent/x.env.*keycloak_direct.env" <<<"$out"

finish
