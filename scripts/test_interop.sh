#!/usr/bin/env bash
# Interop: real MCP clients against our servers.
#   - the official conformance suite (@modelcontextprotocol/conformance, server mode)
#   - the official TypeScript SDK client (StreamableHTTPClientTransport)
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

finish
