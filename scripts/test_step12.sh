#!/usr/bin/env bash
# Step 12 (beyond the blog): an rmcp server (the official Rust SDK) behind step 10's authorization,
# against the identity provider — the scenarios of test_step10, answered by rmcp.
source "$(dirname "$0")/lib.sh"
parse_args "$@"
build step12
export IDP_PORT="$(free_port)"
IDP="http://localhost:$IDP_PORT"
idp() { "$ROOT/scripts/idp.sh" "$@"; }
trap 'idp stop >/dev/null 2>&1; cleanup' EXIT
idp start >/dev/null || { echo "could not start the identity provider" >&2; exit 1; }
ADMIN="$(idp token mcp-admin)"; USER="$(idp token mcp-user)"; READONLY="$(idp token mcp-readonly)"
call() { mcp_post "$2" -H "$(bearer "$1")" "${@:3}"; }
start12() {
  local port; port="$(free_port)"
  KEYCLOAK_URL="$IDP" MCP_SERVER_URL="http://localhost:$port" start_server_on_port step12 "$port" "$@"
}
RPC_WHOAMI='{"jsonrpc":"2.0","id":7,"method":"tools/call","params":{"name":"whoami","arguments":{}}}'
RPC_PROMPT_TEXT='{"jsonrpc":"2.0","id":8,"method":"tools/call","params":{"name":"echo_prompt_text","arguments":{"message":"hi"}}}'

scenario "An rmcp server, protected" \
  "step12 is step 10 (flags, env file, provider) with /mcp answered by rmcp 3.11; without a token: 401, the challenge and the metadata of step 7."
start12
check "the start-up line names step12" grep -q "step12 listening on" "$SERVER_LOG"
mcp_post "$RPC_TOOLS_CALL"
expect_status 401 "tools/call without a token → 401"
expect_header www-authenticate "resource_metadata=\"http://localhost:$PORT/.well-known/oauth-protected-resource/mcp\"" "…pointing to the protected-resource metadata"
expect_header www-authenticate 'scope="mcp:tools"' "…asking for what the call needs (mcp:tools)"
http GET /.well-known/oauth-protected-resource/mcp
expect_jq ".authorization_servers == [\"$IDP/realms/mcp-realm\"]" "the metadata names the identity provider"
call garbage.x.y "$RPC_TOOLS_LIST"
expect_status 401 "a garbage token → 401"
expect_header www-authenticate 'error="invalid_token"' "…invalid_token"

scenario "rmcp answers the authenticated caller" "initialize, tools/list and tools/call reach rmcp's #[tool] functions, which see who is calling."
call "$USER" "$RPC_INITIALIZE"
expect_status 200 "initialize (2025-11-25) with mcp-user's token"
expect_jq '.result.serverInfo.name == "step12-rmcp-echo"' "…answered by the rmcp server"
call "$USER" "$RPC_TOOLS_LIST"
expect_jq '[.result.tools[].name] | sort == ["echo","echo_prompt_text","whoami"]' "tools/list: echo, echo_prompt_text, whoami"
call "$USER" "$RPC_TOOLS_CALL"
expect_jq '.result.structuredContent == {"echo":"hi","repeat_count":1}' "tools/call echo → {\"echo\":\"hi\",\"repeat_count\":1}"
call "$USER" "$RPC_WHOAMI"
expect_jq '.result.structuredContent.sub == "mcp-user" and (.result.structuredContent.scopes | index("mcp:tools") != null)' "whoami: the tool handler sees sub mcp-user and its scopes"

scenario "Step 8's policy, and a tool's own scope" "Per method as in step 8; echo_prompt_text also needs mcp:prompts. Each 403 names the scope to step up to."
call "$USER" "$RPC_PROMPTS_GET"
expect_status 403 "mcp-user: prompts/get → 403"
expect_header www-authenticate 'error="insufficient_scope", scope="mcp:prompts"' "…naming mcp:prompts"
call "$USER" "$RPC_PROMPT_TEXT"
expect_status 403 "mcp-user: tools/call echo_prompt_text → 403 (the tool's own scope)"
expect_header www-authenticate 'scope="mcp:prompts"' "…naming mcp:prompts"
expect_jq '.id == 8 and .error.data.scope == "mcp:prompts"' "…a JSON-RPC error keeping the request's id"
call "$READONLY" "$RPC_TOOLS_CALL"
expect_header www-authenticate 'scope="mcp:tools"' "mcp-readonly: tools/call → 403 naming mcp:tools"
call "$ADMIN" "$RPC_PROMPT_TEXT"
expect_jq '.result.content[0].text == "Please process this message: hi"' "mcp-admin (the admin role): echo_prompt_text runs"
call "$ADMIN" "$RPC_PROMPTS_GET"
expect_status 200 "mcp-admin: prompts/get → 200"

scenario "The 2026-07-28 wire" "rmcp speaks it; the mirrored headers are checked against the body before the policy trusts them."
mcp_post_2026 server/discover '{}' -H "$(bearer "$USER")"
expect_jq '.result.supportedVersions | index("2026-07-28") != null' "server/discover lists 2026-07-28"
expect_jq '.result.cacheScope == "private"' "…cacheScope private (answers depend on the token)"
mcp_post_2026 tools/call '{"name":"echo","arguments":{"message":"hi"}}' -H "$(bearer "$USER")"
expect_jq '.result.structuredContent.echo == "hi"' "tools/call echo with Mcp-Method and Mcp-Name"
mcp_post_2026 tools/call '{"name":"echo_prompt_text","arguments":{"message":"hi"}}' -H "$(bearer "$USER")"
expect_status 403 "tools/call echo_prompt_text, headers honest: 403 naming mcp:prompts"
http POST /mcp -H 'Content-Type: application/json' -H 'Accept: application/json, text/event-stream' -H "$(bearer "$USER")" \
  -H "MCP-Protocol-Version: $MODERN_VERSION" -H 'Mcp-Method: tools/call' -H 'Mcp-Name: echo' --data-binary "@$REQUEST_FILE"
expect_jq '.error.code == -32020 and (.error.message | test("Mcp-Name"))' "the same body with Mcp-Name: echo (a lie a gateway might route on) → -32020, never echo's policy"

scenario "Bad input" "Refused in front of rmcp with a JSON-RPC error, never a 5xx."
head -c $((4 * 1024 * 1024)) /dev/zero | tr '\0' ' ' > "$WORK/big.json"
http POST /mcp -H 'Content-Type: application/json' -H "$(bearer "$USER")" --data-binary "@$WORK/big.json"
expect_status 413 "a 4 MiB body → 413"
call "$USER" '{"jsonrpc":'
expect_status 400 "malformed JSON → 400"
expect_jq '.error.code == -32700' "…-32700 Parse error"
call "$USER" '{"jsonrpc":"2.0","id":9,"method":"tools/list","method":"prompts/get","params":{"name":"echo_prompt","arguments":{"message":"x"}}}'
expect_status 400 "\"method\" given twice: refused in front (the policy might read one, rmcp the other)"
expect_jq '.error.code == -32600 and (.error.message | test("duplicate field `method`"))' "…-32600 Invalid Request naming the member"
DEEP="$(printf '[%.0s' $(seq 10000))1$(printf ']%.0s' $(seq 10000))"
call "$USER" "{\"jsonrpc\":\"2.0\",\"id\":9,\"method\":\"tools/call\",\"params\":{\"name\":\"echo\",\"arguments\":$DEEP}}"
expect_status 400 "arguments nested 10 000 deep (a part the checks skip, rmcp's to read) → 400"
expect_jq '.error.code == -32700' "…-32700 in front, as step 2 would answer (rmcp alone answers 415 in plain text)"
check "the server is still alive" kill -0 "$SERVER_PID"
stop_server

scenario "CORS for browser clients" "Step 10's allow-list holds in front of rmcp too."
start12
http OPTIONS /mcp -H 'Origin: http://localhost:6274' -H 'Access-Control-Request-Method: POST' -H 'Access-Control-Request-Headers: authorization, content-type, mcp-method, mcp-name'
expect_header access-control-allow-origin '^http://localhost:6274$' "the preflight from Inspector's origin is allowed"
expect_header access-control-allow-headers 'mcp-name' "…with Mcp-Name"
call "$USER" "$RPC_TOOLS_LIST" -H 'Origin: https://evil.example'
expect_status 403 "another origin is refused by step 1's guard"
stop_server

scenario "Introspection mode" "step 10's production choices apply unchanged: --validation introspection asks the provider."
start12 --validation introspection
call "$USER" "$RPC_WHOAMI"
expect_jq '.result.structuredContent.sub == "mcp-user"' "an introspected token reaches the rmcp tool as the same caller"
check "the provider counted an introspection" bash -c "curl -s '$IDP/admin/stats' | jq -e '.introspections >= 1' >/dev/null"
stop_server

finish
