#!/usr/bin/env bash
# Shared helpers for scripts/test_stepN.sh. Source it; do not run it.
#
#   source "$(dirname "$0")/lib.sh"
#   parse_args "$@"                 # understands --inspect and --help
#   build_and_start step4           # cargo build, free port, start, wait for /health; sets BASE
#   scenario "Title" "what this proves"
#   mcp_post '{"jsonrpc":"2.0","id":1,"method":"ping"}'
#   expect_status 200 "ping is answered"
#   expect_jq '.result == {}' "ping returns an empty object"
#   finish                          # prints "N passed, N failed", exits non-zero on failure
#
# Every server a script starts is stopped by PID when the script exits, however it exits.

set -uo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
INSPECT=0
PASSED=0
FAILED=0
STARTED_PIDS=()
WORK="$(mktemp -d "${TMPDIR:-/tmp}/mcp-test.XXXXXX")"
STATUS=""
BODY_FILE="$WORK/body"
HEADERS_FILE="$WORK/headers"

if [[ -t 1 ]]; then
  C_OK=$'\e[32m'; C_BAD=$'\e[31m'; C_HEAD=$'\e[1;36m'; C_DIM=$'\e[2m'; C_OFF=$'\e[0m'
else
  C_OK=""; C_BAD=""; C_HEAD=""; C_DIM=""; C_OFF=""
fi

parse_args() {
  for arg in "$@"; do
    case "$arg" in
      --inspect) INSPECT=1 ;;
      -h|--help)
        echo "usage: $(basename "$0") [--inspect]"
        echo "  --inspect   pause after each scenario, so you can read the output (and curl the server yourself)"
        exit 0 ;;
      *) echo "unknown argument: $arg (try --help)" >&2; exit 2 ;;
    esac
  done
}

cleanup() {
  local pid
  for pid in "${STARTED_PIDS[@]}"; do
    if kill -0 "$pid" 2>/dev/null; then
      kill "$pid" 2>/dev/null
      for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
      kill -9 "$pid" 2>/dev/null || true
    fi
  done
  rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# A TCP port nobody listens on right now.
free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'
}

# Build a workspace package's binaries (quietly; errors still show).
build() {
  echo "${C_DIM}building $1 …${C_OFF}"
  (cd "$ROOT" && cargo build -q -p "$1") || { echo "${C_BAD}build of $1 failed${C_OFF}"; exit 1; }
}

# start_server BIN [ARGS…]: start target/debug/BIN on a free port, wait for /health.
# Sets PORT, BASE (http://127.0.0.1:PORT), SERVER_PID and SERVER_LOG.
start_server() {
  local bin="$1"; shift
  start_server_on_port "$bin" "$(free_port)" "$@"
}

# start_server_on_port BIN PORT [ARGS…]: the same on a given port (when a flag must name it).
start_server_on_port() {
  local bin="$1"; shift
  PORT="$1"; shift
  BASE="http://127.0.0.1:$PORT"
  SERVER_LOG="$WORK/$bin-$PORT.log"
  "$ROOT/target/debug/$bin" --bind "127.0.0.1:$PORT" "$@" >"$SERVER_LOG" 2>&1 &
  SERVER_PID=$!
  STARTED_PIDS+=("$SERVER_PID")
  for _ in $(seq 1 100); do
    if curl -s -o /dev/null "$BASE/health"; then
      echo "${C_DIM}started $bin (pid $SERVER_PID) on $BASE${C_OFF}"
      return 0
    fi
    if ! kill -0 "$SERVER_PID" 2>/dev/null; then break; fi
    sleep 0.1
  done
  echo "${C_BAD}$bin did not start; its log:${C_OFF}"; cat "$SERVER_LOG"
  exit 1
}

# wait_for_port PORT: until something accepts connections on 127.0.0.1:PORT (10 s at most).
wait_for_port() {
  for _ in $(seq 1 100); do
    python3 -c "import socket,sys; s=socket.socket(); s.settimeout(0.2); sys.exit(s.connect_ex(('127.0.0.1', $1)))" && return 0
    sleep 0.1
  done
  echo "${C_BAD}nothing listens on port $1${C_OFF}"; return 1
}

# Stop the most recently started server (by PID) and wait for it to exit.
stop_server() {
  kill "$SERVER_PID" 2>/dev/null
  for _ in $(seq 1 50); do kill -0 "$SERVER_PID" 2>/dev/null || return 0; sleep 0.1; done
  kill -9 "$SERVER_PID" 2>/dev/null || true
}

build_and_start() {
  build "$1"
  start_server "$@"
}

# scenario TITLE [EXPLANATION]: a heading; with --inspect, first pause on the previous one.
SCENARIO_COUNT=0
scenario() {
  if [[ $INSPECT == 1 && $SCENARIO_COUNT -gt 0 ]]; then
    pause
  fi
  SCENARIO_COUNT=$((SCENARIO_COUNT + 1))
  echo
  echo "${C_HEAD}▶ $1${C_OFF}"
  if [[ $# -gt 1 ]]; then echo "  $2"; fi
}

# With --inspect, each pause prints what you need to poke at the running server yourself.
# A script sets INSPECT_TOKEN to a token worth trying (alice's, mcp-user's, …); INSPECT_CURL
# overrides the sample request (default: tools/list on /mcp, with the token when there is one).
INSPECT_TOKEN=""
INSPECT_CURL=""
pause() {
  local tty=/dev/tty
  if [[ -r $tty ]] && { true <$tty; } 2>/dev/null; then
    echo "${C_DIM}  [--inspect] the server is still running. In another terminal:${C_OFF}"
    if [[ -n $INSPECT_TOKEN ]]; then
      echo "    export BASE=${BASE:-?} TOKEN=$INSPECT_TOKEN"
    else
      echo "    export BASE=${BASE:-?}"
    fi
    if [[ -n $INSPECT_CURL ]]; then
      echo "    $INSPECT_CURL"
    elif [[ -n $INSPECT_TOKEN ]]; then
      echo "    curl -s \$BASE/mcp -H \"Authorization: Bearer \$TOKEN\" -H 'Content-Type: application/json' -d '{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"tools/list\"}'"
    else
      echo "    curl -s -i \$BASE/mcp -H 'Content-Type: application/json' -d '{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"ping\"}'"
    fi
    echo "${C_DIM}  press Enter to continue…${C_OFF}"
    read -r _ <$tty
  elif [[ ${PAUSE_WARNED:-0} == 0 ]]; then
    PAUSE_WARNED=1
    echo "${C_DIM}  [--inspect] there is no terminal to pause in (no /dev/tty): running on without pausing${C_OFF}"
  fi
}

# http METHOD URL [CURL ARGS…]: one request; sets STATUS, the body in $BODY_FILE, headers in $HEADERS_FILE.
# URLs starting with / are relative to $BASE.
http() {
  local method="$1" url="$2"; shift 2
  [[ $url == /* ]] && url="$BASE$url"
  : >"$BODY_FILE"; : >"$HEADERS_FILE"
  local err
  STATUS="$(curl -sS -o "$BODY_FILE" -D "$HEADERS_FILE" -w '%{http_code}' -X "$method" --max-time 30 "$@" "$url" 2>"$WORK/curl.err")" \
    || { err="$(head -c 200 "$WORK/curl.err")"; STATUS="curl-error(${err//$'\n'/ })"; }
  echo "  ${C_DIM}$method ${url#"$BASE"} → $STATUS $(head -c 160 "$BODY_FILE" | tr -d '\n')${C_OFF}"
}

# mcp_post BODY [CURL ARGS…]: POST a JSON-RPC text to /mcp.
mcp_post() {
  local body="$1"; shift
  http POST /mcp -H 'Content-Type: application/json' -H 'Accept: application/json, text/event-stream' --data-binary "$body" "$@"
}

# mcp_post_2026 METHOD PARAMS_JSON [CURL ARGS…]: one request on the MCP 2026-07-28 wire: the
# _meta envelope added to PARAMS_JSON, and the headers that mirror the body (MCP-Protocol-Version,
# Mcp-Method, and Mcp-Name when params has a name). Extra curl args (an Authorization header, say)
# are added after them. The body sent is left in $REQUEST_FILE.
MODERN_VERSION=2026-07-28
mcp_post_2026() {
  local method="$1" params="$2"; shift 2
  REQUEST_FILE="$WORK/request.json"
  jq -nc --arg m "$method" --arg v "$MODERN_VERSION" --argjson p "$params" \
    '{jsonrpc: "2.0", id: 1, method: $m, params: ($p + {_meta: {"io.modelcontextprotocol/protocolVersion": $v, "io.modelcontextprotocol/clientCapabilities": {}}})}' >"$REQUEST_FILE"
  local name; name="$(jq -r '.name // empty' <<<"$params")"
  local headers=(-H "MCP-Protocol-Version: $MODERN_VERSION" -H "Mcp-Method: $method")
  [[ -n $name ]] && headers+=(-H "Mcp-Name: $name")
  http POST /mcp -H 'Content-Type: application/json' -H 'Accept: application/json, text/event-stream' \
    "${headers[@]}" --data-binary "@$REQUEST_FILE" "$@"
}

pass() { PASSED=$((PASSED + 1)); echo "  ${C_OK}✔${C_OFF} $1"; }
fail() { FAILED=$((FAILED + 1)); echo "  ${C_BAD}✘ $1${C_OFF}"; [[ $# -gt 1 ]] && echo "    $2"; return 0; }

# check DESCRIPTION COMMAND…: passes when COMMAND exits 0.
check() {
  local what="$1"; shift
  if "$@"; then pass "$what"; else fail "$what" "command failed: $*"; fi
}

expect_status() {
  if [[ $STATUS == "$1" ]]; then pass "$2 (HTTP $1)"; else fail "$2" "expected HTTP $1, got $STATUS: $(head -c 300 "$BODY_FILE")"; fi
}

# expect_jq FILTER DESCRIPTION: the last body satisfies the jq filter (jq -e).
expect_jq() {
  if jq -e "$1" "$BODY_FILE" >/dev/null 2>&1; then pass "$2"; else fail "$2" "jq '$1' is not true of: $(head -c 300 "$BODY_FILE")"; fi
}

# expect_header NAME REGEX DESCRIPTION: a header of the last response matches (case-insensitive name).
expect_header() {
  local value
  value="$(grep -i "^$1:" "$HEADERS_FILE" | head -1 | cut -d: -f2- | sed 's/^ *//; s/\r$//')"
  if [[ $value =~ $2 ]]; then pass "$3"; else fail "$3" "header $1 is '${value}', expected to match /$2/"; fi
}

expect_empty_body() {
  if [[ ! -s $BODY_FILE ]]; then pass "$1"; else fail "$1" "body: $(head -c 200 "$BODY_FILE")"; fi
}

# expect_not_5xx DESCRIPTION: the last status is a client error or success, never a server error.
expect_not_5xx() {
  if [[ $STATUS =~ ^[1-4][0-9][0-9]$ ]]; then pass "$1 (HTTP $STATUS)"; else fail "$1" "got $STATUS"; fi
}

# expect_log_lacks TEXT DESCRIPTION: the server log never contains TEXT.
expect_log_lacks() {
  if grep -qF -- "$1" "$SERVER_LOG"; then fail "$2" "found in $SERVER_LOG"; else pass "$2"; fi
}

finish() {
  if [[ $INSPECT == 1 && $SCENARIO_COUNT -gt 0 ]]; then pause; fi
  echo
  if [[ $FAILED -eq 0 ]]; then echo "${C_OK}$(basename "$0"): all checks passed${C_OFF}"; else echo "${C_BAD}$(basename "$0"): $FAILED check(s) FAILED${C_OFF}"; fi
  echo "$PASSED passed, $FAILED failed"
  [[ $FAILED -eq 0 ]]
  exit $?
}

# forge_reason KIND: tokengen's one-line description of a --forge kind (from its --help).
forge_reason() {
  "$ROOT/target/debug/tokengen" --help 2>/dev/null | sed -n "s/^ *- $1: *//p" | head -1
}

# tokengen ARGS…: mint (or forge) a token with the workspace's tokengen; prints the token only.
# Build it first with: build tokengen. TOKENGEN_FLAGS (e.g. --issuer/--audience matching a
# server started with --server-url) are added to every call.
TOKENGEN_FLAGS=()
tokengen() {
  (cd "$ROOT" && "$ROOT/target/debug/tokengen" "$@" "${TOKENGEN_FLAGS[@]}" 2>/dev/null)
}

# start_auth_server BIN [ARGS…]: a step 6–8 server on a free port whose --server-url names that
# port (so every URL it publishes is one you can follow), with tokengen set to match.
start_auth_server() {
  local bin="$1"; shift
  local port; port="$(free_port)"
  SERVER_URL="http://localhost:$port"
  TOKENGEN_FLAGS=(--issuer "$SERVER_URL" --audience "$SERVER_URL/mcp")
  build "$bin"
  start_server_on_port "$bin" "$port" --server-url "$SERVER_URL" "$@"
}

# with_token TOKEN: the curl arguments for a Bearer token (use as: mcp_post BODY $(with_token "$T")).
bearer() { printf 'Authorization: Bearer %s' "$1"; }

# The JSON-RPC bodies the auth steps send again and again.
RPC_INITIALIZE='{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-11-25","capabilities":{},"clientInfo":{"name":"curl","version":"1"}}}'
RPC_PING='{"jsonrpc":"2.0","id":2,"method":"ping"}'
RPC_TOOLS_LIST='{"jsonrpc":"2.0","id":3,"method":"tools/list"}'
RPC_TOOLS_CALL='{"jsonrpc":"2.0","id":4,"method":"tools/call","params":{"name":"echo","arguments":{"message":"hi"}}}'
RPC_PROMPTS_LIST='{"jsonrpc":"2.0","id":5,"method":"prompts/list"}'
RPC_PROMPTS_GET='{"jsonrpc":"2.0","id":6,"method":"prompts/get","params":{"name":"echo_prompt","arguments":{"message":"hi"}}}'

# relay_checks LOG: a helper program's "  ok - …" / "  not ok - …" lines, counted as this script's checks.
relay_checks() {
  local line
  while IFS= read -r line; do
    case "$line" in
      "  ok - "*) pass "${line#  ok - }" ;;
      "  not ok - "*) fail "${line#  not ok - }" ;;
    esac
  done <"$1"
}
