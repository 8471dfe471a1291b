"""``peewee`` sections: the models of ``demo_peewee``, bound to the section's database, and ``fn``.

Peewee opens the connection itself, as it would a file (``sqlite3.connect(...,
isolation_level=None)``: peewee runs in autocommit mode and sends its own ``BEGIN``),
through the recording connection class; the runner then seeds it. The code also sees
``db``, the ``SqliteDatabase``, for ``db.atomic()`` and raw SQL.
"""

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from orm_runner import database
from orm_runner.recording import RecordingConnection
from orm_runner.sections.base import SectionContext, listed_models, namespace, sqlite_only
from orm_runner.tables import Rows, UnsupportedResult, attributes_set_besides, instance_label

MODELS_MODULE = "demo_peewee"


def _names(wrapper: Any) -> list[str] | None:
    """The columns a query's cursor wrapper announces (SQLite's when no row came back)."""
    columns = getattr(wrapper, "unique_columns", None) or getattr(wrapper, "columns", None)
    if isinstance(columns, list):
        return [str(name) for name in columns]
    description = wrapper.cursor.description
    return [str(column[0]) for column in description] if description else None


class PeeweeTables:
    """Select queries and model instances as tables."""

    def rows(self, value: Any) -> Rows | None:
        from peewee import BaseQuery, SelectBase

        if isinstance(value, SelectBase):
            # execute() gives the cursor wrapper the query cached if it already ran.
            wrapper = value.execute()
            names = _names(wrapper)
            items = list(wrapper)
            if names and items and isinstance(items[0], dict):
                # .dicts() puts the columns it converts last: show the SELECT's order.
                items = [
                    {**{name: row[name] for name in names if name in row}, **row} for row in items
                ]
            return Rows(items, names)
        if isinstance(value, BaseQuery):
            raise UnsupportedResult(
                f"the last expression is a peewee {type(value).__name__} that has not run: "
                "peewee sends an INSERT, UPDATE or DELETE when you call .execute(); end the "
                "section with `query.execute()`"
            )
        return None

    def record(self, value: Any) -> list[tuple[str, Any]] | None:
        from peewee import Model

        if not isinstance(value, Model):
            return None
        loaded = value.__data__
        fields = value._meta.sorted_fields
        pairs = [
            (field.column_name, loaded[field.name]) for field in fields if field.name in loaded
        ]
        # Columns the query selected besides the model's (.alias("n")) are attributes.
        return pairs + attributes_set_besides(vars(value), ())

    def label(self, value: Any) -> str | None:
        from peewee import Model

        if not isinstance(value, Model):
            return None
        return instance_label(value, f"{type(value).__name__} {value.get_id()}")


class PeeweeSection:
    name = "peewee"

    def prepare(self) -> None:
        sqlite_only(self.name)
        listed_models(MODELS_MODULE)

    @contextmanager
    def open(self) -> Iterator[SectionContext]:
        import importlib

        from peewee import SqliteDatabase, fn

        proxy = importlib.import_module(MODELS_MODULE).database
        db = SqliteDatabase(":memory:", factory=RecordingConnection)
        db.connect()
        connection = db.connection()
        assert isinstance(connection, RecordingConnection)
        try:
            database.seed(connection)
            proxy.initialize(db)
            names = {**listed_models(MODELS_MODULE), "fn": fn, "db": db}
            yield SectionContext(connection, namespace(names), PeeweeTables())
        finally:
            proxy.initialize(None)
            # Forgets the connection (and any transaction the code left open), then closes it.
            db.dispose()
            connection.close()
