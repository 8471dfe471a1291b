"""Every class of bad input stops the build with `path:line: what, and what to do`."""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from bookcopy import BookCopy

FIRST_LOOK = """```compare id=read-first-look same-rows"""


@pytest.fixture
def book(tmp_path) -> BookCopy:
    return BookCopy(tmp_path, with_python=False)


def sealed(capture: dict[str, Any]) -> str:
    """A capture's file as the preprocessor writes one (`Capture::seal`): its checksum,
    the last member, is the SHA-256 of the text before it. A capture written so is
    wrong, not edited: what a faulty runner would hand over, which the build's own
    checks must still catch."""
    member = ',\n  "checksum": "'
    unsealed = json.dumps({**capture, "checksum": ""}, indent=2) + "\n"
    content = unsealed[: unsealed.rindex(member)]
    return (
        json.dumps({**capture, "checksum": hashlib.sha256(content.encode()).hexdigest()}, indent=2)
        + "\n"
    )


def fails_with(book: BookCopy, pattern: str) -> str:
    build = book.build()
    assert not build.ok, "the build should have failed"
    assert re.search(pattern, build.stderr), build.stderr
    assert "panicked" not in build.stderr
    return build.stderr


@pytest.mark.parametrize(
    ("chapter", "pattern"),
    [
        pytest.param(
            "# Bad\n\n```compare\n--- django\nCustomer.objects.count()\n```\n",
            r"src/bad\.md:3: a `compare` block needs an id",
            id="malformed-block-no-id",
        ),
        pytest.param(
            "# Bad\n\n```compare id=bad-x\nCustomer.objects.count()\n--- django\nx\n```\n",
            r"src/bad\.md:4: code before the first section",
            id="malformed-block-code-first",
        ),
        pytest.param(
            "# Bad\n\n```compare id=bad-x colour=red\n--- django\nx\n```\n",
            r"src/bad\.md:3: unknown option `colour` on a `compare` block; "
            r"known options: id, same-rows",
            id="unknown-option",
        ),
        pytest.param(
            "# Bad\n\n\n```compare id=bad-x\n--- django queries=1\nx\n--- sqlalchmey\ny\n```\n",
            r"src/bad\.md:7: unknown section `sqlalchmey`; known sections: django, sqlalchemy",
            id="unknown-section",
        ),
        pytest.param(
            "# Bad\n\n```sql run\nSELECT nope FROM customers;\n```\n",
            r"src/bad\.md:3: the SQL failed: no such column: nope",
            id="sql-fails",
        ),
        pytest.param(
            "# Bad\n\n```sql run\nWITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n)\n"
            "SELECT count(*) FROM n;\n```\n",
            r"src/bad\.md:3: the SQL failed: interrupted after \d+ SQLite steps",
            id="runaway-query",
        ),
        pytest.param(
            "# Bad\n\n```sql run rows=3\nSELECT * FROM customers;\n```\n",
            r"src/bad\.md:3: `rows=3` but the last statement .* returned 12 rows",
            id="sql-row-assertion",
        ),
        pytest.param(
            "# Bad\n\n```sql run fails\nSELECT count(*) FROM customers;\n```\n",
            r"src/bad\.md:3: the block says `fails` but the database ran its SQL",
            id="sql-fails-but-ran",
        ),
        pytest.param(
            "# Bad\n\n```compare id=bad-new\n--- django\nCustomer.objects.count()\n```\n",
            r"src/bad\.md:3: the capture of `bad-new` with the current releases on SQLite "
            r"\(snippets/captures/current-sqlite/bad-new\.json\) does not exist yet; "
            r"run `scripts/capture`",
            id="missing-capture",
        ),
        pytest.param(
            f"# Bad\n\n{FIRST_LOOK}\n--- django\nx\n--- sqlalchemy\ny\n```\n",
            r"src/bad\.md:3: duplicate id `read-first-look`: src/how-to-read\.md:\d+ uses it",
            id="duplicate-id",
        ),
        pytest.param(
            "# Bad\n\n```rosetta\n## Filtering\nfilter-nope  Filter by nothing\n```\n",
            r"src/bad\.md:5: no `compare` block has the id `filter-nope`",
            id="rosetta-unknown-id",
        ),
        pytest.param(
            "# Bad\n\n```rosetta\n## Filtering\nFilter by city  read-first-look\n```\n",
            r"src/bad\.md:5: `Filter by city  read-first-look`: a row is the id of a `compare` "
            r"block, then the operation's title",
            id="rosetta-malformed-line",
        ),
        pytest.param(
            "# Bad\n\n```rosetta\n## Filtering\nread-first-look  One\n\n"
            "read-first-look  Two\n```\n",
            r"src/bad\.md:7: `read-first-look` already has a row \(line 5\); keep one",
            id="rosetta-duplicate-row",
        ),
        pytest.param(
            "# Bad\n\n```rosetta\nread-first-look  One\n```\n",
            r"src/bad\.md:4: a row before the first group",
            id="rosetta-row-before-group",
        ),
        pytest.param(
            "# Bad\n\n```bench-chart\n```\n",
            r"src/bad\.md:3: a `bench-chart` block needs the results file: ```bench-chart "
            r"file=benchmarks/NAME\.json",
            id="chart-without-file",
        ),
        pytest.param(
            "# Bad\n\n```bench-chart file=benchmarks/bulk-loading.json colour=red\n```\n",
            r"src/bad\.md:3: unknown option `colour` on a `bench-chart` block; known options: file",
            id="chart-unknown-option",
        ),
        pytest.param(
            "# Bad\n\n```bench-chart file=benchmarks/nothing.json\n```\n",
            r"src/bad\.md:3: `snippets/benchmarks/nothing\.json`: cannot read it \(.*\); check "
            r"`file=` \(relative to the snippets folder\)",
            id="chart-missing-file",
        ),
        pytest.param(
            "# Bad\n\n```bench-chart file=../book.toml\n```\n",
            r"src/bad\.md:3: `file=\.\./book\.toml` must be a path inside the snippets folder",
            id="chart-file-outside-snippets",
        ),
        pytest.param(
            "# Bad\n\n- a list\n\n  ```sql run\n  SELECT 1;\n  ```\n",
            r"src/bad\.md:5: a `sql` block must stand at the top level",
            id="nested-block",
        ),
    ],
)
def test_bad_chapter_stops_the_build(book: BookCopy, chapter: str, pattern: str) -> None:
    book.write_chapter("bad.md", chapter)
    fails_with(book, pattern)


@pytest.mark.parametrize(
    ("results", "pattern"),
    [
        pytest.param("{", r"it is not a results file: EOF while parsing", id="bad-json"),
        pytest.param(
            '{"title": "t"}',
            r"it is not a results file: missing field `command`",
            id="missing-field",
        ),
    ],
)
def test_bad_results_file_stops_the_build(book: BookCopy, results: str, pattern: str) -> None:
    (book.root / "snippets/benchmarks/bad.json").write_text(results, encoding="utf-8")
    book.write_chapter("bad.md", "# Bad\n\n\n```bench-chart file=benchmarks/bad.json\n```\n")
    fails_with(book, r"src/bad\.md:4: `snippets/benchmarks/bad\.json`: " + pattern)


def test_a_chart_shows_the_committed_figures(book: BookCopy) -> None:
    html = book.page_of(
        "chart.md", "# Chart\n\n```bench-chart file=benchmarks/bulk-loading.json\n```\n"
    )
    assert '<figure class="ormc-chart" id="ormc-chart-3">' in html
    assert 'role="img" aria-labelledby="ormc-chart-3-title ormc-chart-3-desc"' in html
    assert html.count('<rect class="ormc-chart-bar"') == 6
    assert "<code>snippets/benchmarks/bulk-loading.json</code>" in html


def test_stale_capture_names_the_snippet_and_the_command(book: BookCopy) -> None:
    book.edit("src/how-to-read.md", 'filter(city="London")', 'filter(city="Boston")')
    fails_with(
        book,
        r"src/how-to-read\.md:\d+: the capture of `read-first-look` with the current releases on "
        r"SQLite \(snippets/captures/current-sqlite/read-first-look\.json\) is stale: .*; "
        r"run `scripts/capture`",
    )


def test_stale_inputs_outside_the_chapter_count_too(book: BookCopy) -> None:
    book.edit("snippets/fixtures.sql", "'Ada Lovelace'", "'Ada King'")
    fails_with(book, r"the capture of `read-first-look` with the .* is stale")


def test_failed_query_count_assertion(book: BookCopy) -> None:
    text = (book.root / "src/how-to-read.md").read_text(encoding="utf-8")
    line = text.splitlines().index(
        next(x for x in text.splitlines() if x.startswith("--- django queries=1"))
    )
    book.edit("src/how-to-read.md", "--- django queries=1", "--- django queries=2")
    fails_with(
        book,
        rf"src/how-to-read\.md:{line + 1}: `read-first-look`: the `django` section sent 1 query "
        r"but the block says `queries=2`",
    )


def test_failed_same_rows_assertion_with_recapture(tmp_path) -> None:
    book = BookCopy(tmp_path, with_python=True)
    book.write_chapter(
        "bad.md",
        "# Bad\n\n```compare id=bad-rows same-rows\n"
        "--- django\nlist(Customer.objects.order_by('id').values_list('id', flat=True)[:2])\n"
        "--- sqlalchemy\n"
        "session.scalars(select(Customer.id).order_by(Customer.id).limit(3)).all()\n"
        "```\n",
    )
    fails_with(book, r"src/bad\.md:6: `bad-rows`: `same-rows`: the `sqlalchemy` section's result")
    # The build captured the new snippet with the real ORMs on its way.
    assert (book.root / "snippets/captures/current-sqlite/bad-rows.json").is_file()


def test_an_exception_in_a_snippet_points_at_its_line(tmp_path) -> None:
    book = BookCopy(tmp_path, with_python=True)
    book.write_chapter(
        "bad.md",
        "# Bad\n\n```compare id=bad-raise\n--- django\nx = 1\nCustomer.objects.get(id=999)\n```\n",
    )
    fails_with(
        book,
        r"src/bad\.md:6: `bad-raise`: the `django` section raised DoesNotExist: .*"
        r"add `raises=DoesNotExist`",
    )


def test_an_edited_capture_is_caught_and_named_with_what_to_run(book: BookCopy) -> None:
    book.edit(
        "snippets/captures/current-sqlite/read-first-look.json", '"Ada Lovelace"', '"Ada King"'
    )
    fails_with(
        book,
        r"src/how-to-read\.md:\d+: the capture of `read-first-look` with the current releases on "
        r"SQLite \(snippets/captures/current-sqlite/read-first-look\.json\) was changed after it "
        r"was made \(its checksum does not match\); run `scripts/capture`",
    )


def test_unknown_setting_in_book_toml(book: BookCopy) -> None:
    book.edit("book.toml", 'renderers = ["html"]', 'renderers = ["html"]\nmax-row = 3')
    fails_with(book, r"book\.toml:1: \[preprocessor\.ormcompare\]: .*unknown field `max-row`")


def test_huge_results_are_cut_with_a_count(book: BookCopy) -> None:
    html = book.page_of(
        "big.md",
        "# Big\n\n```sql run rows=5000\nWITH RECURSIVE n(i) AS (SELECT 1 UNION ALL "
        "SELECT i + 1 FROM n WHERE i < 5000) SELECT i FROM n;\n```\n",
    )
    assert "4988 more rows not shown (5000 in all)" in html
    assert html.count("<tr>") < 20


def test_a_rosetta_row_needs_both_sides(tmp_path) -> None:
    book = BookCopy(tmp_path, with_python=True)
    book.write_chapter(
        "bad.md",
        "# Bad\n\n```compare id=bad-one-side\n--- django\nCustomer.objects.count()\n```\n\n"
        "```rosetta\n## Counting\nbad-one-side  Count customers\n```\n",
    )
    fails_with(
        book,
        r"src/bad\.md:10: `bad-one-side` \(src/bad\.md:3\) has no `sqlalchemy` "
        r"\(or `sqlalchemy-async`\) section, and a row shows both sides",
    )


# -- Issue 11: a snippet cannot hang, exhaust or change the build; captures are
# -- checked, not trusted. One test per defect the probe found.

SQL_BLOCK_DEFECTS = [
    pytest.param(
        "```sql run\nATTACH DATABASE '{tmp}/x.db' AS x;\nCREATE TABLE x.t(a);\n```\n",
        r"src/bad\.md:3: the SQL failed: not authorized: SQL in this book may not reach files",
        id="10-attach",
    ),
    pytest.param(
        "```sql run\nVACUUM INTO '{tmp}/y.db';\n```\n",
        r"src/bad\.md:3: the SQL failed: not authorized",
        id="10-vacuum-into",
    ),
    pytest.param(
        "```sql run\nSELECT length(zeroblob(200000000));\n```\n",
        r"src/bad\.md:3: the SQL failed: string or blob too big",
        id="9-zeroblob",
    ),
    pytest.param(
        "```sql run\nSELECT random();\n```\n",
        r"src/bad\.md:3: the statement cannot give the same result twice: it calls "
        r"`random\(\)`",
        id="13-random",
    ),
    pytest.param(
        "```sql run\nSELECT datetime('now');\n```\n",
        r"src/bad\.md:3: the statement cannot give the same result twice: it calls "
        r"`datetime\(\)` on the current time",
        id="13-clock",
    ),
    pytest.param(
        "```sql run\n-- only a comment\n```\n",
        r"src/bad\.md:3: the block holds no SQL statement, only comments",
        id="15-comment-only",
    ),
    pytest.param(
        "```sql run fails\nSELECT nope FROM customers;\nSELECT 1;\n```\n",
        r"src/bad\.md:3: statement 1 \(`SELECT nope FROM customers;`\) is refused .* later "
        r"statements of the block would never run",
        id="15-fails-not-last",
    ),
    pytest.param(
        "```compare id=bad-x\n--- django\nprint('''\n--- not a section\n''')\n```\n",
        r"src/bad\.md:6: this `---` line is inside the string that opens at line 5",
        id="14-dashes-in-string",
    ),
    pytest.param(
        "```compare id=bad-x\n--- django\nx = 1\n--- not a section\n```\n",
        r"src/bad\.md:6: unknown section `not`; .*written `\\---`",
        id="14-dashes-unknown",
    ),
    pytest.param(
        "```python\nx = 1\n\nProse.\n\n```compare id=bad-x\n--- django\nx\n```\n",
        r"src/bad\.md:3: this ```python block is not closed before the `compare` block at line 8",
        id="15-unclosed-python",
    ),
    pytest.param(
        "```compare id=bad-x\n--- django\nx = 1\n\nProse that follows.\n",
        r"src/bad\.md:3: this `compare` block is never closed",
        id="15-unclosed-compare",
    ),
    pytest.param(
        "```compare id=bad-x\n--- django queries=123456789012345678901\nx\n```\n",
        r"src/bad\.md:4: option `queries=123456789012345678901` is too large",
        id="15-huge-number",
    ),
    pytest.param(
        "```compare id=" + "a" * 300 + "\n--- django\nx\n```\n",
        r"src/bad\.md:3: id `a{20}…` is 300 characters long; keep ids to 64",
        id="15-long-id",
    ),
]


@pytest.mark.parametrize(("chapter", "pattern"), SQL_BLOCK_DEFECTS)
def test_issue_11_defects_in_chapters(book: BookCopy, chapter: str, pattern: str) -> None:
    book.write_chapter("bad.md", "# Bad\n\n" + chapter.replace("{tmp}", str(book.root)))
    fails_with(book, pattern)
    assert not (book.root / "x.db").exists() and not (book.root / "y.db").exists()


def test_issue_11_defect_1_an_empty_capture_is_named_not_a_panic(book: BookCopy) -> None:
    capture = book.root / "snippets/captures/current-sqlite/read-first-look.json"
    data = json.loads(capture.read_text(encoding="utf-8"))
    data["sections"] = []
    capture.write_text(sealed(data), encoding="utf-8")
    fails_with(
        book,
        r"src/how-to-read\.md:\d+: the capture of `read-first-look` with the current releases on "
        r"SQLite \(snippets/captures/current-sqlite/read-first-look\.json\) holds the sections "
        r"\[\] but the block has \[django, sqlalchemy\]; run `scripts/capture`",
    )


# `seal`: the edited capture carries a checksum that matches it (a runner's fault, not
# a hand's), so the checks behind the checksum are the ones that must catch it.
@pytest.mark.parametrize(
    ("edit", "seal", "pattern"),
    [
        pytest.param(
            lambda d: d["sections"][1].update(statements=[]),
            True,
            r"says section 2 sent 1 queries but lists 0",
            id="12-emptied-statements",
        ),
        pytest.param(
            lambda d: d["sections"][0]["result"]["rows"][0].__setitem__(1, "Fake"),
            False,
            r"was changed after it was made",
            id="12-edited-result",
        ),
        pytest.param(
            lambda d: d["sections"].pop(),
            True,
            r"holds the sections \[django\] but the block has \[django, sqlalchemy\]",
            id="12-side-deleted",
        ),
        pytest.param(
            lambda d: d["sections"].pop(),
            False,
            r"was changed after it was made",
            id="12-side-deleted-by-hand",
        ),
        pytest.param(
            lambda d: None,
            False,
            r"is not a valid capture \(EOF while parsing",
            id="15-truncated",
        ),
    ],
)
def test_issue_11_defect_12_captures_are_checked_not_trusted(
    book: BookCopy, edit: Callable[[dict[str, Any]], None], seal: bool, pattern: str
) -> None:
    capture = book.root / "snippets/captures/current-sqlite/read-first-look.json"
    text = capture.read_text(encoding="utf-8")
    data = json.loads(text)
    edit(data)
    # An edit that changes nothing stands for a file cut short.
    if data == json.loads(text):
        edited = text[: len(text) // 2]
    else:
        edited = sealed(data) if seal else json.dumps(data, indent=2) + "\n"
    capture.write_text(edited, encoding="utf-8")
    message = fails_with(book, r"the capture of `read-first-look` .*" + pattern)
    assert "run `scripts/capture`" in message
    # `capture --check` finds it too, without building.
    check = book.capture("--check")
    assert check.returncode != 0 and re.search(pattern, check.stderr), check.stderr


def test_issue_11_defect_3_absurd_benchmark_figures_stop_the_build(book: BookCopy) -> None:
    results = book.root / "snippets/benchmarks/bulk-loading.json"
    text = results.read_text(encoding="utf-8")
    results.write_text(
        re.sub(
            r'"rows_per_second": \d+', '"rows_per_second": 1.7976931348623157e308', text, count=1
        ),
        encoding="utf-8",
    )
    fails_with(book, r"`rows_per_second` is 1\.7976931348623157e308, which no measurement gives")


def test_issue_11_defect_7_a_crash_is_blamed_on_its_block_and_the_rest_is_saved(
    tmp_path: Path,
) -> None:
    book = BookCopy(tmp_path, with_python=True)
    book.write_chapter(
        "bad.md",
        "# Bad\n\n```compare id=bad-harmless\n--- django\nCustomer.objects.count()\n```\n\n"
        "```compare id=bad-crash\n--- django\nimport os\nos._exit(1)\n```\n",
    )
    message = fails_with(book, r"src/bad\.md:9: `bad-crash`, section `django`: ProcessExited")
    assert "bad-harmless" not in message
    assert (book.root / "snippets/captures/current-sqlite/bad-harmless.json").is_file()
    assert not (book.root / "snippets/captures/current-sqlite/bad-crash.json").exists()


def test_issue_11_defect_8_a_snippet_that_changes_the_book_fails(tmp_path: Path) -> None:
    book = BookCopy(tmp_path, with_python=True)
    fixtures = book.root / "snippets/fixtures.sql"
    book.write_chapter(
        "bad.md",
        "# Bad\n\n```compare id=bad-writer\n--- django\n"
        f"with open({str(fixtures)!r}, 'a') as f:\n    f.write('-- appended\\n')\n```\n",
    )
    fails_with(
        book, r"src/bad\.md:4: `bad-writer`, section `django`: RepositoryChanged: .*fixtures\.sql"
    )
