#!/usr/bin/env bash
# scripts/diff.sh N — what step N adds over step N-1.
#
# Step N depends on step N-1 and holds only what it adds, so "the diff" is step N's crate
# itself: its new dependencies, its modules, and their source. This prints exactly that
# (paged with $PAGER when run in a terminal).
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
n="${1:-}"
if [[ ! $n =~ ^[0-9]+$ || $n -lt 1 || $n -gt 11 ]]; then
  echo "usage: scripts/diff.sh N   (N = 1…11: show what step N adds over step N-1)" >&2; exit 2
fi
dir_of() { ls -d "$ROOT"/steps/"$(printf '%02d' "$1")"-* 2>/dev/null | head -1; }
this="$(dir_of "$n")"
[[ -n $this ]] || { echo "step $n has not landed yet (no steps/$(printf '%02d' "$n")-*)" >&2; exit 1; }

deps() { sed -n '/^\[dependencies\]/,/^\[/p' "$1/Cargo.toml" | grep -E '^[a-z0-9_-]+' | sed -E 's/[ .=].*//' | sort; }

show() {
  echo "# $(grep -m1 '^description' "$this/Cargo.toml" | cut -d'"' -f2)"
  echo "# crate: ${this#"$ROOT"/}"
  if [[ $n -gt 1 ]]; then
    prev="$(dir_of $((n - 1)))"
    echo "# builds on: ${prev#"$ROOT"/} (a dependency, not a copy)"
    echo
    echo "## new dependencies"
    comm -13 <(deps "$prev") <(deps "$this") | sed 's/^/  + /'
  fi
  echo
  echo "## files ($(cat "$this"/src/*.rs | wc -l) lines of Rust)"
  (cd "$this" && wc -l src/*.rs tests/*.rs 2>/dev/null | sed 's/^/  /')
  for f in "$this"/src/*.rs; do
    echo
    echo "## ${f#"$this"/}"
    echo
    cat "$f"
  done
}

if [[ -t 1 ]]; then show | ${PAGER:-less -R}; else show; fi
