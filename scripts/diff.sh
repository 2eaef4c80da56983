#!/usr/bin/env bash
# scripts/diff.sh [--brief] N — what step N adds over step N-1, lesson first.
#
# Step N depends on step N-1 and holds only what it adds, so "the diff" is step N's crate
# itself. This prints it in reading order:
#   1. the README's "What changed" section (the lesson in prose),
#   2. src/lib.rs (the step's opening: what it adds, the spec, how to run it),
#   3. the other modules, src/main.rs last (the wiring),
#   4. the new dependencies and the list of tests.
# --brief prints only the file list and the opening doc comment (//!) of each file.
# Paged with $PAGER when run in a terminal.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
BRIEF=0
if [[ ${1:-} == --brief ]]; then BRIEF=1; shift; fi
n="${1:-}"
if [[ ! $n =~ ^[0-9]+$ || $n -lt 1 || $n -gt 11 ]]; then
  echo "usage: scripts/diff.sh [--brief] N   (N = 1…11: show what step N adds over step N-1)" >&2; exit 2
fi
dir_of() { ls -d "$ROOT"/steps/"$(printf '%02d' "$1")"-* 2>/dev/null | head -1; }
this="$(dir_of "$n")"
[[ -n $this ]] || { echo "step $n has not landed yet (no steps/$(printf '%02d' "$n")-*)" >&2; exit 1; }

deps() { sed -n '/^\[dependencies\]/,/^\[/p' "$1/Cargo.toml" | grep -E '^[a-z0-9_-]+' | sed -E 's/[ .=].*//' | sort; }
# The step crates this one depends on, e.g. "step10".
step_deps() { deps "$1" | { grep -E '^step[0-9]+$' || true; } | sort -V | tr '\n' ' '; }

# The modules lib.rs declares, in its order.
declared() { grep -E '^pub mod [a-z_0-9]+;' "$1/src/lib.rs" 2>/dev/null | sed -E 's/pub mod ([a-z_0-9]+);/\1/' || true; }

# Reading order: lib.rs, the declared modules, any other file, main.rs last.
sources() {
  local dir="$1" m f
  local modules; modules="$(declared "$dir")"
  [[ -f $dir/src/lib.rs ]] && echo "$dir/src/lib.rs"
  for m in $modules; do [[ -f $dir/src/$m.rs ]] && echo "$dir/src/$m.rs"; done
  for f in "$dir"/src/*.rs; do
    m="$(basename "$f" .rs)"
    case "$m" in lib|main) ;; *) grep -qx "$m" <<<"$modules" || echo "$f" ;; esac
  done
  [[ -f $dir/src/main.rs ]] && echo "$dir/src/main.rs"
}

what_changed() { # the README section whose title starts with "What changed"
  awk '/^## What changed/ {on = 1; print; next} /^## / {on = 0} on' "$this/README.md" 2>/dev/null
}

show() {
  echo "# $(grep -m1 '^description' "$this/Cargo.toml" | cut -d'"' -f2)"
  echo "# crate: ${this#"$ROOT"/}"
  local builds_on; builds_on="$(step_deps "$this")"
  if [[ $n -gt 1 ]]; then
    if [[ -n $builds_on ]]; then
      echo "# builds on: ${builds_on% } (dependencies, not copies)"
    else
      echo "# builds on: no earlier step — this crate is the other side of the wire (a client)"
    fi
  fi
  echo "# read: scripts/diff.sh $([[ $BRIEF == 1 ]] && echo "$n" || echo "--brief $n") for the $([[ $BRIEF == 1 ]] && echo "whole source" || echo "outline")"
  echo
  echo "## files ($(cat "$this"/src/*.rs | wc -l) lines of Rust)"
  while read -r f; do printf '  %5d  %s\n' "$(wc -l <"$f")" "${f#"$this"/}"; done < <(sources "$this")
  for f in "$this"/tests/*.rs; do [[ -f $f ]] && printf '  %5d  %s (test)\n' "$(wc -l <"$f")" "${f#"$this"/}"; done
  if [[ $BRIEF == 1 ]]; then
    while read -r f; do
      echo; echo "## ${f#"$this"/}"
      awk '/^\/\/!/ {print; next} {exit}' "$f"
    done < <(sources "$this")
    return
  fi
  echo
  what_changed
  while read -r f; do
    echo; echo "## ${f#"$this"/}"; echo
    cat "$f"
  done < <(sources "$this")
  if [[ $n -gt 1 && -n $builds_on ]]; then
    local prev; prev="$(dir_of $((n - 1)))"
    echo; echo "## new dependencies (over ${prev#"$ROOT"/})"
    comm -13 <(deps "$prev") <(deps "$this") | sed 's/^/  + /'
  fi
}

if [[ -t 1 ]]; then show | ${PAGER:-less -R}; else show; fi
