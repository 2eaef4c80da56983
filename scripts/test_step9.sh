#!/usr/bin/env bash
# Step 9: tokens from Keycloak (the stand-in here) — the per-user policy, key rotation,
# a storm of new kids, and a provider that stops, starts late, hangs or talks garbage.
source "$(dirname "$0")/lib.sh"
parse_args "$@"
build step9
build tokengen
export IDP_PORT="$(free_port)"
IDP="http://localhost:$IDP_PORT"
ISS="$IDP/realms/mcp-realm"
OTHER_IDP_PORT="$(free_port)"
idp() { "$ROOT/scripts/idp.sh" "$@"; }
trap 'IDP_PORT=$OTHER_IDP_PORT idp stop >/dev/null 2>&1; idp stop >/dev/null 2>&1; cleanup' EXIT
# Both providers of this script sign with one key (see "Tokens that are not ours").
SHARED_KEY="$WORK/shared-signing-key.json"
STANDIN_SIGNING_KEY_FILE="$SHARED_KEY" idp start >/dev/null || { echo "could not start the identity provider" >&2; exit 1; }
COOLDOWN=2
start_server step9 --keycloak-url "$IDP" --jwks-refresh-cooldown "$COOLDOWN" --idp-timeout 2 --idp-connect-timeout 1
MAIN_BASE="$BASE"; MAIN_PID="$SERVER_PID"; MAIN_LOG="$SERVER_LOG"

fetches() { curl -s "$IDP/admin/stats" | jq .jwks_fetches; }
call() { # call TOKEN BODY → STATUS
  mcp_post "$2" -H "$(bearer "$1")" >/dev/null
}
kid_of() { cut -d. -f1 <<<"$1" | tr '_-' '/+' | (cat; echo '==') | base64 -d 2>/dev/null | jq -r .kid; }

scenario "Discovery and the key cache" "The server found the certs endpoint through OIDC discovery and cached the realm's key."
http GET /health
expect_jq '.keys.state == "ready" and .keys.count >= 1' "/health: keys ready"
expect_jq ".keys.jwks_uri == \"$ISS/protocol/openid-connect/certs\"" "jwks_uri from {issuer}/.well-known/openid-configuration"
http GET /.well-known/oauth-protected-resource/mcp
expect_jq ".authorization_servers == [\"$ISS\"]" "the protected-resource metadata names the Keycloak issuer"
mcp_post "$RPC_PING"
expect_header www-authenticate 'resource_metadata=' "401s still point to the metadata"

scenario "The per-user policy" "mcp-admin: everything · mcp-user: tools, not prompts · mcp-readonly: lists only."
ADMIN="$(idp token mcp-admin)"; USER="$(idp token mcp-user)"; READONLY="$(idp token mcp-readonly)"
for row in "ADMIN 200 200 200 200" "USER 200 200 200 403" "READONLY 200 200 403 403"; do
  read -r who s_list s_plist s_call s_get <<<"$row"
  token="${!who}"
  for pair in "$RPC_TOOLS_LIST:$s_list" "$RPC_PROMPTS_LIST:$s_plist" "$RPC_TOOLS_CALL:$s_call" "$RPC_PROMPTS_GET:$s_get"; do
    body="${pair%:*}"; want="${pair##*:}"
    call "$token" "$body"
    if [[ $STATUS == "$want" ]]; then pass "$who: $(jq -r .method <<<"$body") → $want"; else fail "$who: $(jq -r .method <<<"$body")" "expected $want, got $STATUS $(head -c 200 "$BODY_FILE")"; fi
  done
done
call "$USER" "$RPC_PROMPTS_GET"
expect_header www-authenticate 'error="insufficient_scope", scope="mcp:prompts"' "mcp-user's 403 names mcp:prompts"

scenario "Tokens that are not ours" "Another issuer (a second provider that signs with the SAME key, so only the issuer check can refuse its token), a wrong audience, the demo tokengen issuer: all 401."
IDP_PORT=$OTHER_IDP_PORT STANDIN_SIGNING_KEY_FILE="$SHARED_KEY" idp start >/dev/null
OTHER="$(IDP_PORT=$OTHER_IDP_PORT idp token mcp-admin)"
check "the other provider's token is signed by a key our server trusts (kid $(kid_of "$OTHER"))" \
  bash -c "curl -s '$ISS/protocol/openid-connect/certs' | jq -e --arg k '$(kid_of "$OTHER")' '[.keys[].kid] | index(\$k) != null' >/dev/null"
call "$OTHER" "$RPC_TOOLS_LIST"
expect_status 401 "a token from another issuer (same realm name, same key, other provider): refused by iss alone"
T="$(tokengen --demo admin --issuer "$ISS" --audience echo-mcp-server)"
sleep "$COOLDOWN"   # the other provider's kid just used up the refresh (see "A new key during a forged-kid cooldown")
call "$T" "$RPC_TOOLS_LIST"
expect_status 401 "a token signed by a key Keycloak never published (tokengen with Keycloak's iss/aud)"
IDP_PORT=$OTHER_IDP_PORT idp stop >/dev/null
start_server step9 --keycloak-url "$IDP" --audience some-other-service
call "$ADMIN" "$RPC_TOOLS_LIST"
expect_status 401 "a valid Keycloak token at a server expecting another audience"
stop_server
BASE="$MAIN_BASE"; SERVER_PID="$MAIN_PID"; SERVER_LOG="$MAIN_LOG"

scenario "Key rotation" "The provider rotates; the first token with the new kid triggers exactly one fetch of the key set."
sleep "$COOLDOWN"
BEFORE="$(fetches)"
http POST "$IDP/admin/rotate-keys"
NEW="$(idp token mcp-user)"
check "the new token carries the new kid" test "$(kid_of "$NEW")" = "$(jq -r .kid "$BODY_FILE")"
call "$NEW" "$RPC_TOOLS_LIST"
expect_status 200 "the first request with the new kid succeeds"
AFTER="$(fetches)"
check "exactly one JWKS fetch for it ($BEFORE → $AFTER)" test "$AFTER" -eq $((BEFORE + 1))
call "$USER" "$RPC_TOOLS_LIST"
expect_status 200 "a token with the old kid (still published) keeps working"

scenario "A key that leaves the key set revokes its tokens" "Dropping a key is how a provider answers a leak: every token it signed must stop working here, even one this server has already verified and cached."
sleep "$COOLDOWN"
call "$USER" "$RPC_TOOLS_LIST"
expect_status 200 "mcp-user's token (old kid, still published) is verified and cached"
http POST "$IDP/admin/rotate-keys" >/dev/null   # rotated twice: the old kid is no longer published
NEWER="$(idp token mcp-user)"
call "$NEWER" "$RPC_TOOLS_LIST"
expect_status 200 "a token with the newest kid: the server refreshes its key set"
call "$USER" "$RPC_TOOLS_LIST"
expect_status 503 "the cached token whose key was dropped is refused at once: 503, since the key set was just refreshed and may not be asked again yet"
expect_header retry-after '^[0-9]+' "…with Retry-After"
sleep "$COOLDOWN"
call "$USER" "$RPC_TOOLS_LIST"
expect_status 401 "after the cooldown, the server has looked again: 401 invalid_token"

scenario "A storm of new kids" "1 000 concurrent requests all carrying a kid the cache has never seen: they share one fetch."
sleep "$COOLDOWN"
http POST "$IDP/admin/rotate-keys" >/dev/null
STORM="$(idp token mcp-user)"
BEFORE="$(fetches)"
RESULT="$(python3 "$ROOT/scripts/storm.py" "$BASE/mcp" "$STORM" 1000)"
AFTER="$(fetches)"
check "all 1 000 requests succeed: $RESULT" test "$RESULT" = '{"200": 1000}'
check "exactly one JWKS fetch for 1 000 requests ($BEFORE → $AFTER)" test "$AFTER" -eq $((BEFORE + 1))
echo "  storm: $RESULT, JWKS fetches $BEFORE → $AFTER" >>"$WORK/figures"

scenario "Forged kids cannot make us hammer the provider" "50 tokens with made-up kids inside one cooldown window: at most one fetch. The first is looked up (401); the others arrive during the cooldown, when the server cannot tell a forged kid from a new key: 503 + Retry-After."
sleep "$COOLDOWN"
BEFORE="$(fetches)"
forged() { printf '%s.%s' "$(printf '{"alg":"RS256","typ":"JWT","kid":"forged-%s"}' "$1" | base64 | tr '+/' '-_' | tr -d '=\n')" "$(cut -d. -f2- <<<"$USER")"; }
declare -A SEEN=()
STORM_START=$(date +%s%N)
for i in $(seq 1 50); do
  call "$(forged "$i")" "$RPC_TOOLS_LIST"
  SEEN[$STATUS]=$(( ${SEEN[$STATUS]:-0} + 1 ))
done
AFTER="$(fetches)"
ELAPSED=$(( ($(date +%s%N) - STORM_START) / 1000000000 ))
ALLOWED=$(( 1 + ELAPSED / COOLDOWN ))   # one fetch per cooldown window at most
check "50 forged kids in ${ELAPSED} s → never accepted (401: ${SEEN[401]:-0}, 503: ${SEEN[503]:-0}), and $((AFTER - BEFORE)) fetch(es) (≤ $ALLOWED: one per ${COOLDOWN} s cooldown)" \
  test $(( ${SEEN[401]:-0} + ${SEEN[503]:-0} )) -eq 50 -a $((AFTER - BEFORE)) -le "$ALLOWED"

scenario "A new key during a forged-kid cooldown" "A forged kid has just used up the refresh; then the provider really rotates. The honest client must not be told its good token is invalid."
sleep "$COOLDOWN"
call "$(forged 999)" "$RPC_TOOLS_LIST"
expect_status 401 "a forged kid: looked up, not there, 401 — and the cooldown starts"
http POST "$IDP/admin/rotate-keys" >/dev/null
GENUINE="$(idp token mcp-user)"
call "$GENUINE" "$RPC_TOOLS_LIST"
expect_status 503 "a genuinely new kid inside the cooldown: 503, not 401 invalid_token"
expect_header retry-after "^[1-$COOLDOWN]$" "Retry-After says when the cooldown ends (≤ ${COOLDOWN} s)"
WAIT="$(grep -i '^retry-after:' "$HEADERS_FILE" | tr -dc '0-9')"
sleep "${WAIT:-$COOLDOWN}"
call "$GENUINE" "$RPC_TOOLS_LIST"
expect_status 200 "retried after Retry-After: the key is fetched, the same token works"

scenario "The provider stops mid-run" "Cached keys keep serving: 100 % of valid requests succeed while it is down."
idp stop >/dev/null
OK=0
for i in $(seq 1 100); do call "$GENUINE" "$RPC_TOOLS_LIST"; [[ $STATUS == 200 ]] && OK=$((OK + 1)); done
check "$OK of 100 requests succeeded with the provider down" test "$OK" -eq 100

scenario "The provider is down when the server starts" "The server starts anyway, says so on /health, answers 503 (not 401), and recovers by itself."
start_server step9 --keycloak-url "$IDP" --idp-timeout 2 --idp-connect-timeout 1
http GET /health
expect_jq '.status == "degraded" and .keys.state == "unavailable" and (.keys.last_error | length > 0)' "/health: degraded, keys unavailable, with the reason"
call "$GENUINE" "$RPC_TOOLS_LIST"
expect_status 503 "a request meanwhile gets 503 (retry later), not 401 (throw the token away)"
expect_header retry-after '^[0-9]+$' "with Retry-After"
idp start >/dev/null
FRESH="$(idp token mcp-user)"
for _ in $(seq 1 40); do curl -s "$BASE/health" | jq -e '.keys.state == "ready"' >/dev/null && break; sleep 0.5; done
http GET /health
expect_jq '.status == "healthy" and .keys.state == "ready"' "…the provider starts: the background retry finds the keys by itself"
call "$FRESH" "$RPC_TOOLS_LIST"
expect_status 200 "and requests succeed again"
stop_server
BASE="$MAIN_BASE"; SERVER_PID="$MAIN_PID"; SERVER_LOG="$MAIN_LOG"
# The provider restarted with new keys; let the main server learn them (a new kid → one refresh).
sleep "$COOLDOWN"; call "$FRESH" "$RPC_TOOLS_LIST"

scenario "A provider that hangs" "The certs endpoint never answers: a request needing a refresh is bounded by the timeout."
sleep "$COOLDOWN"
curl -s -X POST "$IDP/admin/jwks-mode?mode=hang" >/dev/null
curl -s -X POST "$IDP/admin/rotate-keys" >/dev/null
HUNG="$(idp token mcp-user)"
START=$(date +%s%N)
call "$HUNG" "$RPC_TOOLS_LIST"
ELAPSED_MS=$(( ($(date +%s%N) - START) / 1000000 ))
check "the request ends in ${ELAPSED_MS} ms (bounded: < 6000 with --idp-timeout 2)" test "$ELAPSED_MS" -lt 6000
expect_status 401 "…with 401: the kid is unknown, the old keys are still there"
START=$(date +%s%N)
call "$FRESH" "$RPC_TOOLS_LIST"
check "meanwhile a known kid is served from the cache at once ($(( ($(date +%s%N) - START) / 1000000 )) ms, HTTP $STATUS)" test "$STATUS" = 200

scenario "A provider that answers garbage" "The certs endpoint returns a broken key set: the old keys are kept."
sleep "$COOLDOWN"
curl -s -X POST "$IDP/admin/jwks-mode?mode=garbage" >/dev/null
call "$HUNG" "$RPC_TOOLS_LIST"
expect_status 401 "a token with a kid only the garbage set would have had: 401"
http GET /health
expect_jq '.keys.state == "ready" and .keys.count >= 1 and (.keys.last_error | type == "string")' "/health: keys kept, last error recorded"
call "$FRESH" "$RPC_TOOLS_LIST"
expect_status 200 "tokens with the kept keys still work"
curl -s -X POST "$IDP/admin/jwks-mode?mode=normal" >/dev/null
sleep "$COOLDOWN"
call "$HUNG" "$RPC_TOOLS_LIST"
expect_status 200 "once the provider is healthy again, the new key is fetched and accepted"

scenario "A provider that answers with gigabytes" "The key set is 400 MiB of chunked JSON. It is read with a 512 KiB cap while it streams, so the server's memory stays flat, and the background refresher's retries cost no more."
HP="$(free_port)"
python3 "$ROOT/scripts/hostile_provider.py" "$HP" huge-jwks & STARTED_PIDS+=($!)
wait_for_port "$HP"
start_server step9 --keycloak-url "http://127.0.0.1:$HP" --idp-timeout 5
for _ in $(seq 1 50); do [[ "$(curl -s "127.0.0.1:$HP/stats" | jq .jwks)" -ge 3 ]] && break; sleep 0.2; done
sleep 0.5
PEAK_KB="$(awk '/VmHWM/ {print $2}' /proc/"$SERVER_PID"/status)"
STATS="$(curl -s "127.0.0.1:$HP/stats")"
echo "  peak RSS of step9: $((PEAK_KB / 1024)) MiB after $(jq .jwks <<<"$STATS") attempts; the provider got $(( $(jq .bytes_sent <<<"$STATS") / 1024 / 1024 )) MiB into its sockets"
echo "  huge JWKS: step 9 peak RSS $((PEAK_KB / 1024)) MiB after $(jq .jwks <<<"$STATS") fetches of a 400 MiB key set" >>"$WORK/figures"
check "peak RSS $((PEAK_KB / 1024)) MiB (< 64 MiB)" test "$PEAK_KB" -lt 65536
http GET /health
expect_jq '.status == "degraded" and (.keys.last_error | type == "string") and .keys.count == 0' "/health: degraded, no keys, the failure recorded"
call "$(idp token mcp-user)" "$RPC_TOOLS_LIST"
expect_status 503 "requests get 503 meanwhile, and the server stays up"
stop_server

scenario "A discovery document that points to plain http" "A jwks_uri on http off loopback would let anyone on the path hand us keys: refused, and Keycloak's path under the trusted issuer is used instead."
HP2="$(free_port)"
python3 "$ROOT/scripts/hostile_provider.py" "$HP2" insecure-jwks & STARTED_PIDS+=($!)
wait_for_port "$HP2"
start_server step9 --keycloak-url "http://127.0.0.1:$HP2" --idp-timeout 2
sleep 1
check "the server never used the insecure jwks_uri" bash -c "! curl -s '$BASE/health' | jq -e '.keys.jwks_uri == \"http://keys.invalid/certs\"' >/dev/null"
check "…and logged a warning naming it" grep -q "WARN.*keys.invalid" "$SERVER_LOG"
stop_server
out="$("$ROOT/target/debug/step9" --bind 127.0.0.1:0 --keycloak-url http://keycloak.invalid:8080 2>&1)"; rc=$?
check "a provider URL on plain http off loopback is refused at start (exit $rc)" test "$rc" -ne 0

scenario "What /health tells" "Key ids, the key-set URL and provider errors help an operator on a laptop and an attacker elsewhere: --health-details auto shows them only on a loopback bind."
start_server step9 --keycloak-url "$IDP" --health-details off
http GET /health
expect_jq '.keys == {"state": "ready"} or .keys == {"state": "unavailable"}' "--health-details off: only the state"
stop_server
BASE="$MAIN_BASE"; SERVER_PID="$MAIN_PID"; SERVER_LOG="$MAIN_LOG"
http GET /health
expect_jq '.keys.kids | length >= 1' "the default on 127.0.0.1 (auto): the details"

if [[ -f $WORK/figures ]]; then echo; cat "$WORK/figures"; fi
finish
