#!/usr/bin/env bash
# Step 11: the client goes from a server URL to a tool call — registration, PKCE, resource,
# loopback redirect — and refuses what it must refuse.
source "$(dirname "$0")/lib.sh"
parse_args "$@"
build step10
build step11
export IDP_PORT="$(free_port)"
IDP="http://localhost:$IDP_PORT"
idp() { "$ROOT/scripts/idp.sh" "$@"; }
trap 'idp stop >/dev/null 2>&1; cleanup' EXIT
idp start >/dev/null || { echo "could not start the identity provider" >&2; exit 1; }
P="$(free_port)"
URL="http://localhost:$P"
KEYCLOAK_URL="$IDP" MCP_SERVER_URL="$URL" start_server_on_port step10 "$P" --env "$ROOT/env/keycloak_direct.env"
CREDS="$WORK/credentials/step11.json"

# The "browser": records the authorization URL it was given, then logs in like a person would.
cat >"$WORK/browser.sh" <<SH
#!/usr/bin/env bash
echo "\$1" >>"$WORK/authorization-urls"
exec "$ROOT/scripts/browser_login.sh" "\$1"
SH
chmod +x "$WORK/browser.sh"

client() { # client ARGS… → CLIENT_OUT, CLIENT_RC
  CLIENT_OUT="$WORK/client-$RANDOM.out"
  timeout 120 "$ROOT/target/debug/step11" "$URL/mcp" --credentials "$CREDS" "$@" >"$CLIENT_OUT" 2>&1
  CLIENT_RC=$?
  sed 's/^/    │ /' "$CLIENT_OUT" | grep -E '\[[0-9]+\]|←|POST|GET|error|done|reusing|tools/|discover →|initialize →' | head -30
}
out_has() { grep -qE -- "$1" "$CLIENT_OUT"; }
query_of_last_url() { tail -1 "$WORK/authorization-urls" | python3 -c 'import sys, urllib.parse as u, json; print(json.dumps(dict(u.parse_qsl(u.urlparse(sys.stdin.read().strip()).query))))'; }

scenario "From nothing to a tool call" "A fresh client: 401 → metadata → registration → browser login (mcp-user) → token → MCP calls."
BROWSER_USER=mcp-user client --browser-cmd "$WORK/browser.sh"
check "the client finished successfully (exit 0)" test "$CLIENT_RC" -eq 0
Q="$(query_of_last_url)"
REGISTERED="$(jq -r --arg iss "$IDP/realms/mcp-realm" '.issuers[$iss].client_id // empty' "$CREDS")"
check "it was registered dynamically: the credentials file holds a client id for the issuer" test -n "$REGISTERED"
check "…and the authorization request used that client id" bash -c "jq -e '.client_id == \"$REGISTERED\"' <<<'$Q' >/dev/null"
check "the authorization request used PKCE S256" bash -c "jq -e '.code_challenge_method == \"S256\" and (.code_challenge | length == 43)' <<<'$Q' >/dev/null"
check "…carried a state" bash -c "jq -e '.state | length >= 32' <<<'$Q' >/dev/null"
check "…and resource = the MCP server's URL (RFC 8707)" bash -c "jq -e '.resource == \"$URL/mcp\"' <<<'$Q' >/dev/null"
check "…and the redirect URI is the loopback listener" bash -c "jq -e '.redirect_uri | test(\"^http://127\\\\.0\\\\.0\\\\.1:[0-9]+/callback$\")' <<<'$Q' >/dev/null"
# What the provider received (its log), not what the client says it sent.
TOKEN_REQ="$(grep "token request received: grant_type=authorization_code client_id=$REGISTERED " "$ROOT/.tools/idp/$IDP_PORT.log" | tail -1)"
token_param() { sed -E "s/.* $1=([^ ]*).*/\1/" <<<"$TOKEN_REQ"; }
check "the provider received the token request of that client" test -n "$TOKEN_REQ"
check "…with code, code_verifier, redirect_uri and resource among its parameters ($(token_param parameters))" \
  bash -c "grep -q 'parameters=\[[^]]*code,code_verifier,[^]]*redirect_uri,resource' <<<'$TOKEN_REQ'"
check "…resource = the MCP server's URL ($(token_param resource))" test "$(token_param resource)" = "$URL/mcp"
check "…redirect_uri = the one of the authorization request" test "$(token_param redirect_uri)" = "$(jq -r .redirect_uri <<<"$Q")"
check "…and the client authenticated as registered ($(token_param client_auth))" \
  test "$(token_param client_auth)" = "$(jq -r --arg iss "$IDP/realms/mcp-realm" '.issuers[$iss].token_endpoint_auth_method' "$CREDS")"
check "it spoke MCP 2026-07-28: step 10 answered server/discover" out_has 'server/discover → MCP 2026-07-28'
check "the server accepted the token (discover shows mcp-user)" out_has 'sees us as .*"sub":"mcp-user"'
check "tools/list succeeded" out_has 'tools/list → \["echo"\]'
check "tools/call echo succeeded" out_has 'tools/call echo → "hello from step 11"'

scenario "The 2025 handshake on request" "--protocol legacy: initialize, as a 2025-11-25 client would; the same server, the same token."
BROWSER_USER=mcp-user client --browser-cmd "$WORK/browser.sh" --protocol legacy
check "the run succeeded (exit $CLIENT_RC)" test "$CLIENT_RC" -eq 0
check "it used initialize" out_has 'initialize → MCP "2025-11-25"'
check "…and never asked server/discover" bash -c "! grep -q 'server/discover' '$CLIENT_OUT'"
check "tools/call echo succeeded" out_has 'tools/call echo → "hello from step 11"'

scenario "The stored client is reused" "A second run reuses the client registered for this issuer: no new registration."
check "the credentials file exists with mode 0600" test "$(stat -c %a "$CREDS")" = 600
FIRST_ID="$(jq -r '.issuers[].client_id' "$CREDS")"
cp "$CREDS" "$WORK/creds-before"
BROWSER_USER=mcp-user client --browser-cmd "$WORK/browser.sh"
check "the second run succeeded" test "$CLIENT_RC" -eq 0
check "it did not register again: the credentials file is unchanged" cmp -s "$CREDS" "$WORK/creds-before"
check "the authorization request used the stored client_id" bash -c "jq -e '.client_id == \"$FIRST_ID\"' <<<'$(query_of_last_url)' >/dev/null"

scenario "A provider that forgot the stored client" "The identity provider restarts and forgets its registrations: the client finds out before any browser opens (a token request with a code that cannot exist: invalid_client), registers anew, and signs in — no 300 s wait on an invalid_client page."
idp stop >/dev/null; idp start >/dev/null
cp "$CREDS" "$WORK/creds-forgotten"
BROWSER_USER=mcp-user client --browser-cmd "$WORK/browser.sh"
check "the run succeeded (exit $CLIENT_RC)" test "$CLIENT_RC" -eq 0
NEW_ID="$(jq -r '.issuers[].client_id' "$CREDS")"
check "it registered anew: the stored client id changed ($FIRST_ID → $NEW_ID)" test -n "$NEW_ID" -a "$NEW_ID" != "$FIRST_ID"
check "…and the login used the new client id" bash -c "jq -e '.client_id == \"$NEW_ID\"' <<<'$(query_of_last_url)' >/dev/null"
check "…with the stored client's age and the way to forget it said at [5]" out_has 'registered .* ago .*--reset'

scenario "Without a browser" "--no-browser: the client prints the URL and says how long it waits, whom to sign in as, and how to let a script do it."
timeout 30 "$ROOT/target/debug/step11" "$URL/mcp" --credentials "$CREDS" --no-browser --login-timeout 2 >"$WORK/nobrowser.out" 2>&1; rc=$?
check "it gives up after the login timeout (exit $rc)" test "$rc" -ne 0
check "…having said it waits 2 s" grep -q "up to 2 s" "$WORK/nobrowser.out"
check "…and named --browser-cmd scripts/browser_login.sh" grep -q -- "--browser-cmd scripts/browser_login.sh" "$WORK/nobrowser.out"

scenario "Step-up" "Asking only for mcp:read, tools/call gets 403 insufficient_scope; the client re-authorizes once with the union."
forbidden_so_far() { grep -c 'status=403' "$SERVER_LOG" || true; }
BEFORE="$(forbidden_so_far)"
BROWSER_USER=mcp-user client --browser-cmd "$WORK/browser.sh" --scopes mcp:read
check "the run succeeded after the step-up" test "$CLIENT_RC" -eq 0
check "the server answered one 403 on the way ($BEFORE → $(forbidden_so_far) in its log)" test "$(forbidden_so_far)" -eq "$((BEFORE + 1))"
check "…and asked again with mcp:read mcp:tools" bash -c "jq -e '.scope == \"mcp:read mcp:tools\"' <<<'$(query_of_last_url)' >/dev/null"
BEFORE="$(forbidden_so_far)"
BROWSER_USER=mcp-readonly client --browser-cmd "$WORK/browser.sh" --scopes mcp:read
check "a user whose roles do not allow it stops with an error (exit $CLIENT_RC)" test "$CLIENT_RC" -ne 0
check "…after exactly two 403s — the first call and the one step-up, no loop ($BEFORE → $(forbidden_so_far))" test "$(forbidden_so_far)" -eq "$((BEFORE + 2))"

scenario "A forged redirect cannot abort the login" "Any local process can reach the listener. First an idle connection and an error redirect with another state, then the real redirect: only the real one counts (RFC 6749 §4.1.2.1)."
cat >"$WORK/hostile-local-browser.sh" <<SH
#!/usr/bin/env bash
listener="\$(python3 -c 'import sys, urllib.parse as u; print(u.parse_qs(u.urlparse(sys.argv[1]).query)["redirect_uri"][0])' "\$1")"
port="\$(sed -E 's#^http://127.0.0.1:([0-9]+)/.*#\\1#' <<<"\$listener")"
python3 -c 'import socket, sys, time; s = socket.create_connection(("127.0.0.1", int(sys.argv[1]))); time.sleep(30)' "\$port" &
sleep 0.3
curl -s -o /dev/null -w '%{http_code}' "\$listener?error=access_denied&error_description=forged&state=forged-by-another-process" >"$WORK/forged-status"
exec "$ROOT/scripts/browser_login.sh" "\$1"
SH
chmod +x "$WORK/hostile-local-browser.sh"
BROWSER_USER=mcp-user client --browser-cmd "$WORK/hostile-local-browser.sh"
check "the login completed anyway (exit $CLIENT_RC)" test "$CLIENT_RC" -eq 0
check "…the forged redirect was answered 400 and ignored (HTTP $(cat "$WORK/forged-status"))" test "$(cat "$WORK/forged-status")" = 400
check "…and an idle connection did not block the real redirect" out_has 'tools/call echo → "hello from step 11"'

scenario "Server text is not printed raw" "A provider error description with terminal escape sequences (clear screen, set title): printed without them."
cat >"$WORK/ansi-browser.sh" <<SH
#!/usr/bin/env bash
state="\$(python3 -c 'import sys, urllib.parse as u; print(u.parse_qs(u.urlparse(sys.argv[1]).query)["state"][0])' "\$1")"
listener="\$(python3 -c 'import sys, urllib.parse as u; print(u.parse_qs(u.urlparse(sys.argv[1]).query)["redirect_uri"][0])' "\$1")"
iss="\$(python3 -c 'import sys, urllib.parse as u; print(u.quote(sys.argv[1], safe=""))' "$IDP/realms/mcp-realm")"
curl -s -o /dev/null "\$listener?error=access_denied&error_description=%1B%5B2J%1B%5D0%3Bpwned%07gone&state=\$state&iss=\$iss"
SH
chmod +x "$WORK/ansi-browser.sh"
client --browser-cmd "$WORK/ansi-browser.sh"
check "the provider's error is reported (exit $CLIENT_RC)" bash -c "test $CLIENT_RC -ne 0 && grep -q 'access_denied' '$CLIENT_OUT'"
check "…without an escape or bell character" bash -c "! grep -q \$'[\\e\\a]' '$CLIENT_OUT'"

scenario "A provider error is reported" "The user refuses consent (a newly registered client needs it): the provider's error, not a panic."
BROWSER_CONSENT=deny client --browser-cmd "$WORK/browser.sh" --reset
check "the client exits with an error" test "$CLIENT_RC" -ne 0
check "…with the provider's error code, access_denied" out_has 'access_denied'
check "…without a panic" bash -c "! grep -q panicked '$CLIENT_OUT'"

scenario "Providers the client must refuse" "Metadata without S256, or naming another issuer: stop before any login."
# The "browser" here only records that it was asked to open something.
cat >"$WORK/record-browser.sh" <<SH
#!/usr/bin/env bash
echo "\$1" >>"$WORK/opened"
SH
chmod +x "$WORK/record-browser.sh"
refused_by_client() { # refused_by_client MODE → step 11 against fake_provider.py MODE; sets CLIENT_OUT, rc, FAKE_LOG
  local port; port="$(free_port)"
  FAKE_LOG="$WORK/fake-$1.log"; : >"$WORK/opened"
  python3 "$ROOT/scripts/fake_provider.py" "$port" "$1" 2>"$FAKE_LOG" & STARTED_PIDS+=($!)
  wait_for_port "$port"
  CLIENT_OUT="$WORK/fake-$1.out"
  timeout 30 "$ROOT/target/debug/step11" "http://localhost:$port/mcp" --credentials "$WORK/fake-$1.json" \
    --browser-cmd "$WORK/record-browser.sh" >"$CLIENT_OUT" 2>&1
  rc=$?
}
# stopped_before_login WHAT: exit non-zero, nothing registered at the provider, no browser opened,
# no credentials written — behaviour, whatever the message says.
stopped_before_login() {
  check "$1 → refused (exit $rc)" test "$rc" -ne 0
  check "…before registering (no POST /register reached the provider)" bash -c "! grep -q '^POST /register' '$FAKE_LOG'"
  check "…and before any browser was opened" test ! -s "$WORK/opened"
}
refused_by_client no-s256
stopped_before_login "no S256 in code_challenge_methods_supported"
refused_by_client wrong-issuer
stopped_before_login "metadata naming another issuer (RFC 8414 §3.3)"
refused_by_client smb-endpoint
stopped_before_login "an smb:// authorization endpoint"
refused_by_client remote-http
stopped_before_login "a plain-http token endpoint off loopback"
CLIENT_OUT="$WORK/smb-server.out"
timeout 10 "$ROOT/target/debug/step11" "smb://localhost/mcp" --credentials "$WORK/smb.json" \
  --browser-cmd "$WORK/record-browser.sh" >"$CLIENT_OUT" 2>&1; rc=$?
check "an MCP server URL that is not http(s) is refused by the flag parser (usage error, exit $rc)" test "$rc" -eq 2
check "…with no credentials file written and no browser opened" bash -c "test ! -e '$WORK/smb.json' && test ! -s '$WORK/opened'"
for bad in http://localhost/client.json https://localhost/ 'https://localhost/c.json#frag'; do
  timeout 10 "$ROOT/target/debug/step11" "http://127.0.0.1:1/mcp" --credentials "$WORK/cimd.json" \
    --client-metadata-url "$bad" >"$CLIENT_OUT" 2>&1; rc=$?
  check "--client-metadata-url $bad (not https, no document, a fragment) is refused before any request (exit $rc)" test "$rc" -eq 2
done

scenario "No request where a server points" "A hostile MCP server's 401 names a resource_metadata URL on another service of this machine: the client must not request it (SSRF), and uses the well-known URLs on the server's own origin."
TARGET="$(free_port)"
python3 -m http.server "$TARGET" --bind 127.0.0.1 >"$WORK/target.log" 2>&1 & STARTED_PIDS+=($!)
wait_for_port "$TARGET"
PORT_OFF="$(free_port)"
python3 "$ROOT/scripts/fake_provider.py" "$PORT_OFF" off-origin "$TARGET" & STARTED_PIDS+=($!)
wait_for_port "$PORT_OFF"
CLIENT_OUT="$WORK/off-origin.out"
timeout 30 "$ROOT/target/debug/step11" "http://localhost:$PORT_OFF/mcp" --credentials "$WORK/other.json" --browser-cmd false >"$CLIENT_OUT" 2>&1
HITS="$(grep -c 'delete-everything' "$WORK/target.log")"
check "the other service received $HITS request(s) (0)" test "$HITS" -eq 0
check "…and used the server's own well-known URL" out_has "GET http://localhost:$PORT_OFF/.well-known/oauth-protected-resource/mcp"

scenario "The credentials file is not written through a symlink" "A planted symlink would make the client write its secret wherever it points."
echo '{"issuers": {}}' >"$WORK/victim.json"; ln -s "$WORK/victim.json" "$WORK/linked.json"
CLIENT_OUT="$WORK/symlink.out"
BROWSER_USER=mcp-user timeout 60 "$ROOT/target/debug/step11" "$URL/mcp" --credentials "$WORK/linked.json" \
  --browser-cmd "$WORK/browser.sh" >"$CLIENT_OUT" 2>&1; rc=$?
check "the client stops with an error (exit $rc)" test "$rc" -ne 0
check "…and the file the link points to is untouched" test "$(cat "$WORK/victim.json")" = '{"issuers": {}}'

finish
