#!/usr/bin/env bash
# Step 10 for production: introspection vs local JWT (revocation), a pinned JWKS URL,
# HTTPS rules at start, and the three auth modes.
source "$(dirname "$0")/lib.sh"
parse_args "$@"
build step10
export IDP_PORT="$(free_port)"
IDP="http://localhost:$IDP_PORT"
ISS="$IDP/realms/mcp-realm"
idp() { "$ROOT/scripts/idp.sh" "$@"; }
trap 'idp stop >/dev/null 2>&1; cleanup' EXIT
idp start >/dev/null || { echo "could not start the identity provider" >&2; exit 1; }
export KEYCLOAK_URL="$IDP"
ENVFILE="$ROOT/env/keycloak_direct.env"
CLIENT_SECRET_VAR=KEYCLOAK_CLIENT_SECRET
start10() { # start10 ARGS… : step 10 on a free port, its public URL matching
  local p; p="$(free_port)"
  MCP_SERVER_URL="http://localhost:$p" start_server_on_port step10 "$p" --env "$ENVFILE" "$@"
}
call() { mcp_post "$2" -H "$(bearer "$1")" >/dev/null; }
revoke() { curl -s -o /dev/null -w '%{http_code}' "$ISS/protocol/openid-connect/revoke" -d client_id=mcp-test-client -d "token=$1"; }

scenario "JWT mode (the default) and revocation" "Local validation never asks the provider: a revoked token is accepted until it expires."
start10
check "the secret from the env file is announced but never printed" bash -c "grep -q 'KEYCLOAK_CLIENT_SECRET (set, not shown)' '$SERVER_LOG' && ! grep -q echo-mcp-server-secret '$SERVER_LOG'"
T="$(idp token mcp-user)"
call "$T" "$RPC_TOOLS_LIST"; expect_status 200 "mcp-user's token works"
check "the provider accepts the revocation" test "$(revoke "$T")" = 200
call "$T" "$RPC_TOOLS_LIST"; expect_status 200 "JWT mode still accepts the revoked token (until its exp, 5 minutes here)"
stop_server

scenario "Introspection mode, no cache" "Every request asks the provider (RFC 7662): revocation takes effect at once."
start10 --validation introspection --introspection-cache-secs 0
check "the configuration says validation introspection" grep -q "validation .*introspection" "$SERVER_LOG"
for user in mcp-admin mcp-user mcp-readonly; do
  T="$(idp token "$user")"
  call "$T" "$RPC_TOOLS_LIST"; expect_status 200 "$user's token is accepted"
done
call "$T" "$RPC_TOOLS_CALL"; expect_status 403 "…and step 8's scopes still apply (mcp-readonly cannot call)"
T="$(idp token mcp-user)"
call "$T" "$RPC_TOOLS_LIST"; expect_status 200 "mcp-user, before revocation"
revoke "$T" >/dev/null
call "$T" "$RPC_TOOLS_LIST"; expect_status 401 "immediately after revocation: 401"
expect_header www-authenticate 'error="invalid_token"' "…as invalid_token"
call "garbage.x.y" "$RPC_TOOLS_LIST"; expect_status 401 "a garbage token: 401"
stop_server

scenario "Introspection mode with its 3-second cache" "The cost of caching: a revoked token keeps working until the cached answer expires."
start10 --validation introspection --introspection-cache-secs 3
T="$(idp token mcp-user)"
call "$T" "$RPC_TOOLS_LIST"; expect_status 200 "first use (answer cached)"
revoke "$T" >/dev/null
call "$T" "$RPC_TOOLS_LIST"; expect_status 200 "right after revocation: still accepted from the cache"
sleep 3.2
call "$T" "$RPC_TOOLS_LIST"; expect_status 401 "after the cache time: 401"
stop_server

scenario "Introspection when the provider is unreachable" "Our problem, not the token's: 503."
DEAD="$(free_port)"
P="$(free_port)"
KEYCLOAK_URL="http://localhost:$DEAD" MCP_SERVER_URL="http://localhost:$P" start_server_on_port step10 "$P" --env "$ENVFILE" --validation introspection --idp-timeout 1
build tokengen
T="$(tokengen --demo alice --issuer "http://localhost:$DEAD/realms/mcp-realm" --audience echo-mcp-server)"
call "$T" "$RPC_TOOLS_LIST"; expect_status 503 "provider down → 503 (not 401)"
stop_server

scenario "Introspection does not amplify" "Each introspection call carries our client secret to the provider. 50 requests with distinct garbage tokens and 20 with one bad-but-plausible token, against a provider that counts: garbage is refused locally, the bad token's answer is remembered."
build tokengen
HP="$(free_port)"
python3 "$ROOT/scripts/hostile_provider.py" "$HP" inactive & STARTED_PIDS+=($!)
wait_for_port "$HP"
P="$(free_port)"
KEYCLOAK_URL="http://127.0.0.1:$HP" MCP_SERVER_URL="http://localhost:$P" start_server_on_port step10 "$P" --env "$ENVFILE" --validation introspection
for i in $(seq 1 50); do call "garbage-$i" "$RPC_TOOLS_LIST"; [[ $STATUS == 401 ]] || fail "garbage-$i" "got $STATUS"; done
PLAUSIBLE="$(tokengen --demo alice --issuer "http://127.0.0.1:$HP/realms/mcp-realm" --audience echo-mcp-server)"
for i in $(seq 1 20); do call "$PLAUSIBLE" "$RPC_TOOLS_LIST"; [[ $STATUS == 401 ]] || fail "repeat $i" "got $STATUS"; done
CALLS="$(curl -s "127.0.0.1:$HP/stats" | jq .introspections)"
echo "  70 requests → $CALLS introspection call(s)"
check "70 bad requests, all 401, cost $CALLS introspection call (exactly 1: the plausible token, once)" test "$CALLS" -eq 1
stop_server

scenario "Forged JWTs cost no introspection call" "Each call carries our client secret. A JWT is checked against the provider's published keys first: 200 unique forgeries (the provider's real kid, a signature that is not its) are refused without asking."
start10 --validation introspection
KID="$(curl -s "$IDP/admin/stats" | jq -r '.kids[0]')"
BEFORE="$(curl -s "$IDP/admin/stats" | jq .introspections)"
FORGED="$(python3 - "$ISS" "$KID" <<'PY'
import base64, json, sys, time
b64 = lambda d: base64.urlsafe_b64encode(json.dumps(d).encode()).rstrip(b"=").decode()
iss, kid = sys.argv[1], sys.argv[2]
for n in range(200):
    claims = {"iss": iss, "aud": "echo-mcp-server", "sub": "mallory", "typ": "Bearer", "scope": "mcp:read",
              "iat": int(time.time()), "exp": int(time.time()) + 300, "jti": f"forged-{n}"}
    print(b64({"alg": "RS256", "typ": "JWT", "kid": kid}) + "." + b64(claims) + ".c2lnbmF0dXJl")
PY
)"
REFUSED=0
while read -r t; do call "$t" "$RPC_TOOLS_LIST"; [[ $STATUS == 401 ]] && REFUSED=$((REFUSED + 1)); done <<<"$FORGED"
AFTER="$(curl -s "$IDP/admin/stats" | jq .introspections)"
check "200 forged JWTs: $REFUSED refused with 401" test "$REFUSED" = 200
check "…and $((AFTER - BEFORE)) introspection calls reached the provider (want 0)" test "$((AFTER - BEFORE))" = 0
T="$(idp token mcp-user)"
call "$T" "$RPC_TOOLS_LIST"; expect_status 200 "a genuine token is still introspected and accepted"
check "…with exactly one provider call" test "$(curl -s "$IDP/admin/stats" | jq .introspections)" = $((AFTER + 1))
stop_server

scenario "A cap on introspection calls per second" "Tokens the keys cannot judge (here: a provider that publishes none) still go to the provider, but at most --introspection-max-per-sec a second; above it: 503 + Retry-After, no call."
HP2="$(free_port)"
python3 "$ROOT/scripts/hostile_provider.py" "$HP2" inactive & STARTED_PIDS+=($!)
wait_for_port "$HP2"
P="$(free_port)"
KEYCLOAK_URL="http://127.0.0.1:$HP2" MCP_SERVER_URL="http://localhost:$P" start_server_on_port step10 "$P" --env "$ENVFILE" --validation introspection --introspection-max-per-sec 1
TOKENS=()
for i in $(seq 1 12); do TOKENS+=("$(tokengen --demo alice --issuer "http://127.0.0.1:$HP2/realms/mcp-realm" --audience echo-mcp-server)"); done
BUSY=0
for t in "${TOKENS[@]}"; do
  call "$t" "$RPC_TOOLS_LIST"
  if [[ $STATUS == 503 ]] && grep -qi '^retry-after: 1' "$HEADERS_FILE"; then BUSY=$((BUSY + 1)); fi
done
CALLS="$(curl -s "127.0.0.1:$HP2/stats" | jq .introspections)"
check "12 distinct plausible tokens in a burst: $CALLS provider call(s) at a cap of 1/s" test "$CALLS" -ge 1 -a "$CALLS" -le 3
check "…and the other $BUSY answered 503 + Retry-After: 1, with no call" test "$((BUSY + CALLS))" = 12
stop_server

scenario "A pinned JWKS URL" "--jwks-url skips discovery (for providers without it). The pinned URL differs from the discovered one by a query string the provider ignores, so the report shows which was used."
PINNED="$ISS/protocol/openid-connect/certs?pinned=1"
start10 --jwks-url "$PINNED"
for _ in $(seq 1 20); do curl -s "$BASE/health" | jq -e '.keys.state == "ready"' >/dev/null && break; sleep 0.2; done
http GET /health
expect_jq ".keys.jwks_uri == \"$PINNED\" and .keys.state == \"ready\"" "the cache fetched the pinned URL, not the discovered one"
call "$(idp token mcp-user)" "$RPC_TOOLS_LIST"; expect_status 200 "tokens are accepted"
stop_server
timeout 20 "$ROOT/target/debug/step10" --env "$ENVFILE" --bind 127.0.0.1:0 --jwks-url http://keys.invalid/certs >"$WORK/jwks.out" 2>&1; rc=$?
check "a pinned JWKS URL on plain http off loopback is refused at start (exit $rc; 124 would mean it ran)" test "$rc" -ne 0 -a "$rc" -ne 124
check "…before anything listens (no 'listening' line)" bash -c "! grep -q listening '$WORK/jwks.out'"

scenario "HTTPS rules at start" "Plain http is refused unless the host is loopback; --allow-insecure-http overrides, loudly."
out="$(KEYCLOAK_URL=http://keycloak.invalid:8080 "$ROOT/target/debug/step10" --env "$ENVFILE" --bind 127.0.0.1:0 2>&1)"; rc=$?
check "an http provider URL on a non-loopback host is refused (exit $rc)" test "$rc" -ne 0
check "…naming the URL and the override" grep -q "keycloak.invalid.*--allow-insecure-http" <<<"$out"
out="$(MCP_SERVER_URL=http://mcp.invalid "$ROOT/target/debug/step10" --env "$ENVFILE" --bind 127.0.0.1:0 2>&1)"; rc=$?
check "an http public server URL on a non-loopback host is refused (exit $rc)" test "$rc" -ne 0
P="$(free_port)"
KEYCLOAK_URL=http://keycloak.invalid:8080 MCP_SERVER_URL="http://localhost:$P" start_server_on_port step10 "$P" --env "$ENVFILE" --allow-insecure-http --idp-timeout 1
check "with --allow-insecure-http it starts, with a warning" grep -q "WARN.*allow-insecure-http" "$SERVER_LOG"
stop_server
: >"$WORK/empty.env"
env -u KEYCLOAK_CLIENT_SECRET "$ROOT/target/debug/step10" --env "$WORK/empty.env" --bind 127.0.0.1:0 --validation introspection >"$WORK/nosecret.out" 2>&1; rc=$?
check "introspection without the client secret is refused at start (exit $rc)" test "$rc" -ne 0
check "…naming the variable to set" grep -q "$CLIENT_SECRET_VAR" "$WORK/nosecret.out"
env -u KEYCLOAK_CLIENT_SECRET "$ROOT/target/debug/step10" --env "$WORK/empty.env" --bind 127.0.0.1:0 --validation introspection \
  --introspection-client-secret-file "$WORK/no-such-secret" >"$WORK/nofile.out" 2>&1; rc=$?
check "an unreadable secret file is refused at start (exit $rc)" test "$rc" -ne 0
check "…naming the file" grep -q "no-such-secret" "$WORK/nofile.out"
"$ROOT/target/debug/step10" --help >"$WORK/help.out" 2>&1
check "--help tells where the secret goes instead of a flag ($CLIENT_SECRET_VAR, --introspection-client-secret-file)" \
  bash -c "grep -qw '$CLIENT_SECRET_VAR' '$WORK/help.out' && grep -q -- '--introspection-client-secret-file' '$WORK/help.out'"
"$ROOT/target/debug/step10" --env "$WORK/empty.env" --bind 127.0.0.1:0 --introspection-client-secret visible-in-ps >"$WORK/flag.out" 2>&1; rc=$?
check "a secret on the command line (visible in ps) is not accepted (exit $rc)" test "$rc" -eq 2

scenario "The client secret from a file" "--introspection-client-secret-file: the secret stays out of the process list and the environment."
printf 'echo-mcp-server-secret\n' >"$WORK/secret"; chmod 600 "$WORK/secret"
P="$(free_port)"
unset KEYCLOAK_CLIENT_SECRET
KEYCLOAK_URL="$IDP" MCP_SERVER_URL="http://localhost:$P" start_server_on_port step10 "$P" --env "$WORK/empty.env" \
  --validation introspection --introspection-client-secret-file "$WORK/secret" --audience echo-mcp-server
call "$(idp token mcp-user)" "$RPC_TOOLS_LIST"; expect_status 200 "introspection authenticates with the secret read from the file"
CMDLINE="$(tr '\0' ' ' </proc/$SERVER_PID/cmdline 2>/dev/null)"
check "the running server's command line names the secret file" grep -qF -- "--introspection-client-secret-file $WORK/secret" <<<"$CMDLINE"
check "…and not the secret" bash -c "! grep -q echo-mcp-server-secret <<<'$CMDLINE'"
check "…nor does its environment" bash -c "! tr '\\0' '\\n' </proc/$SERVER_PID/environ | grep -q echo-mcp-server-secret"
stop_server

scenario "Auth mode optional" "No token: an anonymous caller (initialize works, scopes still deny). A bad token: 401."
start10 --auth-mode optional
mcp_post "$RPC_INITIALIZE"; expect_status 200 "initialize without a token"
expect_jq '.result._meta["mcp-auth-step-by-step/identity"].sub == "anonymous"' "…as the anonymous caller"
mcp_post "$RPC_TOOLS_LIST"; expect_status 403 "tools/list without a token: 403 (no scopes)"
call "garbage.x.y" "$RPC_TOOLS_LIST"; expect_status 401 "a bad token is still 401"
call "$(idp token mcp-user)" "$RPC_TOOLS_LIST"; expect_status 200 "a good token works"
stop_server

scenario "Auth mode permissive" "Validate and log, never reject — with a warning at start and on /health."
start10 --auth-mode permissive
check "a WARNING line in the printed configuration" grep -qE "^ +WARNING " "$SERVER_LOG"
http GET /health
expect_jq '.auth.mode == "permissive" and (.auth.warning | type == "string")' "/health carries a warning"
call "garbage.x.y" "$RPC_INITIALIZE"; expect_status 200 "a bad token is let through (initialize 200)"
sleep 0.2
check "…and logged as a warning (let_through=true)" grep -q "WARN.*let_through=true" "$SERVER_LOG"
call "garbage.x.y" "$RPC_TOOLS_CALL"; expect_status 401 "where anonymous is refused, the answer is the token's 401, not a 403 that asks for more scope"
expect_header www-authenticate 'error="invalid_token"' "…with error=\"invalid_token\" (log in again; a step-up would not help)"
expect_header www-authenticate 'scope="mcp:tools"' "…asking for the scope the call needs (mcp:tools), as the 403 would have"
mcp_post "$RPC_TOOLS_CALL"; expect_status 403 "no token at all: anonymous, and a 403 for the missing scope"
stop_server

scenario "Auth mode strict (the default)" "Unchanged from step 9."
start10
mcp_post "$RPC_INITIALIZE"; expect_status 401 "no token: 401"
http GET /health
expect_jq '.auth.mode == "strict" and .auth.validation == "jwt"' "/health: strict, jwt"

finish
