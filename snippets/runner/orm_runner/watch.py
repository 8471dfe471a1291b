"""Noticing a snippet that changed the book's own files (a chapter, the fixtures...).

Sections run in a temporary working directory, but a snippet can still reach the book
by its absolute path. ``Watcher`` takes a cheap fingerprint of the watched folders (every
file's size and modification time) and, asked after each section, says which file
changed, appeared or disappeared since it last looked.
"""

from __future__ import annotations

import os
from pathlib import Path

# Written by the capture itself, or by Python and tools: not the book's sources.
_SKIPPED_DIRS = {"captures", "__pycache__", ".git", ".venv", "node_modules", "target"}

Fingerprint = dict[str, tuple[int, int]]


def fingerprint(folders: tuple[str, ...]) -> Fingerprint:
    seen: Fingerprint = {}
    for folder in folders:
        for root, dirs, files in os.walk(folder):
            dirs[:] = sorted(d for d in dirs if d not in _SKIPPED_DIRS)
            for name in files:
                path = os.path.join(root, name)
                try:
                    info = os.stat(path)
                except OSError:
                    continue
                seen[path] = (info.st_size, info.st_mtime_ns)
    return seen


class Watcher:
    def __init__(self, folders: tuple[str, ...]) -> None:
        self.folders = folders
        self.last = fingerprint(folders)

    def changed(self) -> str | None:
        """The first file that differs from the previous look, named for a reader."""
        now = fingerprint(self.folders)
        if now == self.last:
            return None
        differing = sorted(
            path for path in now.keys() | self.last.keys() if now.get(path) != self.last.get(path)
        )
        self.last = now
        return ", ".join(_shown(path) for path in differing[:3]) + (
            f" and {len(differing) - 3} more files" if len(differing) > 3 else ""
        )


def _shown(path: str) -> str:
    """The path relative to the runner's working directory (the book's root)."""
    try:
        return str(Path(path).relative_to(os.getcwd()))
    except ValueError:
        return path
