"""The whole book, built by mdBook with the preprocessor, from committed captures."""

from __future__ import annotations

import json
import re
import shutil
from html import unescape
from pathlib import Path
from typing import Any

import pytest

from bookcopy import REPO_ROOT, BookCopy, compare_ids


@pytest.fixture(scope="module")
def book(tmp_path_factory: pytest.TempPathFactory) -> BookCopy:
    # No Python: the build must stand on the committed captures alone.
    copy = BookCopy(tmp_path_factory.mktemp("book"), with_python=False)
    build = copy.build()
    assert build.ok, build.stderr
    assert "WARN" not in build.stderr and "ERROR" not in build.stderr, build.stderr
    return copy


def chapters() -> list[Path]:
    summary = (REPO_ROOT / "src" / "SUMMARY.md").read_text(encoding="utf-8")
    return [REPO_ROOT / "src" / name for name in re.findall(r"\]\(([^)]+\.md)\)", summary)]


def test_every_comparison_renders_as_a_panel_with_both_sides(book: BookCopy) -> None:
    total = 0
    for chapter in chapters():
        ids = compare_ids(chapter.read_text(encoding="utf-8"))
        html = book.html(chapter.with_suffix(".html").name)
        for snippet_id in ids:
            match = re.search(
                rf'<div class="ormc ormc-compare" id="cmp-{snippet_id}" data-sides="(\d)" '
                rf'data-href="ormc-data/{chapter.stem}\.json"',
                html,
            )
            assert match, f"{chapter.name}: no panel for {snippet_id}"
            data = book.root / "book" / "ormc-data" / f"{chapter.stem}.json"
            panels = json.loads(data.read_text(encoding="utf-8"))
            assert "plans" in panels[snippet_id], f"no data for {snippet_id}"
        assert html.count('<section class="ormc-side"') >= 2 * len(ids)
        assert "```compare" not in html
        total += len(ids)
    assert total >= 10, "the book should hold its comparisons"


def test_panels_answer_first_then_show_sql_params_and_counts(book: BookCopy) -> None:
    html = book.html("how-to-read.html")
    panel = html[html.index('id="cmp-read-first-look"') :]
    panel = panel[: panel.index("</section>", panel.index('data-side="1"'))]
    assert panel.count('class="ormc-badge"') == 2
    assert re.search(r"\d+ quer(y|ies)</span>", panel)
    assert panel.index('class="ormc-result"') < panel.index("SQL sent ·")
    assert panel.index('class="ormc-checks ormc-side-checks"') < panel.index("SQL sent ·")
    assert 'class="language-sql"' in panel
    assert "Exact SQL sent" in panel
    assert 'class="ormc-params"' in panel
    assert 'class="ormc-table"' in panel
    assert 'class="language-python"' in panel
    assert "<summary>Returned 3 rows</summary>" in panel


def test_text_from_the_database_is_escaped(book: BookCopy) -> None:
    html = book.html("how-to-read.html")
    assert "&lt;script&gt;alert(" in html
    assert "<script>alert(" not in html


def test_schema_diagram_and_versions_come_from_the_sources(book: BookCopy) -> None:
    html = book.html("how-to-read.html")
    schema = (REPO_ROOT / "snippets" / "schema.sql").read_text(encoding="utf-8")
    tables = re.findall(r"CREATE TABLE (\w+)", schema)
    assert tables
    for table in tables:
        assert 'class="ormc-schema-title"' in html
        assert f">{table}</text>" in html
    # One column per stack, with each stack's own Django and SQLAlchemy.
    table = html[html.index('<table class="ormc-versions">') :]
    table = table[: table.index("</table>")]
    assert "<th>current releases</th><th>previous releases</th>" in table
    for stack in ("current", "lts"):
        lock = (REPO_ROOT / "snippets" / "stacks" / f"{stack}.lock").read_text(encoding="utf-8")
        for library in ("Django", "SQLAlchemy"):
            (version,) = re.findall(rf"^{library}==(\S+)$", lock, re.MULTILINE)
            assert f"<td>{library}</td>" in table and version in table, (stack, library)


def _side_differences(before: dict[str, Any], now: dict[str, Any]) -> bool:
    """Whether one side's captures differ on two stacks, as a reader's code would see."""

    def statements(side: dict[str, Any]) -> list[tuple[str, str, bool]]:
        return [(s["sql"], json.dumps(s["params"]), s["many"]) for s in side["statements"]]

    def raised(side: dict[str, Any]) -> str | None:
        return side["error"]["type"] if side["error"] else None

    return (
        statements(before) != statements(now)
        or before["query_count"] != now["query_count"]
        or before["result"] != now["result"]
        or raised(before) != raised(now)
        or before["stdout"] != now["stdout"]
    )


def _primary_captures() -> dict[str, Path]:
    """Comparison id -> its current capture on the first database it is captured on
    (SQLite, or PostgreSQL for a PostgreSQL-only comparison)."""
    captures = REPO_ROOT / "snippets" / "captures"
    found: dict[str, Path] = {}
    for database in ("postgresql", "sqlite"):  # SQLite's last: it wins
        for path in (captures / f"current-{database}").glob("*.json"):
            found[path.stem] = path
    return found


def _differing_sides() -> dict[str, list[int]]:
    """Comparison id -> the sides whose LTS capture differs from the current one,
    read straight from the capture files (independently of the preprocessor)."""
    found: dict[str, list[int]] = {}
    for current in sorted(_primary_captures().values()):
        now = json.loads(current.read_text(encoding="utf-8"))
        previous = current.parent.parent / current.parent.name.replace("current-", "lts-")
        before = json.loads((previous / current.name).read_text(encoding="utf-8"))
        sides = [
            index
            for index, (b, n) in enumerate(zip(before["sections"], now["sections"], strict=True))
            if _side_differences(b, n)
        ]
        if sides:
            found[current.stem] = sides
    return found


def test_the_upgrade_pages_list_exactly_the_comparisons_that_differ(book: BookCopy) -> None:
    differing = _differing_sides()
    assert len(differing) >= 10, "Django 6.1 and SQLAlchemy 2.1 change the SQL of many panels"
    kinds = _side_kinds()
    # One page per library: the Django ORM's sides, and every other library's.
    for page, is_listed in (
        ("upgrading-django.html", lambda kind: kind == "django"),
        ("upgrading-sqlalchemy.html", lambda kind: kind != "django"),
    ):
        html = book.html(page)
        listed = re.findall(r'<div class="ormc-upgrade-item" id="up-([^"]+)">', html)
        expected = [
            i for i, sides in differing.items() if any(is_listed(kinds[i][s]) for s in sides)
        ]
        assert sorted(listed) == sorted(expected), page
        assert f"<strong>{len(expected)} of the book's {len(kinds)} comparisons</strong>" in html
    html = book.html("upgrading-django.html")
    entry = html[html.index('id="up-bulk-create-batches"') :]
    entry = entry[: entry.index('<div class="ormc-upgrade-item"', 1)]
    assert 'href="bulk-loading.html#cmp-bulk-create-batches"' in entry
    assert "Django ORM 5.2.19 → 6.1.3:</strong> 2 queries, was 3" in entry
    assert "<del" in entry and "<ins" in entry
    assert "SQLAlchemy" not in entry


def _side_kinds() -> dict[str, list[str]]:
    """Comparison id -> the kinds of its sections, from the current captures."""
    return {
        key: [s["kind"] for s in json.loads(path.read_text(encoding="utf-8"))["sections"]]
        for key, path in _primary_captures().items()
    }


def test_a_panel_marks_each_side_the_previous_releases_change(book: BookCopy) -> None:
    differing = _differing_sides()
    for chapter in chapters():
        html = book.html(chapter.with_suffix(".html").name)
        for snippet_id in compare_ids(chapter.read_text(encoding="utf-8")):
            start = html.index(f'id="cmp-{snippet_id}"')
            panel = html[start : html.find('<div class="ormc ormc-compare"', start + 1)]
            sides = panel.split('<section class="ormc-side"')[1:]
            marked = [i for i, side in enumerate(sides) if 'class="ormc-upgrade"' in side]
            assert marked == differing.get(snippet_id, []), snippet_id
    html = book.html("bulk-loading.html")
    panel = html[html.index('id="cmp-bulk-create-batches"') :]
    assert "Django ORM 5.2.19:</span> 3 queries, not 2</summary>" in panel
    assert 'href="upgrading-django.html#up-bulk-create-batches"' in panel
    # The diff itself waits in the chapter's data file until the marker is opened.
    data = json.loads((book.root / "book/ormc-data/bulk-loading.json").read_text("utf-8"))
    django, sqlalchemy = data["bulk-create-batches"]["upgrade"]
    assert "<del" in django and "<ins" in django and sqlalchemy is None


def test_mdbook_features_keep_working(book: BookCopy) -> None:
    assert (book.root / "book" / "print.html").is_file()
    print_html = book.html("print.html")
    assert 'class="ormc ormc-compare"' in print_html
    index = next((book.root / "book").glob("searchindex*.js")).read_text(encoding="utf-8")
    assert "eager" in index.lower()


def search_index_text(book: BookCopy) -> str:
    """Every section's text in mdBook's search index, joined."""
    script = next((book.root / "book").glob("searchindex*.js")).read_text(encoding="utf-8")
    quoted = script[script.index("JSON.parse('") + len("JSON.parse('") : script.rindex("')")]
    index = json.loads(quoted.replace("\\'", "'").replace("\\\\", "\\"))
    docs = index["index"]["documentStore"]["docs"].values()
    return " ".join(" ".join(doc.get("body", "").split()) for doc in docs)


def test_the_search_index_holds_the_code_and_each_statement_once(book: BookCopy) -> None:
    text = search_index_text(book)
    # Long statements carry a second class (`ormc-sql ormc-long`).
    pre = r'<pre class="ormc-(sql|code)(?: [^"]*)?"><code class="language-\w+">(.*?)</code>'
    shown: set[tuple[str, str]] = set()
    read: list[tuple[str, str]] = []
    for chapter in chapters():
        name = chapter.with_suffix(".html").name
        # What the reader sees, and what mdBook reads: the page's bytes outside islands.
        for page, into in ((book.html(name), shown), (book.raw_html(name), None)):
            blocks = re.split(r'(?=<div class="ormc )', page)
            panels = [b for b in blocks if b.startswith('<div class="ormc ormc-compare"')]
            for kind, html in (found for p in panels for found in re.findall(pre, p, re.S)):
                found = (kind, " ".join(unescape(html).split()))
                shown.add(found) if into is not None else read.append(found)
    statements = {words for kind, words in shown if kind == "sql"}
    assert len(statements) > 500
    # Each distinct piece of code and statement once, where the book first shows it.
    assert {found for found in shown if found[0] == "code"} <= set(read)
    assert len(read) == len(set(read))
    read_statements = [words for kind, words in read if kind == "sql"]
    assert sorted(read_statements) == sorted(statements)
    for _, words in read:
        assert words in text, f"not in the search index: {words[:80]}"
    # What the panels answer with stays out: the first result of the N+1 chapter.
    assert "Ada Lovelace 2 Alan Turing" not in text
    assert "Ada Lovelace" in text


def test_two_builds_give_identical_html(book: BookCopy) -> None:
    # The second build reuses the replays the first one checked, and says so; without
    # the cache, every side is replayed again. Both give the same book.
    second = book.build(dest="book-again")
    assert second.ok, second.stderr
    reused = re.search(
        r"ormcompare: (\d+) of (\d+) replays reused from \.ormcompare-cache/", second.stderr
    )
    assert reused and reused[1] == reused[2] and int(reused[1]) > 500, second.stderr
    shutil.rmtree(book.root / ".ormcompare-cache")
    third = book.build(dest="book-cold")
    assert third.ok, third.stderr
    assert "replays reused" not in third.stderr, third.stderr
    for page in (book.root / "book").glob("*.html"):
        for again in ("book-again", "book-cold"):
            assert page.read_bytes() == (book.root / again / page.name).read_bytes(), page.name


def test_a_refusal_shown_on_purpose_renders_sqlites_words(tmp_path: Path) -> None:
    html = BookCopy(tmp_path, with_python=False).page_of(
        "refusal.md",
        "# Refusal\n\n```sql run fails\n"
        "SELECT name FROM customers JOIN LATERAL (SELECT 1) AS l;\n```\n",
    )
    assert re.search(r">Refused by the database</span> [^<]*syntax error", html)


def _sections(markdown: str, snippet_id: str) -> dict[str, str]:
    """The code of each section of one comparison block, by kind, as the chapter has it."""
    block = re.search(
        rf"^```compare [^\n]*\bid={snippet_id}(?![\w-])[^\n]*\n(.*?)^```$", markdown, re.M | re.S
    )
    assert block, snippet_id
    parts = re.split(r"^--- (\S+)[^\n]*\n", block.group(1), flags=re.M)[1:]
    return {kind: code.rstrip("\n") for kind, code in zip(parts[::2], parts[1::2], strict=True)}


def _rosetta_rows(html: str) -> dict[str, tuple[str, list[str]]]:
    """Each row of the appendix: its id, its link and the code of its cells, unescaped."""
    rows = {}
    for snippet_id, href, cells in re.findall(
        r'<tr id="rosetta-([a-z0-9-]+)">\s*<th scope="row"><a href="([^"]+)">.*?</th>(.*?)</tr>',
        html,
        flags=re.S,
    ):
        code = re.findall(r'<code class="language-python">(.*?)</code>', cells, flags=re.S)
        rows[snippet_id] = (href, [unescape(c) for c in code])
    return rows


def test_the_rosetta_appendix_shows_each_comparisons_own_code(book: BookCopy) -> None:
    rows = _rosetta_rows(book.html("rosetta.html"))
    appendix = (REPO_ROOT / "src" / "rosetta.md").read_text(encoding="utf-8")
    block = appendix[appendix.index("```rosetta") :]
    listed = re.findall(r"^([a-z0-9-]+)\s", block[: block.index("\n```")], re.M)
    assert list(rows) == listed and len(rows) >= 30
    for snippet_id, (href, (django, sqlalchemy)) in rows.items():
        page, _, anchor = href.partition("#")
        assert anchor == f"cmp-{snippet_id}"
        assert f'id="{anchor}"' in book.html(page), f"{href} leads nowhere"
        chapter = (REPO_ROOT / "src" / page).with_suffix(".md").read_text(encoding="utf-8")
        sections = _sections(chapter, snippet_id)
        assert django == sections["django"]
        # The right-hand cell is the `sqlalchemy` section, or `sqlalchemy-async` without one.
        assert sqlalchemy == sections.get("sqlalchemy", sections.get("sqlalchemy-async"))


def _rosetta_badges(html: str) -> dict[str, list[str]]:
    """The badges of each row of the appendix, by comparison id, as text."""
    return {
        snippet_id: [
            unescape(re.sub(r"<[^>]+>", "", badge))
            for badge in re.findall(r'<span class="ormc-badge"[^>]*>(.*?)</span></td>', cells)
        ]
        for snippet_id, cells in re.findall(
            r'<tr id="rosetta-([a-z0-9-]+)">(.*?)</tr>', html, flags=re.S
        )
    }


LABELS = {"sqlite": "SQLite", "postgresql": "PostgreSQL"}


def test_a_rosetta_badge_names_postgresql_where_the_code_did_otherwise_there(
    book: BookCopy,
) -> None:
    captures = REPO_ROOT / "snippets" / "captures"
    differing = 0
    for snippet_id, badges in _rosetta_badges(book.html("rosetta.html")).items():
        on = {
            database: json.loads(
                (captures / f"current-{database}" / f"{snippet_id}.json").read_text("utf-8")
            )["sections"]
            for database in ("sqlite", "postgresql")
            if (captures / f"current-{database}" / f"{snippet_id}.json").is_file()
        }
        if len(on) == 1:
            # A `db=` block: the badge names the one database it ran on.
            (database,) = on
            assert all(b.endswith(f" · {LABELS[database]} only") for b in badges), badges
            continue
        kinds = [section["kind"] for section in on["sqlite"]]
        right = "sqlalchemy" if "sqlalchemy" in kinds else "sqlalchemy-async"
        for kind, badge in zip(["django", right], badges, strict=True):
            sqlite = on["sqlite"][kinds.index(kind)]
            postgresql = on["postgresql"][kinds.index(kind)]
            raised = [(s["error"] or {}).get("type") for s in (sqlite, postgresql)]
            counts = [s["query_count"] for s in (sqlite, postgresql)]
            assert badge.startswith(f"{counts[0]} quer"), (snippet_id, badge)
            if counts[0] == counts[1] and raised[0] == raised[1]:
                assert "PostgreSQL" not in badge, (snippet_id, badge)
                continue
            differing += 1
            there = badge.partition(" · PostgreSQL: ")[2]
            assert there, (snippet_id, badge)
            if counts[0] != counts[1]:
                assert there.startswith(f"{counts[1]} quer"), (snippet_id, badge)
            if raised[0] != raised[1]:
                assert there.endswith(f"raises {raised[1] or 'nothing'}"), (snippet_id, badge)
    # The captures hold rows that differ on PostgreSQL: the test sees some.
    assert differing > 0


def test_changing_a_snippet_changes_its_rosetta_row(tmp_path: Path) -> None:
    book = BookCopy(tmp_path, with_python=True)
    chapter = (
        "# Drift\n\n```compare id=drift-count same-rows\n"
        "--- django\nCustomer.objects.count()\n"
        "--- sqlalchemy\nfrom sqlalchemy import func\n\n"
        "session.scalar(select(func.count()).select_from(Customer))\n```\n"
    )
    book.write_chapter("drift.md", chapter)
    book.write_chapter(
        "appendix.md", "# Appendix\n\n```rosetta\n## Counting\ndrift-count  Count\n```\n"
    )
    assert book.build().ok
    before = book.html("appendix.html")
    assert "Customer.objects.count()" in before
    assert ">1 query</span>" in before

    # Two queries now: the row follows the code and its new capture.
    book.edit(
        "src/drift.md",
        "Customer.objects.count()",
        "Customer.objects.exists() and Customer.objects.count()",
    )
    build = book.build()
    assert build.ok, build.stderr
    after = book.html("appendix.html")
    assert "Customer.objects.exists() and Customer.objects.count()" in after
    assert ">2 queries</span>" in after
    assert '<a href="drift.html#cmp-drift-count">Count</a>' in after
