#!/usr/bin/env bash
# scripts/bench.sh — what does authentication cost? wrk against release builds, on loopback.
#
#   scripts/bench.sh [--rounds N] [--duration SECONDS] [--connections C] [--only T1,T2,…] [--pin]
#
# The same authenticated-looking request — tools/call echo — is sent to:
#   step4           no authentication at all (the baseline)
#   step8           Bearer JWT + scope check, with the verified-token cache (the default)
#   step8-nocache   the same with --token-cache 0: an RS256 verification on every request
#   step10          Keycloak-shaped tokens (the stand-in, via scripts/idp.sh), remote JWKS cache, CORS
#   step10-introspection  the same with --validation introspection --introspection-cache-secs 0
#                   --introspection-max-per-sec 1000000: one RFC 7662 call to the provider per
#                   request (the default cap of 100 calls/s would answer most of them 503)
#   step4-2026, step8-2026  steps 4 and 8 again, with the call on the MCP 2026-07-28 wire (the _meta
#                   envelope, MCP-Protocol-Version, Mcp-Method and Mcp-Name checked on every request)
#   rmcp            step 12's rmcp echo server alone, no authorization (examples/bare.rs, axum::serve)
#   rmcp-served     the same, served as every step is (plumbing's connection loop, step 1's request
#                   id, log line and Origin guard), no authorization (examples/served.rs)
#   rmcp-authn      the same behind step 10 (authentication, CORS, step 1's layers) without step 12's
#                   policy (examples/authenticated_only.rs): what step 10 costs in front of rmcp
#   step12          the same rmcp server behind step 10 and step 12's policy, Keycloak-shaped tokens
#   step10-dpop     step 10 with --dpop required: a DPoP-bound token (client credentials, mcp-agent)
#                   and a fresh proof on every request (made beforehand by step 11's jws example,
#                   one per request: a proof is good once), against step10's Bearer
# Runs alternate (4, 8, 8-nocache, 10, 4, 8, …) so that drift of the machine hits all alike.
# --only runs some targets (named as in the table, e.g. --only rmcp-served,step12). --pin puts
# each server on CPU 0 and wrk on CPU 1 (taskset); it steadies step 4–10 but starves rmcp, which
# hands every request to a new task (two runtime threads on one core: p99 five times longer).
# Each run also reports how much of the CPU the hypervisor gave to someone else ("stolen"):
# a run with much of it stolen measures the neighbour, not the server.
# Prints the median requests/s, p50 and p99 latency, and server CPU time per request (user +
# system: what the server spent on each request, whatever wrk took of the two cores) of each,
# and the ratios to step 4.
# A benchmark, not a test: it asserts nothing and is not part of test_all.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
ROUNDS=5 DURATION=10 CONNECTIONS=32 ONLY="" PIN=0
while [[ $# -gt 0 ]]; do
  case "$1" in
    --rounds) ROUNDS="$2"; shift 2 ;;
    --duration) DURATION="$2"; shift 2 ;;
    --connections) CONNECTIONS="$2"; shift 2 ;;
    --only) ONLY="$2"; shift 2 ;;
    --pin) PIN=1; shift ;;
    -h|--help) sed -n '2,34p' "$0"; exit 0 ;;
    *) echo "unknown argument: $1 (try --help)" >&2; exit 2 ;;
  esac
done

source "$ROOT/scripts/bench_lib.sh"
need_tool wrk

cd "$ROOT"
echo "building release binaries …"
cargo build -q --release -p step4 -p step8 -p step10 -p step12 -p tokengen
cargo build -q --release -p step12 --example bare --example served --example authenticated_only
cargo build -q --release -p step11 --example jws
bench_setup

SERVER_CPU=() WRK_CPU=()
if [[ $PIN == 1 && $(nproc) -ge 2 ]] && command -v taskset >/dev/null; then SERVER_CPU=(taskset -c 0) WRK_CPU=(taskset -c 1); fi
start() { # start NAME BIN ARGS… → sets URL_<NAME>
  local name="$1" bin="$2"; shift 2
  local port; port="$(free_port)"
  RUST_LOG=warn "${SERVER_CPU[@]}" "target/release/$bin" --bind "127.0.0.1:$port" "$@" >"$WORK/$name.log" 2>&1 &
  PIDS+=($!); printf -v "PID_${name//-/_}" '%s' "$!"
  for _ in $(seq 1 100); do curl -s -o /dev/null "http://127.0.0.1:$port/health" && break; sleep 0.1; done
  printf -v "URL_${name//-/_}" '%s' "http://127.0.0.1:$port"
}
start step4 step4
start step8 step8 --server-url http://localhost:9000
start step8-nocache step8 --server-url http://localhost:9000 --token-cache 0
start step10 step10 --env env/keycloak_direct.env --server-url http://localhost:9000 --keycloak-url "http://localhost:$IDP_PORT"
start step10-introspection step10 --env env/keycloak_direct.env --server-url http://localhost:9000 --keycloak-url "http://localhost:$IDP_PORT" \
  --validation introspection --introspection-cache-secs 0 --introspection-max-per-sec 1000000
start step12 step12 --env env/keycloak_direct.env --server-url http://localhost:9000 --keycloak-url "http://localhost:$IDP_PORT"
start step10-dpop step10 --env env/keycloak_direct.env --server-url http://localhost:9000 --keycloak-url "http://localhost:$IDP_PORT" \
  --dpop required --dpop-max-age 600
start rmcp examples/bare
start rmcp-served examples/served
start rmcp-authn examples/authenticated_only --env env/keycloak_direct.env --server-url http://localhost:9000 --keycloak-url "http://localhost:$IDP_PORT"
TOKEN_DEMO="$(target/release/tokengen --demo alice 2>/dev/null)"

token_for() { # provider tokens live 5 minutes: a fresh one for every step 10 run
  # The rmcp baselines get the same provider token as step 12: the same request, byte for byte
  # (a token twice the size of tokengen's costs the HTTP parser a few percent by itself).
  if [[ $1 == step10_dpop ]]; then dpop_token
  elif [[ $1 == step10* || $1 == step12 || $1 == rmcp* ]]; then scripts/idp.sh token mcp-user; else echo "$TOKEN_DEMO"; fi
}
TARGETS=(step4 step8 step8_nocache step10 step10_dpop step10_introspection step4_2026 step8_2026 rmcp rmcp_served rmcp_authn step12)
if [[ -n $ONLY ]]; then
  IFS=',' read -r -a wanted <<<"${ONLY//-/_}"
  for name in "${wanted[@]}"; do [[ " ${TARGETS[*]} " == *" $name "* ]] || { echo "unknown target: ${name//_/-}" >&2; exit 2; }; done
  TARGETS=("${wanted[@]}")
fi
JWS=target/release/examples/jws; target/release/examples/jws keygen >"$WORK/dpop.pem"
TOKEN_URL="http://localhost:$IDP_PORT/realms/mcp-realm/protocol/openid-connect/token"
dpop_token() { # a DPoP-bound token for mcp-agent, bound to $WORK/dpop.pem
  curl -sf "$TOKEN_URL" -u mcp-agent:mcp-agent-secret -H "DPoP: $("$JWS" proof --key "$WORK/dpop.pem" --htu "$TOKEN_URL")" \
    -d grant_type=client_credentials -d resource=http://localhost:9000/mcp | jq -er 'select(.token_type == "DPoP") | .access_token'
}
PROOFS_PER_SECOND=25000   # more than step 10 answers with DPoP: every request gets a fresh proof
server_of() { echo "${1%_2026}"; } # step8_2026 is step 8's server, asked on the other wire
write_lua() { # write_lua TOKEN TARGET [PROOFS]
  local scheme=Bearer; [[ $2 == step10_dpop ]] && scheme=DPoP
  local body='{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"echo","arguments":{"message":"hello","repeat_count":2}}}'
  local extra=""
  if [[ $2 == *_2026 ]]; then
    body='{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"echo","arguments":{"message":"hello","repeat_count":2},"_meta":{"io.modelcontextprotocol/protocolVersion":"2026-07-28","io.modelcontextprotocol/clientCapabilities":{}}}}'
    extra=$'wrk.headers["MCP-Protocol-Version"] = "2026-07-28"\nwrk.headers["Mcp-Method"] = "tools/call"\nwrk.headers["Mcp-Name"] = "echo"'
  fi
  cat >"$WORK/post.lua" <<LUA
wrk.method = "POST"
wrk.body = '$body'
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Accept"] = "application/json, text/event-stream"
wrk.headers["Host"] = "localhost:9000"
wrk.headers["Authorization"] = "$scheme $1"
$extra
LUA
  if [[ $2 == step10_dpop ]]; then # one fresh proof per request, read from a file made for this run
    "$JWS" proof --key "$WORK/dpop.pem" --htu http://localhost:9000/mcp --token "$1" --count "${3:-1}" >"$WORK/proofs.txt"
    cat >>"$WORK/post.lua" <<LUA
proofs = {}
for line in io.lines("$WORK/proofs.txt") do proofs[#proofs + 1] = line end
i = 0
request = function()
  i = i + 1
  wrk.headers["DPoP"] = proofs[(i - 1) % #proofs + 1]
  return wrk.format()
end
LUA
  fi
}

# Sanity: each target really answers the call (step 4 ignores the header), in its wire's shape.
for name in "${TARGETS[@]}"; do
  url_var="URL_$(server_of "$name")"
  write_lua "$(token_for "$name")" "$name"
  body="$(sed -n "s/^wrk.body = '\(.*\)'$/\1/p" "$WORK/post.lua")"
  headers=(); while IFS= read -r h; do headers+=(-H "$h"); done < <(sed -n 's/^wrk.headers\["\(.*\)"\] = "\(.*\)"$/\1: \2/p' "$WORK/post.lua")
  [[ $name == step10_dpop ]] && headers+=(-H "DPoP: $(head -1 "$WORK/proofs.txt")")
  want='.result.structuredContent.echo == "hellohello"'; [[ $name == *_2026 ]] && want="$want and .result.resultType == \"complete\""
  curl -sf "${!url_var}/mcp" "${headers[@]}" -d "$body" | jq -e "$want" >/dev/null \
    || { echo "$name does not answer the call" >&2; exit 1; }
done

to_ms() { # wrk latency like 1.23ms / 850.00us / 1.02s → milliseconds
  awk -v v="$1" 'BEGIN { if (v ~ /us$/) { sub(/us$/, "", v); print v / 1000 } else if (v ~ /ms$/) { sub(/ms$/, "", v); print v + 0 } else if (v ~ /s$/) { sub(/s$/, "", v); print v * 1000 } else print v }'
}
median() { sort -g | awk '{ a[NR] = $1 } END { if (NR % 2) print a[(NR + 1) / 2]; else print (a[NR / 2] + a[NR / 2 + 1]) / 2 }'; }

# On a virtual machine the hypervisor may run someone else on "our" cores: /proc/stat counts that
# time as stolen (its 8th number).
cpu_ticks() { awk '/^cpu / { t = 0; for (i = 2; i <= NF; i++) t += $i; print $9, t }' /proc/stat; }
# The server's own CPU time (user + system, /proc/PID/stat's 14th and 15th numbers, in clock
# ticks) per request answered: steadier than requests/s, which moves with whatever else the two
# cores are doing (wrk among it) — and it says what a layer costs, not how the cores were shared.
server_ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat"; }
TICK_US=$((1000000 / $(getconf CLK_TCK)))
echo "wrk: $ROUNDS rounds × ${DURATION}s per target, $CONNECTIONS connections, 1 thread; $(nproc) cores"
for round in $(seq 1 "$ROUNDS"); do
  for name in "${TARGETS[@]}"; do
    url_var="URL_$(server_of "$name")"
    write_lua "$(token_for "$name")" "$name" "$((PROOFS_PER_SECOND * DURATION))"
    pid_var="PID_$(server_of "$name")"
    read -r steal0 total0 < <(cpu_ticks); busy0="$(server_ticks "${!pid_var}")"
    out="$("${WRK_CPU[@]}" wrk -t1 -c"$CONNECTIONS" -d"${DURATION}s" --latency -s "$WORK/post.lua" "${!url_var}/mcp")"
    rps="$(awk '/^Requests\/sec:/ { print $2 }' <<<"$out")"
    p99="$(to_ms "$(awk '$1 == "99%" { print $2 }' <<<"$out")")"
    p50="$(to_ms "$(awk '$1 == "50%" { print $2 }' <<<"$out")")"
    non2xx="$(awk '/Non-2xx/ { print $NF }' <<<"$out")"
    [[ -z $non2xx ]] || { echo "$name answered $non2xx non-2xx responses; aborting" >&2; exit 1; }
    read -r steal1 total1 < <(cpu_ticks); busy1="$(server_ticks "${!pid_var}")"
    requests="$(awk '/requests in/ { print $1 }' <<<"$out")"
    cpu="$(awk -v b=$((busy1 - busy0)) -v n="$requests" -v t="$TICK_US" 'BEGIN { printf "%.1f", b * t / n }')"
    stolen="$(awk -v s=$((steal1 - steal0)) -v t=$((total1 - total0)) 'BEGIN { printf "%.1f", (t > 0 ? 100 * s / t : 0) }')"
    echo "$rps" >>"$WORK/$name.rps"; echo "$p99" >>"$WORK/$name.p99"; echo "$p50" >>"$WORK/$name.p50"; echo "$stolen" >>"$WORK/$name.steal"; echo "$cpu" >>"$WORK/$name.cpu"
    printf '  round %d %-22s %10.0f req/s  p50 %6.2f ms  p99 %6.2f ms  CPU %6.1f µs/req  stolen %5.1f %%\n' "$round" "$name" "$rps" "$p50" "$p99" "$cpu" "$stolen"
  done
done

has() { [[ -s "$WORK/$1.rps" ]]; }
ratio() { # ratio A B → 100·A/B of the medians, or n/a when either was not run
  if has "$1" && has "$2"; then awk -v a="$(median <"$WORK/$1.rps")" -v b="$(median <"$WORK/$2.rps")" 'BEGIN { printf "%.1f%%", 100 * a / b }'; else echo n/a; fi
}
more_cpu() { # more_cpu A B → how much more server CPU per request A took than B (medians)
  if has "$1" && has "$2"; then awk -v a="$(median <"$WORK/$1.cpu")" -v b="$(median <"$WORK/$2.cpu")" 'BEGIN { printf "%+.1f%%", 100 * (a - b) / b }'; else echo n/a; fi
}
echo
printf '%-22s %12s %10s %10s %10s %12s %10s\n' target "median req/s" "p50 (ms)" "p99 (ms)" "vs step4" "CPU µs/req" "stolen"
for name in "${TARGETS[@]}"; do
  rps="$(median <"$WORK/$name.rps")"; p99="$(median <"$WORK/$name.p99")"; p50="$(median <"$WORK/$name.p50")"
  printf '%-22s %12.0f %10.2f %10.2f %10s %12.1f %9.1f%%\n' "${name//_/-}" "$rps" "$p50" "$p99" "$(ratio "$name" step4)" "$(median <"$WORK/$name.cpu")" "$(median <"$WORK/$name.steal")"
done
worst="$(cat "$WORK"/*.steal | sort -g | tail -1)"
if awk -v w="$worst" 'BEGIN { exit !(w > 5) }'; then
  echo "warning: up to $worst % of the CPU was stolen by the hypervisor during a run; those figures are low — rerun when the machine is quiet"
fi
printf '\nin front of rmcp: the server every step has (rmcp-served / rmcp) = %s; the authorization layer, step 10 and step 12 (step12 / rmcp-served) = %s\n' \
  "$(ratio rmcp_served rmcp)" "$(ratio step12 rmcp_served)"
printf 'in front of rmcp: step 10 (rmcp-authn / rmcp-served) = %s; step 12 policy alone (step12 / rmcp-authn) = %s; step12 / step10 = %s\n' \
  "$(ratio rmcp_authn rmcp_served)" "$(ratio step12 rmcp_authn)" "$(ratio step12 step10)"
printf 'in front of rmcp, server CPU per request: step 10 and step 12 (step12 vs rmcp-served) %s; step 10 (rmcp-authn vs rmcp-served) %s; step 12 policy alone (step12 vs rmcp-authn) %s\n' \
  "$(more_cpu step12 rmcp_served)" "$(more_cpu rmcp_authn rmcp_served)" "$(more_cpu step12 rmcp_authn)"
printf '\nDPoP: step10-dpop / step10 (Bearer) = %s\n' "$(ratio step10_dpop step10)"
printf 'on the 2026-07-28 wire: step8-2026 / step4-2026 = %s; step4-2026 / step4 = %s\n' \
  "$(ratio step8_2026 step4_2026)" "$(ratio step4_2026 step4)"
