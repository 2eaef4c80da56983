#!/usr/bin/env bash
# scripts/bench_instructions.sh — what does each layer in front of rmcp cost, counted exactly?
#
#   scripts/bench_instructions.sh [--requests N]
#
# scripts/bench.sh measures requests per second, and on a shared 2-core machine those move by
# ±15 % from one run to the next. This counts instructions instead, under valgrind's callgrind:
# the same number every run, so a change of 1 % is visible. Each server below answers N
# authenticated tools/call requests (default 1000, one keep-alive connection, after 100 not
# counted); the figure is the server's instructions divided by N:
#   rmcp-served   the rmcp echo server served as every step is, no authorization (the baseline)
#   rmcp-authn    the same behind step 10 (authentication, CORS)
#   step12        the same behind step 10 and step 12's policy
# Valgrind's virtual CPU has no SHA instructions, so the token cache's SHA-256 of the token runs
# in software there, several times slower than on a CPU with SHA extensions (most x86 since
# 2017, ARMv8 with the crypto extension); it is printed apart, and the ratios are given without it.
# Instructions are not time (a cache miss, a lock or a syscall costs more than its count) — this
# complements bench.sh, it does not replace it. A benchmark, not a test: it asserts nothing.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
REQUESTS=1000
while [[ $# -gt 0 ]]; do
  case "$1" in
    --requests) REQUESTS="$2"; shift 2 ;;
    -h|--help) sed -n '2,18p' "$0"; exit 0 ;;
    *) echo "unknown argument: $1 (try --help)" >&2; exit 2 ;;
  esac
done

source "$ROOT/scripts/bench_lib.sh"
need_tool valgrind

cd "$ROOT"
echo "building release binaries …"
cargo build -q --release -p step12
cargo build -q --release -p step12 --example served --example authenticated_only
bench_setup

# N sequential calls on one connection; any answer but the echo stops the count.
cat >"$WORK/client.py" <<'PY'
import http.client, sys
port, n, token = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
body = '{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"echo","arguments":{"message":"hello","repeat_count":2}}}'
headers = {"Content-Type": "application/json", "Accept": "application/json, text/event-stream",
           "Host": "localhost:9000", "Authorization": "Bearer " + token}
connection = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
for _ in range(n):
    connection.request("POST", "/mcp", body, headers)
    response = connection.getresponse()
    data = response.read()
    if response.status != 200 or b"hellohello" not in data:
        sys.exit(f"unexpected answer {response.status}: {data[:200]!r}")
PY

KEYCLOAK=(--env env/keycloak_direct.env --server-url http://localhost:9000 --keycloak-url "http://localhost:$IDP_PORT")
count() { # count NAME BIN ARGS… → "total sha" instructions per request
  local name="$1" bin="$2"; shift 2
  local port out; port="$(free_port)"; out="$WORK/$name.callgrind"
  RUST_LOG=warn valgrind --tool=callgrind --instr-atstart=no --callgrind-out-file="$out" \
    "target/release/$bin" --bind "127.0.0.1:$port" "$@" >"$WORK/$name.log" 2>&1 &
  local pid=$!; PIDS+=("$pid")
  for _ in $(seq 1 300); do curl -s -o /dev/null "http://127.0.0.1:$port/health" && break; sleep 0.2; done
  local token; token="$(scripts/idp.sh token mcp-user)"
  python3 "$WORK/client.py" "$port" 100 "$token" || { echo "$name does not answer the call" >&2; exit 1; }
  callgrind_control -i on "$pid" >/dev/null 2>&1
  python3 "$WORK/client.py" "$port" "$REQUESTS" "$token" || { echo "$name stopped answering" >&2; exit 1; }
  callgrind_control -i off "$pid" >/dev/null 2>&1
  callgrind_control -d "$pid" >/dev/null 2>&1
  kill "$pid"; wait "$pid" 2>/dev/null || true
  # The dump is "$out.1"; its totals line, and the software SHA-256 (inclusive).
  local total sha
  total="$(callgrind_annotate "$out.1" 2>/dev/null | awk '/PROGRAM TOTALS/ { gsub(",", "", $1); print $1 }')"
  sha="$(callgrind_annotate --inclusive=yes "$out.1" 2>/dev/null | awk '/sha2::sha256::compress256/ && !seen { gsub(",", "", $1); print $1; seen = 1 }')"
  echo "$((total / REQUESTS)) $((${sha:-0} / REQUESTS))"
}

echo "callgrind: $REQUESTS authenticated tools/call per server, one connection"
read -r served _ < <(count rmcp-served examples/served)
read -r authn authn_sha < <(count rmcp-authn examples/authenticated_only "${KEYCLOAK[@]}")
read -r step12 step12_sha < <(count step12 step12 "${KEYCLOAK[@]}")

pct() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f%%", 100 * a / b }'; }
echo
printf '%-14s %16s %22s %24s\n' target "instructions/req" "of which SHA-256 (sw)" "more than rmcp-served, w/o SHA"
printf '%-14s %16d %22s %24s\n' rmcp-served "$served" - -
printf '%-14s %16d %22d %24s\n' rmcp-authn "$authn" "$authn_sha" "$(pct $((authn - authn_sha - served)) "$served")"
printf '%-14s %16d %22d %24s\n' step12 "$step12" "$step12_sha" "$(pct $((step12 - step12_sha - served)) "$served")"
echo
echo "step 12's policy layer alone: $(pct $((step12 - step12_sha - authn + authn_sha)) "$served") of rmcp-served"
