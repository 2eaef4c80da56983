#!/usr/bin/env bash
# scripts/mutants.sh [MODULE…] — mutation testing of the security-critical code with cargo-mutants.
#
# cargo-mutants changes the code one small way at a time (a condition negated, a function made to
# return a default, a `&&` turned into `||`) and runs the owning crate's Rust tests against each
# change. A change that no test notices is a "missed" mutant: a rule nothing proves. Each missed
# mutant is either killed by a new test or explained where it lives as equivalent (the change
# cannot alter behaviour).
#
# Without arguments, every module listed below; with arguments, only those (paths as below).
# Installs cargo-mutants (pinned) when missing. Results: target/mutants/<module>/mutants.out/
# (caught.txt, missed.txt, timeout.txt, unviable.txt); a table of caught / missed per module at
# the end. Not part of test_all: it rebuilds a crate per mutant (see the README for how long).
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
cd "$ROOT"
VERSION=27.1.0
MODULES=(
  steps/01-health/src/origin.rs
  steps/06-token-validation/src/validate.rs
  steps/06-token-validation/src/token_rules.rs
  steps/06-token-validation/src/bound.rs
  steps/06-token-validation/src/auth.rs
  steps/06-token-validation/src/scope_hint.rs
  steps/08-scopes/src/policy.rs
  steps/08-scopes/src/grants.rs
  steps/09-keycloak/src/key_cache.rs
  steps/09-keycloak/src/https_rule.rs
  steps/10-keycloak-env/src/introspection.rs
  steps/10-keycloak-env/src/auth_mode.rs
  steps/10-keycloak-env/src/browser_only.rs
  steps/12-rmcp/src/members.rs
  steps/10-keycloak-env/src/dpop/mod.rs
  steps/10-keycloak-env/src/dpop/proof.rs
  steps/10-keycloak-env/src/dpop/signature.rs
  steps/10-keycloak-env/src/dpop/replay.rs
  steps/10-keycloak-env/src/dpop/nonce.rs
  steps/11-dcr-client/src/discovery.rs
  steps/11-dcr-client/src/token.rs
  steps/11-dcr-client/src/registration.rs
  steps/11-dcr-client/src/authorize.rs
  steps/11-dcr-client/src/credentials.rs
  steps/11-dcr-client/src/dpop.rs
  steps/11-dcr-client/src/client_assertion.rs
)
if [[ $# -gt 0 ]]; then MODULES=("$@"); fi

if ! cargo mutants --version 2>/dev/null | grep -q "$VERSION"; then
  echo "installing cargo-mutants $VERSION (cargo install, a few minutes once) …"
  cargo install --locked --quiet cargo-mutants --version "$VERSION"
fi

started=$SECONDS
ROWS=()
mkdir -p target/mutants
for module in "${MODULES[@]}"; do
  [[ -f $module ]] || { echo "no such module: $module" >&2; exit 2; }
  name="$(sed 's#^steps/##; s#/src/#-#; s#/#-#g; s#\.rs$##' <<<"$module")"
  out="target/mutants/$name"
  echo "== $module"
  t0=$SECONDS
  # Exit status 2 means "some mutants were missed", which the table reports; other failures stop.
  cargo mutants --file "$module" --output "$out" --timeout 120 --no-shuffle -v >"$out.log" 2>&1 || {
    rc=$?; [[ $rc == 2 || $rc == 3 ]] || { tail -20 "$out.log"; exit "$rc"; }
  }
  count() { if [[ -f $out/mutants.out/$1.txt ]]; then grep -c . "$out/mutants.out/$1.txt" || true; else echo 0; fi; }
  ROWS+=("$(printf '%-45s %6s %6s %7s %8s %5ss' "$module" "$(count caught)" "$(count missed)" "$(count timeout)" "$(count unviable)" $((SECONDS - t0)))")
  sed 's/^/  missed: /' "$out/mutants.out/missed.txt" 2>/dev/null || true
done

echo
printf '%-45s %6s %6s %7s %8s %6s\n' module caught missed timeout unviable time
printf '%s\n' "${ROWS[@]}"
echo "total time: $((SECONDS - started)) s"
