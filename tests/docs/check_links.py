#!/usr/bin/python3
"""Every relative link of the project's Markdown documents resolves.

Checks README.md, docs/**/*.md, models/README.md, analysis/**/*.md, benchmarks/**/*.md and
tests/data/**/README.md: a link [text](target) or [text](target#anchor) whose target is not a
URL must name a file or folder of the repository, and an anchor must be the GitHub slug of a
heading in the target (or in the same document for a bare #anchor). Also every repository path
written in backquotes that starts with docs/, models/, scenarios/, benchmarks/, analysis/,
scripts/ or tests/ and ends in .md, .yaml, .py or .csv must exist (from the repository root or
from the document's folder).

Exit 0 when all resolve; otherwise one line per broken link (file:line: what, found) and exit 1.
"""
import re
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]

DOCUMENTS = (
    [REPO / "README.md", REPO / "models" / "README.md"]
    + sorted((REPO / "docs").rglob("*.md"))
    + sorted((REPO / "analysis").rglob("*.md"))
    + sorted((REPO / "benchmarks").rglob("*.md"))
    + sorted((REPO / "tests" / "data").rglob("README.md"))
)

LINK = re.compile(r"(?<!!)\[[^\]]*\]\(([^)\s]+)\)")
IMAGE = re.compile(r"!\[[^\]]*\]\(([^)\s]+)\)")
PATH = re.compile(
    r"`((?:docs|models|scenarios|benchmarks|analysis|scripts|tests)/[\w./-]+\.(?:md|yaml|py|csv))`"
)
FENCE = re.compile(r"^\s*(```|~~~)")


def slug(heading):
    """GitHub's anchor for a heading: lower case, punctuation dropped, spaces to hyphens."""
    text = re.sub(r"`", "", heading.strip().lower())
    text = re.sub(r"[^\w\- ]", "", text)
    return text.replace(" ", "-")


def anchors(path):
    found, seen = set(), {}
    in_fence = False
    for line in path.read_text(encoding="utf-8").splitlines():
        if FENCE.match(line):
            in_fence = not in_fence
            continue
        if in_fence:
            continue
        match = re.match(r"^#{1,6}\s+(.*?)\s*#*\s*$", line)
        if match:
            base = slug(match.group(1))
            count = seen.get(base, 0)
            seen[base] = count + 1
            found.add(base if count == 0 else f"{base}-{count}")
    return found


def main():
    problems = []
    anchor_cache = {}
    for document in DOCUMENTS:
        if not document.exists():
            continue
        in_fence = False
        for number, line in enumerate(document.read_text(encoding="utf-8").splitlines(), 1):
            where = f"{document.relative_to(REPO)}:{number}"
            if FENCE.match(line):
                in_fence = not in_fence
                continue
            if in_fence:
                continue
            for pattern in (LINK, IMAGE):
                for target in pattern.findall(line):
                    if re.match(r"^[a-z][a-z0-9+.-]*:", target):  # http:, https:, mailto:
                        continue
                    file_part, _, anchor = target.partition("#")
                    resolved = (document.parent / file_part).resolve() if file_part else document
                    if not resolved.exists():
                        problems.append(f"{where}: link to a missing file, found '{target}'")
                        continue
                    if anchor and resolved.suffix == ".md":
                        if resolved not in anchor_cache:
                            anchor_cache[resolved] = anchors(resolved)
                        if anchor not in anchor_cache[resolved]:
                            problems.append(
                                f"{where}: link to a missing heading, found '#{anchor}' "
                                f"(not a heading of {resolved.relative_to(REPO)})")
            for path in PATH.findall(line):
                if not ((REPO / path).exists() or (document.parent / path).exists()):
                    problems.append(f"{where}: names a missing repository file, found '{path}'")
    for problem in problems:
        print(problem)
    print(f"checked {len(DOCUMENTS)} documents: {len(problems)} broken link(s)")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
