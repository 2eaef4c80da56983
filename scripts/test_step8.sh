#!/usr/bin/env bash
# Step 8: per-method scopes — authenticated is not the same as allowed.
source "$(dirname "$0")/lib.sh"
parse_args "$@"
build tokengen
start_auth_server step8 --public-key "$ROOT/keys/mcp_public_key.pem"
RM="$SERVER_URL/.well-known/oauth-protected-resource/mcp"
INSPECT_TOKEN="$(tokengen --demo alice)"

# expect_call USER_TOKEN BODY EXPECTED(200|scope) LABEL
expect_call() {
  local token="$1" body="$2" expected="$3" label="$4"
  mcp_post "$body" -H "$(bearer "$token")" >/dev/null
  if [[ $expected == 200 ]]; then
    if [[ $STATUS == 200 ]] && jq -e 'has("result")' "$BODY_FILE" >/dev/null; then pass "$label → 200"; else fail "$label → expected 200" "got $STATUS $(head -c 200 "$BODY_FILE")"; fi
  else
    local want="Bearer realm=\"mcp-server\", error=\"insufficient_scope\", scope=\"$expected\", resource_metadata=\"$RM\""
    local got; got="$(grep -i '^www-authenticate:' "$HEADERS_FILE" | cut -d' ' -f2- | tr -d '\r')"
    local id; id="$(jq -c '.id' <<<"$body")"
    if [[ $STATUS == 403 && $got == "$want" ]] && jq -e ".id == $id and .error.data.scope == \"$expected\"" "$BODY_FILE" >/dev/null; then
      pass "$label → 403 insufficient_scope, scope=\"$expected\", id $id kept"
    else
      fail "$label → expected 403 needing $expected" "got $STATUS, '$got', $(head -c 200 "$BODY_FILE")"
    fi
  fi
}

scenario "The policy table, one demo user at a time" \
  "tools/list: mcp:read|mcp:tools · tools/call: mcp:tools · prompts/list: mcp:read|mcp:prompts · prompts/get: mcp:prompts · admin role: all"
for user in alice bob admin guest; do
  T="$(tokengen --demo "$user")"
  case $user in
    alice) row=(200 200 200 200 200 mcp:prompts) ;;
    bob)   row=(200 200 200 mcp:tools 200 200) ;;
    admin) row=(200 200 200 200 200 200) ;;
    guest) row=(200 200 mcp:read mcp:tools mcp:read mcp:prompts) ;;
  esac
  i=0
  for body in "$RPC_INITIALIZE" "$RPC_PING" "$RPC_TOOLS_LIST" "$RPC_TOOLS_CALL" "$RPC_PROMPTS_LIST" "$RPC_PROMPTS_GET"; do
    expect_call "$T" "$body" "${row[$i]}" "$user: $(jq -r .method <<<"$body")"
    i=$((i + 1))
  done
done

scenario "Scopes come from the standard claim" "A token with only a non-standard 'scopes' array (the original's mistake) grants nothing."
T="$(tokengen --username carol --scopes '' --claim 'scopes=["mcp:read","mcp:tools","mcp:prompts"]')"
check "carol's token really carries a scopes array and an empty scope claim" bash -c "cut -d. -f2 <<<'$T' | tr '_-' '/+' | (cat; echo '==') | base64 -d 2>/dev/null | jq -e '.scopes == [\"mcp:read\",\"mcp:tools\",\"mcp:prompts\"] and .scope == \"\"' >/dev/null"
expect_call "$T" "$RPC_TOOLS_CALL" mcp:tools "carol, with all three scopes in a 'scopes' array only: tools/call"
expect_call "$T" "$RPC_TOOLS_LIST" mcp:read "carol: tools/list"
T="$(tokengen --username dave --scopes 'mcp:tools')"
expect_call "$T" "$RPC_TOOLS_LIST" 200 "dave with only mcp:tools may still list tools"
expect_call "$T" "$RPC_PROMPTS_LIST" mcp:read "dave cannot list prompts"
T="$(tokengen --username erin --scopes '' --roles admin)"
expect_call "$T" "$RPC_PROMPTS_GET" 200 "erin with the admin role and no scopes"

scenario "The same table on the 2026-07-28 wire" \
  "Authorization does not change with the wire: the same 401 and 403 challenges; server/discover needs a token like initialize."
mcp_post_2026 server/discover '{}'
expect_status 401 "server/discover without a token"
expect_header www-authenticate '^Bearer .*resource_metadata=' "  … with the challenge that starts the OAuth flow"
ALICE="$(tokengen --demo alice)"
mcp_post_2026 server/discover '{}' -H "$(bearer "$ALICE")"
expect_status 200 "server/discover with alice's token"
expect_jq '.result.cacheScope == "private"' "  … cacheScope private: from step 6 on, answers depend on the token"
mcp_post_2026 tools/call '{"name":"echo","arguments":{"message":"hi"}}' -H "$(bearer "$ALICE")"
expect_jq '.result.resultType == "complete"' "alice calls echo (mcp:tools)"
mcp_post_2026 prompts/get '{"name":"echo_prompt","arguments":{"message":"hi"}}' -H "$(bearer "$ALICE")"
expect_status 403 "alice's prompts/get"
expect_header www-authenticate 'error="insufficient_scope", scope="mcp:prompts"' "  … the same step-up challenge: scope=\"mcp:prompts\""

scenario "A 401 asks for what the request needs" \
  "MCP 2025-11-25 Scope Selection Strategy: the 401's scope names what THIS request needs (from Mcp-Method; for a legacy request from its body, read on the way to the 401 only when it is at most 64 KiB), never the whole catalogue; a client then asks for no more, and steps up on a 403 when a call needs more."
for pair in "server/discover:mcp:read" "tools/list:mcp:read" "prompts/list:mcp:read" "tools/call:mcp:tools" "prompts/get:mcp:prompts"; do
  method="${pair%%:*}"; want="${pair#*:}"
  mcp_post "$(jq -cn --arg m "$method" '{jsonrpc:"2.0",id:1,method:$m}')" -H "Mcp-Method: $method"
  expect_header www-authenticate "scope=\"$want\"" "$method without a token → 401 scope=\"$want\""
done
mcp_post "$RPC_TOOLS_CALL"
expect_header www-authenticate 'scope="mcp:tools"' "a legacy tools/call (no Mcp-Method) → scope=\"mcp:tools\", from its body"
mcp_post "$RPC_INITIALIZE"
expect_header www-authenticate 'scope="mcp:read"' "a legacy initialize → the baseline scope=\"mcp:read\""
head -c $((70 * 1024)) /dev/zero | tr '\0' ' ' > "$WORK/padded.json"
echo "$RPC_TOOLS_CALL" >> "$WORK/padded.json"
http POST /mcp -H 'Content-Type: application/json' --data-binary "@$WORK/padded.json"
expect_header www-authenticate 'scope="mcp:read"' "a tools/call behind 70 KiB of padding is not read for its method → the baseline scope=\"mcp:read\""
http GET /.well-known/oauth-protected-resource/mcp
expect_jq '.scopes_supported == ["mcp:read","mcp:tools","mcp:prompts"]' "the protected-resource metadata still lists every scope (scopes_supported)"

scenario "Saying what went wrong, where it happens" "A moved port without --server-url, and the blog's non-URL issuer, are told in the log at start; the start-up line names this step."
stop_server
P="$(free_port)"
start_server_on_port step8 "$P" --public-key "$ROOT/keys/mcp_public_key.pem"
sleep 0.2
check "bound to :$P with the default public URL (:9000): the log names the flag and the URL to pass" grep -q -- "--server-url http://localhost:$P" "$SERVER_LOG"
check "the start-up line comes from step8, not step7" grep -q "step8: publishing metadata" "$SERVER_LOG"
stop_server
start_server step8 --public-key "$ROOT/keys/mcp_public_key.pem" --issuer mcp-simple-auth --server-url "http://localhost:$((PORT))"
sleep 0.2
check "--issuer mcp-simple-auth (the blog's): a warning that no authorization-server metadata is published" grep -q "WARN.*issuer=mcp-simple-auth" "$SERVER_LOG"
stop_server
start_auth_server step8 --public-key "$ROOT/keys/mcp_public_key.pem"

scenario "Notifications and the 401s of earlier steps" "Notifications need only a valid token; a missing or bad token is still 401."
mcp_post '{"jsonrpc":"2.0","method":"notifications/initialized"}' -H "$(bearer "$(tokengen --demo guest)")"
expect_status 202 "guest's notification is accepted"
mcp_post "$RPC_TOOLS_CALL"
expect_status 401 "no token is still 401, not 403"
mcp_post "$RPC_TOOLS_CALL" -H "$(bearer "$(tokengen --forge expired)")"
expect_status 401 "an expired token is still 401"

finish
