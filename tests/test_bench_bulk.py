"""The bulk-loading benchmark (scripts/bench-bulk) loads every row with every approach
and writes the results file that the chapter's chart reads."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from bookcopy import REPO_ROOT

BENCHMARKS = REPO_ROOT / "snippets" / "benchmarks"
MODULE = BENCHMARKS / "bulk_loading.py"
COMMITTED = BENCHMARKS / "bulk-loading.json"

APPROACHES = [
    "django-save-loop",
    "django-bulk-create",
    "sqlalchemy-add-all",
    "sqlalchemy-orm-bulk-insert",
    "sqlalchemy-core-insert",
    "sqlite3-executemany",
]


def run_python(code: str) -> subprocess.CompletedProcess[str]:
    """Runs code in a fresh interpreter (the benchmark configures Django for itself)."""
    return subprocess.run(
        [sys.executable, "-c", code],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )


def check_results(results: dict[str, Any], rows: int, repeats: int) -> None:
    assert results["rows"] == rows
    assert results["repeats"] == repeats
    assert results["command"] == f"scripts/bench-bulk --rows {rows} --repeats {repeats}"
    assert set(results["machine"]) == {"platform", "cpu", "cores"}
    assert results["machine"]["cores"] >= 1
    assert set(results["versions"]) == {"python", "sqlite", "django", "sqlalchemy"}
    assert results["baseline"] == "sqlite3-executemany"
    assert [a["key"] for a in results["approaches"]] == APPROACHES
    for approach in results["approaches"]:
        assert approach["rows_loaded"] == rows, approach["key"]
        assert len(approach["runs_seconds"]) == repeats
        assert approach["median_seconds"] > 0
        median = approach["median_seconds"]
        expected = rows / median
        # The median is rounded to a microsecond: half of one is the error it may carry.
        assert approach["rows_per_second"] == pytest.approx(expected, rel=1e-3 + 0.5e-6 / median)
    baseline = results["approaches"][-1]
    assert baseline["time_vs_baseline"] == 1.0


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


def test_the_committed_results_are_complete() -> None:
    results = json.loads(COMMITTED.read_text(encoding="utf-8"))
    check_results(results, rows=results["rows"], repeats=results["repeats"])
    assert results["rows"] >= 10_000, "the committed figures come from a real run"


def test_the_chapter_quotes_the_committed_figures() -> None:
    results = json.loads(COMMITTED.read_text(encoding="utf-8"))
    chapter = (REPO_ROOT / "src" / "bulk-loading.md").read_text(encoding="utf-8")
    missing = [
        f"{approach['key']}: {approach['rows_per_second']:,}"
        for approach in results["approaches"]
        if f"{approach['rows_per_second']:,}" not in chapter
    ]
    assert not missing, f"rerun figures not updated in src/bulk-loading.md: {missing}"
