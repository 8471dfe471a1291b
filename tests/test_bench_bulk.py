"""The bulk-loading benchmark (scripts/bench-bulk) loads every row with every approach,
on SQLite and on PostgreSQL, and writes the results files that the chapter's charts read."""

from __future__ import annotations

import json
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from bookcopy import REPO_ROOT, BookCopy

BENCHMARKS = REPO_ROOT / "snippets" / "benchmarks"
MODULE = BENCHMARKS / "bulk_loading.py"
COMMITTED = BENCHMARKS / "bulk-loading.json"
COMMITTED_POSTGRESQL = BENCHMARKS / "bulk-loading-postgresql.json"

ORM_APPROACHES = [
    "django-save-loop",
    "django-bulk-create",
    "sqlalchemy-add-all",
    "sqlalchemy-orm-bulk-insert",
    "sqlalchemy-core-insert",
]
APPROACHES = [*ORM_APPROACHES, "sqlite3-executemany"]
POSTGRESQL_APPROACHES = [*ORM_APPROACHES, "psycopg-executemany", "psycopg-copy"]


@dataclass(frozen=True)
class Expected:
    """What a results file of one database holds."""

    database: str
    committed: Path
    approaches: list[str]
    baseline: str
    versions: set[str]
    command: str  # with {rows} and {repeats}
    clock: str  # how the setup sentence names the clock


SQLITE = Expected(
    "sqlite",
    COMMITTED,
    APPROACHES,
    "sqlite3-executemany",
    {"python", "sqlite", "django", "sqlalchemy"},
    "scripts/bench-bulk --rows {rows} --repeats {repeats}",
    "the process's CPU time",
)
POSTGRESQL = Expected(
    "postgresql",
    COMMITTED_POSTGRESQL,
    POSTGRESQL_APPROACHES,
    "psycopg-executemany",
    {"python", "postgresql", "psycopg", "django", "sqlalchemy"},
    "scripts/bench-bulk --database postgresql --rows {rows} --repeats {repeats}",
    "wall time",
)


def run_python(code: str) -> subprocess.CompletedProcess[str]:
    """Runs code in a fresh interpreter (the benchmark configures Django for itself)."""
    return subprocess.run(
        [sys.executable, "-c", code],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )


def check_results(
    results: dict[str, Any], rows: int, repeats: int, expected: Expected = SQLITE
) -> None:
    assert results["rows"] == rows
    assert results["repeats"] == repeats
    assert results["command"] == expected.command.format(rows=rows, repeats=repeats)
    assert expected.clock in results["setup"]
    assert set(results["machine"]) == {"platform", "cpu", "cores"}
    assert results["machine"]["cores"] >= 1
    assert set(results["versions"]) == expected.versions
    assert results["baseline"] == expected.baseline
    assert [a["key"] for a in results["approaches"]] == expected.approaches
    for approach in results["approaches"]:
        assert approach["rows_loaded"] == rows, approach["key"]
        assert len(approach["runs_seconds"]) == repeats
        assert approach["median_seconds"] > 0
        median = approach["median_seconds"]
        implied = rows / median
        # The median is rounded to a microsecond: half of one is the error it may carry.
        assert approach["rows_per_second"] == pytest.approx(implied, rel=1e-3 + 0.5e-6 / median)
    (baseline,) = [a for a in results["approaches"] if a["key"] == expected.baseline]
    assert baseline["time_vs_baseline"] == 1.0
    for approach in results["approaches"]:
        median, base = approach["median_seconds"], baseline["median_seconds"]
        # Rounded to two decimals, from medians that were rounded to a microsecond.
        rounding = 0.5e-6 / median + 0.5e-6 / base
        ratio = median / base
        assert abs(approach["time_vs_baseline"] - ratio) <= 0.005 + ratio * rounding * 1.01


def test_a_tiny_run_loads_every_row_and_counts_the_statements(tmp_path: Path) -> None:
    output = tmp_path / "results.json"
    done = subprocess.run(
        [sys.executable, str(MODULE), "--rows", "40", "--repeats", "1", "--output", str(output)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    results = json.loads(output.read_text(encoding="utf-8"))
    check_results(results, rows=40, repeats=1)
    statements = {a["key"]: a["statements"] for a in results["approaches"]}
    # One INSERT per object for save() and, on SQLite, for the unit of work; one
    # multi-row INSERT for bulk_create (40 rows fit in one); one executemany() for the rest.
    assert statements == {
        "django-save-loop": 40,
        "django-bulk-create": 1,
        "sqlalchemy-add-all": 40,
        "sqlalchemy-orm-bulk-insert": 1,
        "sqlalchemy-core-insert": 1,
        "sqlite3-executemany": 1,
    }


def test_a_load_that_loses_a_row_stops_the_benchmark(tmp_path: Path) -> None:
    output = tmp_path / "results.json"
    done = run_python(
        "import dataclasses, sys\n"
        f"sys.path.insert(0, {str(BENCHMARKS)!r})\n"
        "import bulk_loading as b\n"
        "def lossy(connection, rows):\n"
        "    b.sqlite3_executemany(connection, rows[:-1])\n"
        "b.APPROACHES = tuple(\n"
        "    dataclasses.replace(a, load=lossy) if a.key == b.BASELINE else a\n"
        "    for a in b.APPROACHES\n"
        ")\n"
        f"b.main(['--rows', '5', '--repeats', '1', '--output', {str(output)!r}])\n"
    )
    assert done.returncode != 0
    assert "sqlite3-executemany: 4 rows arrived, not 5" in done.stderr
    assert not output.exists()


def test_a_tiny_postgresql_run_loads_every_row_with_every_approach(tmp_path: Path) -> None:
    """On the runner's private server: every approach, the driver's COPY included."""
    output = tmp_path / "results.json"
    command = [sys.executable, str(MODULE), "--database", "postgresql"]
    done = subprocess.run(
        [*command, "--rows", "40", "--repeats", "2", "--output", str(output)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    results = json.loads(output.read_text(encoding="utf-8"))
    check_results(results, rows=40, repeats=2, expected=POSTGRESQL)
    assert results["title"] == "Loading 40 products into PostgreSQL"
    statements = {a["key"]: a["statements"] for a in results["approaches"]}
    # On PostgreSQL the unit of work sends the 40 objects in one INSERT ... RETURNING
    # (SQLAlchemy's insertmanyvalues), and COPY is one statement whatever the rows.
    assert statements == {
        "django-save-loop": 40,
        "django-bulk-create": 1,
        "sqlalchemy-add-all": 1,
        "sqlalchemy-orm-bulk-insert": 1,
        "sqlalchemy-core-insert": 1,
        "psycopg-executemany": 1,
        "psycopg-copy": 1,
    }

    # The build accepts the file and draws every approach.
    book = BookCopy(tmp_path / "book", with_python=False)
    (book.root / "snippets/benchmarks/tiny.json").write_bytes(output.read_bytes())
    html = book.page_of("chart.md", "# Chart\n\n```bench-chart file=benchmarks/tiny.json\n```\n")
    assert html.count('<rect class="ormc-chart-bar"') == len(POSTGRESQL_APPROACHES)
    assert html.count('data-library="psycopg"') == 2
    assert "times are compared with psycopg: executemany() (the raw driver)." in html
    assert "wall time from a list of dicts to the commit" in html


def test_a_postgresql_load_that_loses_a_row_stops_the_benchmark(tmp_path: Path) -> None:
    output = tmp_path / "results.json"
    done = run_python(
        "import dataclasses, sys\n"
        f"sys.path.insert(0, {str(BENCHMARKS)!r})\n"
        "import bulk_loading as b\n"
        "def lossy(connection, rows):\n"
        "    b.psycopg_copy(connection, rows[:-1])\n"
        "b.POSTGRESQL_APPROACHES = tuple(\n"
        "    dataclasses.replace(a, load=lossy) if a.key == 'psycopg-copy' else a\n"
        "    for a in b.POSTGRESQL_APPROACHES\n"
        ")\n"
        "b.main(['--database', 'postgresql', '--rows', '5', '--repeats', '1',\n"
        f"        '--output', {str(output)!r}])\n"
    )
    assert done.returncode != 0
    assert "psycopg-copy: 4 rows arrived, not 5" in done.stderr
    assert not output.exists()


@pytest.mark.parametrize("expected", [SQLITE, POSTGRESQL], ids=lambda e: e.database)
def test_the_committed_results_are_complete(expected: Expected) -> None:
    results = json.loads(expected.committed.read_text(encoding="utf-8"))
    check_results(results, rows=results["rows"], repeats=results["repeats"], expected=expected)
    assert results["rows"] >= 10_000, "the committed figures come from a real run"


@pytest.mark.parametrize("expected", [SQLITE, POSTGRESQL], ids=lambda e: e.database)
def test_the_chapter_quotes_the_committed_figures(expected: Expected) -> None:
    results = json.loads(expected.committed.read_text(encoding="utf-8"))
    chapter = (REPO_ROOT / "src" / "bulk-loading.md").read_text(encoding="utf-8")
    assert f"```bench-chart file=benchmarks/{expected.committed.name}\n" in chapter
    missing = [
        f"{approach['key']}: {approach['rows_per_second']:,}"
        for approach in results["approaches"]
        if f"{approach['rows_per_second']:,}" not in chapter
    ]
    assert not missing, f"rerun figures not updated in src/bulk-loading.md: {missing}"
