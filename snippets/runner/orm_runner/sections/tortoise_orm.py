"""``tortoise`` sections: Tortoise ORM with the models of ``demo_tortoise``; code uses ``await``.

Each section gets a ``TortoiseContext`` of its own (Tortoise 1.x keeps its apps and
connections there, not in globals), made current before the section's event loop
starts, so the loop and the section's plain code both see it. ``Tortoise.init`` and
the connection's set-up run before the recording; leaving the section closes the
connection and restores the previous context.

Tortoise's SQLite client opens its database with ``aiosqlite.connect(path,
isolation_level=None)`` and then runs its PRAGMAs on it. While it connects, that call
hands over the seeded database instead (with the same setting), so that Tortoise's own
set-up runs, on the database the section records.
"""

import asyncio
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any
from unittest import mock

from orm_runner import database
from orm_runner.environment import environment_kept
from orm_runner.recording import RecordingConnection
from orm_runner.sections.base import SectionContext, listed_models, namespace, sqlite_only
from orm_runner.tables import Rows, attributes_set_besides, instance_label

MODELS_MODULE = "demo_tortoise"
APP_LABEL = "demo"
CONNECTION = "default"
CONFIG: dict[str, Any] = {
    "connections": {CONNECTION: "sqlite://:memory:"},
    "apps": {APP_LABEL: {"models": [MODELS_MODULE], "default_connection": CONNECTION}},
    "use_tz": False,
    "timezone": "UTC",
}
# Tortoise.init writes these to the environment; a section leaves them as it found them.
_ENVIRONMENT = ("USE_TZ", "TIMEZONE")


def _columns(model: type) -> list[tuple[str, str]]:
    """(attribute, column) of each column of the model, in the order the model declares them.

    Tortoise adds the ``<name>_id`` field of a foreign key after all the others; here it
    takes the place of its relation, so that columns come in the schema's order.
    """
    from tortoise.fields.relational import ForeignKeyFieldInstance, OneToOneFieldInstance

    meta = model._meta  # type: ignore[attr-defined]
    columns = meta.fields_db_projection
    pairs: list[tuple[str, str]] = []
    for name, field in meta.fields_map.items():
        if isinstance(field, (ForeignKeyFieldInstance, OneToOneFieldInstance)):
            name = field.source_field
        if name in columns and (name, columns[name]) not in pairs:
            pairs.append((name, columns[name]))
    return pairs


class TortoiseTables:
    """Tortoise model instances as tables; queries must have been awaited."""

    def rows(self, value: Any) -> Rows | None:
        # An awaited query is a list, a dict or an instance: the generic shapes and
        # record() handle it. A query never awaited is reported by to_table.
        return None

    def record(self, value: Any) -> list[tuple[str, Any]] | None:
        from tortoise.models import Model

        if not isinstance(value, Model):
            return None
        loaded = vars(value)
        pairs = [(column, loaded[name]) for name, column in _columns(type(value)) if name in loaded]
        # Annotations (.annotate(n=Count(...))) are attributes besides the fields.
        return pairs + attributes_set_besides(loaded, value._meta.fields_map)

    def label(self, value: Any) -> str | None:
        from tortoise.models import Model

        if not isinstance(value, Model):
            return None
        return instance_label(value, f"{type(value).__name__} {value.pk}")


@contextmanager
def _handing_over(connection: RecordingConnection) -> Iterator[None]:
    """While inside, ``aiosqlite.connect()`` gives ``connection`` instead of a new database."""
    import aiosqlite

    def connect(_database: str, *, isolation_level: str | None) -> aiosqlite.Connection:
        connection.isolation_level = isolation_level
        return aiosqlite.Connection(lambda: connection, iter_chunk_size=64)

    with mock.patch.object(aiosqlite, "connect", connect):
        yield


async def _start(context: Any, connection: RecordingConnection) -> None:
    await context.init(config=CONFIG)
    with _handing_over(connection):
        await context.connections.get(CONNECTION).create_connection(with_db=True)


async def _stop(context: Any) -> None:
    await context.close_connections()
    if context.apps is not None:
        for model in context.apps.get_models_iterable():
            model._meta.default_connection = None
        context.apps.clear()


class TortoiseSection:
    name = "tortoise"

    def prepare(self) -> None:
        sqlite_only(self.name)
        listed_models(MODELS_MODULE)
        import aiosqlite  # noqa: F401
        import tortoise.backends.sqlite  # noqa: F401

    @contextmanager
    def open(self) -> Iterator[SectionContext]:
        from tortoise.context import TortoiseContext

        connection = database.fresh_connection()
        context = TortoiseContext()
        try:
            # The context is entered before the loop starts: the loop copies the current
            # context into its own, so the section's plain code and its coroutines both
            # see it.
            with environment_kept(*_ENVIRONMENT), context, asyncio.Runner() as loop:
                try:
                    loop.run(_start(context, connection))
                    names = listed_models(MODELS_MODULE)
                    yield SectionContext(
                        connection, namespace(names), TortoiseTables(), run_async=loop.run
                    )
                finally:
                    loop.run(_stop(context))
        finally:
            connection.close()
