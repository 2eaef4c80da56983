#!/usr/bin/env bash
# Every README example runs verbatim and prints what the README shows (issue: a stale transcript
# fails CI). For steps 1–10 and 12: the step's server on 127.0.0.1:9000 with its defaults — exactly what
# `cargo run -p stepN` gives a learner — then each "$ command" of its README, in order, in one
# shell, compared with the output the README shows (tokens, ids, key ids and times masked; see
# scripts/check_readmes.py). Steps 9–10 use the identity provider on port 18090, where their
# transcripts were recorded. Not run: step 11's transcript (a browser sign-in on random ports;
# scripts/test_step11.sh proves the flow), and the root README's recipes (they start servers a
# learner stops by hand).
source "$(dirname "$0")/lib.sh"
parse_args "$@"
build tokengen
if curl -s -o /dev/null --max-time 1 127.0.0.1:9000; then
  fail "port 9000 is free" "something already listens on 127.0.0.1:9000; the README examples need it"; finish
fi
export IDP_PORT=18090
trap '"$ROOT/scripts/idp.sh" stop >/dev/null 2>&1; cleanup' EXIT

check_readme() { # check_readme N : its examples, counted here
  local readme; readme="$(ls "$ROOT"/steps/"$(printf '%02d' "$1")"-*/README.md)"
  local out="$WORK/readme-$1.out"
  python3 "$ROOT/scripts/check_readmes.py" "$ROOT" "$readme" >"$out" 2>&1
  while IFS= read -r line; do
    case "$line" in
      "ok - "*) pass "${line#ok - "$ROOT"/}" ;;
      "not ok - "*) fail "${line#not ok - "$ROOT"/}" "$(sed -n "/^${line//\//\\/}\$/,/^\(ok\|not ok\) - /p" "$out" | sed '1d;$d' | head -24)" ;;
    esac
  done <"$out"
}

scenario "Lesson sizes" "Each step README's opening gives the size of its lesson as scripts/lesson_size.sh counts it today."
check "every step README's \"Lesson size\" line is current" "$ROOT/scripts/lesson_size.sh" --check
scenario "Links" "Every relative link in the workspace's Markdown leads to a file, and to a heading when it names one."
check "no broken link (scripts/check_links.py)" python3 "$ROOT/scripts/check_links.py" "$ROOT"

for n in $(seq 1 10) 12; do
  scenario "Step $n's README" "Its examples, verbatim, against cargo run -p step$n on :9000."
  build "step$n"
  if [[ $n -ge 9 ]]; then "$ROOT/scripts/idp.sh" start >/dev/null; export KEYCLOAK_URL="http://localhost:$IDP_PORT"; fi
  readme="$(ls "$ROOT"/steps/"$(printf '%02d' "$n")"-*/README.md)"
  if grep -qE "^\\\$ cargo run( -q)? -p step$n( -- --env [^ ]+)?\s*(#.*)?$" "$readme"; then
    check_readme "$n"   # the README starts its own server
  else
    (cd "$ROOT" && exec "$ROOT/target/debug/step$n") >"$WORK/step$n-9000.log" 2>&1 &
    pid=$!; STARTED_PIDS+=("$pid")
    for _ in $(seq 1 100); do curl -s -o /dev/null 127.0.0.1:9000/health && break; sleep 0.1; done
    check_readme "$n"
    kill "$pid" 2>/dev/null; wait "$pid" 2>/dev/null
  fi
  for _ in $(seq 1 50); do curl -s -o /dev/null --max-time 1 127.0.0.1:9000 || break; sleep 0.1; done
done
finish
