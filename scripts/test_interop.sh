#!/usr/bin/env bash
# Interop: real MCP clients against our servers, at both wires (2025-11-25 and 2026-07-28).
#   - the official conformance suite, server mode, against step 4: 0.1.16 (2025 scenarios) and
#     0.2.0-alpha.12 at --spec-version 2025-11-25 and 2026-07-28 (interop/conformance-server-baseline.json
#     says which scenarios run and which checks cannot apply to a one-tool server, and why)
#   - the official TypeScript SDK clients: 1.x, and v2 (@modelcontextprotocol/client) in legacy,
#     auto and pinned-2026-07-28 negotiation, against steps 4, 8 and 10
#   - the official Python SDK (mcp, pinned in interop/requirements.txt, in a git-ignored venv) in
#     auto and pinned-2026-07-28 mode, against steps 4, 8 and 10
#   - rmcp's own client (the official Rust SDK, steps/12-rmcp/examples/rmcp_client.rs) in its
#     initialize, discover and auto lifecycles, against steps 4, 8, 10 and 12
#   - MCP Inspector's CLI (@modelcontextprotocol/inspector --cli), steps 8 and 10
#   - the conformance suite in client mode (--suite auth) driving step 11 against its mock servers
#   - step 12 (an rmcp server behind step 10's authorization): every client above, Inspector's
#     CLI, the SDKs' own OAuth, step 11, and the 0.2.0 server scenarios through interop/bearer_proxy.py
# Step 10 runs against the identity provider (scripts/idp.sh: the Keycloak stand-in without Docker).
# Packages are pinned in interop/package-lock.json and interop/requirements.txt, installed on first run.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/node.sh"
parse_args "$@"
ensure_interop_packages || exit 1
CONFORMANCE="$ROOT/interop/node_modules/@modelcontextprotocol/conformance/dist/index.js"
CONFORMANCE_NEXT="$ROOT/interop/node_modules/conformance-next/dist/index.js"
SERVER_BASELINE="$ROOT/interop/conformance-server-baseline.json"

# ensure_python_sdk: a venv in interop/.venv with exactly interop/requirements.txt; sets PYTHON_SDK.
ensure_python_sdk() {
  local venv="$ROOT/interop/.venv" want="$ROOT/interop/requirements.txt"
  if [[ ! -x $venv/bin/python || $want -nt $venv/.installed ]]; then
    echo "${C_DIM}installing the pinned Python MCP SDK (interop/requirements.txt) into interop/.venv …${C_OFF}"
    python3 -m venv "$venv" && "$venv/bin/pip" install --quiet --disable-pip-version-check -r "$want" \
      && touch "$venv/.installed" || { echo "pip install failed" >&2; return 1; }
  fi
  PYTHON_SDK="$venv/bin/python"
}
ensure_python_sdk || exit 1

# conformance_server URL SCENARIO: one server scenario; passes when the suite exits 0.
conformance_server() {
  local log="$WORK/conformance-$2.log"
  if (cd "$WORK" && timeout 120 "$NODE22" "$CONFORMANCE" server --url "$1" --scenario "$2") >"$log" 2>&1; then
    pass "conformance $2: $(grep -E '^Passed:' "$log" | head -1)"
  else
    fail "conformance $2" "$(grep -E 'FAILURE|Passed:|Error' "$log" | head -5)"
  fi
}

# conformance_next URL WIRE SCENARIO [SERVER]: one scenario of the 0.2.0 suite at --spec-version WIRE
# against SERVER (step4, the default, or step12). Passes when at least one check succeeded, and every
# FAILURE or WARNING check is excused by the server baseline for exactly this scenario, version,
# level and message — and this server, where the entry names servers (an id alone excuses nothing).
conformance_next() {
  local url="$1" wire="$2" name="$3" server="${4:-step4}" out="$WORK/next-$2-$3-${4:-step4}"
  (cd "$WORK" && timeout 120 "$NODE22" "$CONFORMANCE_NEXT" server --url "$url" --scenario "$name" \
     --spec-version "$wire" -o "$out") >"$out.log" 2>&1
  local checks; checks="$(find "$out" -name checks.json 2>/dev/null | head -1)"
  if [[ -z $checks ]]; then fail "conformance $name @ $wire" "no results: $(tail -3 "$out.log")"; return; fi
  local verdict
  verdict="$(jq -r --slurpfile b "$SERVER_BASELINE" --arg scenario "$name" --arg wire "$wire" --arg server "$server" '
      [$b[0].not_applicable_checks[] | select(.scenario == $scenario and .version == $wire
         and (.servers == null or (.servers | index($server)) != null))] as $na
      | def excused: . as $c | any($na[]; .id == $c.id and .status == $c.status and .message == ($c.errorMessage // ""));
        def listed: . as $c | any($na[]; .id == $c.id);
      { total: length,
        ok: [.[] | select(.status == "SUCCESS")] | length,
        info: [.[] | select(.status == "INFO" or .status == "SKIPPED")] | length,
        na: [.[] | select((.status == "FAILURE" or .status == "WARNING") and excused)] | length,
        bad: [.[] | select((.status == "FAILURE" or .status == "WARNING") and (excused | not))
              | "\(.id) \(.status): \(.errorMessage // "")"],
        stale: [.[] | select(.status == "SUCCESS" and listed) | .id] }
      | if .ok == 0 then "FAIL no check succeeded: the scenario verified nothing"
        elif (.bad | length) == 0 and (.stale | length) == 0
        then "PASS \(.total) checks: \(.ok) passed, \(.na) not applicable (see the baseline), \(.info) informational or skipped"
        else "FAIL \((.bad + (.stale | map("stale baseline entry, now passes: " + .))) | join("; "))" end' "$checks")"
  if [[ $verdict == PASS* ]]; then pass "conformance $name @ $wire: ${verdict#PASS }"; else fail "conformance $name @ $wire" "${verdict#FAIL }"; fi
}

# sdk_client ARGS…: the TypeScript SDK client script; passes when it exits 0.
sdk_client() {
  local log="$WORK/sdk-$RANDOM.log"
  if "$NODE22" "$ROOT/interop/sdk_client.mjs" "$@" >"$log" 2>&1; then
    pass "TypeScript $(tail -1 "$log")"
  else
    fail "TypeScript SDK client ${*//eyJ*/…}" "$(grep -v '^  ok' "$log" | head -8)"
  fi
  sed 's/^/    /' "$log" | grep -E 'ok -' | head -10
}

# py_client ARGS…: the Python SDK client script; passes when it exits 0.
py_client() {
  local log="$WORK/py-$RANDOM.log"
  if timeout 120 "$PYTHON_SDK" "$ROOT/interop/py_client.py" "$@" >"$log" 2>&1; then
    pass "$(tail -1 "$log")"
  else
    fail "Python SDK client ${*//eyJ*/…}" "$(grep -v '^  ok' "$log" | head -8)"
  fi
  sed 's/^/    /' "$log" | grep -E 'ok -' | head -10
}

# rmcp_client ARGS…: rmcp's own client (steps/12-rmcp/examples/rmcp_client.rs); passes when it exits 0.
RMCP_CLIENT="$ROOT/target/debug/examples/rmcp_client"
rmcp_client() {
  local log="$WORK/rmcp-$RANDOM.log"
  if timeout 120 "$RMCP_CLIENT" "$@" >"$log" 2>&1; then
    pass "$(tail -1 "$log")"
  else
    fail "rmcp client ${*//eyJ*/…}" "$(grep -v '^  ok' "$log" | head -8)"
  fi
  sed 's/^/    /' "$log" | grep -E 'ok -' | head -10
}
echo "${C_DIM}building rmcp's client (steps/12-rmcp/examples/rmcp_client.rs) …${C_OFF}"
(cd "$ROOT" && cargo build -q -p step12 --example rmcp_client) || { echo "could not build the rmcp client" >&2; exit 1; }

# every_client URL [--token T] [--narrow]: the whole matrix of official clients against one server:
# the TypeScript SDK 1.x and v2, the Python SDK, and rmcp's client in its three lifecycles.
every_client() {
  local url="$1"; shift
  sdk_client "$url" --sdk v1 "$@"
  for mode in legacy auto 2026-07-28; do sdk_client "$url" --sdk v2 --negotiation "$mode" "$@"; done
  for mode in auto 2026-07-28; do py_client "$url" --mode "$mode" "$@"; done
  for lifecycle in initialize discover auto; do rmcp_client "$url" --lifecycle "$lifecycle" "$@"; done
}

build_and_start step4
# The suite connects to 'localhost', as a real client on a laptop would.
URL="http://localhost:$PORT/mcp"

scenario "Conformance suite 0.1.16 against step 4" \
  "The 2025 scenarios that apply to an unauthenticated server: initialize, ping, tools/list, DNS-rebinding protection."
for s in server-initialize ping tools-list dns-rebinding-protection; do
  conformance_server "$URL" "$s"
done

for wire in 2025-11-25 2026-07-28; do
  scenario "Conformance suite 0.2.0-alpha.12 against step 4 at --spec-version $wire" \
    "The scenarios in interop/conformance-server-baseline.json; the checks a one-tool server cannot exercise are listed there, with the reason."
  while read -r name; do conformance_next "$URL" "$wire" "$name"; done < <(jq -r --arg w "$wire" '.run[$w][]' "$SERVER_BASELINE")
done

scenario "Official clients against step 4" \
  "TypeScript SDK 1.x; SDK v2 in legacy, auto and pinned-2026-07-28 negotiation; the Python SDK in auto and pinned mode; rmcp's client (initialize, discover, auto). Each: connect → listTools → callTool echo → listPrompts → getPrompt, validating every result."
every_client "$URL"
log="$WORK/rmcp-require-session.log"
if "$RMCP_CLIENT" "$URL" --lifecycle initialize --require-session >"$log" 2>&1; then
  fail "rmcp client with allow_stateless = false" "it connected, but step 4 assigns no session: $(tail -1 "$log")"
else
  pass "rmcp client with allow_stateless = false cannot initialize: step 4 assigns no Mcp-Session-Id (allowed by the spec; rmcp's default allows it)"
fi
stop_server

build step8
build tokengen
P="$(free_port)"
URL="http://localhost:$P"
start_server_on_port step8 "$P" --public-key "$ROOT/keys/mcp_public_key.pem" --server-url "$URL"
ADMIN="$(tokengen --demo admin --issuer "$URL" --audience "$URL/mcp")"
ALICE="$(tokengen --demo alice --issuer "$URL" --audience "$URL/mcp")"

scenario "Official clients against step 8" \
  "Every client, both wires: with admin's token everything works; alice's token (no mcp:prompts) gets the 403 naming the scope to step up to; no token, the 401."
every_client "$URL/mcp" --token "$ADMIN"
every_client "$URL/mcp" --token "$ALICE" --narrow
every_client "$URL/mcp" --expect-unauthorized

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
  "Every official client at both wires, and Inspector's CLI, with Keycloak-shaped tokens (the stand-in here); mcp-user lacks mcp:prompts."
every_client "$URL/mcp" --token "$ADMIN"
every_client "$URL/mcp" --token "$USER" --narrow
every_client "$URL/mcp" --expect-unauthorized
inspector_cli "tools/list on step 10" '.tools[0].name == "echo"' \
  "$URL/mcp" --transport http --method tools/list --header "Authorization: Bearer $USER"
inspector_cli "tools/call on step 10" '.content[0].text == "from inspector"' \
  "$URL/mcp" --transport http --method tools/call --tool-name echo --tool-arg "message=from inspector" --header "Authorization: Bearer $USER"
http OPTIONS "$URL/mcp" -H 'Origin: http://localhost:6274' -H 'Access-Control-Request-Method: POST' -H 'Access-Control-Request-Headers: authorization, content-type, mcp-protocol-version, mcp-method, mcp-name'
if [[ $STATUS =~ ^2 ]]; then pass "CORS preflight from Inspector's origin without a token → $STATUS"; else fail "CORS preflight" "got $STATUS"; fi
expect_header access-control-allow-origin '^http://localhost:6274$' "Access-Control-Allow-Origin: http://localhost:6274"
expect_header access-control-allow-headers 'authorization.*content-type.*mcp-protocol-version.*mcp-method.*mcp-name' "the MCP request headers of both wires are allowed"

scenario "The SDKs' own OAuth steps up (least privilege)" \
  "No pre-minted token: each SDK meets the 401, registers itself, signs in for the scope the 401 names (mcp:read), gets 403 insufficient_scope on prompts/get, and signs in once more for the union — mcp-admin then succeeds; mcp-user, whose roles do not allow mcp:prompts, ends refused after that one step-up. The Python SDK (auto, and pinned to 2026-07-28) and TypeScript SDK v2 (legacy, and pinned to 2026-07-28)."
oauth_client() { # oauth_client PROGRAM… : one run; its checks count here
  local log="$WORK/oauth-$RANDOM.log"
  timeout 180 "$@" >"$log" 2>&1
  relay_checks "$log"
  grep -q " 0 failed" "$log" || fail "OAuth step-up: ${*##*/}" "$(tail -5 "$log")"
}
for mode in auto 2026-07-28; do
  oauth_client "$PYTHON_SDK" "$ROOT/interop/py_oauth_stepup.py" "$URL/mcp" --user mcp-admin --password admin123 --expect allowed --mode "$mode"
  oauth_client "$PYTHON_SDK" "$ROOT/interop/py_oauth_stepup.py" "$URL/mcp" --user mcp-user --password user123 --expect refused --mode "$mode"
done
for mode in legacy 2026-07-28; do
  oauth_client "$NODE22" "$ROOT/interop/sdk_oauth_stepup.mjs" "$URL/mcp" --user mcp-admin --password admin123 --expect allowed --negotiation "$mode"
  oauth_client "$NODE22" "$ROOT/interop/sdk_oauth_stepup.mjs" "$URL/mcp" --user mcp-user --password user123 --expect refused --negotiation "$mode"
done

build step12
P12="$(free_port)"
URL12="http://localhost:$P12"
KEYCLOAK_URL="http://localhost:$IDP_PORT" MCP_SERVER_URL="$URL12" start_server_on_port step12 "$P12" --env "$ROOT/env/keycloak_direct.env"
STEP12=(--server-name step12-rmcp-echo --tools echo,echo_prompt_text,whoami)
# Fresh tokens: the provider's live 5 minutes, and step 10's section took some of them.
ADMIN="$("$ROOT/scripts/idp.sh" token mcp-admin)"; USER="$("$ROOT/scripts/idp.sh" token mcp-user)"

scenario "Real clients against step 12: an rmcp server behind step 10's authorization" \
  "The same matrix as step 10 (every official client, both wires, tokens from the identity provider), answered by rmcp 3.11; mcp-user lacks mcp:prompts."
every_client "$URL12/mcp" --token "$ADMIN" "${STEP12[@]}"
every_client "$URL12/mcp" --token "$USER" --narrow "${STEP12[@]}"
every_client "$URL12/mcp" --expect-unauthorized
inspector_cli "tools/call on step 12" '.structuredContent.echo == "from inspector"' \
  "$URL12/mcp" --transport http --method tools/call --tool-name echo --tool-arg "message=from inspector" --header "Authorization: Bearer $USER"
inspector_cli "whoami on step 12: the rmcp tool sees the caller" '.structuredContent.sub == "mcp-user"' \
  "$URL12/mcp" --transport http --method tools/call --tool-name whoami --header "Authorization: Bearer $USER"

build step11
rm -f "$WORK/step12-credentials.json"
BROWSER_USER=mcp-admin timeout 120 "$ROOT/target/debug/step11" "$URL12/mcp" --credentials "$WORK/step12-credentials.json" \
  --browser-cmd "$ROOT/scripts/browser_login.sh" >"$WORK/step11-on-12.out" 2>&1
check "step 11 against step 12: discovery, registration, sign-in, calls (exit 0)" test $? -eq 0
check "…signed in for mcp:read, then one step-up for the mcp:tools the call needed" grep -q 'needs "mcp:tools": one step-up' "$WORK/step11-on-12.out"
check "…and rmcp answered tools/call echo" grep -q 'tools/call echo → .*hello from step 11' "$WORK/step11-on-12.out"

for mode in auto 2026-07-28; do
  oauth_client "$PYTHON_SDK" "$ROOT/interop/py_oauth_stepup.py" "$URL12/mcp" --user mcp-admin --password admin123 --expect allowed --mode "$mode"
done
oauth_client "$NODE22" "$ROOT/interop/sdk_oauth_stepup.mjs" "$URL12/mcp" --user mcp-admin --password admin123 --expect allowed --negotiation 2026-07-28

# The suite's server mode sends no token: a loopback proxy adds mcp-admin's (interop/bearer_proxy.py).
PROXY12="$(free_port)"
"$ROOT/scripts/idp.sh" token mcp-admin >"$WORK/admin.token"
python3 "$ROOT/interop/bearer_proxy.py" "$PROXY12" "http://127.0.0.1:$P12" "$WORK/admin.token" & STARTED_PIDS+=($!)
wait_for_port "$PROXY12"
for wire in 2025-11-25 2026-07-28; do
  scenario "Conformance suite 0.2.0-alpha.12 against step 12 at --spec-version $wire" \
    "The scenarios of interop/conformance-server-baseline.json's step12 list, through a proxy that adds mcp-admin's token."
  while read -r name; do conformance_next "http://localhost:$PROXY12/mcp" "$wire" "$name" step12; done < <(jq -r --arg w "$wire" '.step12[$w][]' "$SERVER_BASELINE")
done
stop_server

build step11
scenario "Conformance suite 0.1.16, client mode: step 11 against the auth scenarios" \
  "The suite runs its own mock MCP servers and authorization servers; interop/conformance_client.sh runs step 11 headless."
log="$WORK/conformance-client.log"
if (cd "$WORK" && timeout 600 "$NODE22" "$CONFORMANCE" client --command "$ROOT/interop/conformance_client.sh" \
      --suite auth --expected-failures "$ROOT/interop/conformance-baseline.yml") >"$log" 2>&1; then
  pass "conformance auth suite: $(grep -E '^Total:' "$log" | head -1); no failure, no warning"
else
  fail "conformance auth suite" "$(sed -n '/SUITE SUMMARY/,$p' "$log" | head -30)"
fi
sed -n '/SUITE SUMMARY/,/^Total/p' "$log" | grep -E '^[✓✗]' | sed 's/^/    /'

# client_next NAME [SPEC_VERSION]: one client scenario of the 0.2.0 suite; passes when every check passes.
client_next() {
  local name="$1" wire="${2:-}" log="$WORK/client-next-${1//\//-}-${2:-default}"; log="${log// /_}.log"
  (cd "$WORK" && timeout 120 "$NODE22" "$CONFORMANCE_NEXT" client --command "$ROOT/interop/conformance_client.sh" \
     --scenario "$name" ${wire:+--spec-version $wire}) >"$log" 2>&1
  CLIENT_NEXT_RESULT="$(grep -E '^Passed:' "$log" | tail -1)"
  CLIENT_NEXT_LOG="$log"
  [[ $CLIENT_NEXT_RESULT =~ ^Passed:\ ([0-9]+)/([0-9]+),\ 0\ failed,\ 0\ warnings ]] && (( BASH_REMATCH[1] > 0 ))
}

for wire in "" 2026-07-28; do
  scenario "Conformance suite 0.2.0-alpha.12, client mode, ${wire:+at --spec-version $wire}${wire:-at the default wire}" \
    "The whole auth suite against the suite's mock servers and authorization servers."
  log="$WORK/conformance-client-next-${wire:-default}.log"
  if (cd "$WORK" && timeout 600 "$NODE22" "$CONFORMANCE_NEXT" client --command "$ROOT/interop/conformance_client.sh" \
        --suite auth ${wire:+--spec-version "$wire"} --expected-failures "$ROOT/interop/conformance-baseline.yml") >"$log" 2>&1; then
    pass "conformance auth suite ${wire:+@ $wire}: $(grep -E '^Total:' "$log" | head -1)"
  else
    fail "conformance auth suite ${wire:+@ $wire}" "$(sed -n '/SUITE SUMMARY/,$p' "$log" | head -30)"
  fi
  sed -n '/SUITE SUMMARY/,/^Total/p' "$log" | grep -E '^[✓✗]' | sed 's/^/    /'
done

scenario "The scenarios new in 2026-07-28, one by one" \
  "RFC 9207 iss checks, resource mismatch, offline access, an authorization server that moves, the per-request metadata and headers. (tools_call is not run: it calls the reference server's add_numbers tool, not an authorization flow.)"
for name in auth/resource-mismatch auth/offline-access-scope auth/offline-access-not-supported \
    auth/authorization-server-migration auth/iss-supported auth/iss-not-advertised auth/iss-supported-missing \
    auth/iss-wrong-issuer auth/iss-unexpected auth/iss-normalized auth/metadata-issuer-mismatch \
    request-metadata http-standard-headers; do
  if client_next "$name" 2026-07-28; then
    pass "conformance $name @ 2026-07-28: $CLIENT_NEXT_RESULT"
  else
    fail "conformance $name @ 2026-07-28" "${CLIENT_NEXT_RESULT:-no result} $(grep -E 'FAILURE|WARNING' "$CLIENT_NEXT_LOG" | head -3)"
  fi
done

scenario "Beyond the blog: machine clients and DPoP (extension scenarios)" \
  "Client credentials with client_secret_basic and private_key_jwt (SEP-1046), DPoP-bound tokens with and without nonces (SEP-1932): step 11 with --grant client-credentials [--client-key] and --dpop, at the default wire and forced at 2026-07-28. (auth/enterprise-managed-authorization and auth/wif-jwt-bearer are not run: step 11 has no token-exchange or JWT-bearer grant — docs/sender-constrained.md says why.)"
for name in auth/client-credentials-basic auth/client-credentials-jwt auth/dpop auth/dpop-nonce; do
  for wire in "" 2026-07-28; do
    if client_next "$name" ${wire:+"$wire --force"}; then
      pass "conformance $name ${wire:+@ $wire}: $CLIENT_NEXT_RESULT"
    else
      fail "conformance $name ${wire:+@ $wire}" "${CLIENT_NEXT_RESULT:-no result} $(grep -E 'FAILURE|WARNING' "$CLIENT_NEXT_LOG" | head -3)"
    fi
  done
done

scenario "2025-03-26 servers: only with --legacy-2025-03-26" \
  "A server with no protected-resource metadata: by default step 11 refuses (nothing says which authorization server to trust); with the flag it uses the server's origin and the default endpoints, as MCP 2025-03-26 said."
for name in auth/2025-03-26-oauth-metadata-backcompat auth/2025-03-26-oauth-endpoint-fallback; do
  if client_next "$name"; then
    fail "conformance $name without the flag" "the client went ahead: $CLIENT_NEXT_RESULT"
  elif grep -q 'Expected Check Missing: client-registration' "$CLIENT_NEXT_LOG"; then
    pass "conformance $name without the flag: refused before registering ($CLIENT_NEXT_RESULT)"
  else
    fail "conformance $name without the flag" "${CLIENT_NEXT_RESULT:-no result}"
  fi
  if STEP11_EXTRA_ARGS=--legacy-2025-03-26 client_next "$name"; then
    pass "conformance $name with --legacy-2025-03-26: $CLIENT_NEXT_RESULT"
  else
    fail "conformance $name with --legacy-2025-03-26" "${CLIENT_NEXT_RESULT:-no result} $(grep -E 'FAILURE|WARNING' "$CLIENT_NEXT_LOG" | head -3)"
  fi
done

finish
