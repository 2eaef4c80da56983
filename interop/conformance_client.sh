#!/usr/bin/env bash
# The command the conformance suite runs in client mode: it appends the server URL and passes
# scenario context (pre-registered client_id / client_secret) in MCP_CONFORMANCE_CONTEXT.
# Runs step 11 headless: its mock provider's /authorize redirects straight back with a code,
# so the "browser" is curl following redirects to our loopback listener.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
url="${*: -1}"
args=()
if [[ -n ${MCP_CONFORMANCE_CONTEXT:-} ]]; then
  id="$(jq -r '.client_id // empty' <<<"$MCP_CONFORMANCE_CONTEXT")"
  secret="$(jq -r '.client_secret // empty' <<<"$MCP_CONFORMANCE_CONTEXT")"
  [[ -n $id ]] && args+=(--client-id "$id")
  # The secret goes through the environment, never the command line (ps would show it).
  [[ -n $secret ]] && export MCP_CLIENT_SECRET="$secret"
  # auth/client-credentials-jwt hands out the client's private key: into a file only we can read.
  key="$(jq -r '.private_key_pem // empty' <<<"$MCP_CONFORMANCE_CONTEXT")"
  if [[ -n $key ]]; then
    keyfile="$(mktemp)"; chmod 600 "$keyfile"; printf '%s\n' "$key" >"$keyfile"
    args+=(--client-key "$keyfile")
  fi
fi
# Beyond the blog: the extension scenarios say what they test in their names. Machine clients
# (client credentials) and DPoP are opt-in flags of step 11, as a user would pass them.
case "${MCP_CONFORMANCE_SCENARIO:-}" in
  auth/client-credentials-*) args+=(--grant client-credentials) ;;
  auth/dpop*) args+=(--dpop) ;;
esac
creds="$(mktemp -d)/credentials.json"
# The suite's mock providers accept one agreed client metadata URL (they never fetch it), so the
# auth/basic-cimd scenario can see a client use Client ID Metadata Documents; providers that do
# not advertise client_id_metadata_document_supported ignore the flag and get a registration.
# STEP11_EXTRA_ARGS adds flags for one run (test_interop.sh: --legacy-2025-03-26).
exec "$ROOT/target/debug/step11" "$url" --credentials "$creds" --login-timeout 20 \
  --browser-cmd "curl -s -L --max-redirs 5 -o /dev/null" "${args[@]}" \
  --client-metadata-url https://conformance-test.local/client-metadata.json ${STEP11_EXTRA_ARGS:-}
