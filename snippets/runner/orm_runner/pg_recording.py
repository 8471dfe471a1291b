"""Recording every statement sent to PostgreSQL, at the driver, the same for every ORM.

Two drivers, each seen where the ORM hands it a statement:

- psycopg 3 (Django; SQLAlchemy's sync engine): ``Cursor.execute`` / ``executemany``
  patched at class level, so every cursor class an ORM picks (``ClientCursor`` for
  Django, ``Cursor`` for SQLAlchemy) is recorded, with the SQL text and the parameters
  as psycopg got them (``%s`` / ``%(name)s``). A server-side cursor (Django's
  ``iterator()``, SQLAlchemy's ``yield_per``) is recorded as what psycopg sends for
  it: the ``DECLARE``, then each ``FETCH`` with the rows it brought, then ``CLOSE``.
- asyncpg (SQLAlchemy's async engine): SQLAlchemy's cursor adapter, where a statement
  and its parameters (``$1``...) are handed to asyncpg; asyncpg's own query logger
  sees only the simple-protocol commands, not the ORM's prepared statements. Used
  directly (``asyncpg`` sections), its ``Connection`` methods: ``execute``,
  ``executemany`` and the private ``__execute`` that every ``fetch*`` goes through.
  The transaction control asyncpg's ``Transaction`` sends (``BEGIN;``, ``COMMIT;``)
  goes through ``Connection.execute`` and is recorded with origin ``"driver"``.

psycopg sends ``BEGIN`` by itself, before the first statement on a connection that is
idle with autocommit off, and ``COMMIT`` / ``ROLLBACK`` through libpq, never through a
cursor: all through ``Connection._exec_command``, where they are recorded as
``"driver"`` statements.

Rows are read right after the statement (a client-side cursor holds them all) and the
cursor is rewound, so the ORM reads them as if nothing had looked.
"""

from __future__ import annotations

import decimal
import functools
import json
import math
import re
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
        # Server-side cursor names as sent -> as shown (see ``cursor_name``).
        self.cursor_names: dict[str, str] = {}

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

    def cursor_name(self, name: str) -> str:
        """A server-side cursor's name as the reader sees it. The ORMs build theirs
        from run-to-run values (Django: the thread's id; SQLAlchemy: an object's
        address), which are written ``…`` and numbered in the order the section
        opened its cursors; a name the snippet chose is kept."""
        shown = self.cursor_names.get(name)
        if shown is None:
            number = len(self.cursor_names) + 1
            shown = _ORM_CURSOR_NAMES[0].sub(rf"\g<1>…_\g<2>_{number}", name)
            shown = _ORM_CURSOR_NAMES[1].sub(f"c_…_{number}", shown)
            self.cursor_names[name] = shown
        return shown

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

# The names Django (``_django_curs_<thread>_sync_<n>``) and SQLAlchemy
# (``c_<address>_<n>``) give the server-side cursors they open.
_ORM_CURSOR_NAMES = (
    re.compile(r"^(_django_curs_)\d+_(sync|\d+)_\d+$"),
    re.compile(r"^c_[0-9a-f]+_[0-9a-f]+$"),
)


# PostgreSQL's type ``oid``: the columns whose values are object identifiers.
_OID_TYPE = 26


@dataclass
class _OidOrigin:
    """Where this section's new object identifiers start, and where they are shown to.

    The server hands out OIDs from one counter for every database on it, so the
    tables a section creates get numbers that depend on what ran before, or beside,
    on the same server. They are numbered from ``shown`` (the first OID a section gets
    on a fresh server) in the order the section first reads them; an OID below
    ``first`` (the demo's own tables, made the same way every run) is shown as it is."""

    first: int
    shown: int
    seen: dict[int, int]

    def shown_oid(self, value: int) -> int:
        if value < self.first:
            return value
        return self.seen.setdefault(value, self.shown + len(self.seen))


_oid_origin: _OidOrigin | None = None


def section_oids(first: int, shown: int) -> None:
    """The first OID the section's objects can get, and where they are shown from."""
    global _oid_origin
    _oid_origin = _OidOrigin(first, shown, {})


def _shown_oid_rows(rows: list[Any], description: Any) -> list[Any]:
    """``rows`` with the values of ``oid`` columns as shown (see ``_OidOrigin``)."""
    origin = _oid_origin
    oid_columns = {i for i, column in enumerate(description) if column.type_code == _OID_TYPE}
    if origin is None or not oid_columns:
        return rows
    return [
        [
            origin.shown_oid(value) if i in oid_columns and isinstance(value, int) else value
            for i, value in enumerate(_values(row))
        ]
        for row in rows
    ]


def _shown_oid_param(value: Any) -> Any:
    """A parameter holding an OID read earlier in the section, as shown."""
    origin = _oid_origin
    if origin is None or type(value) is not int or value not in origin.seen:
        return value
    return origin.seen[value]


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
    value = _shown_oid_param(value)
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


def _values(row: Any) -> Any:
    return row.values() if isinstance(row, dict) else row


def _row(row: Any) -> list[Any]:
    return [pg_value(value) for value in _values(row)]


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


def _client_side(cursor: Any) -> bool:
    from psycopg.client_cursor import ClientCursorMixin

    # Django's server-side cursor binds client-side too (ClientCursorMixin).
    return isinstance(cursor, ClientCursorMixin)


def _psycopg_execute(original: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(original)
    def execute(self: Any, query: Any, params: Any = None, **kwargs: Any) -> Any:
        recorder = _recording()
        if recorder is None:
            return original(self, query, params, **kwargs)
        with _recorded(recorder, _sql_text(query, self), params) as call:
            call.client_side = _client_side(self)
            result = original(self, query, params, **kwargs)
            if self.description is not None:
                call.columns = [column.name for column in self.description]
                rows = self.fetchall()
                if rows:
                    self.scroll(0, "absolute")
                call.rows = _shown_oid_rows(rows, self.description)
        return result

    return execute


def _psycopg_executemany(original: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(original)
    def executemany(self: Any, query: Any, params_seq: Any, **kwargs: Any) -> Any:
        recorder = _recording()
        if recorder is None:
            return original(self, query, params_seq, **kwargs)
        params = list(params_seq)
        with _recorded(recorder, _sql_text(query, self), params, many=True) as call:
            call.client_side = _client_side(self)
            return original(self, query, params, **kwargs)

    return executemany


def _shown_cursor(recorder: PgRecorder, cursor: Any, text: str) -> str:
    """``text`` with the server-side cursor's name as the reader sees it."""
    from psycopg import sql

    name = cursor._name
    sent = sql.Identifier(name).as_string(cursor)
    return text.replace(sent, sql.Identifier(recorder.cursor_name(name)).as_string(cursor))


def _psycopg_declare(original: Callable[..., Any]) -> Callable[..., Any]:
    """``ServerCursor.execute``: psycopg sends the query inside a ``DECLARE``."""

    @functools.wraps(original)
    def execute(self: Any, query: Any, params: Any = None, **kwargs: Any) -> Any:
        recorder = _recording()
        if recorder is None:
            return original(self, query, params, **kwargs)
        declare = _sql_text(self._make_declare_statement(query), self)
        with _recorded(recorder, _shown_cursor(recorder, self, declare), params) as call:
            call.client_side = _client_side(self)
            return original(self, query, params, **kwargs)

    return execute


# The commands psycopg sends through the connection while a server-side cursor's
# FETCH, MOVE or CLOSE is in progress (``None`` the rest of the time).
_cursor_commands: list[str] | None = None


def _psycopg_exec_command(original: Callable[..., Any]) -> Callable[..., Any]:
    """``Connection._exec_command``, where psycopg sends the commands it writes itself:
    transaction control (``BEGIN`` before a statement that needs one, ``COMMIT``,
    ``ROLLBACK``, the savepoints of ``conn.transaction()``), recorded as the driver's
    even inside a recorded statement (the ``BEGIN`` goes first); and a server-side
    cursor's commands, recorded as that cursor's (``_psycopg_cursor_command``)."""

    @functools.wraps(original)
    def exec_command(self: Any, command: Any, *args: Any, **kwargs: Any) -> Any:
        if _cursor_commands is not None:
            _cursor_commands.append(_sql_text(command, self))
        elif _active is not None and _active.active:
            _active.driver(_sql_text(command, self))
        return (yield from original(self, command, *args, **kwargs))

    return exec_command


def _psycopg_cursor_command(original: Callable[..., Any]) -> Callable[..., Any]:
    """A server-side cursor's fetch, scroll or close (generators psycopg drives): each
    command it sends is recorded, a ``FETCH`` with the rows it brought."""

    @functools.wraps(original)
    def command(self: Any, *args: Any) -> Any:
        global _cursor_commands
        recorder = _recording()
        if recorder is None:
            return (yield from original(self, *args))
        sent: list[str] = []
        previous, _cursor_commands = _cursor_commands, sent
        result, refused = None, None
        recorder.depth += 1
        try:
            result = yield from original(self, *args)
            return result
        except Exception as exc:
            refused = _refusal(exc)
            raise
        finally:
            _cursor_commands = previous
            recorder.depth -= 1
            for index, text in enumerate(sent):
                last = index == len(sent) - 1
                rows = result if last and isinstance(result, list) else None
                columns = None
                if rows is not None and self.description is not None:
                    columns = [column.name for column in self.description]
                shown = _shown_cursor(recorder, self, text)
                recorder.orm(shown, [], False, rows, columns, refused if last else None)

    return command


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
        rows: list[Any] = []
        with _recorded(recorder, _sql_text(statement, self), rows, many=True):
            with original(self, statement, params, **kwargs) as copying:
                yield _RecordedCopy(copying, rows)

    return copy


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


# Inside one of asyncpg's ``Transaction`` methods, which send the transaction
# control (``BEGIN;``, ``COMMIT;``, savepoints) through ``Connection.execute``.
_in_transaction_control = False


def _asyncpg_transaction_control(original: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(original)
    async def control(self: Any, *args: Any, **kwargs: Any) -> Any:
        global _in_transaction_control
        previous, _in_transaction_control = _in_transaction_control, True
        try:
            return await original(self, *args, **kwargs)
        finally:
            _in_transaction_control = previous

    return control


def _asyncpg_command(original: Callable[..., Any]) -> Callable[..., Any]:
    """``Connection.execute``: transaction control is the driver's (recorded inside a
    recorded statement too: SQLAlchemy's adapter begins there, before the statement
    that needed it); a snippet's own command without arguments goes over the simple
    protocol and is recorded here, one with arguments where asyncpg binds them."""

    @functools.wraps(original)
    async def execute(self: Any, query: str, *args: Any, **kwargs: Any) -> Any:
        if _in_transaction_control:
            if _active is not None and _active.active:
                _active.driver(query)
            return await original(self, query, *args, **kwargs)
        recorder = _recording()
        if recorder is None or args:
            return await original(self, query, *args, **kwargs)
        with _recorded(recorder, query, []):
            return await original(self, query, *args, **kwargs)

    return execute


def _asyncpg_bound(original: Callable[..., Any]) -> Callable[..., Any]:
    """``Connection.__execute``, where ``fetch``, ``fetchrow``, ``fetchval`` and
    ``execute`` with arguments hand asyncpg a statement and its ``$n`` arguments."""

    @functools.wraps(original)
    async def bound(self: Any, query: str, args: Any, *rest: Any, **kwargs: Any) -> Any:
        recorder = _recording()
        if recorder is None:
            return await original(self, query, args, *rest, **kwargs)
        with _recorded(recorder, query, list(args)) as call:
            result, state = await original(self, query, args, *rest, **kwargs)
            records = result[0] if kwargs.get("return_status") else result
            columns = [attribute.name for attribute in state._get_attributes()]
            if columns:
                call.columns = columns
                call.rows = [list(record.values()) for record in records]
        return result, state

    return bound


def _asyncpg_many(original: Callable[..., Any]) -> Callable[..., Any]:
    """``Connection.executemany``: one statement, every argument list."""

    @functools.wraps(original)
    async def executemany(self: Any, command: str, args: Any, **kwargs: Any) -> Any:
        recorder = _recording()
        if recorder is None:
            return await original(self, command, args, **kwargs)
        params = [list(one) for one in args]
        with _recorded(recorder, command, params, many=True):
            return await original(self, command, params, **kwargs)

    return executemany


@functools.cache
def install() -> None:
    """Patches the drivers' classes, once per process."""
    import psycopg
    from psycopg import _connection_base, _server_cursor_base

    psycopg.Cursor.execute = _psycopg_execute(psycopg.Cursor.execute)  # type: ignore[method-assign]
    psycopg.Cursor.executemany = _psycopg_executemany(psycopg.Cursor.executemany)  # type: ignore[method-assign]
    psycopg.Cursor.copy = _psycopg_copy(psycopg.Cursor.copy)  # type: ignore[method-assign]
    # A server-side cursor keeps its rows on the server: its DECLARE is recorded, then
    # each FETCH as it happens, never read ahead.
    psycopg.ServerCursor.execute = _psycopg_declare(psycopg.ServerCursor.execute)  # type: ignore[method-assign]
    mixin = _server_cursor_base.ServerCursorMixin
    for name in ("_fetch_gen", "_scroll_gen", "_close_gen"):
        setattr(mixin, name, _psycopg_cursor_command(getattr(mixin, name)))
    connection = _connection_base.BaseConnection
    connection._exec_command = _psycopg_exec_command(connection._exec_command)  # type: ignore[method-assign]
    try:
        import asyncpg
        from sqlalchemy.dialects.postgresql import asyncpg as sa_asyncpg
    except ImportError:
        return
    cursor = sa_asyncpg.AsyncAdapt_asyncpg_cursor
    cursor._prepare_and_execute = _asyncpg_prepare_and_execute(cursor._prepare_and_execute)  # type: ignore[method-assign]
    cursor._executemany = _asyncpg_executemany(cursor._executemany)  # type: ignore[method-assign]
    connection = asyncpg.Connection
    connection.execute = _asyncpg_command(connection.execute)  # type: ignore[method-assign]
    connection.executemany = _asyncpg_many(connection.executemany)  # type: ignore[method-assign]
    connection._Connection__execute = _asyncpg_bound(connection._Connection__execute)  # type: ignore[attr-defined]
    transaction = asyncpg.transaction.Transaction
    for name in ("start", "_Transaction__commit", "_Transaction__rollback"):
        setattr(transaction, name, _asyncpg_transaction_control(getattr(transaction, name)))
