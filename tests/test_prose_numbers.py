"""Query counts the prose states next to a comparison match that comparison's capture.

A slip of this kind ("the loop costs eleven queries" where no panel has one) is what
readers notice first and what the build's assertions do not see: they check the
blocks, not the sentences around them. The test reads the paragraph right after each
`compare` block, the one that reads the panel, and every "N queries" in it (a rate
such as "one query per order" aside): N must be a query count of that comparison (a side's, or both
sides' together), or of a comparison the same paragraph links to (`#cmp-ID`).
Sentences about another release (5.2, 2.0, "previous releases") are left out: the
panels' markers carry those numbers.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

from bookcopy import REPO_ROOT

SRC = REPO_ROOT / "src"
CAPTURES = REPO_ROOT / "snippets" / "captures" / "current-sqlite"
WORDS = {
    word: value
    for value, word in enumerate(
        "zero one two three four five six seven eight nine ten eleven twelve".split()
    )
}
NUMBER = r"(\d[\d,]*|" + "|".join(WORDS) + r")"
# "6 queries", "sent one query", but not a rate ("one query per order") or a
# count of something else ("one query's rows").
CLAIM = re.compile(
    r"\b" + NUMBER + r"\s+quer(?:y|ies)\b(?!\s+(?:per|for each|each)\b|')", re.IGNORECASE
)
BLOCK = re.compile(r"^```compare id=([a-z0-9-]+)[^\n]*\n.*?^```[ \t]*$", re.MULTILINE | re.DOTALL)
OTHER_RELEASE = re.compile(r"\b5\.2\b|\b2\.0\b|previous release")


def _value(text: str) -> int:
    text = text.lower().replace(",", "")
    return WORDS[text] if text in WORDS else int(text)


def _counts(compare_id: str) -> set[int]:
    path = CAPTURES / f"{compare_id}.json"
    if not path.is_file():
        return set()
    sections = json.loads(path.read_text(encoding="utf-8"))["sections"]
    counts = {section["query_count"] for section in sections}
    counts.add(sum(section["query_count"] for section in sections))
    return counts


def _claims() -> list[tuple[str, str, int, set[int], str]]:
    found = []
    for chapter in sorted(SRC.glob("*.md")):
        text = chapter.read_text(encoding="utf-8")
        blocks = list(BLOCK.finditer(text))
        for index, block in enumerate(blocks):
            end = blocks[index + 1].start() if index + 1 < len(blocks) else len(text)
            prose = re.split(r"^#{1,6} ", text[block.end() : end], flags=re.MULTILINE)[0]
            # The paragraph that reads the panel: the first after the block.
            for paragraph in [p for p in re.split(r"\n\s*\n", prose) if p.strip()][:1]:
                allowed = _counts(block[1])
                for linked in re.findall(r"#cmp-([a-z0-9-]+)", paragraph):
                    allowed |= _counts(linked)
                sentences = re.split(r"(?<=[.;:])\s", paragraph)
                for claim in CLAIM.finditer(paragraph):
                    sentence = next((s for s in sentences if claim[0] in s), paragraph)
                    if OTHER_RELEASE.search(sentence):
                        continue
                    found.append(
                        (
                            chapter.name,
                            block[1],
                            _value(claim[1]),
                            allowed,
                            " ".join(claim[0].split()),
                        )
                    )
    return found


def test_the_prose_finds_claims_to_check() -> None:
    assert len(_claims()) >= 10


def test_every_query_count_in_the_prose_is_a_count_of_its_comparison() -> None:
    wrong = [
        f"src/{chapter} after `{compare_id}`: {quoted!r}, but the comparison's counts are "
        f"{sorted(allowed)}"
        for chapter, compare_id, value, allowed, quoted in _claims()
        if value not in allowed
    ]
    assert not wrong, "\n".join(wrong)


def test_a_wrong_number_is_caught(tmp_path: Path, monkeypatch) -> None:
    chapter = tmp_path / "x.md"
    chapter.write_text(
        "# X\n\n```compare id=n1-lazy-fk same-rows\n--- django\nx\n```\n\n"
        "Django sent 9 queries here.\n",
        encoding="utf-8",
    )
    monkeypatch.setattr(__import__(__name__), "SRC", tmp_path)
    (claim,) = _claims()
    assert claim[2] == 9 and 9 not in claim[3] and 6 in claim[3]
