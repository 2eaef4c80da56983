#!/usr/bin/env bash
# The README's test command: every test of the workspace, from a fresh clone.
#
#   0. cargo fmt --check, cargo clippy -D warnings, README's Rust version = rust-version
#      (what review found clean stays clean)
#   1. cargo test --workspace        (unit, router-level and property tests)
#   2. scripts/test_stepN.sh         (each step proven with curl + jq; steps 9–11 start the identity provider)
#      scripts/test_step10_production.sh  (introspection, pinned JWKS URL, HTTPS rules, auth modes)
#      scripts/test_step12.sh        (beyond the blog: an rmcp server behind step 10's authorization)
#      scripts/test_dpop.sh          (beyond the blog: DPoP-bound tokens and client credentials, end to end)
#   3. scripts/test_realm.sh         (keycloak/mcp-realm.json checked, and proven through the identity provider)
#      scripts/test_readmes.sh       (every README example of steps 1–10 run verbatim, its output compared)
#   4. scripts/test_interop.sh       (real MCP clients at both wires, 2025-11-25 and 2026-07-28:
#                                     conformance suites in server and client mode, TypeScript SDK 1.x
#                                     and v2, Python SDK, MCP Inspector)
#   5. scripts/test_browser.sh       (MCP Inspector's web UI in headless Chromium: login, consent,
#                                     tools/call, the step-up prompt; screenshots in target/browser-shots)
#
# Installs what it needs by itself (pinned npm packages, Node 22 into interop/node_modules).
# Prints one line per suite and the totals; exits non-zero if anything failed.
set -uo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
cd "$ROOT"

for tool in cargo curl jq python3 npm; do
  command -v "$tool" >/dev/null || { echo "test_all: '$tool' is required but not installed" >&2; exit 1; }
done

TOTAL_PASSED=0
TOTAL_FAILED=0
SUMMARY=()
LOGDIR="$(mktemp -d "${TMPDIR:-/tmp}/mcp-test-all.XXXXXX")"

record() { # record NAME PASSED FAILED RC
  local name="$1" p="$2" f="$3" rc="$4"
  if [[ $rc -ne 0 && $f -eq 0 ]]; then f=1; fi   # a crash with no counted failure still fails
  TOTAL_PASSED=$((TOTAL_PASSED + p)); TOTAL_FAILED=$((TOTAL_FAILED + f))
  SUMMARY+=("$(printf '%-22s %4d passed, %3d failed%s' "$name" "$p" "$f" "$([[ $rc -ne 0 ]] && echo "   (exit $rc, log: $LOGDIR/$name.log)")")")
}

echo "== lint: cargo fmt --all --check; cargo clippy --workspace --all-targets -- -D warnings"
lint_passed=0; lint_failed=0
if cargo fmt --all --check >"$LOGDIR/fmt.log" 2>&1; then
  lint_passed=$((lint_passed + 1)); echo "  ✔ cargo fmt --check"
else
  lint_failed=$((lint_failed + 1)); echo "  ✘ cargo fmt --check (run: cargo fmt --all)"; head -40 "$LOGDIR/fmt.log"
fi
if cargo clippy -q --workspace --all-targets -- -D warnings >"$LOGDIR/clippy.log" 2>&1; then
  lint_passed=$((lint_passed + 1)); echo "  ✔ cargo clippy -D warnings"
else
  lint_failed=$((lint_failed + 1)); echo "  ✘ cargo clippy -D warnings"; head -60 "$LOGDIR/clippy.log"
fi
# The README promises the Rust version the workspace declares.
declared="$(sed -n 's/^rust-version = "\(.*\)"$/\1/p' Cargo.toml)"
if [[ -n $declared ]] && grep -q "Rust (stable, $declared or newer" README.md; then
  lint_passed=$((lint_passed + 1)); echo "  ✔ README names rust-version $declared"
else
  lint_failed=$((lint_failed + 1)); echo "  ✘ README's Rust version differs from Cargo.toml's rust-version ($declared)"
fi
record lint "$lint_passed" "$lint_failed" 0

echo "== cargo test --workspace"
cargo test --workspace 2>&1 | tee "$LOGDIR/cargo-test.log"
rc=${PIPESTATUS[0]}
p=$(awk '/^test result:/ { for (i = 1; i < NF; i++) if ($(i+1) ~ /^passed/) s += $i } END { print s + 0 }' "$LOGDIR/cargo-test.log")
f=$(awk '/^test result:/ { for (i = 1; i < NF; i++) if ($(i+1) ~ /^failed/) s += $i } END { print s + 0 }' "$LOGDIR/cargo-test.log")
# A run that counted nothing proved nothing: it fails.
if [[ $p -eq 0 && $f -eq 0 ]]; then echo "  ✘ cargo test counted no test"; f=1; fi
record cargo-test "$p" "$f" "$rc"

run_script() { # run_script PATH — a missing script, or one that ends without its count line, fails
  local name; name="$(basename "$1" .sh)"
  echo; echo "== $name"
  if [[ ! -f $1 ]]; then
    echo "  ✘ $1 is missing"; record "$name" 0 1 0; return
  fi
  bash "$1" 2>&1 | tee "$LOGDIR/$name.log"
  local rc=${PIPESTATUS[0]} last
  last="$(grep -E '^[0-9]+ passed, [0-9]+ failed' "$LOGDIR/$name.log" | tail -1)"
  if [[ -z $last ]]; then
    echo "  ✘ $name printed no 'N passed, N failed' line: it proved nothing"; record "$name" 0 1 "$rc"; return
  fi
  local p f; p="$(awk '{print $1}' <<<"$last")"; f="$(awk '{print $3}' <<<"$last")"
  if [[ $p -eq 0 && $f -eq 0 ]]; then echo "  ✘ $name counted no check"; f=1; fi
  record "$name" "$p" "$f" "$rc"
}

# Every suite by name: a script that disappears fails the run instead of being skipped.
for n in $(seq 1 12); do run_script "scripts/test_step$n.sh"; done
for extra in test_step10_production test_dpop test_realm test_readmes test_interop test_browser; do run_script "scripts/$extra.sh"; done

echo
echo "== summary"
printf '%s\n' "${SUMMARY[@]}"
echo
echo "$TOTAL_PASSED passed, $TOTAL_FAILED failed"
[[ $TOTAL_FAILED -eq 0 ]]
