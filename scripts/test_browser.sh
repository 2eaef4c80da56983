#!/usr/bin/env bash
# MCP Inspector's web UI against step 10, in a real headless browser: the flow a learner clicks
# through. Connect → 401 (scope mcp:read) → discovery and dynamic registration (by Inspector) → the
# provider's login and consent pages → back to Inspector → tools/list → tools/call echo, refused for
# mcp:tools → the step-up: consent to mcp:tools → the call succeeds; then, as mcp-readonly, the call
# is refused and Inspector offers the step-up to mcp:tools.
#
# Needs Debian's chromium (installed here when missing: apt-get) and the pinned interop packages
# (Inspector 2.12.0, playwright-core driving the system browser — no browser download).
# Screenshots of every stage go to target/browser-shots/ (git-ignored).
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/node.sh"
parse_args "$@"
ensure_interop_packages || exit 1

CHROMIUM="$(command -v chromium || true)"
if [[ -z $CHROMIUM ]]; then
  echo "${C_DIM}installing Debian's chromium (apt-get) …${C_OFF}"
  (apt-get install -y chromium >/dev/null 2>&1 || { apt-get update >/dev/null 2>&1 && apt-get install -y chromium >/dev/null 2>&1; }) \
    || { echo "chromium is required for this test: apt-get install chromium" >&2; exit 1; }
  CHROMIUM="$(command -v chromium)"
fi
SHOTS="$ROOT/target/browser-shots"
rm -rf "$SHOTS"; mkdir -p "$SHOTS"

build step10
export IDP_PORT="$(free_port)"
INSPECTOR_PID=""
stop_inspector() { [[ -n $INSPECTOR_PID ]] && kill "$INSPECTOR_PID" 2>/dev/null; wait "$INSPECTOR_PID" 2>/dev/null; INSPECTOR_PID=""; }
trap 'stop_inspector; "$ROOT/scripts/idp.sh" stop >/dev/null 2>&1; cleanup' EXIT
"$ROOT/scripts/idp.sh" start >/dev/null || { fail "identity provider start"; finish; }
P="$(free_port)"
KEYCLOAK_URL="http://localhost:$IDP_PORT" MCP_SERVER_URL="http://localhost:$P" \
  start_server_on_port step10 "$P" --env "$ROOT/env/keycloak_direct.env"

# start_inspector: a fresh Inspector web UI on free ports, its secrets in memory (so each run starts
# logged out), pointed at step 10. Its own UI auth is off: it listens on loopback only, and the test
# browser is the only client.
start_inspector() {
  stop_inspector
  INSPECTOR_PORT="$(free_port)"
  mkdir -p "$WORK/inspector-home"
  HOME="$WORK/inspector-home" CLIENT_PORT="$INSPECTOR_PORT" MCP_SANDBOX_PORT="$(free_port)" \
    MCP_INSPECTOR_SECRET_STORE=memory DANGEROUSLY_OMIT_AUTH=true BROWSER=none \
    "$NODE22" "$ROOT/interop/node_modules/.bin/mcp-inspector" --web --transport http \
    --server-url "http://localhost:$P/mcp" >"$WORK/inspector.log" 2>&1 &
  INSPECTOR_PID=$!
  wait_for_port "$INSPECTOR_PORT" || { fail "Inspector did not start" "$(tail -5 "$WORK/inspector.log")"; return 1; }
  echo "  ${C_DIM}Inspector (pid $INSPECTOR_PID) on http://127.0.0.1:$INSPECTOR_PORT${C_OFF}"
}

# flow USER PASSWORD [--expect-step-up SCOPE]: one run of interop/browser_flow.mjs; its checks count here.
flow() {
  local user="$1" password="$2"; shift 2
  local log="$WORK/flow-$user.log"
  timeout 180 "$NODE22" "$ROOT/interop/browser_flow.mjs" --inspector "http://127.0.0.1:$INSPECTOR_PORT/" \
    --user "$user" --password "$password" --shots "$SHOTS" --chromium "$CHROMIUM" --mcp "http://localhost:$P/mcp" "$@" >"$log" 2>&1
  relay_checks "$log"
  grep -q "all checks passed" "$log" || fail "the browser flow for $user" "$(tail -5 "$log")"
}

scenario "mcp-user connects Inspector to step 10, steps up, and calls echo" \
  "A real browser: Connect (the 401 asks for mcp:read only: least privilege), the provider's sign-in and consent pages, back to Inspector with a token, tools/list; tools/call is refused (403, needs mcp:tools), Inspector asks for it, the provider asks consent for it, and the call succeeds."
start_inspector && flow mcp-user user123 --step-up mcp:tools
pause

scenario "mcp-readonly is asked to step up" \
  "The token carries mcp:read only: tools/call gets 403 insufficient_scope, and Inspector offers to authorize mcp:tools."
start_inspector && flow mcp-readonly readonly123 --expect-step-up mcp:tools
stop_inspector
echo "  ${C_DIM}screenshots: $SHOTS${C_OFF}"
finish
