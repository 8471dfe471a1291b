"""``psycopg`` and ``asyncpg`` sections: a PostgreSQL driver used directly, no ORM.

The code sees ``conn``, a connection to the section's fresh database: psycopg's
``Connection`` (autocommit off, as ``psycopg.connect`` opens it), or asyncpg's, with
top-level ``await`` on the section's event loop. Both are recorded where every ORM
is, at the driver (``pg_recording``), so what a snippet sends is shown the same way
as what an ORM sends for it. PostgreSQL only: neither driver speaks to SQLite.
"""

import asyncio
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from orm_runner import database
from orm_runner.postgresql import ROLE, SectionDatabase
from orm_runner.sections.base import SectionContext, namespace
from orm_runner.tables import Rows


def _postgresql_only(kind: str) -> None:
    if database.current != "postgresql":
        raise RuntimeError(
            f"{kind} sections are recorded on PostgreSQL only; give the comparison "
            "`db=postgresql` in its ```compare line"
        )


def _section_database(handle: object) -> SectionDatabase:
    assert isinstance(handle, SectionDatabase), "PostgreSQL only (see prepare)"
    return handle


class DriverTables:
    """The drivers' results: a psycopg cursor that returned rows, asyncpg records."""

    def rows(self, value: Any) -> Rows | None:
        import psycopg

        if isinstance(value, psycopg.Cursor) and value.description is not None:
            return Rows(value.fetchall(), [column.name for column in value.description])
        return None

    def record(self, value: Any) -> list[tuple[str, Any]] | None:
        import asyncpg

        if isinstance(value, asyncpg.Record):
            return list(value.items())
        return None

    def label(self, value: Any) -> str | None:
        return None


class PsycopgSection:
    name = "psycopg"

    def prepare(self) -> None:
        _postgresql_only(self.name)
        import psycopg  # noqa: F401

    @contextmanager
    def open(self) -> Iterator[SectionContext]:
        import psycopg

        with database.fresh_section_database() as handle:
            section_database = _section_database(handle)
            with psycopg.connect(section_database.conninfo()) as conn:
                yield SectionContext(section_database, namespace({"conn": conn}), DriverTables())


class AsyncpgSection:
    name = "asyncpg"

    def prepare(self) -> None:
        _postgresql_only(self.name)
        import asyncpg  # noqa: F401

    @contextmanager
    def open(self) -> Iterator[SectionContext]:
        import asyncpg

        # One event loop for the whole section: the connection lives on it.
        with database.fresh_section_database() as handle, asyncio.Runner() as loop:
            section_database = _section_database(handle)
            conn = loop.run(
                asyncpg.connect(
                    host=section_database.socket_dir,
                    database=section_database.name,
                    user=ROLE,
                )
            )
            try:
                yield SectionContext(
                    section_database, namespace({"conn": conn}), DriverTables(), run_async=loop.run
                )
            finally:
                loop.run(conn.close())
