"""``sqlalchemy-async`` sections: SQLAlchemy's asyncio extension on the aiosqlite driver
(asyncpg on PostgreSQL).

The code sees the demo's mapped classes, ``select`` and ``engine``, an ``AsyncEngine``
whose one connection is the section's database. aiosqlite runs the ``sqlite3``
connection in a thread of its own; the recording sits on that connection, so it sees
what the driver received whichever thread sent it.
"""

import asyncio
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from orm_runner import database
from orm_runner.postgresql import SectionDatabase
from orm_runner.recording import RecordingConnection
from orm_runner.sections.base import SectionContext, namespace
from orm_runner.sections.sqlalchemy_orm import SQLAlchemyTables, import_models, mapped_classes


def _async_engine(handle: RecordingConnection | SectionDatabase) -> Any:
    from sqlalchemy.ext.asyncio import create_async_engine
    from sqlalchemy.pool import StaticPool

    if isinstance(handle, SectionDatabase):
        return create_async_engine(handle.url("asyncpg"))

    import aiosqlite

    async def connect() -> aiosqlite.Connection:
        # aiosqlite.connect() would open a new database; this hands it the seeded one.
        return await aiosqlite.Connection(lambda: handle, iter_chunk_size=64)

    return create_async_engine("sqlite+aiosqlite://", async_creator=connect, poolclass=StaticPool)


async def _first_connect(engine: Any) -> None:
    # The first connection initialises the dialect, with queries of its own: done here,
    # before the recording starts.
    async with engine.connect():
        pass


class SQLAlchemyAsyncSection:
    name = "sqlalchemy-async"

    def prepare(self) -> None:
        import_models()
        import aiosqlite  # noqa: F401
        import sqlalchemy.ext.asyncio  # noqa: F401

    @contextmanager
    def open(self) -> Iterator[SectionContext]:
        from sqlalchemy import select

        # One event loop for the whole section: the engine's connection lives on it.
        with database.fresh_section_database() as handle, asyncio.Runner() as loop:
            engine = _async_engine(handle)
            try:
                loop.run(_first_connect(engine))
                names = {**mapped_classes(), "select": select, "engine": engine}
                yield SectionContext(
                    handle, namespace(names), SQLAlchemyTables(), run_async=loop.run
                )
            finally:
                loop.run(engine.dispose())
