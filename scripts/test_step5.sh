#!/usr/bin/env bash
# Step 5: the public key is loaded at start and published as a JWKS.
source "$(dirname "$0")/lib.sh"
parse_args "$@"
build tokengen
build_and_start step5 --public-key "$ROOT/keys/mcp_public_key.pem"

scenario "The JWKS document" "RFC 7517: the key's modulus n and exponent e, base64url without padding; use/alg pin its purpose."
http GET /.well-known/jwks.json
expect_status 200 "GET /.well-known/jwks.json"
expect_jq '.keys | length == 1' "one key"
expect_jq '.keys[0] | .kty == "RSA" and .use == "sig" and .alg == "RS256" and .e == "AQAB"' "kty RSA, use sig, alg RS256, e AQAB (65537)"
expect_jq '.keys[0].n | test("^[A-Za-z0-9_-]{342}$")' "n is 342 base64url characters (2048 bits), no padding"
KID="$(jq -r '.keys[0].kid' "$BODY_FILE")"
TOKEN_KID="$(tokengen --demo alice | cut -d. -f1 | tr '_-' '/+' | base64 -d 2>/dev/null | jq -r .kid)"
check "the kid is the RFC 7638 thumbprint that tokengen computes independently ($KID)" test "$KID" = "$TOKEN_KID"

scenario "Health reports the key" "/health says which key is loaded, so a wrong key file is easy to spot."
http GET /health
expect_jq ".status == \"healthy\" and .key.kid == \"$KID\"" "status healthy, with the kid"

scenario "MCP still open" "Step 5 only publishes the key; tokens are checked from step 6 on."
mcp_post "$RPC_TOOLS_CALL"
expect_jq '.result.content[0].text == "hi"' "tools/call works without a token (for now)"

scenario "Clear start-up errors" "A missing or wrong key file stops the server with a message that names the file and the fix."
out="$("$ROOT/target/debug/step5" --bind 127.0.0.1:0 --public-key /nonexistent/key.pem 2>&1)"; rc=$?
check "exit code is non-zero for a missing file" test "$rc" -ne 0
check "the message names the path" grep -q "/nonexistent/key.pem" <<<"$out"
check "the message names the tokengen command" grep -q "tokengen -- --generate-keys" <<<"$out"
out="$("$ROOT/target/debug/step5" --bind 127.0.0.1:0 --public-key "$ROOT/keys/mcp_private_key.pem" 2>&1)"; rc=$?
check "a private key given as the public key is refused" test "$rc" -ne 0
check "  … naming the file" grep -q "mcp_private_key.pem" <<<"$out"
echo "$out" | sed 's/^/    /' | head -3

finish
