#!/usr/bin/env bash
# Source this: installs the pinned interop packages (npm ci) on first use and
# sets NODE22 to the Node 22 binary that the `node` npm package brings along.
# The conformance suite and MCP Inspector 2.x need Node 22; the machine's own
# Node (20) only runs npm. Everything lands in interop/node_modules (git-ignored).

ensure_interop_packages() {
  local dir="$ROOT/interop"
  if [[ ! -x $dir/node_modules/node/bin/node || $dir/package-lock.json -nt $dir/node_modules/.package-lock.json ]]; then
    echo "${C_DIM:-}installing the pinned interop packages (npm ci in interop/) …${C_OFF:-}"
    command -v npm >/dev/null || { echo "npm is required (Node.js 18+ with npm); install Node.js first" >&2; return 1; }
    (cd "$dir" && npm ci --no-audit --no-fund --loglevel=error) || { echo "npm ci failed in $dir" >&2; return 1; }
  fi
  NODE22="$dir/node_modules/node/bin/node"
  local version
  version="$("$NODE22" --version)" || return 1
  [[ $version == v22.* ]] || { echo "expected Node 22 at $NODE22, found $version" >&2; return 1; }
  echo "${C_DIM:-}using Node $version from interop/node_modules/node${C_OFF:-}"
}
