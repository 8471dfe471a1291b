"""Recording every statement sent to PostgreSQL, at the driver, the same for every ORM.

Two drivers, each seen where the ORM hands it a statement:

- psycopg 3 (Django; SQLAlchemy's sync engine): ``Cursor.execute`` / ``executemany``
  and ``ServerCursor.execute`` patched at class level, so every cursor class an ORM
  picks (``ClientCursor`` for Django, ``Cursor`` for SQLAlchemy) is recorded, with the
  SQL text and the parameters as psycopg got them (``%s`` / ``%(name)s``).
- asyncpg (SQLAlchemy's async engine): SQLAlchemy's cursor adapter, where a statement
  and its parameters (``$1``...) are handed to asyncpg; asyncpg's own query logger
  sees only the simple-protocol commands, not the ORM's prepared statements. The
  transaction control asyncpg sends (``BEGIN;``, ``COMMIT;``) goes through its
  ``Connection.execute``, recorded with origin ``"driver"``.

psycopg sends ``BEGIN`` by itself, before the first statement on a connection that is
idle with autocommit off, and ``COMMIT`` / ``ROLLBACK`` through libpq, never through a
cursor. Those are recorded as ``"driver"`` statements, where the driver sends them.

Rows are read right after the statement (a client-side cursor holds them all) and the
cursor is rewound, so the ORM reads them as if nothing had looked.
"""

from __future__ import annotations

import decimal
import functools
import json
import math
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, Self

from orm_runner.recording import Statement, statement
from orm_runner.values import JsonValue, db_value


class PgRecorder:
    """Collects the statements of one section (one section runs per process)."""

    def __init__(self, max_rows: int) -> None:
        self.max_rows = max_rows
        self.statements: list[Statement] = []
        self.active = False
        self.depth = 0

    @contextmanager
    def recording(self) -> Iterator[Self]:
        global _active
        previous, _active = _active, self
        self.active = True
        try:
            yield self
        finally:
            self.active = False
            _active = previous

    def driver(self, sql: str) -> None:
        self.statements.append(statement(sql, [], origin="driver"))

    def orm(
        self,
        sql: str,
        params: Any,
        many: bool,
        rows: list[Any] | None,
        columns: list[str] | None,
        refused: str | None,
        client_side: bool = False,
    ) -> None:
        kept = None if rows is None else [_row(row) for row in rows[: self.max_rows]]
        self.statements.append(
            statement(
                sql,
                [pg_params(one, client_side) for one in params]
                if many
                else pg_params(params, client_side),
                many=many,
                columns=columns,
                rows=kept,
                total_rows=None if rows is None else len(rows),
                refused=refused,
            )
        )


_active: PgRecorder | None = None


@contextmanager
def paused() -> Iterator[None]:
    """Nothing sent while inside is recorded (the runner's own administration)."""
    global _active
    previous, _active = _active, None
    try:
        yield
    finally:
        _active = previous


def pg_value(value: Any) -> JsonValue:
    """A fetched value (or a parameter ``pg_param`` leaves to it), as PostgreSQL has
    it: booleans stay booleans, JSON documents and arrays are shown as JSON text."""
    if isinstance(value, bool):
        return value
    if isinstance(value, (dict, list)):
        return json.dumps(value, ensure_ascii=False, default=str)
    return db_value(value)


def pg_param(value: Any, client_side: bool = False) -> JsonValue | dict[str, Any]:
    """A parameter, keeping what the driver sends it as: a JSON document as its text,
    a ``Decimal`` as ``{"$numeric": text}`` (psycopg sends ``numeric``), a list as
    ``{"$array": [...]}`` (sent as an array); other values as ``pg_value``.

    ``client_side``: psycopg's ``ClientCursor`` (Django's) writes values into the SQL
    as literals, and PostgreSQL reads them by their text: a whole ``Decimal``
    (``100``) is an integer, a float (``100.0``) a numeric. They are kept as such."""
    wrapped = getattr(value, "obj", None)
    if type(value).__name__ in ("Json", "Jsonb") and wrapped is not None:
        return json.dumps(wrapped, ensure_ascii=False, default=str)
    if isinstance(value, decimal.Decimal):
        text = str(value)
        if client_side and value.is_finite() and text.lstrip("-").isdigit():
            return int(value)
        return {"$numeric": text}
    if client_side and isinstance(value, float) and math.isfinite(value):
        # ``100.0`` written into SQL is a numeric to PostgreSQL, not a float8.
        return {"$numeric": repr(value)}
    if isinstance(value, (list, tuple)):
        return {"$array": [pg_param(item, client_side) for item in value]}
    return pg_value(value)


def pg_params(params: Any, client_side: bool = False) -> Any:
    """The parameters of one call: a list (``%s``, ``$1``) or an object (``%(name)s``)."""
    if params is None:
        return []
    if isinstance(params, dict):
        return {str(key): pg_param(value, client_side) for key, value in params.items()}
    return [pg_param(value, client_side) for value in params]


def _row(row: Any) -> list[Any]:
    values = row.values() if isinstance(row, dict) else row
    return [pg_value(value) for value in values]


def _recording() -> PgRecorder | None:
    """The recorder that takes this call, or ``None`` (none, or inside a recorded call)."""
    recorder = _active
    if recorder is None or not recorder.active or recorder.depth:
        return None
    return recorder


@dataclass
class _Call:
    """What a recorded call read back: the columns and every row, when it returned rows."""

    columns: list[str] | None = None
    rows: list[Any] | None = None
    # psycopg's ClientCursor: the values went into the SQL as literals.
    client_side: bool = False


@contextmanager
def _recorded(recorder: PgRecorder, sql: str, params: Any, many: bool = False) -> Iterator[_Call]:
    """One statement handed to the driver, recorded once the call returns or raises
    (then with what the server answered). Calls made inside it are the driver's own
    and are not recorded again."""
    call = _Call()
    refused = None
    recorder.depth += 1
    try:
        yield call
    except Exception as exc:
        refused = _refusal(exc)
        raise
    finally:
        recorder.depth -= 1
        recorder.orm(sql, params, many, call.rows, call.columns, refused, call.client_side)


def _sql_text(query: Any, cursor: Any) -> str:
    if isinstance(query, bytes):
        return query.decode()
    if isinstance(query, str):
        return query
    return str(query.as_string(cursor))


def _refusal(exc: BaseException) -> str:
    diag = getattr(exc, "diag", None)
    primary = getattr(diag, "message_primary", None)
    return str(primary or exc)


# -- psycopg ---------------------------------------------------------------------------


def _note_psycopg_begin(recorder: PgRecorder, connection: Any) -> None:
    from psycopg.pq import TransactionStatus

    if not connection.autocommit and connection.info.transaction_status == TransactionStatus.IDLE:
        recorder.driver("BEGIN")


def _client_side(cursor: Any) -> bool:
    import psycopg

    return isinstance(cursor, psycopg.ClientCursor)


def _psycopg_execute(original: Callable[..., Any], fetch: bool) -> Callable[..., Any]:
    @functools.wraps(original)
    def execute(self: Any, query: Any, params: Any = None, **kwargs: Any) -> Any:
        recorder = _recording()
        if recorder is None:
            return original(self, query, params, **kwargs)
        _note_psycopg_begin(recorder, self.connection)
        with _recorded(recorder, _sql_text(query, self), params) as call:
            call.client_side = _client_side(self)
            result = original(self, query, params, **kwargs)
            if fetch and self.description is not None:
                call.columns = [column.name for column in self.description]
                call.rows = self.fetchall()
                if call.rows:
                    self.scroll(0, "absolute")
        return result

    return execute


def _psycopg_executemany(original: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(original)
    def executemany(self: Any, query: Any, params_seq: Any, **kwargs: Any) -> Any:
        recorder = _recording()
        if recorder is None:
            return original(self, query, params_seq, **kwargs)
        params = list(params_seq)
        _note_psycopg_begin(recorder, self.connection)
        with _recorded(recorder, _sql_text(query, self), params, many=True) as call:
            call.client_side = _client_side(self)
            return original(self, query, params, **kwargs)

    return executemany


class _RecordedCopy:
    """psycopg's ``Copy`` of a recorded ``COPY ... FROM STDIN``: the rows the snippet
    writes are kept as the statement's parameter lists, one per row (``many``); the
    page replays them as the statement's data."""

    def __init__(self, copy: Any, rows: list[Any]) -> None:
        self._copy = copy
        self._rows = rows

    def write_row(self, row: Any) -> None:
        self._rows.append(list(row))
        self._copy.write_row(row)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._copy, name)


def _psycopg_copy(original: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(original)
    @contextmanager
    def copy(self: Any, statement: Any, params: Any = None, **kwargs: Any) -> Iterator[Any]:
        recorder = _recording()
        if recorder is None:
            with original(self, statement, params, **kwargs) as copying:
                yield copying
            return
        _note_psycopg_begin(recorder, self.connection)
        rows: list[Any] = []
        with _recorded(recorder, _sql_text(statement, self), rows, many=True):
            with original(self, statement, params, **kwargs) as copying:
                yield _RecordedCopy(copying, rows)

    return copy


def _psycopg_ending(original: Callable[..., Any], command: str) -> Callable[..., Any]:
    @functools.wraps(original)
    def end(self: Any) -> Any:
        from psycopg.pq import TransactionStatus

        recorder = _recording()
        if recorder is not None and self.info.transaction_status != TransactionStatus.IDLE:
            recorder.driver(command)
        return original(self)

    return end


# -- asyncpg, through SQLAlchemy's adapter ----------------------------------------------


def _asyncpg_prepare_and_execute(original: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(original)
    async def prepare_and_execute(self: Any, operation: str, parameters: Any) -> Any:
        recorder = _recording()
        if recorder is None:
            return await original(self, operation, parameters)
        with _recorded(recorder, operation, parameters) as call:
            result = await original(self, operation, parameters)
            if self.description:
                call.columns = [column[0] for column in self.description]
                call.rows = list(self._rows)
        return result

    return prepare_and_execute


def _asyncpg_executemany(original: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(original)
    async def executemany(self: Any, operation: str, seq_of_parameters: Any) -> Any:
        recorder = _recording()
        if recorder is None:
            return await original(self, operation, seq_of_parameters)
        params = list(seq_of_parameters)
        with _recorded(recorder, operation, params, many=True):
            return await original(self, operation, params)

    return executemany


def _asyncpg_command(original: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(original)
    async def execute(self: Any, query: str, *args: Any, **kwargs: Any) -> Any:
        # Inside a recorded statement too: the adapter starts its transaction there,
        # and the BEGIN is sent before the statement that needed it.
        recorder = _active
        if recorder is not None and recorder.active:
            recorder.driver(query)
        return await original(self, query, *args, **kwargs)

    return execute


@functools.cache
def install() -> None:
    """Patches the drivers' classes, once per process."""
    import psycopg

    psycopg.Cursor.execute = _psycopg_execute(psycopg.Cursor.execute, fetch=True)  # type: ignore[method-assign]
    psycopg.Cursor.executemany = _psycopg_executemany(psycopg.Cursor.executemany)  # type: ignore[method-assign]
    psycopg.Cursor.copy = _psycopg_copy(psycopg.Cursor.copy)  # type: ignore[method-assign]
    # A server-side cursor keeps its rows on the server: its DECLARE is recorded, the
    # rows it fetches later are not read ahead.
    psycopg.ServerCursor.execute = _psycopg_execute(psycopg.ServerCursor.execute, fetch=False)  # type: ignore[method-assign]
    psycopg.Connection.commit = _psycopg_ending(psycopg.Connection.commit, "COMMIT")  # type: ignore[method-assign]
    psycopg.Connection.rollback = _psycopg_ending(psycopg.Connection.rollback, "ROLLBACK")  # type: ignore[method-assign]
    try:
        import asyncpg
        from sqlalchemy.dialects.postgresql import asyncpg as sa_asyncpg
    except ImportError:
        return
    cursor = sa_asyncpg.AsyncAdapt_asyncpg_cursor
    cursor._prepare_and_execute = _asyncpg_prepare_and_execute(cursor._prepare_and_execute)  # type: ignore[method-assign]
    cursor._executemany = _asyncpg_executemany(cursor._executemany)  # type: ignore[method-assign]
    asyncpg.Connection.execute = _asyncpg_command(asyncpg.Connection.execute)  # type: ignore[method-assign]
