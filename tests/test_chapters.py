"""The shape every topic chapter promises: evidence, a verdict, and links that lead somewhere."""

from __future__ import annotations

import re

import pytest

from bookcopy import REPO_ROOT, compare_ids

SRC = REPO_ROOT / "src"
# Pages that are not topic chapters: they introduce, explain, offer a console, or
# gather the evidence of the others (a guide, the pitfalls, the Rosetta appendix).
NOT_TOPICS = {
    "introduction.md",
    "how-to-read.md",
    "playground.md",
    "decision-guide.md",
    "pitfalls.md",
    "rosetta.md",
    "upgrading.md",
    "upgrading-django.md",
    "upgrading-sqlalchemy.md",
}
CLOSING = "## What this means when you choose"
MIN_COMPARISONS = 3


def summary_chapters() -> list[str]:
    summary = (SRC / "SUMMARY.md").read_text(encoding="utf-8")
    return re.findall(r"\]\(([^)#]+\.md)\)", summary)


def topic_chapters() -> list[str]:
    return [name for name in summary_chapters() if name not in NOT_TOPICS]


def test_summary_lists_existing_files_once() -> None:
    names = summary_chapters()
    assert len(names) == len(set(names))
    for name in names:
        assert (SRC / name).is_file(), name
    listed = set(names)
    unlisted = sorted(p.name for p in SRC.glob("*.md") if p.name not in listed | {"SUMMARY.md"})
    assert not unlisted, f"chapters missing from SUMMARY.md: {unlisted}"


@pytest.mark.parametrize("name", topic_chapters())
def test_topic_chapter_has_evidence_and_a_verdict(name: str) -> None:
    text = (SRC / name).read_text(encoding="utf-8")
    assert len(compare_ids(text)) >= MIN_COMPARISONS, f"{name}: fewer than three comparisons"
    headings = re.findall(r"^## .*$", text, flags=re.M)
    assert headings and headings[-1] == CLOSING, f"{name}: should close with {CLOSING!r}"


def test_the_book_covers_parts_one_and_two() -> None:
    # Topics 1 to 14 of the content map, a chapter each.
    assert len(topic_chapters()) >= 14


def _local_links(text: str) -> list[tuple[int, str, str]]:
    """(line, file, anchor) of every Markdown link to another chapter, code blocks excluded."""
    links = []
    in_code = False
    for number, line in enumerate(text.splitlines(), start=1):
        if line.lstrip().startswith("```"):
            in_code = not in_code
            continue
        if in_code:
            continue
        for target in re.findall(r"\]\(([^)\s]+)\)", line):
            if "://" in target or target.startswith("mailto:"):
                continue
            path, _, anchor = target.partition("#")
            links.append((number, path, anchor))
    return links


def _anchors(markdown: str) -> set[str]:
    """The ids mdBook gives the headings of a chapter (lower case, punctuation dropped)."""
    ids = set()
    for heading in re.findall(r"^#{1,6} (.+)$", markdown, flags=re.M):
        plain = re.sub(r"[`*]|\[([^\]]*)\]\([^)]*\)", r"\1", heading).strip().lower()
        ids.add(re.sub(r"[^\w\- ]", "", plain).replace(" ", "-"))
    ids.update(f"cmp-{snippet_id}" for snippet_id in compare_ids(markdown))
    return ids


def test_links_between_chapters_resolve() -> None:
    broken = []
    for name in summary_chapters():
        text = (SRC / name).read_text(encoding="utf-8")
        for line, path, anchor in _local_links(text):
            target = SRC / (path or name)
            if not target.is_file():
                broken.append(f"{name}:{line}: no file {path}")
            elif anchor and anchor not in _anchors(target.read_text(encoding="utf-8")):
                broken.append(f"{name}:{line}: no anchor #{anchor} in {path or name}")
    assert not broken, "\n".join(broken)
