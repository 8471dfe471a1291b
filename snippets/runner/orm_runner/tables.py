"""The value of a section's last expression, as a table: ``{columns, rows, total_rows}``.

Generic shapes are handled here: scalars, dicts and other mappings, tuples, rows with
``_fields`` (named tuples, SQLAlchemy ``Row``), and lists of any of these. What only an
ORM knows (its query and result objects, its model instances) is asked of the section
kind's ``OrmTables``.
"""

import datetime
import decimal
import enum
import inspect
import uuid
from collections.abc import Container, Iterator, Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from orm_runner.execute import SectionError
from orm_runner.values import JsonValue, UnshownValue, has_memory_address, result_value

Table = dict[str, Any]

_SCALARS = (
    str,
    int,
    float,
    decimal.Decimal,
    datetime.date,
    datetime.time,
    datetime.timedelta,
    bytes,
    bytearray,
    memoryview,
    uuid.UUID,
    enum.Enum,
)

_ENDINGS = (
    "end the section with a query or its rows (a QuerySet, a list, `session.scalars(...).all()`), "
    "a single instance, row or dict, a scalar, or with no expression at all (assign it: `x = ...`)"
)


class UnsupportedResult(SectionError):
    def __init__(self, message: str) -> None:
        super().__init__("UnsupportedResult", message)


@dataclass
class Rows:
    """A query or result object, as its items and the column names it announces.

    ``names`` names the columns of tuple or scalar items (by position) and gives the
    columns when there are no items at all.
    """

    items: list[Any]
    names: list[str] | None = None


class OrmTables(Protocol):
    """What a section kind knows about its ORM's objects."""

    def rows(self, value: Any) -> Rows | None:
        """A query or result object as rows; ``None`` when ``value`` is not one."""
        ...

    def record(self, value: Any) -> list[tuple[str, Any]] | None:
        """A model instance as (column, value) pairs; ``None`` when not an instance."""
        ...

    def label(self, value: Any) -> str | None:
        """A model instance shown in a single cell; ``None`` when not an instance."""
        ...


# Helpers for the kinds' OrmTables, whose instances differ only in where they keep values.


def attributes_set_besides(
    loaded: Mapping[str, Any], columns: Container[str]
) -> list[tuple[str, Any]]:
    """The public attributes of an instance that are not columns (annotations, aliases),
    in the order they were set."""
    return [
        (name, item)
        for name, item in loaded.items()
        if not name.startswith("_") and name not in columns
    ]


def instance_label(value: Any, fallback: str) -> str:
    """``str(value)``, or ``fallback`` when that holds a memory address (a default repr)."""
    text = str(value)
    return fallback if has_memory_address(text) else text


def _is_scalar(value: Any) -> bool:
    return value is None or isinstance(value, (bool, *_SCALARS))


def _is_named_row(value: Any) -> bool:
    return hasattr(value, "_fields") and hasattr(value, "__iter__") and not isinstance(value, type)


def _is_row_like(value: Any, orm: OrmTables) -> bool:
    return (
        isinstance(value, (Mapping, tuple, list))
        or _is_named_row(value)
        or orm.record(value) is not None
    )


class _Builder:
    def __init__(self, orm: OrmTables, max_rows: int, names: list[str] | None) -> None:
        self.orm = orm
        self.max_rows = max_rows
        self.names = names
        # Columns keyed by (name, occurrence), so that a row holding two ``id`` columns
        # keeps both.
        self.columns: list[tuple[str, int]] = []
        self._known: set[tuple[str, int]] = set()
        self.rows: list[dict[tuple[str, int], Any]] = []
        self.total = 0

    def _positional(self, count: int) -> list[str]:
        if self.names is not None and len(self.names) == count:
            return list(self.names)
        return [f"col{index}" for index in range(1, count + 1)]

    def pairs(self, item: Any) -> list[tuple[str, Any]]:
        record = self.orm.record(item)
        if record is not None:
            return record
        if isinstance(item, Mapping):
            return [(str(key), item[key]) for key in item]
        if _is_named_row(item):
            values = list(item)
            if len(values) == 1 and self.orm.record(values[0]) is not None:
                return self.pairs(values[0])
            return list(zip([str(name) for name in item._fields], values, strict=True))
        if isinstance(item, (tuple, list)):
            return list(zip(self._positional(len(item)), item, strict=True))
        name = self.names[0] if self.names is not None and len(self.names) == 1 else "value"
        return [(name, item)]

    def add(self, item: Any) -> None:
        self.total += 1
        seen: dict[str, int] = {}
        row: dict[tuple[str, int], Any] = {}
        for name, value in self.pairs(item):
            key = (name, seen.get(name, 0))
            seen[name] = key[1] + 1
            if key not in self._known:
                self._known.add(key)
                self.columns.append(key)
            row[key] = value
        if len(self.rows) < self.max_rows:
            self.rows.append(row)

    def cell(self, value: Any) -> JsonValue:
        label = self.orm.label(value)
        if label is not None:
            return label
        try:
            return result_value(value)
        except UnshownValue as exc:
            raise UnsupportedResult(f"{exc}; {_ENDINGS}") from None

    def table(self) -> Table:
        if not self.columns and self.total == 0 and self.names:
            self.columns = [(name, 0) for name in self.names]
        return {
            "columns": [name for name, _ in self.columns],
            "rows": [[self.cell(row.get(key)) for key in self.columns] for row in self.rows],
            "total_rows": self.total,
        }


def _table(
    items: list[Any], orm: OrmTables, max_rows: int, names: list[str] | None = None
) -> Table:
    builder = _Builder(orm, max_rows, names)
    for item in items:
        builder.add(item)
    return builder.table()


def _sorted(values: set[Any] | frozenset[Any]) -> list[Any]:
    try:
        return sorted(values)
    except TypeError:
        return sorted(values, key=repr)


def to_table(value: Any, orm: OrmTables, max_rows: int) -> Table | None:
    """The result table of a section whose last expression gave ``value``."""
    if value is None:
        return None
    rows = orm.rows(value)
    if rows is not None:
        return _table(rows.items, orm, max_rows, rows.names)
    if _is_scalar(value):
        return _table([value], orm, max_rows)
    if isinstance(value, Mapping):
        values = list(value.values())
        if values and all(orm.record(item) is not None for item in values):
            # e.g. Django's in_bulk(): {pk: instance}
            return _table(values, orm, max_rows)
        return _table([value], orm, max_rows)
    if _is_named_row(value) or orm.record(value) is not None:
        return _table([value], orm, max_rows)
    if isinstance(value, list):
        return _table(value, orm, max_rows)
    if isinstance(value, tuple):
        if value and all(_is_row_like(item, orm) for item in value):
            return _table(list(value), orm, max_rows)
        return _table([value], orm, max_rows)
    if isinstance(value, (set, frozenset)):
        return _table(_sorted(value), orm, max_rows)
    if inspect.isawaitable(value):
        if inspect.iscoroutine(value):
            value.close()  # never run: no "never awaited" warning either
        raise UnsupportedResult(
            f"the last expression is awaitable ({type(value).__name__}) and was not awaited, "
            "so it did not run; end the section with `await ...`"
        )
    if isinstance(value, Iterator):
        raise UnsupportedResult(
            f"the last expression is an iterator ({type(value).__name__}), which would be "
            "consumed by showing it; end the section with `list(...)` of it"
        )
    raise UnsupportedResult(
        f"the last expression is a {type(value).__module__}.{type(value).__qualname__}, "
        f"which cannot be shown as a table; {_ENDINGS}"
    )
