"""A private PostgreSQL server for one capture run, and a fresh database per section.

The server comes from ``pgserver`` (pinned in each stack's lock): a wheel that carries
PostgreSQL's own programs, so every machine captures on the same server version, and
that knows how to run them when the runner is root (``initdb`` refuses root; pgserver
runs it as a user of its own). It listens on a Unix socket in its data folder only,
never on a TCP port, so it cannot meet a server the user runs.

Life cycle, all inside one runner process:

- ``Cluster.start()``: a new data folder in memory (``/dev/shm``) or, without one,
  under the system's temporary folder; the server started there with durability
  switched off (the data is thrown away) and ``TimeZone=UTC``; the demo database
  built once, as a template;
- ``Cluster.section_database()``: per section, ``CREATE DATABASE ... TEMPLATE demo``
  (a file copy, about 10 ms in memory) owned by the unprivileged role the ORMs log in
  as, dropped afterwards;
- ``Cluster.stop()``: the server stopped and its folder removed. A guard process
  does the same if the runner dies without stopping it (killed by its caller, say):
  it waits for the runner's end of a pipe to close.

What a snippet can and cannot do: it logs in as ``book``, a role that owns its
section's database and nothing else. It cannot connect to the template (``CONNECT``
is revoked), create databases or roles, change the server's settings or end other
sessions. Its statements stop after the section's time budget (``statement_timeout``
on the role), and its temporary files are capped (``temp_file_limit``).
"""

from __future__ import annotations

import atexit
import itertools
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from orm_runner import pg_recording, pg_snapshot
from orm_runner.environment import environment_kept
from orm_runner.paths import FIXTURES_FILE, POSTGRESQL_SCHEMA_FILE, POSTGRESQL_SEQUENCES_FILE

# The role the ORMs log in as, and the template every section's database copies.
ROLE = "book"
TEMPLATE = "demo"
# A copy of the template made once, to learn the OIDs a first section would get.
_FIRST_SECTION = "first_section"
# Server settings: nothing needs to survive a crash (the folder is thrown away), and
# every session answers in UTC whatever the machine's zone.
SERVER_SETTINGS = {
    "fsync": "off",
    "synchronous_commit": "off",
    "full_page_writes": "off",
    "TimeZone": "UTC",
    "log_checkpoints": "off",
}
TEMP_FILE_LIMIT = "256MB"
# Room the in-memory folder needs: the server, its template and a copy per running
# section (about 8 MB each), with plenty to spare.
MEMORY_FOLDER_MIN = 1 << 30


@dataclass(frozen=True)
class SectionDatabase:
    """One section's database: how the ORMs reach it."""

    name: str
    socket_dir: str

    def conninfo(self) -> str:
        return f"host={self.socket_dir} dbname={self.name} user={ROLE}"

    def url(self, driver: str) -> str:
        """A SQLAlchemy URL for ``driver`` (``psycopg``, ``asyncpg``)."""
        return f"postgresql+{driver}://{ROLE}@/{self.name}?host={self.socket_dir}"

    def django_settings(self) -> dict[str, Any]:
        return {
            "ENGINE": "django.db.backends.postgresql",
            "NAME": self.name,
            "USER": ROLE,
            "HOST": self.socket_dir,
        }


class Cluster:
    """The private server of one runner process."""

    def __init__(self, statement_seconds: float) -> None:
        self.statement_seconds = statement_seconds
        self.folder: Path | None = None
        self.socket_dir = ""
        self.version = ""
        self._server: Any = None
        self._guard: subprocess.Popen[bytes] | None = None
        self._numbers = itertools.count(1)
        # The OID a section's first new object gets on a fresh server (see section_oids).
        self._fresh_oid = 0

    # -- starting and stopping ------------------------------------------------------

    def reserve(self) -> None:
        """The server's folder, and the guard that removes it: done before ``start``
        (which may run in another thread), so that the socket's place is known while
        the server starts. pgserver puts the socket in its data folder."""
        if self.folder is not None:
            return
        self.folder = Path(tempfile.mkdtemp(prefix="ormcompare-pg-", dir=_memory_folder()))
        self.socket_dir = str(self.folder / "data")
        self._guard = _start_guard(self.folder)

    def start(self) -> None:
        """The server, ready: from this stack's snapshot when it has one (a copy of a
        data folder that holds everything ``_initialise`` makes), otherwise made from
        nothing, and then saved as the snapshot for the next run."""
        self.reserve()
        assert self.folder is not None
        data = self.folder / "data"
        snapshot = pg_snapshot.folder(Path(__file__))
        if snapshot is not None and not pg_snapshot.exists(snapshot):
            # Made in a folder of its own, stopped, saved; then started from the copy
            # like every later run, so that both start from the same state.
            build = self.folder / "build"
            server = _pgserver(build, self.folder, cleanup_mode="stop")
            self._initialise(str(build))
            server.cleanup()
            # pgserver forgets its exit handler only in "delete" mode: left in place,
            # it would take its lock again at exit and leave a folder behind.
            atexit.unregister(server._cleanup)
            pg_snapshot.save(build, snapshot)
            shutil.rmtree(build, ignore_errors=True)
        if snapshot is not None:
            pg_snapshot.restore(snapshot, data)
            self._server = _pgserver(data, self.folder, cleanup_mode="delete")
        else:
            self._server = _pgserver(data, self.folder, cleanup_mode="delete")
            self._initialise(self.socket_dir)
        if str(self._server.get_postmaster_info().socket_dir) != self.socket_dir:
            raise RuntimeError("pgserver put the server's socket outside its data folder")
        with self._admin() as admin:
            self.version = admin.execute("SHOW server_version").fetchone()[0]
            # Per run: the section budget is the request's.
            milliseconds = int(self.statement_seconds * 1000)
            for name, value in {
                "statement_timeout": milliseconds,
                "lock_timeout": milliseconds,
                "temp_file_limit": f"'{TEMP_FILE_LIMIT}'",
            }.items():
                admin.execute(f"ALTER ROLE {ROLE} SET {name} = {value}")
            _create_section(admin, _FIRST_SECTION)
            self._fresh_oid = _next_oid(admin)
            admin.execute(f"DROP DATABASE {_FIRST_SECTION}")

    def _initialise(self, socket_dir: str) -> None:
        """A new server's settings, the book's role, and the demo template."""
        with self._admin(socket_dir=socket_dir) as admin:
            for name, value in SERVER_SETTINGS.items():
                admin.execute(f"ALTER SYSTEM SET {name} = '{value}'")
            admin.execute("SELECT pg_reload_conf()")
            admin.execute(f"CREATE ROLE {ROLE} LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE")
            admin.execute(f"CREATE DATABASE {TEMPLATE}")
        with self._admin(TEMPLATE, socket_dir) as admin:
            admin.execute(f"GRANT CREATE ON SCHEMA public TO {ROLE}")
            admin.execute(f"SET ROLE {ROLE}")
            admin.execute(POSTGRESQL_SCHEMA_FILE.read_text(encoding="utf-8"))
            admin.execute(FIXTURES_FILE.read_text(encoding="utf-8"))
            admin.execute(POSTGRESQL_SEQUENCES_FILE.read_text(encoding="utf-8"))
            admin.execute("RESET ROLE")
            admin.execute("VACUUM ANALYZE")
            admin.execute(f"REVOKE CONNECT ON DATABASE {TEMPLATE} FROM PUBLIC")

    def stop(self) -> None:
        server, self._server = self._server, None
        if server is not None:
            server.cleanup()
        if self._guard is not None:
            # Its pipe closes: the guard finds the server gone and the folder removed.
            assert self._guard.stdin is not None
            self._guard.stdin.close()
            self._guard.wait()
            self._guard = None
        if self.folder is not None:
            shutil.rmtree(self.folder, ignore_errors=True)
            self.folder = None

    def _admin(self, database: str = "postgres", socket_dir: str | None = None) -> Any:
        import psycopg

        host = socket_dir or self.socket_dir
        return psycopg.connect(f"host={host} dbname={database} user=postgres", autocommit=True)

    # -- sections -------------------------------------------------------------------

    def placeholder(self) -> SectionDatabase:
        """Where a library configured once per process points before a section opens."""
        return SectionDatabase("postgres", self.socket_dir)

    @contextmanager
    def section_database(self) -> Iterator[SectionDatabase]:
        """A fresh copy of the demo database for one section, dropped afterwards."""
        name = f"section_{os.getpid()}_{next(self._numbers)}"
        with pg_recording.paused(), self._admin() as admin:
            _create_section(admin, name)
            pg_recording.section_oids(_next_oid(admin), self._fresh_oid)
        try:
            yield SectionDatabase(name, self.socket_dir)
        finally:
            with pg_recording.paused(), self._admin() as admin:
                admin.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


def _create_section(admin: Any, name: str) -> None:
    # FILE_COPY: 18 ms a copy here, against 98 ms for the default WAL_LOG, which
    # writes every page of the template to the WAL (durability is off anyway).
    admin.execute(f"CREATE DATABASE {name} TEMPLATE {TEMPLATE} OWNER {ROLE} STRATEGY FILE_COPY")


def _next_oid(admin: Any) -> int:
    """The next object identifier the server will hand out (one is spent reading it)."""
    oid = admin.execute("SELECT lo_create(0)").fetchone()[0]
    admin.execute("SELECT lo_unlink(%s)", [oid])
    return int(oid) + 1


def _pgserver(data: Path, folder: Path, cleanup_mode: str) -> Any:
    """pgserver's server on ``data`` (``initdb`` first, when the folder is empty)."""
    # initdb takes its collation from the environment: byte order, like SQLite's.
    # pgserver keeps a lock file in the user's runtime folder: this run's own.
    with environment_kept("LC_ALL", "LANG", "XDG_RUNTIME_DIR"):
        os.environ["LC_ALL"] = "C.UTF-8"
        os.environ["XDG_RUNTIME_DIR"] = str(folder)
        import pgserver

        return pgserver.get_server(data, cleanup_mode=cleanup_mode)


def _memory_folder() -> str | None:
    """A folder in memory for the server's data, when the machine has one with room.

    Every section's database is a copy of the template: on a disk each copy waits for
    a checkpoint (about 60 ms here), in memory it takes about 10 ms. The data is thrown
    away, so nothing is lost by keeping it out of the disk.
    """
    folder = "/dev/shm"
    try:
        if os.access(folder, os.W_OK) and shutil.disk_usage(folder).free > MEMORY_FOLDER_MIN:
            return folder
    except OSError:
        pass
    return None  # the system's temporary folder


def _start_guard(folder: Path) -> subprocess.Popen[bytes]:
    """A process that stops the server and removes ``folder`` once our pipe closes."""
    return subprocess.Popen(
        [sys.executable, "-m", "orm_runner.pg_guard", str(folder)],
        stdin=subprocess.PIPE,
        cwd=Path(__file__).resolve().parents[1],
        start_new_session=True,
    )


# The cluster of this process, when the request's database is PostgreSQL.
current: Cluster | None = None


def cluster() -> Cluster:
    if current is None:
        raise RuntimeError("no PostgreSQL server was started for this request")
    return current
