#!/usr/bin/env bash
# Shared by scripts/bench.sh and scripts/bench_instructions.sh. Source it; do not run it.

# need_tool COMMAND: install the Debian package of that name when the command is missing.
need_tool() {
  command -v "$1" >/dev/null && return 0
  echo "installing $1 (Debian package) …"
  (apt-get install -y "$1" >/dev/null 2>&1 || { apt-get update >/dev/null && apt-get install -y "$1" >/dev/null; }) \
    || { echo "$1 is required: apt-get install $1" >&2; exit 1; }
}

# A TCP port nobody listens on right now.
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'; }

# A scratch folder (WORK), the servers to stop on exit (PIDS), and the stand-in identity
# provider on a free port (IDP_PORT), stopped on exit too.
bench_setup() {
  WORK="$(mktemp -d)"; PIDS=()
  export IDP_PORT
  IDP_PORT="$(free_port)"
  trap 'for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done; scripts/idp.sh stop >/dev/null 2>&1; rm -rf "$WORK"' EXIT
  scripts/idp.sh start >/dev/null
}
