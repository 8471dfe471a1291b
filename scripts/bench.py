"""Benchmarks the book's build-time pipeline; prints ratios measured in one run.

1. `mdbook build` of the book with the preprocessor against the same book with
   the preprocessor's table removed from book.toml (the ratio is the cost of the
   panels), twice: cold (no replay cache, as in a fresh clone, every captured side
   replayed) and warm (the next build, reusing the replays the cold one checked),
   and the floor: the book built with a preprocessor that hands it back unchanged
   (what mdBook spends on any preprocessor);
2. the preprocessor's own work per snippet block, and the time of each of its
   phases (reported by the preprocessor when ORMCOMPARE_TIMING is set, see
   preprocessor/crates/ormcompare/src/timing.rs);
3. a full capture of every snippet under the real ORMs, each section in a process of
   its own (as the book captures), against the same capture with every section in
   the runner's own process (`capture --shared-process`, the way captures ran before
   sections were isolated), alternated in the same run: on the primary target alone
   (one runner, as before there were targets), and on every capture target (each
   stack on each database, a runner per target at once);
4. the capture after one comparison is edited: it is stale on every target, and
   only it is re-captured (targets at once, each a runner of its own).

Usage: scripts/bench [--rounds N] [--capture-rounds N | --no-capture]
(`--no-capture` measures parts 1 and 2 only: the build.)
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))
from bookcopy import MDBOOK, PREPROCESSOR, BookCopy  # noqa: E402

# The replays a build checked, kept for the next one (preprocessor's replay_cache.rs).
REPLAY_CACHE = ".ormcompare-cache"


def timed(args: list[str], cwd: Path, env: dict[str, str] | None = None) -> tuple[float, str]:
    start = time.perf_counter()
    done = subprocess.run(args, cwd=cwd, capture_output=True, text=True, env=env)
    elapsed = time.perf_counter() - start
    if done.returncode != 0:
        sys.exit(f"{' '.join(args)} failed:\n{done.stderr}")
    return elapsed, done.stderr


def without_preprocessor(book: BookCopy) -> None:
    toml = (book.root / "book.toml").read_text(encoding="utf-8")
    # The table runs from its header to the next line that opens a table.
    toml = re.sub(r"^\[preprocessor\.ormcompare\]\n(?:(?!\[).*\n)*", "", toml, flags=re.M)
    assert "[preprocessor" not in toml, toml
    (book.root / "book.toml").write_text(toml, encoding="utf-8")


@dataclass
class Builds:
    """The timings of one way of building the book with the preprocessor."""

    label: str
    times: list[float] = field(default_factory=list)
    own_ms: list[float] = field(default_factory=list)
    phases: dict[str, list[float]] = field(default_factory=dict)
    blocks: int = 0

    def add(self, elapsed: float, stderr: str) -> None:
        self.times.append(elapsed)
        match = re.search(r"ormcompare-timing: (\d+) blocks in ([\d.]+) ms", stderr)
        assert match, stderr
        self.blocks = int(match[1])
        self.own_ms.append(float(match[2]))
        laps = re.search(r"ormcompare-phases: (.*)", stderr)
        assert laps, stderr
        for lap in re.finditer(r"([^,]+) ([\d.]+) ms", laps[1]):
            self.phases.setdefault(lap[1].strip(), []).append(float(lap[2]))

    def report(self, plain_times: list[float]) -> None:
        plain_med = statistics.median(plain_times)
        med, own = statistics.median(self.times), statistics.median(self.own_ms)
        print(f"{self.label}:")
        print(f"  mdbook build with the preprocessor:  {med * 1000:8.1f} ms")
        print(f"  ratio with / without:                {med / plain_med:8.2f}x  (target <= 1.5x)")
        # Each round's builds ran one after the other, so a round's own ratio is
        # measured under one machine state; their spread shows how far the machine's
        # drift moves the ratio.
        ratios = sorted(t / p for t, p in zip(self.times, plain_times, strict=True))
        low, high = ratios[0], ratios[-1]
        if len(ratios) >= 4:
            first, _, third = statistics.quantiles(ratios, n=4)
            spread = f"quartiles {first:.2f}-{third:.2f}x, "
        else:
            spread = ""
        print(f"  the same, round by round:            {spread}range {low:.2f}-{high:.2f}x")
        print(
            f"  preprocessor's own work:             {own:8.1f} ms for {self.blocks} blocks"
            f" = {own / self.blocks:.3f} ms per block (target < 1 ms)"
        )
        # What is left is mdBook itself, reading and indexing the pages with panels.
        rest = (med * 1000 - own) / (plain_med * 1000)
        print(f"  less the preprocessor's own work:    {rest:8.2f}x  (mdBook, pages with panels)")
        # "read" is mostly the wait for mdBook to send the book.
        print(
            "  its phases (ms): "
            + ", ".join(f"{name} {statistics.median(ms):.1f}" for name, ms in self.phases.items())
        )


def bench_build(tmp: Path, rounds: int) -> None:
    """Parts 1 and 2: the build with and without the preprocessor, interleaved; with
    it, cold (no replay cache, as in a fresh clone) and warm (the next build, which
    reuses the replays the cold one checked)."""
    with_pre = BookCopy(tmp / "with", with_python=False)
    plain = BookCopy(tmp / "plain", with_python=False)
    without_preprocessor(plain)
    # The floor: the preprocessor hands the book back unchanged (main.rs), so this
    # is what mdBook spends on any preprocessor, sending the book and reading it back.
    unchanged = BookCopy(tmp / "unchanged", with_python=False)
    unchanged_env = dict(os.environ, ORMCOMPARE_BENCH_UNCHANGED="1")
    cache = with_pre.root / REPLAY_CACHE
    env = dict(os.environ, ORMCOMPARE_TIMING="1")
    build = [str(MDBOOK), "build"]
    timed(build, with_pre.root, env)  # warm the file cache
    timed(build, plain.root)
    timed(build, unchanged.root, unchanged_env)

    # Interleaved, so every variant sees the same machine conditions.
    cold = Builds("cold: no replay cache, every side replayed (a fresh clone, CI)")
    warm = Builds("warm: the next build, replays reused from the cold one's cache")
    plain_times, unchanged_times = [], []
    for _ in range(rounds):
        shutil.rmtree(cache, ignore_errors=True)
        elapsed, stderr = timed(build, with_pre.root, env)
        assert "replays reused" not in stderr, stderr
        cold.add(elapsed, stderr)
        elapsed, stderr = timed(build, with_pre.root, env)
        assert "replays reused" in stderr, stderr
        warm.add(elapsed, stderr)
        plain_times.append(timed(build, plain.root)[0])
        unchanged_times.append(timed(build, unchanged.root, unchanged_env)[0])

    plain_med = statistics.median(plain_times)
    unchanged_med = statistics.median(unchanged_times)
    print(f"rounds: {rounds} (medians)")
    print(f"mdbook build without the preprocessor: {plain_med * 1000:8.1f} ms")
    print(
        f"with a preprocessor that changes nothing: {unchanged_med * 1000:6.1f} ms"
        f" = {unchanged_med / plain_med:.2f}x  (mdBook sending the book and reading it back)"
    )
    cold.report(plain_times)
    warm.report(plain_times)


def bench_capture(tmp: Path, capture_rounds: int) -> None:
    """Parts 3 and 4: full captures, isolated or not, and one edited comparison."""
    capture = BookCopy(tmp / "capture", with_python=True)
    command = [str(PREPROCESSOR), "capture", "--all", "--book", str(capture.root)]
    primary = [*command, "--target", "current-sqlite"]
    isolated, shared, isolated_all, shared_all = [], [], [], []
    stderr = all_stderr = ""
    for _ in range(capture_rounds):
        elapsed, stderr = timed(primary, capture.root)
        isolated.append(elapsed)
        shared.append(timed([*primary, "--shared-process"], capture.root)[0])
        elapsed, all_stderr = timed(command, capture.root)
        isolated_all.append(elapsed)
        shared_all.append(timed([*command, "--shared-process"], capture.root)[0])
    captured = re.search(r"(\d+) captures fresh", stderr)
    captured_all = re.search(r"(\d+) captures fresh", all_stderr)

    # One edited comparison: a comment line that changes its code, and so its
    # input hash on every target.
    chapter = capture.root / "src" / "how-to-read.md"
    text = chapter.read_text(encoding="utf-8")
    marker = "```compare id=read-first-look same-rows\n--- django queries=1 rows=3\n"
    assert marker in text
    edited = []
    for round_ in range(capture_rounds * 2):
        chapter.write_text(text.replace(marker, f"{marker}# edit {round_}\n"), "utf-8")
        elapsed, stderr = timed(
            [str(PREPROCESSOR), "capture", "--book", str(capture.root)], capture.root
        )
        edited.append(elapsed)

    rounds_note = f"medians of {capture_rounds}"
    for title, iso_times, one_times, found in (
        ("the primary target (current-sqlite)", isolated, shared, captured),
        ("every target, a runner per target at once", isolated_all, shared_all, captured_all),
    ):
        iso, one = statistics.median(iso_times), statistics.median(one_times)
        count = found[1] if found else "?"
        print(f"full capture on {title}: {count} captures, {rounds_note}:")
        print(f"  every section in its runner's process (before isolation): {one:6.2f} s")
        print(f"  each section in a process of its own:                     {iso:6.2f} s")
        print(f"  isolated / not isolated:                                  {iso / one:6.2f}x")
    print("  (targets: isolation <= 1.3x on the primary target; every target under 90 s)")
    print(
        f"one edited comparison, re-captured on every target: {statistics.median(edited):6.2f} s"
        f"  (median of {len(edited)}; target under 3 s)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=15)
    parser.add_argument("--capture-rounds", type=int, default=3)
    parser.add_argument(
        "--no-capture", action="store_true", help="measure the build only (parts 1 and 2)"
    )
    arguments = parser.parse_args()
    if arguments.rounds < 1:
        parser.error("--rounds must be at least 1")
    if arguments.capture_rounds < 1 and not arguments.no_capture:
        parser.error(
            "--capture-rounds must be at least 1 (or measure the build only: --no-capture)"
        )
    with tempfile.TemporaryDirectory() as tmp:
        bench_build(Path(tmp), arguments.rounds)
        if not arguments.no_capture:
            bench_capture(Path(tmp), arguments.capture_rounds)


if __name__ == "__main__":
    main()
