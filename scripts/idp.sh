#!/usr/bin/env bash
# scripts/idp.sh — the identity provider for steps 9–11.
#
#   scripts/idp.sh start            Keycloak (docker compose) if a Docker engine answers, else the stand-in
#   scripts/idp.sh stop
#   scripts/idp.sh status
#   scripts/idp.sh token USER [SCOPES]   an access token from the password grant (client mcp-test-client);
#                                        SCOPES default "openid mcp:read mcp:tools mcp:prompts"
#   scripts/idp.sh issuer           the issuer URL
#
# IDP_PORT (default 8080) picks the port; several stand-ins can run on different ports.
# IDP=standin or IDP=keycloak forces the choice. Passwords come from keycloak/mcp-realm.json.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
PORT="${IDP_PORT:-8080}"
REALM_FILE="$ROOT/keycloak/mcp-realm.json"
REALM="$(jq -r .realm "$REALM_FILE")"
ISSUER="http://localhost:$PORT/realms/$REALM"
STATE="$ROOT/.tools/idp"
mkdir -p "$STATE"

docker_answers() {
  command -v docker >/dev/null && timeout 5 docker info >/dev/null 2>&1
}

which_idp() {
  if [[ -n ${IDP:-} ]]; then echo "$IDP"; elif [[ -f $STATE/$PORT.kind ]]; then cat "$STATE/$PORT.kind";
  elif docker_answers; then echo keycloak; else echo standin; fi
}

wait_for_discovery() {
  local pid; pid="$(cat "$STATE/$PORT.pid" 2>/dev/null || true)"
  for _ in $(seq 1 "${1:-120}"); do
    curl -sf -o /dev/null --max-time 2 "$ISSUER/.well-known/openid-configuration" && return 0
    if [[ -n $pid ]] && ! kill -0 "$pid" 2>/dev/null; then break; fi   # the stand-in exited
    sleep 0.5
  done
  echo "idp: $ISSUER did not answer discovery in time; log: $STATE/$PORT.log" >&2
  tail -20 "$STATE/$PORT.log" >&2 2>/dev/null || true
  return 1
}

node_bin() {
  # Prefer the project's Node 22 (no "unsupported runtime" warning), else the machine's node.
  if [[ -x $ROOT/interop/node_modules/node/bin/node ]]; then echo "$ROOT/interop/node_modules/node/bin/node"; else command -v node; fi
}

start() {
  if curl -sf -o /dev/null --max-time 2 "$ISSUER/.well-known/openid-configuration"; then
    echo "idp: already running at $ISSUER"; return 0
  fi
  local kind; kind="$(which_idp)"
  if [[ $kind == keycloak ]]; then
    [[ $PORT == 8080 ]] || { echo "idp: Keycloak via docker compose uses port 8080 (IDP_PORT=$PORT)" >&2; exit 1; }
    echo "idp: starting Keycloak with docker compose (first start downloads the image) …"
    docker compose -f "$ROOT/keycloak/docker-compose.yml" up -d
    echo keycloak >"$STATE/$PORT.kind"
    wait_for_discovery 360
  else
    local dir="$ROOT/keycloak/standin"
    if [[ ! -d $dir/node_modules/oidc-provider || $dir/package-lock.json -nt $dir/node_modules/.package-lock.json ]]; then
      echo "idp: installing the stand-in's packages (npm ci in keycloak/standin) …"
      (cd "$dir" && npm ci --no-audit --no-fund --loglevel=error)
    fi
    echo "idp: no Docker engine — starting the Keycloak stand-in on port $PORT"
    echo standin >"$STATE/$PORT.kind"
    # It is up in about half a second. A start that makes no progress (seen rarely in CI: the
    # process printed its first line and then nothing for 30 s, cause unknown) is reported with
    # the process state, killed, and tried once more; a second failure fails.
    local attempt
    for attempt in 1 2; do
      # (STANDIN_SIGNING_KEY_FILE, if set, reaches the stand-in through the environment.)
      nohup "$(node_bin)" "$dir/server.js" --port "$PORT" --realm-file "$REALM_FILE" >"$STATE/$PORT.log" 2>&1 &
      echo $! >"$STATE/$PORT.pid"
      wait_for_discovery 40 && break
      local pid; pid="$(cat "$STATE/$PORT.pid")"
      echo "idp: start attempt $attempt made no progress; process state: $(ps -o stat=,wchan:32= -p "$pid" 2>/dev/null || echo gone)" >&2
      kill -9 "$pid" 2>/dev/null || true
      [[ $attempt == 2 ]] && return 1
      echo "idp: starting the stand-in again (attempt 2)" >&2
    done
  fi
  echo "idp: ready — issuer $ISSUER"
}

stop() {
  local kind; kind="$(cat "$STATE/$PORT.kind" 2>/dev/null || echo none)"
  if [[ $kind == keycloak ]]; then
    docker compose -f "$ROOT/keycloak/docker-compose.yml" down
  elif [[ -f $STATE/$PORT.pid ]]; then
    local pid; pid="$(cat "$STATE/$PORT.pid")"
    kill "$pid" 2>/dev/null || true
    for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$pid" 2>/dev/null || true
  fi
  rm -f "$STATE/$PORT.pid" "$STATE/$PORT.kind"
  echo "idp: stopped (port $PORT)"
}

status() {
  if curl -sf -o /dev/null --max-time 2 "$ISSUER/.well-known/openid-configuration"; then
    echo "idp: running ($(cat "$STATE/$PORT.kind" 2>/dev/null || echo unknown)) — issuer $ISSUER"
  else
    echo "idp: not running on port $PORT"; return 1
  fi
}

token() {
  local user="${1:?usage: idp.sh token USER [SCOPES]}" scopes="${2:-openid mcp:read mcp:tools mcp:prompts}"
  local password
  password="$(jq -r --arg u "$user" '.users[] | select(.username == $u) | .credentials[] | select(.type == "password") | .value' "$REALM_FILE")"
  [[ -n $password ]] || { echo "idp: no user $user in $REALM_FILE" >&2; exit 1; }
  local response
  response="$(curl -s --max-time 10 "$ISSUER/protocol/openid-connect/token" \
    -d grant_type=password -d client_id=mcp-test-client \
    --data-urlencode "username=$user" --data-urlencode "password=$password" --data-urlencode "scope=$scopes")"
  jq -er .access_token <<<"$response" 2>/dev/null || { echo "idp: token request failed: $response" >&2; exit 1; }
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  status) status ;;
  token) shift; token "$@" ;;
  issuer) echo "$ISSUER" ;;
  *) sed -n '2,14p' "$0"; exit 2 ;;
esac
