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
    committed = sorted((REPO_ROOT / "snippets" / "captures").glob("*.json"))
    fresh = sorted((copy.root / "snippets" / "captures").glob("*.json"))
    assert [p.name for p in fresh] == [p.name for p in committed]
    changed = [
        p.name for p, q in zip(committed, fresh, strict=True) if p.read_bytes() != q.read_bytes()
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
    assert "Boston" in (copy.root / "snippets/captures/read-first-look.json").read_text()
