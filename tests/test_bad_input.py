"""Every class of bad input stops the build with `path:line: what, and what to do`."""

from __future__ import annotations

import re

import pytest

from bookcopy import BookCopy

FIRST_LOOK = """```compare id=read-first-look same-rows"""


@pytest.fixture
def book(tmp_path) -> BookCopy:
    return BookCopy(tmp_path, with_python=False)


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
            r"src/bad\.md:3: the capture of `bad-new` does not exist yet; run `scripts/capture`",
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
        r"src/how-to-read\.md:\d+: the capture of `read-first-look` is stale: .*; "
        r"run `scripts/capture`",
    )


def test_stale_inputs_outside_the_chapter_count_too(book: BookCopy) -> None:
    book.edit("snippets/fixtures.sql", "'Ada Lovelace'", "'Ada King'")
    fails_with(book, r"the capture of `read-first-look` is stale")


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
    assert (book.root / "snippets/captures/bad-rows.json").is_file()


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
    book.edit("snippets/captures/read-first-look.json", '"Ada Lovelace"', '"Ada King"')
    fails_with(
        book,
        r"src/how-to-read\.md:\d+: the capture of `read-first-look` "
        r"\(snippets/captures/read-first-look\.json\) was changed after it was made \(its "
        r"checksum does not match\); run `scripts/capture`",
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
