"""Rows per second of each way to load the same rows into SQLite or PostgreSQL, in one run.

Every run starts from a fresh copy of the demo database and loads the same N new
products with one approach. Only the load is timed: from a list of dicts (what
csv.DictReader or a JSON feed gives) to the committed transaction. The approaches take
turns within each repeat, so they share the machine's conditions; after every run the
benchmark checks that exactly N rows arrived. A first, untimed run of each approach
counts the statements it sent (execute and executemany calls, transaction control left
out, as the book's panels count them).

SQLite (the default; snippets/benchmarks/bulk-loading.json): a fresh in-memory copy of
the demo database per run (snippets/schema.sql and fixtures.sql, foreign keys on for
every library, as Django turns them on). The clock is the process's CPU time: the
database is in memory and in process, so every cost of a load is CPU work of this
process, and on a shared machine wall time would also count the neighbours' work. The
statements are counted on a connection that counts; the timed runs use plain sqlite3
connections.

PostgreSQL (--database postgresql; snippets/benchmarks/bulk-loading-postgresql.json):
the runner's own private server (orm_runner.postgresql.Cluster: the PostgreSQL of the
pgserver wheel, its data in memory, durability off, reached over a Unix socket) and a
fresh copy of its template database per run. Django and SQLAlchemy connect with psycopg
3, and psycopg's own executemany() and COPY ... FROM STDIN join the approaches. The
clock is wall time (time.perf_counter): the server is another process, so much of a
load's cost (each round trip, parsing, planning, writing the rows) is not CPU time of
this process. Wall time also counts whatever else the machine is doing: measure on a
quiet machine, and read the ratios of one run more than its absolute figures. The
statements are counted by the runner's recording of psycopg (orm_runner.pg_recording,
which records the book's PostgreSQL panels); its hooks stay on the driver's classes and
pass every call straight through while nothing records, as in the timed runs.

The results go to a JSON file that the book's `bench-chart` block draws; its `setup`
sentence names the database and the clock.

Usage: scripts/bench-bulk [--database sqlite|postgresql] [--rows N] [--repeats R]
                          [--output PATH]
"""

from __future__ import annotations

import argparse
import datetime
import functools
import gc
import json
import os
import platform
import sqlite3
import statistics
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext
from dataclasses import dataclass
from importlib.metadata import version
from pathlib import Path
from typing import Any, Protocol

SNIPPETS = Path(__file__).resolve().parent.parent
DATABASES = ("sqlite", "postgresql")
DEFAULT_OUTPUTS = {
    "sqlite": SNIPPETS / "benchmarks" / "bulk-loading.json",
    "postgresql": SNIPPETS / "benchmarks" / "bulk-loading-postgresql.json",
}
DEFAULT_OUTPUT = DEFAULT_OUTPUTS["sqlite"]
SKU_PREFIX = "FEED-"
COLUMNS = ("sku", "name", "category_id", "price_cents", "stock", "discontinued")
RAW_INSERT = f"INSERT INTO products ({', '.join(COLUMNS)}) VALUES ({', '.join('?' * len(COLUMNS))})"
PSYCOPG_INSERT = (
    f"INSERT INTO products ({', '.join(COLUMNS)}) VALUES ({', '.join(['%s'] * len(COLUMNS))})"
)
PSYCOPG_COPY = f"COPY products ({', '.join(COLUMNS)}) FROM STDIN"
TRANSACTION_CONTROL = ("BEGIN", "COMMIT", "END", "ROLLBACK", "SAVEPOINT", "RELEASE")
# The private server's statement_timeout for the book's role (the runner gives it a
# section's budget): generous, so that only a hung load is stopped.
POSTGRESQL_STATEMENT_SECONDS = 600.0

Row = dict[str, Any]


def feed(rows: int) -> list[Row]:
    """The rows to load: new keyboard accessories, as a supplier's feed would list them."""
    return [
        {
            "sku": f"{SKU_PREFIX}{n:06d}",
            "name": f"Keycap set {n}",
            "category_id": 10,
            "price_cents": 1900 + n % 500,
            "stock": n % 50,
            "discontinued": False,
        }
        for n in range(rows)
    ]


class Probe(Protocol):
    """What a run learns about its database besides the time: statements and rows."""

    def watching(self) -> AbstractContextManager[object]:
        """Around the load: where the statements are counted, when they are."""
        ...

    def statements(self) -> int | None:
        """The statements the load sent, or ``None`` when they were not counted."""
        ...

    def rows_found(self) -> int:
        """The feed's rows now in ``products``."""
        ...


# -- SQLite ---------------------------------------------------------------------------


class CountingConnection(sqlite3.Connection):
    """A sqlite3 connection that counts the statements its cursors are asked to run."""

    statements = 0

    def cursor(self, factory: Any = sqlite3.Cursor) -> sqlite3.Cursor:  # type: ignore[override]
        return super().cursor(_counting_cursor(factory))

    def execute(self, sql: str, parameters: Any = (), /) -> sqlite3.Cursor:
        return self.cursor().execute(sql, parameters)

    def executemany(self, sql: str, parameters: Any, /) -> sqlite3.Cursor:
        return self.cursor().executemany(sql, parameters)


@functools.cache
def _counting_cursor(factory: type[sqlite3.Cursor]) -> type[sqlite3.Cursor]:
    def count(cursor: sqlite3.Cursor, sql: str) -> None:
        if not sql.lstrip().upper().startswith(TRANSACTION_CONTROL):
            connection = cursor.connection
            assert isinstance(connection, CountingConnection)
            connection.statements += 1

    class Counting(factory):  # type: ignore[misc, valid-type]
        def execute(self, sql: str, *args: Any) -> Any:
            count(self, sql)
            return super().execute(sql, *args)

        def executemany(self, sql: str, *args: Any) -> Any:
            count(self, sql)
            return super().executemany(sql, *args)

    return Counting


@dataclass
class SqliteProbe:
    raw: sqlite3.Connection

    def watching(self) -> AbstractContextManager[object]:
        if isinstance(self.raw, CountingConnection):
            self.raw.statements = 0  # the set-up's own statements are not the approach's
        return nullcontext()

    def statements(self) -> int | None:
        return self.raw.statements if isinstance(self.raw, CountingConnection) else None

    def rows_found(self) -> int:
        query = "SELECT count(*) FROM products WHERE sku LIKE ?"
        return int(self.raw.execute(query, (f"{SKU_PREFIX}%",)).fetchone()[0])


def _factory(counting: bool) -> type[sqlite3.Connection]:
    return CountingConnection if counting else sqlite3.Connection


def seed(connection: sqlite3.Connection) -> None:
    for name in ("schema.sql", "fixtures.sql"):
        connection.executescript((SNIPPETS / name).read_text(encoding="utf-8"))
    if connection.in_transaction:
        connection.commit()
    connection.execute("PRAGMA foreign_keys = ON")


def fresh_sqlite(factory: type[sqlite3.Connection]) -> sqlite3.Connection:
    connection = sqlite3.connect(":memory:", factory=factory)
    seed(connection)
    return connection


def configure_django(database: dict[str, Any]) -> None:
    import django
    from django.conf import settings

    settings.configure(
        INSTALLED_APPS=["demo"],
        DATABASES={"default": database},
        USE_TZ=False,
        TIME_ZONE="UTC",
        DEBUG=False,
        DEFAULT_AUTO_FIELD="django.db.models.AutoField",
    )
    django.setup()


@contextmanager
def django_database(counting: bool) -> Iterator[tuple[Any, Probe]]:
    """Django's default connection, reopened on a fresh seeded in-memory database."""
    from django.db import connections

    wrapper = connections["default"]
    wrapper.settings_dict["OPTIONS"] = {"factory": _factory(counting)}
    if wrapper.connection is not None:
        # close() keeps in-memory databases open on purpose; drop this one for real.
        wrapper.connection.close()
        wrapper.connection = None
    wrapper.ensure_connection()
    raw = wrapper.connection
    seed(raw)
    try:
        yield wrapper, SqliteProbe(raw)
    finally:
        raw.close()
        wrapper.connection = None


@contextmanager
def sqlalchemy_database(counting: bool) -> Iterator[tuple[Any, Probe]]:
    """An engine whose one connection is a fresh seeded in-memory database."""
    from sqlalchemy import create_engine
    from sqlalchemy.pool import StaticPool

    raw = fresh_sqlite(_factory(counting))
    engine = create_engine("sqlite://", creator=lambda: raw, poolclass=StaticPool)
    with engine.connect():
        pass  # the dialect's first-connect queries, before the timer starts
    try:
        yield engine, SqliteProbe(raw)
    finally:
        engine.dispose()
        raw.close()


@contextmanager
def sqlite_database(counting: bool) -> Iterator[tuple[Any, Probe]]:
    raw = fresh_sqlite(_factory(counting))
    try:
        yield raw, SqliteProbe(raw)
    finally:
        raw.close()


# -- PostgreSQL -----------------------------------------------------------------------


class PostgresqlProbe:
    """Counts statements with the runner's psycopg recording (only when counting)."""

    def __init__(self, database: Any, counting: bool) -> None:
        from orm_runner import pg_recording

        self.database = database
        self.recorder = pg_recording.PgRecorder(max_rows=0) if counting else None

    def watching(self) -> AbstractContextManager[object]:
        return self.recorder.recording() if self.recorder is not None else nullcontext()

    def statements(self) -> int | None:
        if self.recorder is None:
            return None
        return sum(
            1
            for statement in self.recorder.statements
            if statement["origin"] == "orm"
            and not statement["sql"].lstrip().upper().startswith(TRANSACTION_CONTROL)
        )

    def rows_found(self) -> int:
        import psycopg

        query = "SELECT count(*) FROM products WHERE sku LIKE %s"
        with psycopg.connect(self.database.conninfo()) as connection:
            row = connection.execute(query, (f"{SKU_PREFIX}%",)).fetchone()
        assert row is not None
        return int(row[0])


def _section_database() -> AbstractContextManager[Any]:
    """A fresh copy of the demo database on the private server (the runner's own)."""
    from orm_runner import postgresql

    return postgresql.cluster().section_database()


@contextmanager
def django_postgresql(counting: bool) -> Iterator[tuple[Any, Probe]]:
    """Django's default connection, reconnected to a fresh copy of the demo database."""
    from django.db import connections

    wrapper = connections["default"]
    with _section_database() as database:
        wrapper.close()
        wrapper.settings_dict.update(database.django_settings())
        wrapper.ensure_connection()  # Django's connection set-up, before the timer starts
        try:
            yield wrapper, PostgresqlProbe(database, counting)
        finally:
            wrapper.close()


@contextmanager
def sqlalchemy_postgresql(counting: bool) -> Iterator[tuple[Any, Probe]]:
    """An engine on psycopg, connected once to a fresh copy of the demo database."""
    from sqlalchemy import create_engine

    with _section_database() as database:
        engine = create_engine(database.url("psycopg"))
        with engine.connect():
            pass  # the dialect's first-connect queries; the pool keeps the connection
        try:
            yield engine, PostgresqlProbe(database, counting)
        finally:
            engine.dispose()


@contextmanager
def psycopg_database(counting: bool) -> Iterator[tuple[Any, Probe]]:
    import psycopg

    with _section_database() as database:
        connection = psycopg.connect(database.conninfo())
        try:
            yield connection, PostgresqlProbe(database, counting)
        finally:
            connection.close()


# -- the approaches -------------------------------------------------------------------


def django_save_loop(_: Any, rows: list[Row]) -> None:
    from django.db import transaction

    from demo.models import Product

    with transaction.atomic():
        for row in rows:
            Product(**row).save()


def django_bulk_create(_: Any, rows: list[Row]) -> None:
    from demo.models import Product

    Product.objects.bulk_create([Product(**row) for row in rows])


def sqlalchemy_add_all(engine: Any, rows: list[Row]) -> None:
    from sqlalchemy.orm import Session

    from demo_sqlalchemy import Product

    with Session(engine) as session:
        session.add_all([Product(**row) for row in rows])
        session.commit()


def sqlalchemy_orm_bulk_insert(engine: Any, rows: list[Row]) -> None:
    from sqlalchemy import insert
    from sqlalchemy.orm import Session

    from demo_sqlalchemy import Product

    with Session(engine) as session:
        session.execute(insert(Product), rows)
        session.commit()


def sqlalchemy_core_insert(engine: Any, rows: list[Row]) -> None:
    from sqlalchemy import insert

    from demo_sqlalchemy import Product

    with engine.begin() as connection:
        connection.execute(insert(Product.__table__), rows)


def sqlite3_executemany(connection: sqlite3.Connection, rows: list[Row]) -> None:
    connection.executemany(RAW_INSERT, [tuple(row[c] for c in COLUMNS) for row in rows])
    connection.commit()


def psycopg_executemany(connection: Any, rows: list[Row]) -> None:
    with connection.cursor() as cursor:
        cursor.executemany(PSYCOPG_INSERT, [tuple(row[c] for c in COLUMNS) for row in rows])
    connection.commit()


def psycopg_copy(connection: Any, rows: list[Row]) -> None:
    with connection.cursor() as cursor:
        with cursor.copy(PSYCOPG_COPY) as copy:
            for row in rows:
                copy.write_row(tuple(row[c] for c in COLUMNS))
    connection.commit()


# Opens a fresh database for one run (counting statements or not) and yields what the
# load takes and the run's probe.
Database = Callable[[bool], AbstractContextManager[tuple[Any, Probe]]]


@dataclass(frozen=True)
class Approach:
    key: str
    label: str
    library: str
    database: Database
    load: Callable[[Any, list[Row]], None]


def _orm_approaches(django: Database, sqlalchemy: Database) -> tuple[Approach, ...]:
    """The ORMs' approaches, the same code on both databases."""
    return (
        Approach(
            "django-save-loop",
            "Django: save() per object, in atomic()",
            "django",
            django,
            django_save_loop,
        ),
        Approach(
            "django-bulk-create",
            "Django: bulk_create()",
            "django",
            django,
            django_bulk_create,
        ),
        Approach(
            "sqlalchemy-add-all",
            "SQLAlchemy ORM: add_all() and commit()",
            "sqlalchemy",
            sqlalchemy,
            sqlalchemy_add_all,
        ),
        Approach(
            "sqlalchemy-orm-bulk-insert",
            "SQLAlchemy ORM: execute(insert(Product), dicts)",
            "sqlalchemy",
            sqlalchemy,
            sqlalchemy_orm_bulk_insert,
        ),
        Approach(
            "sqlalchemy-core-insert",
            "SQLAlchemy Core: insert(table), dicts, on a Connection",
            "sqlalchemy",
            sqlalchemy,
            sqlalchemy_core_insert,
        ),
    )


APPROACHES = (
    *_orm_approaches(django_database, sqlalchemy_database),
    Approach(
        "sqlite3-executemany",
        "sqlite3: executemany() (the raw driver)",
        "sqlite3",
        sqlite_database,
        sqlite3_executemany,
    ),
)
BASELINE = "sqlite3-executemany"

POSTGRESQL_APPROACHES = (
    *_orm_approaches(django_postgresql, sqlalchemy_postgresql),
    Approach(
        "psycopg-executemany",
        "psycopg: executemany() (the raw driver)",
        "psycopg",
        psycopg_database,
        psycopg_executemany,
    ),
    Approach(
        "psycopg-copy",
        "psycopg: COPY ... FROM STDIN, write_row()",
        "psycopg",
        psycopg_database,
        psycopg_copy,
    ),
)
POSTGRESQL_BASELINE = "psycopg-executemany"


@dataclass(frozen=True)
class Target:
    """What differs between the databases: approaches, clock, and how the file says so."""

    name: str
    title: str
    approaches: tuple[Approach, ...]
    baseline: str
    clock: Callable[[], float]
    setup: str
    versions: dict[str, str]
    command: str


def sqlite_target(command: str) -> Target:
    return Target(
        name="sqlite",
        title="SQLite",
        approaches=APPROACHES,
        baseline=BASELINE,
        clock=time.process_time,
        setup=(
            "a fresh in-memory copy of the demo database per run, foreign keys on; the "
            "process's CPU time from a list of dicts to the commit"
        ),
        versions={"sqlite": sqlite3.sqlite_version},
        command=command,
    )


def postgresql_target(command: str, server_version: str) -> Target:
    return Target(
        name="postgresql",
        title="PostgreSQL",
        approaches=POSTGRESQL_APPROACHES,
        baseline=POSTGRESQL_BASELINE,
        clock=time.perf_counter,
        setup=(
            "a fresh copy of the demo database per run, on a private PostgreSQL server in "
            "another process, over a Unix socket, its data in memory and fsync and "
            "synchronous_commit off; wall time from a list of dicts to the commit"
        ),
        versions={"postgresql": server_version, "psycopg": version("psycopg")},
        command=command,
    )


@dataclass
class Run:
    seconds: float
    statements: int | None  # counted in the counting run only
    rows_found: int


def run_once(
    approach: Approach, rows: list[Row], clock: Callable[[], float], counting: bool
) -> Run:
    """Loads the rows on a fresh database and checks that exactly all of them arrived."""
    with approach.database(counting) as (handle, probe):
        watching = probe.watching()
        gc.collect()
        start = clock()
        with watching:
            approach.load(handle, rows)
        elapsed = clock() - start
        statements = probe.statements()
        found = probe.rows_found()
    if found != len(rows):
        raise SystemExit(f"{approach.key}: {found} rows arrived, not {len(rows)}")
    return Run(elapsed, statements, found)


# -- the results file -----------------------------------------------------------------


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text(encoding="utf-8").splitlines():
            key, _, value = line.partition(":")
            if key.strip() == "model name":
                return value.strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def measure(rows: int, repeats: int, target: Target) -> dict[str, Any]:
    data = feed(rows)
    approaches = target.approaches
    # The counting run is not timed: counting slows every statement down.
    counted = {a.key: run_once(a, data, target.clock, counting=True) for a in approaches}
    runs: dict[str, list[Run]] = {a.key: [] for a in approaches}
    for _ in range(repeats):
        for approach in approaches:
            runs[approach.key].append(run_once(approach, data, target.clock, counting=False))
    seconds = {key: [run.seconds for run in timed] for key, timed in runs.items()}
    baseline = statistics.median(seconds[target.baseline])
    results = []
    for approach in approaches:
        median = statistics.median(seconds[approach.key])
        results.append(
            {
                "key": approach.key,
                "label": approach.label,
                "library": approach.library,
                "statements": counted[approach.key].statements,
                "rows_loaded": runs[approach.key][-1].rows_found,
                "runs_seconds": [round(s, 6) for s in seconds[approach.key]],
                "median_seconds": round(median, 6),
                "rows_per_second": round(rows / median),
                "time_vs_baseline": round(median / baseline, 2),
            }
        )
    return {
        "benchmark": "bulk-loading",
        "title": f"Loading {rows:,} products into {target.title}",
        "command": target.command,
        "date": datetime.date.today().isoformat(),
        "rows": rows,
        "repeats": repeats,
        "statistic": "median",
        "setup": target.setup,
        "machine": {
            "platform": platform.platform(),
            "cpu": cpu_model(),
            "cores": os.cpu_count() or 0,
        },
        "versions": {
            "python": platform.python_version(),
            **target.versions,
            "django": version("django"),
            "sqlalchemy": version("sqlalchemy"),
        },
        "baseline": target.baseline,
        "approaches": results,
    }


@contextmanager
def private_server() -> Iterator[Any]:
    """The runner's private PostgreSQL server, with its psycopg recording installed."""
    sys.path.insert(0, str(SNIPPETS / "runner"))
    from orm_runner import pg_recording, postgresql

    pg_recording.install()
    cluster = postgresql.Cluster(POSTGRESQL_STATEMENT_SECONDS)
    postgresql.current = cluster
    try:
        cluster.start()
        yield cluster
    finally:
        cluster.stop()
        postgresql.current = None


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--database", choices=DATABASES, default="sqlite", help="where to load (sqlite)"
    )
    parser.add_argument("--rows", type=int, default=20_000, help="rows per load (20000)")
    parser.add_argument("--repeats", type=int, default=5, help="timed runs per approach (5)")
    parser.add_argument(
        "--output",
        type=Path,
        help="results file (snippets/benchmarks/bulk-loading.json; "
        "bulk-loading-postgresql.json with --database postgresql)",
    )
    args = parser.parse_args(argv)
    if args.rows < 1 or args.repeats < 1:
        parser.error("--rows and --repeats must be at least 1")
    output: Path = args.output or DEFAULT_OUTPUTS[args.database]

    sys.path.insert(0, str(SNIPPETS / "models"))
    command = f"scripts/bench-bulk --rows {args.rows} --repeats {args.repeats}"
    if args.database == "postgresql":
        command = command.replace("bench-bulk", "bench-bulk --database postgresql", 1)
        with private_server() as cluster:
            configure_django(cluster.placeholder().django_settings())
            target = postgresql_target(command, cluster.version)
            results = measure(args.rows, args.repeats, target)
    else:
        configure_django({"ENGINE": "django.db.backends.sqlite3", "NAME": ":memory:"})
        results = measure(args.rows, args.repeats, sqlite_target(command))
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    width = max(len(a["label"]) for a in results["approaches"])
    for a in results["approaches"]:
        print(
            f"{a['label']:<{width}}  {a['rows_per_second']:>9,} rows/s  "
            f"{a['time_vs_baseline']:>6.2f}x the baseline's time  "
            f"{a['statements']:>6} statements"
        )
    print(f"written to {output}")


if __name__ == "__main__":
    main()
