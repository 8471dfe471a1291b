"""Fresh in-memory databases holding the shared demo schema and fixture rows.

``current`` names the database this runner process records on (the request's
``database``): ``"sqlite"`` here, or ``"postgresql"`` (``orm_runner.postgresql``).
"""

import functools
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager

from orm_runner import postgresql
from orm_runner.paths import FIXTURES_FILE, SCHEMA_FILE
from orm_runner.recording import RecordingConnection

# The request's database, set by the runner before any section kind is prepared.
current = "sqlite"


@functools.cache
def _demo_sql() -> tuple[str, str]:
    return SCHEMA_FILE.read_text(encoding="utf-8"), FIXTURES_FILE.read_text(encoding="utf-8")


def seed(connection: RecordingConnection) -> None:
    """Load ``schema.sql`` and ``fixtures.sql``, unrecorded."""
    schema, fixtures = _demo_sql()
    with connection.loading():
        connection.executescript(schema)
        connection.executescript(fixtures)
        if connection.in_transaction:
            connection.commit()


def fresh_connection() -> RecordingConnection:
    """A new seeded in-memory database, opened the way ``sqlite3.connect`` does by default."""
    connection = sqlite3.connect(":memory:", factory=RecordingConnection, check_same_thread=False)
    assert isinstance(connection, RecordingConnection)
    seed(connection)
    return connection


@contextmanager
def fresh_section_database() -> Iterator[RecordingConnection | postgresql.SectionDatabase]:
    """A section's fresh demo database on the request's database, released afterwards:
    a recorded in-memory SQLite connection, or a copy on the private PostgreSQL server
    (where the ORM connects by itself)."""
    if current == "postgresql":
        with postgresql.cluster().section_database() as section_database:
            yield section_database
        return
    connection = fresh_connection()
    try:
        yield connection
    finally:
        connection.close()
