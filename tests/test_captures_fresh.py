"""Captures are a lockfile: re-capturing an unchanged tree changes no byte."""

from __future__ import annotations

import subprocess

import pytest

from bookcopy import PREPROCESSOR, REPO_ROOT, BookCopy


def test_committed_captures_are_fresh_and_complete() -> None:
    done = subprocess.run(
        [str(PREPROCESSOR), "capture", "--check", "--book", str(REPO_ROOT)],
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stderr


def test_recapturing_everything_reproduces_every_byte(tmp_path: pytest.TempPathFactory) -> None:
    copy = BookCopy(tmp_path, with_python=True)
    done = copy.capture("--all")
    assert done.returncode == 0, done.stderr
    # Every target's folder: snippets/captures/<stack>-<database>/<id>.json.
    committed_dir = REPO_ROOT / "snippets" / "captures"
    fresh_dir = copy.root / "snippets" / "captures"
    committed = sorted(p.relative_to(committed_dir) for p in committed_dir.glob("*/*.json"))
    fresh = sorted(p.relative_to(fresh_dir) for p in fresh_dir.glob("*/*.json"))
    assert {p.parent.name for p in committed} == {
        "current-sqlite",
        "current-postgresql",
        "lts-sqlite",
        "lts-postgresql",
    }
    assert fresh == committed
    changed = [
        str(p)
        for p in committed
        if (committed_dir / p).read_bytes() != (fresh_dir / p).read_bytes()
    ]
    assert not changed, f"re-capturing changed {changed}: run scripts/capture and commit"


def test_an_edited_snippet_is_stale_until_recaptured(tmp_path: pytest.TempPathFactory) -> None:
    copy = BookCopy(tmp_path, with_python=True)
    copy.edit("src/how-to-read.md", 'filter(city="London")', 'filter(city="Boston")')
    check = copy.capture("--check")
    assert check.returncode != 0
    assert "is stale" in check.stderr and "read-first-look" in check.stderr
    assert copy.capture().returncode == 0
    assert copy.capture("--check").returncode == 0
    assert (
        "Boston"
        in (copy.root / "snippets/captures/current-sqlite/read-first-look.json").read_text()
    )


def test_capture_can_keep_to_one_target(tmp_path: pytest.TempPathFactory) -> None:
    copy = BookCopy(tmp_path, with_python=True)
    copy.edit("src/how-to-read.md", 'filter(city="London")', 'filter(city="Boston")')
    assert copy.capture("--target", "lts-sqlite").returncode == 0
    captures = copy.root / "snippets" / "captures"
    assert "Boston" in (captures / "lts-sqlite" / "read-first-look.json").read_text()
    assert "Boston" not in (captures / "current-sqlite" / "read-first-look.json").read_text()
    check = copy.capture("--check")
    assert check.returncode != 0 and "current releases on SQLite" in check.stderr
    unknown = copy.capture("--target", "lts")
    assert unknown.returncode != 0
    assert (
        "there is no capture target `lts`; the targets are current-sqlite, current-postgresql, "
        "lts-sqlite, lts-postgresql" in unknown.stderr
    )


def test_nine_in_ten_comparisons_are_captured_on_both_databases() -> None:
    captures = REPO_ROOT / "snippets" / "captures"
    on = {
        database: {p.stem for p in (captures / f"current-{database}").glob("*.json")}
        for database in ("sqlite", "postgresql")
    }
    every = on["sqlite"] | on["postgresql"]
    both = on["sqlite"] & on["postgresql"]
    assert len(both) >= 0.9 * len(every), f"{len(both)} of {len(every)} on both databases"
    # Each stack covers the same comparisons on each database.
    for database, ids in on.items():
        lts = {p.stem for p in (captures / f"lts-{database}").glob("*.json")}
        assert lts == ids, database
