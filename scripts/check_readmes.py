#!/usr/bin/env python3
"""check_readmes.py ROOT README… — run each README's examples verbatim and compare their output.

A README example is a ```text block of lines "$ COMMAND" (a trailing backslash continues it),
each followed by the output it gives. The commands of one README run in one bash session, in
order, from the workspace root (so TOKEN=$(…) set in one is seen by the next), with the step's
server already listening on 127.0.0.1:9000 — or started by the README itself when a command is
`cargo run … -p stepN` (then it runs in the background and its first lines of output are what
is compared). Volatile parts are masked on both sides before comparing: tokens, uuids, key ids,
times, and the date / x-request-id / content-length headers. An example whose command contains
"…" cannot run verbatim and fails. Prints one "ok -" / "not ok -" line per example.
"""
import re
import subprocess
import sys
import time

MASKS = [
    (re.compile(r"eyJ[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*"), "<jwt>"),
    (re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"), "<uuid>"),
    (re.compile(r"(\"(?:expires_at|exp|iat|nbf|age_seconds|expires_in_seconds|fetches)\": ?)\d+"), r"\1<n>"),
    (re.compile(r"\b[A-Za-z0-9_-]{43}\b"), "<kid>"),
    (re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ"), "<time>"),
]
# `cargo run -p stepN` (with an env file at most) starts a server: it runs in the background.
SERVER_START = re.compile(r"^cargo run( -q)? -p step\d+( -- --env \S+)?\s*$")
DROPPED_HEADERS = re.compile(r"^(date|x-request-id|content-length|vary):", re.I)


def normalize(lines):
    out = []
    for line in lines:
        line = line.rstrip().replace("\r", "")
        if DROPPED_HEADERS.match(line):
            continue
        for pattern, replacement in MASKS:
            line = pattern.sub(replacement, line)
        out.append(line)
    while out and not out[-1]:
        out.pop()
    return out


def examples(text):
    """(command, expected output lines) for every $-line of every ```text block."""
    found = []
    in_block = False
    command = None
    expected = []
    continuing = False
    for line in text.splitlines():
        if line.startswith("```"):
            if in_block and command is not None:
                found.append((command, expected))
            in_block = not in_block and line.strip() in ("```text", "```console", "```sh-session")
            command, expected, continuing = None, [], False
            continue
        if not in_block:
            continue
        if continuing:
            command += "\n" + line
            continuing = line.endswith("\\")
            continue
        if line.startswith("$ "):
            if command is not None:
                found.append((command, expected))
            command, expected = line[2:], []
            continuing = line.endswith("\\")
        elif command is not None:
            if line.startswith("# "):  # commentary after the output, not output
                found.append((command, expected))
                command, expected = None, []
            else:
                expected.append(line)
    return found


def run_readme(root, readme):
    text = open(readme, encoding="utf-8").read()
    shell = subprocess.Popen(["bash", "--norc", "--noprofile"], cwd=root, stdin=subprocess.PIPE,
                             stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, bufsize=1)
    background = []
    failures = 0
    marker = "__README_CHECK_DONE__"
    for n, (command, expected) in enumerate(examples(text), 1):
        shown = command.split("\n")[0][:110]
        if "…" in command:
            print(f"not ok - {readme} example {n}: not runnable verbatim (contains …): {shown}")
            failures += 1
            continue
        if SERVER_START.match(command.split("#")[0].strip()):
            log = f"/tmp/readme-server-{time.time_ns()}.log"
            proc = subprocess.Popen(["bash", "-c", command.split("#")[0] + f" >{log} 2>/dev/null"], cwd=root)
            background.append(proc)
            for _ in range(300):
                time.sleep(0.1)
                if subprocess.run(["curl", "-s", "-o", "/dev/null", "127.0.0.1:9000/health"]).returncode == 0:
                    break
            time.sleep(0.3)
            actual = open(log, encoding="utf-8").read().splitlines()[: len(expected)]
        else:
            # A newline before the marker: output without a final newline (curl's JSON)
            # still ends its line; the one extra empty line is dropped below.
            shell.stdin.write(f"{command}\necho; echo {marker}\n")
            shell.stdin.flush()
            actual = []
            for line in shell.stdout:
                if line.rstrip("\n") == marker:
                    break
                actual.append(line.rstrip("\n"))
            if actual and actual[-1] == "":
                actual.pop()
        want, got = normalize(expected), normalize(actual)
        if want == got:
            print(f"ok - {readme} example {n}: {shown}")
        else:
            failures += 1
            print(f"not ok - {readme} example {n}: {shown}")
            for label, lines in (("README shows", want), ("it prints", got)):
                print(f"    {label}:")
                for line in lines[:30]:
                    print(f"      | {line}")
    shell.stdin.close()
    shell.wait(timeout=30)
    for proc in background:
        subprocess.run(["pkill", "-TERM", "-P", str(proc.pid)])
        proc.terminate()
        proc.wait(timeout=30)
    return failures


if __name__ == "__main__":
    root = sys.argv[1]
    total = sum(run_readme(root, readme) for readme in sys.argv[2:])
    sys.exit(1 if total else 0)
