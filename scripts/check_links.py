#!/usr/bin/env python3
"""Every relative link in the workspace's Markdown leads somewhere: the file exists and, when the
link names an anchor (`page.md#section`), the page has a heading with that anchor (GitHub's rule:
lower case, punctuation dropped, spaces to hyphens). Prints one line per broken link; exit 1 if any.

Usage: check_links.py ROOT
"""
import os
import re
import sys

LINK = re.compile(r"\[[^\]]*\]\(([^)\s]+)\)")
HEADING = re.compile(r"^#{1,6}\s+(.*?)\s*#*\s*$")
SKIP_DIRS = {"node_modules", "target", ".git", ".tools", "vendor"}


def slug(heading: str) -> str:
    text = re.sub(r"`|\*|_(?=\w)|(?<=\w)_", "", heading).strip().lower()
    text = re.sub(r"[^\w\- ]", "", text)
    return text.replace(" ", "-")


def anchors(path: str) -> set:
    found, seen, fenced = set(), {}, False
    with open(path, encoding="utf-8") as f:
        for line in f:
            if line.startswith("```"):
                fenced = not fenced
            match = None if fenced else HEADING.match(line)
            if match:
                base = slug(match.group(1))
                n = seen.get(base, 0)
                seen[base] = n + 1
                found.add(base if n == 0 else f"{base}-{n}")
    return found


def main(root: str) -> int:
    broken = 0
    for directory, dirs, files in os.walk(root):
        dirs[:] = [d for d in dirs if d not in SKIP_DIRS and not d.startswith(".")]
        for name in files:
            if not name.endswith(".md"):
                continue
            page = os.path.join(directory, name)
            fenced = False
            with open(page, encoding="utf-8") as f:
                for number, line in enumerate(f, 1):
                    if line.startswith("```"):
                        fenced = not fenced
                    if fenced:
                        continue
                    for target in LINK.findall(line):
                        if re.match(r"^[a-z]+:", target):
                            continue  # http:, https:, mailto:
                        path, _, anchor = target.partition("#")
                        file = os.path.normpath(os.path.join(directory, path)) if path else page
                        where = f"{os.path.relpath(page, root)}:{number}"
                        if not os.path.exists(file):
                            print(f"{where}: {target}: no such file")
                            broken += 1
                        elif anchor and file.endswith(".md") and anchor not in anchors(file):
                            print(f"{where}: {target}: no heading with that anchor")
                            broken += 1
    return 1 if broken else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
