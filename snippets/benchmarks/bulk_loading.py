"""Rows per second of each way to load the same rows into SQLite, measured in one run.

Every run starts from a fresh in-memory copy of the demo database (snippets/schema.sql
and fixtures.sql, foreign keys on for every library, as Django turns them on) and
loads the same N new products with one approach. Only the load is timed: from a list
of dicts (what csv.DictReader or a JSON feed gives) to the committed transaction. The
clock is the process's CPU time: the database is in memory and in process, so every
cost of a load is CPU work of this process, and on a shared machine wall time would
also count the neighbours' work. The approaches take turns within each repeat, so
they share the machine's conditions;
after every run the benchmark checks that exactly N rows arrived. A first, untimed
run of each approach counts the statements it sent (execute and executemany calls,
transaction control left out, as the book's panels count them), on a connection
that counts; the timed runs use plain sqlite3 connections.

The results go to a JSON file that the book's `bench-chart` block draws.

Usage: scripts/bench-bulk [--rows N] [--repeats R] [--output PATH]
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
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from importlib.metadata import version
from pathlib import Path
from typing import Any

SNIPPETS = Path(__file__).resolve().parent.parent
DEFAULT_OUTPUT = SNIPPETS / "benchmarks" / "bulk-loading.json"
SKU_PREFIX = "FEED-"
COLUMNS = ("sku", "name", "category_id", "price_cents", "stock", "discontinued")
RAW_INSERT = f"INSERT INTO products ({', '.join(COLUMNS)}) VALUES ({', '.join('?' * len(COLUMNS))})"
TRANSACTION_CONTROL = ("BEGIN", "COMMIT", "END", "ROLLBACK", "SAVEPOINT", "RELEASE")

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


# -- databases ------------------------------------------------------------------------


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


def configure_django() -> None:
    import django
    from django.conf import settings

    settings.configure(
        INSTALLED_APPS=["demo"],
        DATABASES={"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": ":memory:"}},
        USE_TZ=False,
        DEBUG=False,
        DEFAULT_AUTO_FIELD="django.db.models.AutoField",
    )
    django.setup()


@contextmanager
def django_database(factory: type[sqlite3.Connection]) -> Iterator[tuple[Any, sqlite3.Connection]]:
    """Django's default connection, reopened on a fresh seeded in-memory database."""
    from django.db import connections

    wrapper = connections["default"]
    wrapper.settings_dict["OPTIONS"] = {"factory": factory}
    if wrapper.connection is not None:
        # close() keeps in-memory databases open on purpose; drop this one for real.
        wrapper.connection.close()
        wrapper.connection = None
    wrapper.ensure_connection()
    raw = wrapper.connection
    seed(raw)
    try:
        yield wrapper, raw
    finally:
        raw.close()
        wrapper.connection = None


@contextmanager
def sqlalchemy_database(
    factory: type[sqlite3.Connection],
) -> Iterator[tuple[Any, sqlite3.Connection]]:
    """An engine whose one connection is a fresh seeded in-memory database."""
    from sqlalchemy import create_engine
    from sqlalchemy.pool import StaticPool

    raw = fresh_sqlite(factory)
    engine = create_engine("sqlite://", creator=lambda: raw, poolclass=StaticPool)
    with engine.connect():
        pass  # the dialect's first-connect queries, before the timer starts
    try:
        yield engine, raw
    finally:
        engine.dispose()
        raw.close()


@contextmanager
def sqlite_database(
    factory: type[sqlite3.Connection],
) -> Iterator[tuple[Any, sqlite3.Connection]]:
    raw = fresh_sqlite(factory)
    try:
        yield raw, raw
    finally:
        raw.close()


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


Database = Callable[
    [type[sqlite3.Connection]], AbstractContextManager[tuple[Any, sqlite3.Connection]]
]


@dataclass(frozen=True)
class Approach:
    key: str
    label: str
    library: str
    database: Database
    load: Callable[[Any, list[Row]], None]


APPROACHES = (
    Approach(
        "django-save-loop",
        "Django: save() per object, in atomic()",
        "django",
        django_database,
        django_save_loop,
    ),
    Approach(
        "django-bulk-create",
        "Django: bulk_create()",
        "django",
        django_database,
        django_bulk_create,
    ),
    Approach(
        "sqlalchemy-add-all",
        "SQLAlchemy ORM: add_all() and commit()",
        "sqlalchemy",
        sqlalchemy_database,
        sqlalchemy_add_all,
    ),
    Approach(
        "sqlalchemy-orm-bulk-insert",
        "SQLAlchemy ORM: execute(insert(Product), dicts)",
        "sqlalchemy",
        sqlalchemy_database,
        sqlalchemy_orm_bulk_insert,
    ),
    Approach(
        "sqlalchemy-core-insert",
        "SQLAlchemy Core: insert(table), dicts, on a Connection",
        "sqlalchemy",
        sqlalchemy_database,
        sqlalchemy_core_insert,
    ),
    Approach(
        "sqlite3-executemany",
        "sqlite3: executemany() (the raw driver)",
        "sqlite3",
        sqlite_database,
        sqlite3_executemany,
    ),
)
BASELINE = "sqlite3-executemany"


def loaded_rows(connection: sqlite3.Connection) -> int:
    query = "SELECT count(*) FROM products WHERE sku LIKE ?"
    return int(connection.execute(query, (f"{SKU_PREFIX}%",)).fetchone()[0])


@dataclass
class Run:
    seconds: float
    statements: int | None  # counted on a CountingConnection only
    rows_found: int


def run_once(approach: Approach, rows: list[Row], factory: type[sqlite3.Connection]) -> Run:
    """Loads the rows on a fresh database and checks that exactly all of them arrived."""
    with approach.database(factory) as (handle, raw):
        if isinstance(raw, CountingConnection):
            raw.statements = 0  # the set-up's own statements are not the approach's
        gc.collect()
        start = time.process_time()
        approach.load(handle, rows)
        elapsed = time.process_time() - start
        statements = raw.statements if isinstance(raw, CountingConnection) else None
        found = loaded_rows(raw)
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


def measure(rows: int, repeats: int, command: str) -> dict[str, Any]:
    data = feed(rows)
    # The counting run is not timed: counting slows every statement down.
    counted = {a.key: run_once(a, data, CountingConnection) for a in APPROACHES}
    runs: dict[str, list[Run]] = {a.key: [] for a in APPROACHES}
    for _ in range(repeats):
        for approach in APPROACHES:
            runs[approach.key].append(run_once(approach, data, sqlite3.Connection))
    seconds = {key: [run.seconds for run in timed] for key, timed in runs.items()}
    baseline = statistics.median(seconds[BASELINE])
    results = []
    for approach in APPROACHES:
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
        "title": f"Loading {rows:,} products into SQLite",
        "command": command,
        "date": datetime.date.today().isoformat(),
        "rows": rows,
        "repeats": repeats,
        "statistic": "median",
        "setup": (
            "a fresh in-memory copy of the demo database per run, foreign keys on; the "
            "process's CPU time from a list of dicts to the commit"
        ),
        "machine": {
            "platform": platform.platform(),
            "cpu": cpu_model(),
            "cores": os.cpu_count() or 0,
        },
        "versions": {
            "python": platform.python_version(),
            "sqlite": sqlite3.sqlite_version,
            "django": version("django"),
            "sqlalchemy": version("sqlalchemy"),
        },
        "baseline": BASELINE,
        "approaches": results,
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=20_000, help="rows per load (20000)")
    parser.add_argument("--repeats", type=int, default=5, help="timed runs per approach (5)")
    parser.add_argument("--output", type=Path, default=DEFAULT_OUTPUT, help="results file")
    args = parser.parse_args(argv)
    if args.rows < 1 or args.repeats < 1:
        parser.error("--rows and --repeats must be at least 1")

    sys.path.insert(0, str(SNIPPETS / "models"))
    configure_django()
    command = f"scripts/bench-bulk --rows {args.rows} --repeats {args.repeats}"
    results = measure(args.rows, args.repeats, command)
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    width = max(len(a["label"]) for a in results["approaches"])
    for a in results["approaches"]:
        print(
            f"{a['label']:<{width}}  {a['rows_per_second']:>9,} rows/s  "
            f"{a['time_vs_baseline']:>6.2f}x the raw driver's time  "
            f"{a['statements']:>6} statements"
        )
    print(f"written to {args.output}")


if __name__ == "__main__":
    main()
