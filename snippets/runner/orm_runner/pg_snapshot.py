"""A saved copy of the private server's data folder, ready to start: one per stack.

Making the server from nothing (``initdb``, the settings, the role, the demo template)
takes about a second; copying a folder that already holds all of it takes a tenth of
that. So the first run of a stack saves its stopped server's data folder in the
stack's environment (``<venv>/var/ormcompare-pg/<key>``), and later runs start from a
copy. Nothing a run does reaches the saved copy.

The key is a hash of everything that went into the folder: pgserver's version (the
PostgreSQL programs), the schema, fixtures and sequences files, and the source of
``postgresql.py``, which makes it. A change to any of them makes a new folder and
removes the old ones. Without a writable environment there is no snapshot, and every
run makes its server from nothing, as before.
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from orm_runner.paths import FIXTURES_FILE, POSTGRESQL_SCHEMA_FILE, POSTGRESQL_SEQUENCES_FILE

# Where the snapshots are kept, when not in the stack's environment (tests).
SNAPSHOTS_VARIABLE = "ORMCOMPARE_PG_SNAPSHOTS"
# What the server writes while it runs, which a saved copy must not carry.
_RUNTIME_FILES = ("log", ".handle_pids.json", "postmaster.pid", "postmaster.opts")


def folder(maker: Path) -> Path | None:
    """Where this stack keeps the snapshot made by the module at ``maker``, or ``None``
    when its environment is not writable."""
    digest = hashlib.sha256(importlib.metadata.version("pgserver").encode())
    for path in (POSTGRESQL_SCHEMA_FILE, FIXTURES_FILE, POSTGRESQL_SEQUENCES_FILE, maker):
        digest.update(b"\0" + path.read_bytes())
    parent = Path(os.environ.get(SNAPSHOTS_VARIABLE) or Path(sys.prefix) / "var" / "ormcompare-pg")
    try:
        parent.mkdir(parents=True, exist_ok=True)
    except OSError:
        return None
    if not os.access(parent, os.W_OK):
        return None
    return parent / digest.hexdigest()[:24]


def exists(snapshot: Path) -> bool:
    return (snapshot / "PG_VERSION").is_file()


def restore(snapshot: Path, data: Path) -> None:
    """``data`` becomes a copy of ``snapshot``, owners and modes kept (when the runner
    is root, the server runs as pgserver's own user, who owns the files)."""
    subprocess.run(["cp", "-a", str(snapshot), str(data)], check=True)


def save(data: Path, snapshot: Path) -> None:
    """Keeps a copy of the stopped server's ``data`` as ``snapshot`` and removes the
    stack's older snapshots. Two runs saving at once: the first rename wins."""
    parent = snapshot.parent
    staging = Path(tempfile.mkdtemp(prefix=".saving-", dir=parent)) / "data"
    restore(data, staging)
    for name in _RUNTIME_FILES:
        (staging / name).unlink(missing_ok=True)
    try:
        staging.rename(snapshot)
    except OSError:
        pass  # another run saved it first
    shutil.rmtree(staging.parent, ignore_errors=True)
    for other in parent.iterdir():
        if other != snapshot and not other.name.startswith(".saving-"):
            shutil.rmtree(other, ignore_errors=True)
