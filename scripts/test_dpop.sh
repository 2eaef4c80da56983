#!/usr/bin/env bash
# Beyond the blog: sender-constrained tokens (DPoP, RFC 9449) and clients that act for themselves
# (client credentials), end to end — step 11 against step 10 and the identity provider, then a
# bound token in an attacker's hands. docs/sender-constrained.md explains each step.
source "$(dirname "$0")/lib.sh"
parse_args "$@"
build step10
build step11
build step12
(cd "$ROOT" && cargo build -q -p step11 --example jws) || { echo "build of the jws example failed"; exit 1; }
JWS="$ROOT/target/debug/examples/jws"
export IDP_PORT="$(free_port)"
IDP="http://localhost:$IDP_PORT"
ISS="$IDP/realms/mcp-realm"
TOKEN_URL="$ISS/protocol/openid-connect/token"
idp() { "$ROOT/scripts/idp.sh" "$@"; }
trap 'idp stop >/dev/null 2>&1; cleanup' EXIT
idp start >/dev/null || { echo "could not start the identity provider" >&2; exit 1; }
export KEYCLOAK_URL="$IDP"

# start10 ARGS…: step 10 on a free port; its public URL (what proofs name) is http://localhost:PORT.
start10() {
  local p; p="$(free_port)"
  PUBLIC="http://localhost:$p"
  MCP_SERVER_URL="$PUBLIC" start_server_on_port step10 "$p" --env "$ROOT/env/keycloak_direct.env" "$@"
}
cat >"$WORK/browser.sh" <<SH
#!/usr/bin/env bash
exec "$ROOT/scripts/browser_login.sh" "\$1"
SH
chmod +x "$WORK/browser.sh"
client() { # client ARGS… → CLIENT_OUT, CLIENT_RC (step 11 against the running step 10)
  CLIENT_OUT="$WORK/client-$RANDOM.out"
  timeout 120 "$ROOT/target/debug/step11" "$PUBLIC/mcp" --credentials "$WORK/credentials.json" "$@" >"$CLIENT_OUT" 2>&1
  CLIENT_RC=$?
  sed 's/^/    │ /' "$CLIENT_OUT" | grep -E '\[[0-9]+\]|←|POST|error|tools/call|DPoP|bind' | head -20
}
out_has() { grep -qE -- "$1" "$CLIENT_OUT"; }
claims() { cut -d. -f2 <<<"$1" | tr '_-' '/+' | (cat; echo '==') | base64 -d 2>/dev/null; }
proof() { "$JWS" proof --key "$1" --htu "$PUBLIC/mcp" ${2:+--token "$2"} ${3:+--nonce "$3"}; }
call_with() { # call_with AUTHORIZATION [DPoP PROOF]
  mcp_post "$RPC_TOOLS_CALL" -H "Authorization: $1" ${2:+-H "DPoP: $2"}
}
KEY="$WORK/client-key.pem"; OTHER="$WORK/other-key.pem"
"$JWS" keygen >"$KEY"; "$JWS" keygen >"$OTHER"

scenario "Step 10 with --dpop required says so" \
  "The protected-resource metadata names the proof algorithms and that DPoP is required (RFC 9728 §2); the 401 challenges with the DPoP scheme (RFC 9449 §7.1)."
start10 --dpop required
check "the configuration names the DPoP rule" grep -q "dpop .*required" "$SERVER_LOG"
http GET /.well-known/oauth-protected-resource/mcp
expect_jq '.dpop_bound_access_tokens_required == true and (.dpop_signing_alg_values_supported | index("ES256") != null)' "metadata: dpop_bound_access_tokens_required, dpop_signing_alg_values_supported"
mcp_post "$RPC_TOOLS_LIST"
expect_status 401 "no token"
expect_header WWW-Authenticate '^DPoP algs="ES256 [^"]*", realm="mcp-server", resource_metadata=' "the challenge is DPoP's, with algs and resource_metadata"

scenario "A person signs in; step 11 --dpop gets a bound token and proves its key on every call" \
  "A fresh key per run; a proof at the token endpoint (the provider binds the token: cnf.jkt) and on every MCP request (htm, htu, ath, jti)."
BROWSER_USER=mcp-user client --dpop --browser-cmd "$WORK/browser.sh"
check "step 11 finished (exit 0)" test "$CLIENT_RC" -eq 0
check "the provider answered token_type DPoP" out_has '← 200  DPoP access token'
check "tools/call echo worked with the bound token" out_has 'tools/call echo → "hello from step 11"'
BROWSER_USER=mcp-user client --browser-cmd "$WORK/browser.sh"
check "without --dpop, step 11 stops at the first 401: it offers DPoP only (exit $CLIENT_RC)" \
  bash -c "[[ $CLIENT_RC -ne 0 ]] && grep -q 'accepts only DPoP-bound tokens.*run again with --dpop' '$CLIENT_OUT'"
check "…before signing in (no authorization request)" bash -c "! grep -q 'Authorization request' '$CLIENT_OUT'"

scenario "The realm's DPoP client: the provider itself requires the proof" \
  "mcp-dpop-client has \"Require DPoP bound tokens\" (dpop.bound.access.tokens) in keycloak/mcp-realm.json. Step 10 with --dpop allowed, so that only the provider can refuse."
stop_server
start10 --dpop allowed
BROWSER_USER=mcp-user client --client-id mcp-dpop-client --client-issuer "$ISS" --browser-cmd "$WORK/browser.sh"
check "without a proof the provider refuses the token request (exit $CLIENT_RC)" \
  bash -c "[[ $CLIENT_RC -ne 0 ]] && grep -qiE 'HTTP 400: invalid_(dpop_proof|request|grant)' '$CLIENT_OUT'"
BROWSER_USER=mcp-user client --client-id mcp-dpop-client --client-issuer "$ISS" --browser-cmd "$WORK/browser.sh" --dpop
check "with --dpop it gets a bound token and calls the tool" \
  bash -c "[[ $CLIENT_RC -eq 0 ]] && grep -q 'tools/call echo → ' '$CLIENT_OUT'"

scenario "An agent without a person: client credentials" \
  "mcp-agent (client_secret_basic) and mcp-agent-jwt (private_key_jwt with keys/mcp_agent_private_key.pem); their scopes come from their service-account roles (read, tools). No browser, no redirect listener."
MCP_CLIENT_SECRET=mcp-agent-secret client --grant client-credentials --client-id mcp-agent --client-issuer "$ISS" --dpop
check "mcp-agent with its secret and --dpop: tools/call worked" \
  bash -c "[[ $CLIENT_RC -eq 0 ]] && grep -q 'tools/call echo → ' '$CLIENT_OUT'"
check "…no browser was opened (no listener, no authorization request)" bash -c "! grep -qE 'listening for the redirect|Authorization request' '$CLIENT_OUT'"
check "…the server saw the service account" out_has 'sees us as .*service-account-mcp-agent'
client --grant client-credentials --client-id mcp-agent-jwt --client-issuer "$ISS" --client-key "$ROOT/keys/mcp_agent_private_key.pem" --dpop
check "mcp-agent-jwt with a signed assertion and --dpop: tools/call worked" \
  bash -c "[[ $CLIENT_RC -eq 0 ]] && grep -q 'tools/call echo → ' '$CLIENT_OUT'"
check "…and it authenticated with private_key_jwt" out_has 'token endpoint auth private_key_jwt'
client --grant client-credentials --client-id mcp-agent-jwt --client-issuer "$ISS" --client-key "$OTHER" --dpop
check "another key's assertion is refused by the provider (exit $CLIENT_RC)" \
  bash -c "[[ $CLIENT_RC -ne 0 ]] && grep -q 'invalid_client' '$CLIENT_OUT'"
stop_server
start10
MCP_CLIENT_SECRET=mcp-agent-secret client --grant client-credentials --client-id mcp-agent --client-issuer "$ISS"
check "against step 10 without --dpop, the agent's bearer token works too" \
  bash -c "[[ $CLIENT_RC -eq 0 ]] && grep -q 'tools/call echo → ' '$CLIENT_OUT'"
stop_server

scenario "A stolen bound token is worth nothing without its key" \
  "The agent's DPoP-bound token (cnf.jkt = the thumbprint of our key), then what an attacker holding the token — or one proof — can try."
start10 --dpop required
http POST "$TOKEN_URL" -u mcp-agent:mcp-agent-secret -H "DPoP: $("$JWS" proof --key "$KEY" --htu "$TOKEN_URL")" \
  -d grant_type=client_credentials -d resource="$PUBLIC/mcp"
expect_jq '.token_type == "DPoP"' "the provider issued a DPoP token (a proof came with the request)"
AT="$(jq -r .access_token "$BODY_FILE")"
# RFC 7638: SHA-256 of the key's required members in order, no whitespace; base64url.
THUMBPRINT="$("$JWS" jwk --key "$KEY" | jq -cj '{crv, kty, x, y}' | openssl dgst -sha256 -binary | base64 | tr '+/' '-_' | tr -d '=')"
check "…bound to our key: cnf.jkt = our key's thumbprint ($THUMBPRINT)" test "$(claims "$AT" | jq -r '.cnf.jkt')" = "$THUMBPRINT"
INSPECT_TOKEN="$AT"
P1="$(proof "$KEY" "$AT")"
call_with "DPoP $AT" "$P1"; expect_status 200 "the owner: token + a fresh proof"
call_with "DPoP $AT" "$P1"; expect_status 401 "the same proof again (replayed)"
expect_jq '.error == "invalid_dpop_proof"' "…invalid_dpop_proof"
call_with "DPoP $AT"; expect_status 401 "the token without a proof"
call_with "DPoP $AT" "$(proof "$OTHER" "$AT")"; expect_status 401 "the token with a proof by another key"
expect_jq '.error == "invalid_dpop_proof"' "…invalid_dpop_proof (the key is not the token's cnf.jkt)"
call_with "Bearer $AT"; expect_status 401 "the token as a plain Bearer token"
call_with "DPoP $AT" "$("$JWS" proof --key "$KEY" --htu "$PUBLIC/other" --token "$AT")"; expect_status 401 "a proof made for another URL"
call_with "DPoP $AT" "$("$JWS" proof --key "$KEY" --htu "$PUBLIC/mcp" --htm GET --token "$AT")"; expect_status 401 "a proof made for another method"
call_with "DPoP $AT" "$(proof "$KEY" "another-token")"; expect_status 401 "a proof made for another token (ath)"
call_with "DPoP $AT" "$(proof "$KEY" "$AT")"; expect_status 200 "…and the owner is still let in"
stop_server

scenario "Server nonces (--dpop-nonce)" \
  "Proofs must carry a nonce the server handed out recently; a 401 use_dpop_nonce gives one, and step 11 retries once with it."
start10 --dpop required --dpop-nonce
call_with "DPoP $AT" "$(proof "$KEY" "$AT")"; expect_status 401 "a proof without a nonce"
expect_jq '.error == "use_dpop_nonce"' "…use_dpop_nonce"
expect_header DPoP-Nonce '^[A-Za-z0-9_-]{20,}$' "…with a nonce in DPoP-Nonce"
NONCE="$(grep -i '^dpop-nonce:' "$HEADERS_FILE" | cut -d: -f2 | tr -d ' \r')"
call_with "DPoP $AT" "$(proof "$KEY" "$AT" "$NONCE")"; expect_status 200 "the same request with the nonce"
call_with "DPoP $AT" "$(proof "$KEY" "$AT" "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA")"; expect_status 401 "a made-up nonce"
MCP_CLIENT_SECRET=mcp-agent-secret client --grant client-credentials --client-id mcp-agent --client-issuer "$ISS" --dpop
check "step 11 keeps the nonce the server hands out (DPoP-Nonce, already on the first 401) and succeeds" \
  bash -c "[[ $CLIENT_RC -eq 0 ]] && grep -q 'tools/call echo → ' '$CLIENT_OUT'"
check "…its proofs carried the nonce: the server refused none with use_dpop_nonce" bash -c "! grep -q 'use_dpop_nonce' '$CLIENT_OUT'"
stop_server

scenario "The same in front of your own rmcp server (step 12)" \
  "Step 12 runs step 10's wiring, so --dpop works there too; its own per-tool 403 is challenged with the DPoP scheme."
p="$(free_port)"; PUBLIC="http://localhost:$p"
MCP_SERVER_URL="$PUBLIC" start_server_on_port step12 "$p" --env "$ROOT/env/keycloak_direct.env" --dpop required
MCP_CLIENT_SECRET=mcp-agent-secret client --grant client-credentials --client-id mcp-agent --client-issuer "$ISS" --dpop
check "step 11 --dpop, as an agent, calls step 12's rmcp tool" \
  bash -c "[[ $CLIENT_RC -eq 0 ]] && grep -q 'tools/call echo → ' '$CLIENT_OUT'"
call_with "DPoP $AT" "$(proof "$OTHER" "$AT")"; expect_status 401 "step 12: a proof by another key"
mcp_post '{"jsonrpc":"2.0","id":5,"method":"tools/call","params":{"name":"echo_prompt_text","arguments":{"message":"hi"}}}' \
  -H "Authorization: DPoP $AT" -H "DPoP: $(proof "$KEY" "$AT")"
expect_status 403 "step 12: mcp-agent lacks mcp:prompts"
expect_header WWW-Authenticate '^DPoP algs="[^"]*", realm="mcp-server", error="insufficient_scope"' "…and the step-up challenge names the DPoP scheme"
stop_server

scenario "DPoP with introspection" \
  "--validation introspection: the binding comes from the provider's answer (cnf, RFC 9449 §6.2) and the proof is checked the same way."
start10 --dpop required --validation introspection
call_with "DPoP $AT" "$(proof "$KEY" "$AT")"; expect_status 200 "the owner, through introspection"
call_with "DPoP $AT" "$(proof "$OTHER" "$AT")"; expect_status 401 "another key, through introspection"
call_with "Bearer $AT"; expect_status 401 "as Bearer, through introspection"
stop_server

finish
