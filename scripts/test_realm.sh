#!/usr/bin/env bash
# The realm as code: keycloak/mcp-realm.json checked for the facts Keycloak's importer needs,
# then exercised through the identity provider (the stand-in when Docker is absent).
source "$(dirname "$0")/lib.sh"
parse_args "$@"
(cd "$ROOT" && cargo build -q -p step11 --example jws) || { echo "build of step 11's jws example failed"; exit 1; }
REALM_FILE="$ROOT/keycloak/mcp-realm.json"
export IDP_PORT="$(free_port)"
ISS="http://localhost:$IDP_PORT/realms/mcp-realm"
idp_stop() { "$ROOT/scripts/idp.sh" stop >/dev/null 2>&1 || true; }
trap 'idp_stop; cleanup' EXIT
BASE="$ISS"   # for --inspect messages

rj() { jq -e "$1" "$REALM_FILE" >/dev/null; }
claims() { cut -d. -f2 <<<"$1" | tr '_-' '/+' | (cat; echo '==') | base64 -d 2>/dev/null; }
header() { cut -d. -f1 <<<"$1" | tr '_-' '/+' | (cat; echo '==') | base64 -d 2>/dev/null; }

scenario "The realm file, checked for Keycloak's import rules" \
  "Declaring clientScopes or registration policies replaces Keycloak's built-in ones, so each must be declared here."
check "realm is mcp-realm" rj '.realm == "mcp-realm" and .enabled'
check "sslRequired none: Keycloak in Docker sees your laptop as external and would demand HTTPS" rj '.sslRequired == "none"'
check "scope 'basic' maps sub (built-in scopes are off once clientScopes is declared)" rj '.clientScopes[] | select(.name == "basic") | .protocolMappers | any(.protocolMapper == "oidc-sub-mapper")'
check "scope 'profile' maps preferred_username" rj '.clientScopes[] | select(.name == "profile") | .protocolMappers | any(.config["claim.name"] == "preferred_username")'
check "scope 'email' maps email" rj '.clientScopes[] | select(.name == "email") | .protocolMappers | any(.config["claim.name"] == "email")'
check "scope 'roles' maps realm_access.roles and resource_access.\${client_id}.roles" rj '.clientScopes[] | select(.name == "roles") | [.protocolMappers[].config["claim.name"]] | (index("realm_access.roles") != null) and (index("resource_access.${client_id}.roles") != null)'
check "mcp:read, mcp:tools, mcp:prompts are included in the token's scope" rj '[.clientScopes[] | select(.name | startswith("mcp:")) | select(.attributes["include.in.token.scope"] == "true") | .name] | sort == ["mcp:prompts","mcp:read","mcp:tools"]'
check "each mcp:* scope carries the audience mapper for echo-mcp-server, and no other scope does" rj '[.clientScopes[] | select(any(.protocolMappers[]?; .protocolMapper == "oidc-audience-mapper" and .config["included.client.audience"] == "echo-mcp-server")) | .name] | sort == ["mcp:prompts","mcp:read","mcp:tools"]'
check "no realm default scope adds this server's audience (a token for another client must not carry it)" rj '. as $r | [.defaultDefaultClientScopes[] as $d | $r.clientScopes[] | select(.name == $d) | .protocolMappers[]? | select(.protocolMapper == "oidc-audience-mapper")] == []'
check "client policy: PKCE S256 (pkce-enforcer) for any client, registered ones included" rj '(.clientProfiles.profiles[] | select(.name == "pkce-s256") | any(.executors[]; .executor == "pkce-enforcer")) and (.clientPolicies.policies | any(.enabled and any(.conditions[]; .condition == "any-client") and (.profiles | index("pkce-s256") != null)))'
check "each mcp scope is gated by the matching client role (scope ↔ role mappings)" rj '.clientScopeMappings["echo-mcp-server"] | map({(.clientScope): .roles}) | add | .["mcp:read"] == ["read"] and .["mcp:tools"] == ["tools"] and .["mcp:prompts"] == ["prompts"]'
check "every client has fullScopeAllowed: false (otherwise the role gates do nothing)" rj '[.clients[].fullScopeAllowed] | all(. == false)'
check "echo-mcp-server is confidential, with client roles read/tools/prompts" rj '(.clients[] | select(.clientId == "echo-mcp-server") | .publicClient == false and (.secret | length > 0)) and ([.roles.client["echo-mcp-server"][].name] | sort == ["prompts","read","tools"])'
check "mcp-test-client is public: PKCE S256, loopback redirects, direct access grants" rj '.clients[] | select(.clientId == "mcp-test-client") | .publicClient and .attributes["pkce.code.challenge.method"] == "S256" and .directAccessGrantsEnabled and (.redirectUris | all(test("^http://(127\\.0\\.0\\.1|localhost):\\*$")))'
check "users have firstName, lastName and email (else: 'Account is not fully set up')" rj '[.users[] | select(.serviceAccountClientId == null)] | all(.firstName and .lastName and .email and .emailVerified)'
check "users and their roles: admin all, user read+tools, readonly read" rj '([.users[] | select(.serviceAccountClientId == null)] | map({(.username): (.clientRoles["echo-mcp-server"] | sort)}) | add) == {"mcp-admin":["prompts","read","tools"],"mcp-user":["read","tools"],"mcp-readonly":["read"]}'
check "beyond the blog: mcp-agent is a confidential service-account client, no browser flows" rj '.clients[] | select(.clientId == "mcp-agent") | .serviceAccountsEnabled and (.publicClient | not) and (.standardFlowEnabled | not) and (.directAccessGrantsEnabled | not) and .clientAuthenticatorType == "client-secret"'
check "…mcp-agent-jwt authenticates with private_key_jwt: client-jwt, an ES256 public key in jwks.string, no private part" rj '.clients[] | select(.clientId == "mcp-agent-jwt") | .clientAuthenticatorType == "client-jwt" and .attributes["use.jwks.string"] == "true" and (.attributes["jwks.string"] | fromjson | .keys[0] | .kty == "EC" and .crv == "P-256" and .d == null)'
check "…its key is keys/mcp_agent_private_key.pem's public half" bash -c "[[ \$(jq -r '.clients[] | select(.clientId == \"mcp-agent-jwt\") | .attributes[\"jwks.string\"] | fromjson | .keys[0].x' '$REALM_FILE') == \$('$ROOT/target/debug/examples/jws' jwk --key '$ROOT/keys/mcp_agent_private_key.pem' | jq -r .x) ]]"
check "…each agent has a service-account user whose roles gate its scopes (read, tools)" rj '[.users[] | select(.serviceAccountClientId != null) | {(.serviceAccountClientId): (.clientRoles["echo-mcp-server"] | sort)}] | add == {"mcp-agent":["read","tools"],"mcp-agent-jwt":["read","tools"]}'
check "…mcp-dpop-client requires DPoP-bound tokens (dpop.bound.access.tokens)" rj '.clients[] | select(.clientId == "mcp-dpop-client") | .publicClient and .attributes["dpop.bound.access.tokens"] == "true" and .attributes["pkce.code.challenge.method"] == "S256"'
P='.components["org.keycloak.services.clientregistration.policy.ClientRegistrationPolicy"]'
check "anonymous registration lists every policy (declaring one turns the defaults off)" rj "[$P[] | select(.subType == \"anonymous\") | .providerId] | sort == [\"allowed-client-templates\",\"allowed-protocol-mappers\",\"consent-required\",\"max-clients\",\"scope\",\"trusted-hosts\"]"
check "trusted hosts: loopback and the Docker bridge gateways" rj "$P[] | select(.subType == \"anonymous\" and .providerId == \"trusted-hosts\") | .config[\"trusted-hosts\"] | (index(\"127.0.0.1\") != null) and (index(\"172.17.0.1\") != null) and (index(\"172.18.0.1\") != null)"
check "registration is limited to the realm's scopes, mcp ones included" rj "$P[] | select(.subType == \"anonymous\" and .providerId == \"allowed-client-templates\") | .config[\"allowed-client-scopes\"] | (index(\"mcp:read\") != null)"

scenario "The stand-in's realm rules (node --test)" "Unit tests of keycloak/standin/realm.js on the real realm file."
if (cd "$ROOT/keycloak/standin" && node --test realm.test.js) >"$WORK/node-test.log" 2>&1; then
  pass "realm.js: $(grep -E '^# pass' "$WORK/node-test.log" | sed 's/# //') unit tests"
else
  fail "realm.js unit tests" "$(grep -E 'not ok|Error' "$WORK/node-test.log" | head -5)"
fi

scenario "Start the provider" "scripts/idp.sh starts Keycloak with Docker, or the stand-in configured from the same realm file."
"$ROOT/scripts/idp.sh" start || { fail "idp.sh start"; finish; }
http GET "$ISS/.well-known/openid-configuration"
expect_status 200 "discovery at {issuer}/.well-known/openid-configuration"
expect_jq ".issuer == \"$ISS\"" "issuer is http://localhost:PORT/realms/mcp-realm"
expect_jq ".token_endpoint == \"$ISS/protocol/openid-connect/token\" and .jwks_uri == \"$ISS/protocol/openid-connect/certs\" and .authorization_endpoint == \"$ISS/protocol/openid-connect/auth\"" "token, certs and auth at Keycloak's paths"
expect_jq ".introspection_endpoint == \"$ISS/protocol/openid-connect/token/introspect\" and .registration_endpoint == \"$ISS/clients-registrations/openid-connect\"" "introspection and registration at Keycloak's paths"
expect_jq '.code_challenge_methods_supported == ["S256"]' "PKCE: S256 only"
http GET "$ISS/.well-known/oauth-authorization-server"
expect_jq ".issuer == \"$ISS\"" "RFC 8414 metadata at {issuer}/.well-known/oauth-authorization-server"
http GET "http://localhost:$IDP_PORT/.well-known/oauth-authorization-server/realms/mcp-realm"
expect_jq ".issuer == \"$ISS\"" "…and at /.well-known/oauth-authorization-server/realms/mcp-realm (RFC 8414 §3.1)"

scenario "Each user's token carries exactly the mcp scopes of its roles" "Password grant (client mcp-test-client) asking for all three scopes."
for pair in "mcp-admin:mcp:read mcp:tools mcp:prompts" "mcp-user:mcp:read mcp:tools" "mcp-readonly:mcp:read"; do
  user="${pair%%:*}"; want="${pair#*:}"
  T="$("$ROOT/scripts/idp.sh" token "$user")"
  got="$(claims "$T" | jq -r '[.scope | split(" ")[] | select(startswith("mcp:"))] | join(" ")')"
  check "$user: scope has exactly '$want'" test "$got" = "$want"
  check "$user: aud contains echo-mcp-server, iss is the realm, azp mcp-test-client" bash -c "jq -e '(.aud | if type == \"array\" then . else [.] end | index(\"echo-mcp-server\") != null) and .iss == \"$ISS\" and .azp == \"mcp-test-client\" and .preferred_username == \"$user\"' <<<'$(claims "$T")' >/dev/null"
done
check "header: alg RS256, typ JWT, a kid" bash -c "jq -e '.alg == \"RS256\" and .typ == \"JWT\" and (.kid | length > 10)' <<<'$(header "$T")' >/dev/null"
check "roles are in Keycloak's places (resource_access.echo-mcp-server.roles)" bash -c "jq -e '.resource_access[\"echo-mcp-server\"].roles == [\"read\"]' <<<'$(claims "$T")' >/dev/null"

scenario "Wrong password" "Keycloak's direct access grant answers invalid_grant."
http POST "$ISS/protocol/openid-connect/token" -d grant_type=password -d client_id=mcp-test-client -d username=mcp-user -d password=wrong
expect_status 401 "a wrong password is refused"
expect_jq '.error == "invalid_grant" and .error_description == "Invalid user credentials"' "error invalid_grant, 'Invalid user credentials'"
http POST "$ISS/protocol/openid-connect/token" -d grant_type=password -d client_id=mcp-test-client -d username=nobody -d password=x
expect_jq '.error == "invalid_grant"' "an unknown user too"

scenario "Dynamic registration, then authorization code + PKCE, driven with curl" \
  "RFC 7591 anonymous registration; login and consent pages filled in by scripts/browser_login.sh; S256; resource."
REDIRECT="http://127.0.0.1:$(free_port)/callback"
http POST "$ISS/clients-registrations/openid-connect" -H 'Content-Type: application/json' \
  -d "{\"client_name\":\"test_realm\",\"redirect_uris\":[\"$REDIRECT\"],\"grant_types\":[\"authorization_code\",\"refresh_token\"],\"response_types\":[\"code\"],\"token_endpoint_auth_method\":\"none\",\"application_type\":\"native\",\"scope\":\"mcp:read mcp:tools\"}"
expect_status 201 "registration creates a client"
CID="$(jq -r .client_id "$BODY_FILE")"
VERIFIER="$(python3 -c 'import secrets; print(secrets.token_urlsafe(48))')"
CHALLENGE="$(printf %s "$VERIFIER" | openssl dgst -binary -sha256 | base64 | tr '+/' '-_' | tr -d '=')"
enc() { python3 -c 'import sys, urllib.parse; print(urllib.parse.quote(sys.argv[1], safe=""))' "$1"; }
AUTH="$ISS/protocol/openid-connect/auth?response_type=code&client_id=$CID&redirect_uri=$(enc "$REDIRECT")&scope=$(enc 'openid mcp:read mcp:tools mcp:prompts')&state=st4te&code_challenge=$CHALLENGE&code_challenge_method=S256&resource=$(enc http://localhost:9000/mcp)"
BACK="$(BROWSER_USER=mcp-user BROWSER_DELIVER=0 "$ROOT/scripts/browser_login.sh" "$AUTH")"
check "the browser comes back to the loopback redirect URI with a code" grep -q "^$REDIRECT?code=" <<<"$BACK"
check "state is returned unchanged" grep -q "state=st4te" <<<"$BACK"
check "iss is returned (RFC 9207)" grep -q "iss=$(enc "$ISS")" <<<"$BACK"
check "the consent page was shown and accepted for the registered client" grep -q "consent given by mcp-user to client $CID" "$ROOT/.tools/idp/$IDP_PORT.log"
CODE="$(python3 -c 'import sys, urllib.parse as u; print(u.parse_qs(u.urlparse(sys.argv[1]).query)["code"][0])' "$BACK")"
http POST "$ISS/protocol/openid-connect/token" -d grant_type=authorization_code -d client_id="$CID" -d code="$CODE" -d redirect_uri="$REDIRECT" -d code_verifier=wrong-verifier-wrong-verifier-wrong-verifier-123
expect_jq '.error == "invalid_grant"' "a wrong code_verifier is refused"
BACK="$(BROWSER_USER=mcp-user BROWSER_DELIVER=0 "$ROOT/scripts/browser_login.sh" "$AUTH")"
CODE="$(python3 -c 'import sys, urllib.parse as u; print(u.parse_qs(u.urlparse(sys.argv[1]).query)["code"][0])' "$BACK")"
http POST "$ISS/protocol/openid-connect/token" -d grant_type=authorization_code -d client_id="$CID" -d code="$CODE" -d redirect_uri="$REDIRECT" -d code_verifier="$VERIFIER" -d resource=http://localhost:9000/mcp
expect_status 200 "the code and the right verifier give tokens"
AT="$(jq -r .access_token "$BODY_FILE")"; RT="$(jq -r .refresh_token "$BODY_FILE")"
check "the access token has mcp-user's scopes and aud echo-mcp-server" bash -c "jq -e '(.scope | contains(\"mcp:read mcp:tools\")) and (.scope | contains(\"mcp:prompts\") | not) and .aud == \"echo-mcp-server\" and .azp == \"$CID\"' <<<'$(claims "$AT")' >/dev/null"
http POST "$ISS/protocol/openid-connect/token" -d grant_type=refresh_token -d client_id="$CID" -d refresh_token="$RT"
expect_status 200 "the refresh token gives a new access token"
expect_jq '.access_token | length > 100' "…a JWT"
http GET "${AUTH/code_challenge=$CHALLENGE&code_challenge_method=S256&/}" 
expect_header location 'error=invalid_request' "an authorization request without PKCE is refused"
http POST "$ISS/clients-registrations/openid-connect" -H 'Content-Type: application/json' -d '{"redirect_uris":["http://127.0.0.1:1/cb"],"scope":"admin-everything"}'
expect_status 403 "registration asking for a scope outside the policy is refused"

scenario "Introspection and revocation (RFC 7662, RFC 7009)" "The confidential client echo-mcp-server may introspect."
http POST "$ISS/protocol/openid-connect/token/introspect" -u echo-mcp-server:echo-mcp-server-secret -d token="$AT"
expect_jq '.active == true and .sub == "mcp-user"' "an issued token is active"
http POST "$ISS/protocol/openid-connect/revoke" -d client_id="$CID" -d token="$AT"
expect_status 200 "revocation is accepted"
http POST "$ISS/protocol/openid-connect/token/introspect" -u echo-mcp-server:echo-mcp-server-secret -d token="$AT"
expect_jq '.active == false' "after revocation it is inactive"
http POST "$ISS/protocol/openid-connect/token" -u echo-mcp-server:echo-mcp-server-secret -d grant_type=client_credentials
expect_jq '.access_token | length > 100' "client_credentials for echo-mcp-server"

scenario "The stand-in behaves like Keycloak where it matters to a learner" "Audience per scope, consent per scope, PKCE for registered clients, redirect rules, revocation by the owner only, CORS for web origins, anti-framing, admin calls."
T="$("$ROOT/scripts/idp.sh" token mcp-user openid)"
check "a token without an mcp:* scope carries no echo-mcp-server audience" bash -c "jq -e '(.aud // []) | if type == \"array\" then . else [.] end | index(\"echo-mcp-server\") == null' <<<'$(claims "$T")' >/dev/null"
AUTH_TOOLS="${AUTH/$(enc 'openid mcp:read mcp:tools mcp:prompts')/$(enc 'openid mcp:read')}"
BROWSER_USER=mcp-readonly BROWSER_DELIVER=0 "$ROOT/scripts/browser_login.sh" "$AUTH_TOOLS" >/dev/null
N_BEFORE="$(grep -c "consent given by mcp-readonly to client $CID" "$ROOT/.tools/idp/$IDP_PORT.log")"
BROWSER_USER=mcp-readonly BROWSER_DELIVER=0 "$ROOT/scripts/browser_login.sh" "$AUTH" >/dev/null
N_AFTER="$(grep -c "consent given by mcp-readonly to client $CID" "$ROOT/.tools/idp/$IDP_PORT.log")"
check "asking for more scopes than consented shows the consent page again ($N_BEFORE → $N_AFTER consents)" test "$N_AFTER" -eq $((N_BEFORE + 1))
OTHER_PORT_REDIRECT="http://127.0.0.1:$(free_port)/callback"
BACK="$(BROWSER_USER=mcp-user BROWSER_DELIVER=0 "$ROOT/scripts/browser_login.sh" "${AUTH/$(enc "$REDIRECT")/$(enc "$OTHER_PORT_REDIRECT")}")"
check "a registered loopback redirect URI matches on any port (RFC 8252 §7.3)" grep -q "^$OTHER_PORT_REDIRECT?code=" <<<"$BACK"
http GET "${AUTH/$(enc "$REDIRECT")/$(enc "$REDIRECT/other")}"
check "…but not another path (HTTP $STATUS, no redirect to it)" bash -c "! grep -qi '^location: $REDIRECT/other' '$HEADERS_FILE'"
http POST "$ISS/clients-registrations/openid-connect" -H 'Content-Type: application/json' -d '{"redirect_uris":["https://evil.example/callback"],"token_endpoint_auth_method":"none"}'
expect_status 403 "registration with a redirect URI off the trusted hosts is refused (Trusted Hosts, client-uris-must-match)"
http POST "$ISS/clients-registrations/openid-connect" -H 'Content-Type: application/json' -d '{"redirect_uris":["http://127.0.0.1:5000/cb#fragment"],"token_endpoint_auth_method":"none"}'
check "registration with a fragment in a redirect URI is refused (HTTP $STATUS)" test "$STATUS" -ge 400 -a "$STATUS" -lt 500
T="$("$ROOT/scripts/idp.sh" token mcp-user)"
http POST "$ISS/protocol/openid-connect/revoke" -u echo-mcp-server:echo-mcp-server-secret -d token="$T"
check "another (authenticated) client cannot revoke mcp-test-client's token (HTTP $STATUS)" test "$STATUS" = 400
http POST "$ISS/protocol/openid-connect/revoke" -d token="$T"
expect_status 401 "an anonymous revocation is refused"
http POST "$ISS/protocol/openid-connect/token/introspect" -u echo-mcp-server:echo-mcp-server-secret -d token="$T"
expect_jq '.active == true' "…and the token is still active"
http OPTIONS "$ISS/protocol/openid-connect/token" -H 'Origin: http://evil.example' -H 'Access-Control-Request-Method: POST'
http POST "$ISS/protocol/openid-connect/token" -H 'Origin: http://evil.example' -d grant_type=password -d client_id=mcp-test-client -d username=mcp-user -d password=x
check "the token endpoint grants no CORS to a foreign origin" bash -c "! grep -qi '^access-control-allow-origin: http://evil.example' '$HEADERS_FILE'"
http POST "$ISS/protocol/openid-connect/token" -H 'Origin: http://127.0.0.1:6274' -d grant_type=password -d client_id=mcp-test-client -d username=mcp-user -d password=x
expect_header access-control-allow-origin '^http://127\.0\.0\.1:6274$' "…and does to a web origin of the client (loopback, from its redirect URIs)"
LOGIN_URL="$(curl -s -o /dev/null -w '%{redirect_url}' "$AUTH")"
http GET "$LOGIN_URL"
expect_header x-frame-options '^DENY$' "the login page may not be framed (X-Frame-Options)"
expect_header content-security-policy "frame-ancestors 'none'" "…nor by CSP frame-ancestors"
http POST "http://localhost:$IDP_PORT/admin/rotate-keys" -H 'Origin: http://evil.example'
expect_status 403 "an admin call from a web page (Origin header) is refused"
http POST "http://localhost:$IDP_PORT/admin/rotate-keys" -H 'Sec-Fetch-Site: cross-site'
expect_status 403 "…and one a browser marks cross-site"
http GET "http://localhost:$IDP_PORT/admin/stats" -H "Host: evil.example:$IDP_PORT"
expect_status 403 "…and one whose Host is not loopback (a DNS-rebinding page is same-origin to itself)"
http GET "http://localhost:$IDP_PORT/admin/stats"
expect_status 200 "…while a loopback Host is served"

scenario "Logout ends the session's tokens" "Keycloak: once a session is logged out (or its refresh token revoked), introspection says inactive for every access token it issued, not only after exp."
USER_PASSWORD="$(jq -r '.users[] | select(.username == "mcp-user") | .credentials[0].value' "$REALM_FILE")"
password_tokens() { # → AT, RT
  http POST "$ISS/protocol/openid-connect/token" -d grant_type=password -d client_id=mcp-test-client \
    -d username=mcp-user --data-urlencode "password=$USER_PASSWORD" --data-urlencode "scope=openid mcp:read"
  AT="$(jq -r .access_token "$BODY_FILE")"; RT="$(jq -r .refresh_token "$BODY_FILE")"
}
introspect() { http POST "$ISS/protocol/openid-connect/token/introspect" -u echo-mcp-server:echo-mcp-server-secret -d token="$1"; }
password_tokens
introspect "$AT"; expect_jq '.active == true' "a fresh access token is active"
http POST "$ISS/protocol/openid-connect/logout" -d client_id=mcp-test-client -d refresh_token="$RT"
expect_status 204 "logout with the refresh token (Keycloak's client-initiated logout)"
introspect "$AT"; expect_jq '.active == false' "after logout the access token is inactive"
http POST "$ISS/protocol/openid-connect/token" -d grant_type=refresh_token -d client_id=mcp-test-client -d refresh_token="$RT"
expect_status 400 "…and the refresh token no longer works"
password_tokens
http POST "$ISS/protocol/openid-connect/revoke" -d client_id=mcp-test-client -d token="$RT" -d token_type_hint=refresh_token
expect_status 200 "revoking the refresh token"
introspect "$AT"; expect_jq '.active == false' "…ends its session's access tokens too"
password_tokens
http POST "$ISS/protocol/openid-connect/logout" -d client_id=mcp-test-client -d refresh_token=not-a-refresh-token
expect_status 400 "a logout with an unknown refresh token is refused"
introspect "$AT"; expect_jq '.active == true' "…and ends nothing"

scenario "Beyond the blog: agents (client credentials) and DPoP at the provider" \
  "The service-account clients get tokens for themselves, scoped by their roles; a DPoP proof at the token endpoint binds the token (cnf.jkt); the DPoP client gets nothing without one."
TOKEN_URL="$ISS/protocol/openid-connect/token"
JWS="$ROOT/target/debug/examples/jws"
http POST "$TOKEN_URL" -u mcp-agent:mcp-agent-secret -d grant_type=client_credentials -d resource=http://localhost:9000/mcp -d scope="mcp:read mcp:tools mcp:prompts"
expect_status 200 "mcp-agent, client_secret_basic"
T="$(jq -r .access_token "$BODY_FILE")"
check "…its token is for echo-mcp-server, with the scopes of its roles only (no mcp:prompts)" bash -c "jq -e '.aud == \"echo-mcp-server\" and (.scope | split(\" \") | sort) == [\"mcp:read\",\"mcp:tools\"]' <<<'$(claims "$T")' >/dev/null"
check "…and names the service account" bash -c "jq -e '.preferred_username == \"service-account-mcp-agent\" and .azp == \"mcp-agent\"' <<<'$(claims "$T")' >/dev/null"
http POST "$TOKEN_URL" -u mcp-agent:wrong -d grant_type=client_credentials
expect_status 401 "mcp-agent with a wrong secret"
http POST "$TOKEN_URL" -d grant_type=password -d client_id=mcp-test-client -d username=service-account-mcp-agent -d password=
expect_status 401 "a service-account user cannot sign in with a password (not even an empty one)"
http POST "$TOKEN_URL" -d grant_type=password -d client_id=mcp-test-client -d username=service-account-mcp-agent
expect_status 401 "…nor with none at all (it has no password: absent must not equal absent)"
http POST "$TOKEN_URL" -d grant_type=client_credentials -d client_id=mcp-agent-jwt -d resource=http://localhost:9000/mcp \
  -d client_assertion_type=urn:ietf:params:oauth:client-assertion-type:jwt-bearer \
  -d client_assertion="$("$JWS" assertion --key "$ROOT/keys/mcp_agent_private_key.pem" --client-id mcp-agent-jwt --audience "$ISS")"
expect_status 200 "mcp-agent-jwt, private_key_jwt signed with keys/mcp_agent_private_key.pem"
"$JWS" keygen >"$WORK/other.pem"
http POST "$TOKEN_URL" -d grant_type=client_credentials -d client_id=mcp-agent-jwt \
  -d client_assertion_type=urn:ietf:params:oauth:client-assertion-type:jwt-bearer \
  -d client_assertion="$("$JWS" assertion --key "$WORK/other.pem" --client-id mcp-agent-jwt --audience "$ISS")"
expect_status 401 "…an assertion signed by another key"
http POST "$TOKEN_URL" -u mcp-agent:mcp-agent-secret -H "DPoP: $("$JWS" proof --key "$WORK/other.pem" --htu "$TOKEN_URL")" -d grant_type=client_credentials -d resource=http://localhost:9000/mcp
expect_jq '.token_type == "DPoP"' "with a DPoP proof the token is DPoP-bound (token_type DPoP)"
JKT="$("$JWS" jwk --key "$WORK/other.pem" | jq -cj '{crv, kty, x, y}' | openssl dgst -sha256 -binary | base64 | tr '+/' '-_' | tr -d '=')"
check "…cnf.jkt is the proof key's RFC 7638 thumbprint" test "$(claims "$(jq -r .access_token "$BODY_FILE")" | jq -r .cnf.jkt)" = "$JKT"
http POST "$TOKEN_URL" -u mcp-agent:mcp-agent-secret -H "DPoP: $("$JWS" proof --key "$WORK/other.pem" --htu "$ISS/elsewhere")" -d grant_type=client_credentials
expect_status 400 "…a proof for another URL is refused"
http GET "$ISS/.well-known/openid-configuration"
expect_jq '.dpop_signing_alg_values_supported | index("ES256") != null' "the provider's metadata lists its DPoP algorithms"

scenario "Key rotation" "The provider rotates on demand; the old key stays published so issued tokens still verify."
OLD_KID="$(header "$T" | jq -r .kid)"
http GET "http://localhost:$IDP_PORT/admin/stats"
BEFORE="$(jq .jwks_fetches "$BODY_FILE")"
http GET "$ISS/protocol/openid-connect/certs"
http GET "http://localhost:$IDP_PORT/admin/stats"
expect_jq ".jwks_fetches == $((BEFORE + 1))" "each fetch of the key set is counted"
http POST "http://localhost:$IDP_PORT/admin/rotate-keys"
NEW_KID="$(jq -r .kid "$BODY_FILE")"
T2="$("$ROOT/scripts/idp.sh" token mcp-user)"
check "a new token has the new kid ($NEW_KID ≠ $OLD_KID)" test "$(header "$T2" | jq -r .kid)" = "$NEW_KID" -a "$NEW_KID" != "$OLD_KID"
http GET "$ISS/protocol/openid-connect/certs"
expect_jq "[.keys[].kid] | (index(\"$NEW_KID\") != null) and (index(\"$OLD_KID\") != null)" "the key set publishes both the new and the old key"

finish
