#!/usr/bin/env bash
# Interop: real MCP clients against our servers.
#   - the official conformance suite (@modelcontextprotocol/conformance, server mode), step 4
#   - the official TypeScript SDK client (StreamableHTTPClientTransport), steps 4 and 8
#   - MCP Inspector's CLI (@modelcontextprotocol/inspector --cli), steps 8 and 10
#   - the conformance suite in client mode (--suite auth) driving step 11 against its mock servers
# Step 10 runs against the identity provider (scripts/idp.sh: the Keycloak stand-in without Docker).
# Packages are pinned in interop/package-lock.json and installed on first run.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/node.sh"
parse_args "$@"
ensure_interop_packages || exit 1
CONFORMANCE="$ROOT/interop/node_modules/@modelcontextprotocol/conformance/dist/index.js"

# conformance_server URL SCENARIO: one server scenario; passes when the suite exits 0.
conformance_server() {
  local log="$WORK/conformance-$2.log"
  if (cd "$WORK" && timeout 120 "$NODE22" "$CONFORMANCE" server --url "$1" --scenario "$2") >"$log" 2>&1; then
    pass "conformance $2: $(grep -E '^Passed:' "$log" | head -1)"
  else
    fail "conformance $2" "$(grep -E 'FAILURE|Passed:|Error' "$log" | head -5)"
  fi
}

# sdk_client ARGS…: the TypeScript SDK client script; passes when it exits 0.
sdk_client() {
  local log="$WORK/sdk-$RANDOM.log"
  if "$NODE22" "$ROOT/interop/sdk_client.mjs" "$@" >"$log" 2>&1; then
    pass "TypeScript SDK client: $(tail -1 "$log")"
  else
    fail "TypeScript SDK client $*" "$(grep -v '^  ok' "$log" | head -8)"
  fi
  sed 's/^/    /' "$log" | grep -E 'ok -' | head -10
}

build_and_start step4

scenario "Conformance suite against step 4" \
  "The scenarios that apply to an unauthenticated server: initialize, ping, tools/list, DNS-rebinding protection."
# The suite connects to 'localhost', as a real client on a laptop would.
URL="http://localhost:$PORT/mcp"
for s in server-initialize ping tools-list dns-rebinding-protection; do
  conformance_server "$URL" "$s"
done

scenario "TypeScript SDK client against step 4" \
  "initialize → listTools → callTool echo → listPrompts → getPrompt, with the SDK validating every result."
sdk_client "$URL"
stop_server

build step8
build tokengen
P="$(free_port)"
URL="http://localhost:$P"
start_server_on_port step8 "$P" --public-key "$ROOT/keys/mcp_public_key.pem" --server-url "$URL"
ADMIN="$(tokengen --demo admin --issuer "$URL" --audience "$URL/mcp")"
ALICE="$(tokengen --demo alice --issuer "$URL" --audience "$URL/mcp")"

scenario "TypeScript SDK client against step 8" \
  "With a tokengen token the SDK does everything its scopes allow; without one it gets the 401."
sdk_client "$URL/mcp" --token "$ADMIN"
sdk_client "$URL/mcp" --token "$ALICE" --no-prompts
sdk_client "$URL/mcp" --expect-unauthorized

# inspector_cli LABEL JQ_FILTER ARGS…: run Inspector's CLI; passes when it exits 0 and its JSON output matches.
inspector_cli() {
  local label="$1" filter="$2"; shift 2
  local out="$WORK/inspector-$RANDOM.json"
  if timeout 120 "$NODE22" "$ROOT/interop/node_modules/.bin/mcp-inspector" --cli "$@" >"$out" 2>"$out.err" \
     && jq -e "$filter" "$out" >/dev/null 2>&1; then
    pass "MCP Inspector CLI: $label"
  else
    fail "MCP Inspector CLI: $label" "$(head -c 400 "$out") $(head -c 400 "$out.err")"
  fi
}

scenario "MCP Inspector CLI against step 8" "The Inspector's command-line mode, with the token in a header."
inspector_cli "tools/list" '.tools[0].name == "echo"' \
  "$URL/mcp" --transport http --method tools/list --header "Authorization: Bearer $ALICE"
inspector_cli "tools/call echo" '.structuredContent.echo == "hi inspector"' \
  "$URL/mcp" --transport http --method tools/call --tool-name echo --tool-arg "message=hi inspector" --header "Authorization: Bearer $ALICE"
stop_server

build step10
export IDP_PORT="$(free_port)"
trap '"$ROOT/scripts/idp.sh" stop >/dev/null 2>&1; cleanup' EXIT
"$ROOT/scripts/idp.sh" start >/dev/null || { fail "identity provider start"; finish; }
P="$(free_port)"
URL="http://localhost:$P"
KEYCLOAK_URL="http://localhost:$IDP_PORT" MCP_SERVER_URL="$URL" start_server_on_port step10 "$P" --env "$ROOT/env/keycloak_direct.env"
ADMIN="$("$ROOT/scripts/idp.sh" token mcp-admin)"
USER="$("$ROOT/scripts/idp.sh" token mcp-user)"

scenario "Real clients against step 10, with tokens from the identity provider" \
  "The official SDK client and Inspector's CLI with Keycloak-shaped tokens (the stand-in here)."
sdk_client "$URL/mcp" --token "$ADMIN"
sdk_client "$URL/mcp" --token "$USER" --no-prompts
sdk_client "$URL/mcp" --expect-unauthorized
inspector_cli "tools/list on step 10" '.tools[0].name == "echo"' \
  "$URL/mcp" --transport http --method tools/list --header "Authorization: Bearer $USER"
inspector_cli "tools/call on step 10" '.content[0].text == "from inspector"' \
  "$URL/mcp" --transport http --method tools/call --tool-name echo --tool-arg "message=from inspector" --header "Authorization: Bearer $USER"
http OPTIONS "$URL/mcp" -H 'Origin: http://localhost:6274' -H 'Access-Control-Request-Method: POST' -H 'Access-Control-Request-Headers: authorization, content-type, mcp-protocol-version'
if [[ $STATUS =~ ^2 ]]; then pass "CORS preflight from Inspector's origin without a token → $STATUS"; else fail "CORS preflight" "got $STATUS"; fi
expect_header access-control-allow-origin '^http://localhost:6274$' "Access-Control-Allow-Origin: http://localhost:6274"
expect_header access-control-allow-headers 'authorization.*content-type.*mcp-protocol-version' "the MCP request headers are allowed"

build step11
scenario "Conformance suite, client mode: step 11 against the auth scenarios" \
  "The suite runs its own mock MCP servers and authorization servers; interop/conformance_client.sh runs step 11 headless."
log="$WORK/conformance-client.log"
if (cd "$WORK" && timeout 600 "$NODE22" "$CONFORMANCE" client --command "$ROOT/interop/conformance_client.sh" \
      --suite auth --expected-failures "$ROOT/interop/conformance-baseline.yml") >"$log" 2>&1; then
  pass "conformance auth suite: $(grep -E '^Total:' "$log" | head -1); only the baseline's known failure(s) remain"
else
  fail "conformance auth suite" "$(sed -n '/SUITE SUMMARY/,$p' "$log" | head -30)"
fi
sed -n '/SUITE SUMMARY/,/^Total/p' "$log" | grep -E '^[✓✗]' | sed 's/^/    /'

finish
