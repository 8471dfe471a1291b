"""A throw-away copy of the book, built with the real mdBook and preprocessor.

Tests change the copy (a chapter, a capture, book.toml) and never the repository.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
MDBOOK = REPO_ROOT / ".tools" / "bin" / "mdbook"
PREPROCESSOR = REPO_ROOT / "preprocessor" / "target" / "release" / "mdbook-ormcompare"
VENVS = REPO_ROOT / ".venvs"
# The first stack's environment: the one the tests themselves run in.
VENV_PYTHON = VENVS / "current" / "bin" / "python"

_COPIED = ("book.toml", "src", "snippets", "theme")


@dataclass
class Build:
    returncode: int
    stderr: str

    @property
    def ok(self) -> bool:
        return self.returncode == 0


class BookCopy:
    def __init__(self, root: Path, *, with_python: bool) -> None:
        self.root = root
        root.mkdir(parents=True, exist_ok=True)
        for name in _COPIED:
            source = REPO_ROOT / name
            if source.is_dir():
                shutil.copytree(source, root / name, ignore=shutil.ignore_patterns("__pycache__"))
            else:
                shutil.copy2(source, root / name)
        toml = (root / "book.toml").read_text(encoding="utf-8")
        toml = toml.replace(
            'command = "preprocessor/target/release/mdbook-ormcompare"',
            f'command = "{PREPROCESSOR}"',
        )
        # Without Python a stale capture must stop the build; with it, it is refreshed.
        venvs = VENVS if with_python else root / "no-python-here"
        toml = toml.replace('venvs = ".venvs"', f'venvs = "{venvs}"')
        (root / "book.toml").write_text(toml, encoding="utf-8")

    def write_chapter(self, name: str, text: str) -> None:
        """Adds (or replaces) a chapter and lists it in SUMMARY.md."""
        (self.root / "src" / name).write_text(text, encoding="utf-8")
        summary = self.root / "src" / "SUMMARY.md"
        current = summary.read_text(encoding="utf-8")
        if f"({name})" not in current:
            summary.write_text(current.rstrip("\n") + f"\n- [{name}]({name})\n", encoding="utf-8")

    def edit(self, relative: str, old: str, new: str) -> None:
        path = self.root / relative
        text = path.read_text(encoding="utf-8")
        assert old in text, f"{old!r} not in {relative}"
        path.write_text(text.replace(old, new, 1), encoding="utf-8")

    def build(self, dest: str = "book") -> Build:
        done = subprocess.run(
            [str(MDBOOK), "build", "--dest-dir", dest],
            cwd=self.root,
            capture_output=True,
            text=True,
            timeout=300,
        )
        return Build(done.returncode, done.stderr)

    def html(self, page: str, dest: str = "book") -> str:
        """The page as a browser holds it once loaded: islands made into HTML."""
        return as_loaded(self.raw_html(page, dest))

    def raw_html(self, page: str, dest: str = "book") -> str:
        """The page's bytes as served."""
        return (self.root / dest / page).read_text(encoding="utf-8")

    def page_of(self, name: str, text: str) -> str:
        """Adds a chapter, builds the book (which must succeed) and returns the chapter's HTML."""
        self.write_chapter(name, text)
        build = self.build()
        assert build.ok, build.stderr
        return self.html(name.replace(".md", ".html"))

    def capture(self, *args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [str(PREPROCESSOR), "capture", "--book", str(self.root), *args],
            capture_output=True,
            text=True,
            timeout=600,
        )


def as_loaded(html: str) -> str:
    """`html` with each panel's island made into its elements, as the page's loader
    (theme/head.hbs) does: by the preprocessor's own `islands::load`, which a browser
    test checks against that loader on built pages."""
    done = subprocess.run(
        [str(PREPROCESSOR), "islands-loaded"],
        input=html,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    return done.stdout


def compare_ids(markdown: str) -> list[str]:
    """Ids of the comparison blocks in a chapter's Markdown."""
    return re.findall(r"^```compare\b[^\n]*\bid=([a-z0-9-]+)", markdown, flags=re.M)
