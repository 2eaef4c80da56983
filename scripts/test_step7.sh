#!/usr/bin/env bash
# Step 7: OAuth metadata — from a 401 to the issuer without any configuration.
source "$(dirname "$0")/lib.sh"
parse_args "$@"
build tokengen
build step7
# The public URL names the real port, so every URL the server publishes is reachable.
P="$(free_port)"
URL="http://localhost:$P"
start_server_on_port step7 "$P" --public-key "$ROOT/keys/mcp_public_key.pem" --server-url "$URL"

scenario "The 401 points to the metadata" "RFC 9728 §5.1: resource_metadata says where to look; scope says what to ask for."
mcp_post "$RPC_PING"
expect_status 401 "no token"
expect_header www-authenticate "^Bearer realm=\"mcp-server\", resource_metadata=\"$URL/.well-known/oauth-protected-resource/mcp\", scope=\"mcp:read\"\$" "the challenge carries resource_metadata and the scope every client needs (mcp:read, not the whole catalogue)"
mcp_post "$RPC_PING" -H "$(bearer "$(tokengen --forge expired --issuer "$URL" --audience "$URL/mcp")")"
expect_header www-authenticate 'error="invalid_token".*resource_metadata=".*scope="' "a bad-token challenge carries them too"

scenario "Protected-resource metadata (RFC 9728)" "At the path-suffixed location (RFC 9728 §3.1) and at the root (older clients)."
for path in /.well-known/oauth-protected-resource/mcp /.well-known/oauth-protected-resource; do
  http GET "$path"
  expect_status 200 "GET $path"
  expect_jq ".resource == \"$URL/mcp\"" "resource is the canonical MCP URL"
  expect_jq ".authorization_servers == [\"$URL\"]" "authorization_servers names the demo issuer"
  expect_jq '.scopes_supported == ["mcp:read","mcp:tools","mcp:prompts"] and .bearer_methods_supported == ["header"]' "scopes_supported and bearer_methods_supported"
done

scenario "Authorization-server metadata (RFC 8414)" "The demo issuer is this server + offline tokengen: only endpoints that exist are listed."
http GET /.well-known/oauth-authorization-server
expect_status 200 "GET /.well-known/oauth-authorization-server"
expect_jq ".issuer == \"$URL\"" "issuer is a URL (the original used mcp-simple-auth)"
expect_jq 'has("token_endpoint") | not' "no token endpoint is advertised (the original's answered 404)"
for url in $(jq -r '[.jwks_uri] + [.. | strings | select(startswith("http") and (. != $issuer))] | unique[]' --arg issuer "$URL" "$BODY_FILE"); do
  http GET "$url"
  expect_status 200 "every URL it lists answers: $url"
done

scenario "Discovery can be followed by a token" "A token for this issuer and resource is accepted."
T="$(tokengen --demo alice --issuer "$URL" --audience "$URL/mcp")"
mcp_post "$RPC_TOOLS_LIST" -H "$(bearer "$T")"
expect_status 200 "tools/list with a token for $URL/mcp"

scenario "CORS on the public documents" "Browser-based clients on any origin may read the metadata, but not call /mcp."
http GET /.well-known/oauth-protected-resource/mcp -H 'Origin: https://client.example'
expect_status 200 "a foreign origin may read the metadata"
expect_header access-control-allow-origin '^\*$' "Access-Control-Allow-Origin: *"
http OPTIONS /.well-known/oauth-protected-resource -H 'Origin: https://client.example' -H 'Access-Control-Request-Method: GET' -H 'Access-Control-Request-Headers: mcp-protocol-version'
expect_header access-control-allow-methods 'GET' "the preflight allows GET"
mcp_post "$RPC_PING" -H 'Origin: https://client.example'
expect_status 403 "…but the same origin cannot POST /mcp"

scenario "Every URL follows --server-url" "Behind a proxy the public URL differs from the bind address; nothing is hard-coded."
stop_server
start_server step7 --public-key "$ROOT/keys/mcp_public_key.pem" --server-url "https://mcp.example.com:8443"
http GET /.well-known/oauth-protected-resource/mcp
expect_jq '.resource == "https://mcp.example.com:8443/mcp"' "resource uses the public URL"
mcp_post "$RPC_PING"
expect_header www-authenticate 'resource_metadata="https://mcp.example.com:8443/.well-known/oauth-protected-resource/mcp"' "so does the challenge"
http GET /health -H 'Host: mcp.example.com:8443'
expect_status 200 "the public host name passes the Host guard"

finish
