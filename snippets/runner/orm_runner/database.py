"""Fresh in-memory databases holding the shared demo schema and fixture rows.

``current`` names the database this runner process records on (the request's
``database``): ``"sqlite"`` here, or ``"postgresql"`` (``orm_runner.postgresql``).
"""

import functools
import sqlite3

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
