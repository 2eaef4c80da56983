#!/usr/bin/env bash
# scripts/inspector.sh [MCP_URL] — MCP Inspector's web UI (the pinned 2.12.0), pointed at step 10.
#
# Start the identity provider and step 10 first (scripts/idp.sh start; cargo run -p step10), then
# run this and open the URL it prints. Installs the pinned interop packages, Node 22 included, on
# first use (interop/, git-ignored). Ctrl-C stops Inspector.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
source "$(dirname "$0")/node.sh"
URL="${1:-http://localhost:9000/mcp}"
ensure_interop_packages
curl -s -o /dev/null --max-time 2 "${URL%/mcp}/health" \
  || echo "note: nothing answers at ${URL%/mcp}/health yet — start step 10 (cargo run -p step10)"
cat <<TEXT

  Open http://localhost:6274/ in your browser, then:
    1. press Connect — Inspector meets the 401, discovers the provider and registers itself;
    2. sign in as mcp-user / user123 (or mcp-admin / admin123, mcp-readonly / readonly123)
       and consent — the first sign-in asks for mcp:read only (what the 401 names);
    3. Tools → Echo → Execute Tool: 403 insufficient_scope; Inspector asks to authorize
       mcp:tools, you consent, and the call answers (mcp-readonly is refused again).

TEXT
export CLIENT_PORT=6274 DANGEROUSLY_OMIT_AUTH=true BROWSER=none
exec "$NODE22" "$ROOT/interop/node_modules/.bin/mcp-inspector" --web --transport http --server-url "$URL"
