#!/usr/bin/env bash
# scripts/lesson_size.sh — how big each step's lesson is, next to the Python original's step.
#
# A step's lesson is the modules its src/lib.rs lists under "// The lesson"; what follows
# "// Beyond the blog" (hardening, the 2026-07-28 wire, production choices) is counted apart.
# Lines are those before the module's #[cfg(test)] block (code and its doc comments; tests not
# counted; a module compiled only for tests, `#[cfg(feature = "testkit")]`, not at all). The Python original's numbers are the line counts of src/mcp_http/stepN.py in
# christian-posta/mcp-auth-step-by-step (each file a whole server: step N holds steps 1…N), and
# how much each grew over the step before.
#
# --check: fail when a step README's "Lesson size" line does not give today's numbers
# (scripts/test_readmes.sh runs it).
set -euo pipefail
CHECK=0; [[ ${1:-} == --check ]] && CHECK=1
stale=0
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
PY=(0 41 62 95 138 227 323 362 432 206 637 312)   # stepN.py, N = 1…11 (step 12 has none)
code_lines() { awk '/^#\[cfg\(test\)\]/ {exit} {n++} END {print n + 0}' "$1"; }
((CHECK)) || printf '%-5s %-24s %6s %8s   %s\n' step lesson lines "beyond" "Python stepN.py (growth)"
for n in $(seq 1 12); do
  dir="$(ls -d "$ROOT"/steps/"$(printf '%02d' "$n")"-*)"
  lesson=0 beyond=0 part=none names=() testkit=0
  while IFS= read -r line; do
    case "$line" in
      "// The lesson"*) part=lesson ;;
      "// Beyond the blog"*) part=beyond ;;
      "#[cfg(feature = \"testkit\")]") testkit=1; continue ;;
      "pub mod "*)
        m="${line#pub mod }"; m="${m%;}"
        if ((testkit)); then testkit=0; continue; fi   # test helpers are neither lesson nor beyond
        if [[ -f $dir/src/$m.rs ]]; then
          c="$(code_lines "$dir/src/$m.rs")"
        elif [[ -f $dir/src/$m/mod.rs ]]; then   # a module with submodules: every file of it
          c=0; for f in "$dir/src/$m"/*.rs; do c=$((c + $(code_lines "$f"))); done
        else
          continue
        fi
        if [[ $part == lesson ]]; then lesson=$((lesson + c)); names+=("$m"); else beyond=$((beyond + c)); fi ;;
    esac
  done <"$dir/src/lib.rs"
  if ((CHECK)); then
    want="**Lesson size:** $lesson lines"; ((beyond)) && want="$want of Rust in the lesson modules (\`scripts/lesson_size.sh\`; tests not counted), $beyond more"
    if ! grep -qF "$want" "$dir/README.md"; then
      echo "stale: ${dir#"$ROOT"/}/README.md should say: $want" >&2; stale=1
    fi
    continue
  fi
  if [[ -z ${PY[n]:-} ]]; then
    printf '%-5s %-24s %6d %8d   — (beyond the blog)\n' "$n" "$(IFS=,; echo "${names[*]}" | cut -c1-24)" "$lesson" "$beyond"
    continue
  fi
  growth=$((PY[n] - PY[n - 1]))
  printf '%-5s %-24s %6d %8d   %d (%+d)\n' "$n" "$(IFS=,; echo "${names[*]}" | cut -c1-24)" "$lesson" "$beyond" "${PY[n]}" "$growth"
done
exit "$stale"
