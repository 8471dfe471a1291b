"""Recording every statement sent to SQLite, at the DB-API level, the same for every ORM.

``RecordingConnection`` is a ``sqlite3.Connection`` subclass (pass it as ``factory=`` to
``sqlite3.connect``). Its cursors are built from the cursor factory the ORM asks for and
``RecordingCursor``, so that for Django the method resolution order is
``[Combined, SQLiteCursorWrapper, RecordingCursor, sqlite3.Cursor]``: the recording sees
exactly what the C driver receives, after the ORM's own parameter-style conversion.

Two sources, merged in order into ``Recorder.statements``:

- the cursor's ``execute`` / ``executemany`` / ``executescript`` calls (origin ``"orm"``),
  with the rows fetched eagerly and then served to the ORM from a buffer;
- ``set_trace_callback``, which sees every statement SQLite runs. Inside a recorded call
  the traced statements are the call's own, except the ``BEGIN`` that ``sqlite3`` issues
  by itself before a write (and the ``COMMIT`` that ``executescript`` issues first).
  Outside any call, traced statements (``COMMIT`` / ``ROLLBACK`` from
  ``connection.commit()`` / ``rollback()``) are the driver's own. These are recorded
  with origin ``"driver"`` and no parameters.

A new connection records its own set-up: from the moment it opens until the section's
``Recorder`` takes over, what the library sends on it (Django's and Tortoise's
``PRAGMA``s, SQLAlchemy's first-connect queries) goes to ``setup_statements``, except
while the demo database is loaded into it (``loading()``). The build replays the set-up
before the section's statements, as the library ran it.
"""

import functools
import sqlite3
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any, Self

from orm_runner.values import JsonValue, db_params, db_value

Statement = dict[str, Any]

# Marks an ``execute`` call without parameters (``sqlite3`` treats it differently from
# an empty sequence only in error messages, but the ORM's call is passed on as made).
_NO_PARAMS: Any = object()


# Rows kept per recorded statement, for recorders made before the runner can say
# (a connection's set-up recorder): the runner sets it from its request.
max_rows = 1000

# Rows are all fetched right after execute, so a statement returning endless rows (a
# recursive CTE without a stop) would fill the memory before the time budget ends.
BUFFER_LIMIT = 500_000
_FETCH_CHUNK = 10_000


class TooManyRows(sqlite3.OperationalError):
    """A statement returned more rows than the runner buffers."""


def _is_begin(sql: str) -> bool:
    return sql.lstrip().upper().startswith("BEGIN")


def statement(
    sql: str,
    params: Any,
    *,
    many: bool = False,
    origin: str = "orm",
    columns: list[str] | None = None,
    rows: list[list[JsonValue]] | None = None,
    total_rows: int | None = None,
    refused: str | None = None,
) -> Statement:
    """One recorded statement, as the response carries it (every database's recording)."""
    recorded: Statement = {
        "sql": sql,
        "params": params,
        "many": many,
        "origin": origin,
        "columns": columns,
        "rows": rows,
        "total_rows": total_rows,
    }
    if refused is not None:
        recorded["refused"] = refused
    return recorded


class _Call:
    """One recorded driver call in progress."""

    def __init__(self, sql: str, params: Any, many: bool, script: bool) -> None:
        self.sql = sql
        self.params = params
        self.many = many
        self.script = script
        self.own_begin = _is_begin(sql)
        # executescript() commits a pending transaction before running the script.
        self.commit_first = False
        self.seen_own = False
        self.columns: list[str] | None = None
        self.rows: list[Any] | None = None
        # What SQLite answered when it refused the statement (a constraint, a lock...).
        self.refused: str | None = None


class Recorder:
    """Collects the statements of one section run on one connection."""

    def __init__(self, connection: "RecordingConnection", max_rows: int) -> None:
        self.connection = connection
        self.max_rows = max_rows
        self.statements: list[Statement] = []
        self.active = False
        self._call: _Call | None = None

    def start(self) -> None:
        self.connection.recorder = self
        self.active = True

    def stop(self) -> None:
        self.active = False
        self._call = None
        if self.connection.recorder is self:
            self.connection.recorder = None

    @contextmanager
    def recording(self) -> Iterator[Self]:
        self.start()
        try:
            yield self
        finally:
            self.stop()

    # -- called by the connection and its cursors ------------------------------------

    def begin_call(
        self, sql: str, params: Any, *, many: bool = False, script: bool = False
    ) -> _Call | None:
        """Start recording a call, or return ``None`` when this call is not recorded."""
        if not self.active or self._call is not None:
            return None
        call = _Call(sql, params, many, script)
        call.commit_first = script and self.connection.in_transaction
        self._call = call
        return call

    def end_call(self, call: _Call) -> None:
        if self._call is call:
            self._call = None
        if not self.active:
            return
        if call.many:
            params: Any = [db_params(one) for one in call.params]
        elif call.params is _NO_PARAMS:
            params = []
        else:
            params = db_params(call.params)
        rows = None if call.rows is None else call.rows[: self.max_rows]
        self.statements.append(
            statement(
                call.sql,
                params,
                many=call.many,
                columns=call.columns,
                rows=None if rows is None else [self._row(row) for row in rows],
                total_rows=None if call.rows is None else len(call.rows),
                refused=call.refused,
            )
        )

    def on_trace(self, sql: str) -> None:
        if not self.active:
            return
        call = self._call
        text = sql.strip()
        if call is None:
            self._driver(text)
        elif call.script:
            if call.commit_first and not call.seen_own and text.upper() == "COMMIT":
                call.commit_first = False
                self._driver(text)
            else:
                call.seen_own = True
        elif _is_begin(text) and not call.own_begin:
            self._driver(text)
        else:
            call.seen_own = True

    def _driver(self, sql: str) -> None:
        self.statements.append(statement(sql, [], origin="driver"))

    @staticmethod
    def _row(row: Any) -> list[JsonValue]:
        return [db_value(value) for value in row]


@contextmanager
def _noting_refusal(call: _Call) -> Iterator[None]:
    """Notes SQLite's message when it refuses the call's statement, and lets it propagate.

    The build replays the statement and expects the same refusal: a snippet may show an
    ``IntegrityError`` on purpose.
    """
    try:
        yield
    except sqlite3.Error as exc:
        call.refused = str(exc)
        raise


def _recorder_of(connection: sqlite3.Connection) -> Recorder | None:
    return getattr(connection, "recorder", None)


class RecordingCursor(sqlite3.Cursor):
    """A cursor that records its calls and serves recorded rows from a buffer."""

    _buffer: list[Any] | None = None
    _position: int = 0

    def execute(self, sql: str, parameters: Any = _NO_PARAMS, /) -> Self:
        self._buffer = None
        recorder = _recorder_of(self.connection)
        call = recorder.begin_call(sql, parameters) if recorder is not None else None
        if call is None:
            if parameters is _NO_PARAMS:
                return super().execute(sql)
            return super().execute(sql, parameters)
        assert recorder is not None
        try:
            with _noting_refusal(call):
                if parameters is _NO_PARAMS:
                    super().execute(sql)
                else:
                    super().execute(sql, parameters)
            self._fetch_eagerly(call)
        finally:
            recorder.end_call(call)
        return self

    def executemany(self, sql: str, seq_of_parameters: Any, /) -> Self:
        self._buffer = None
        recorder = _recorder_of(self.connection)
        if recorder is None or not recorder.active:
            return super().executemany(sql, seq_of_parameters)
        # Materialised so the recording sees the parameters the driver consumes.
        param_list = list(seq_of_parameters)
        call = recorder.begin_call(sql, param_list, many=True)
        if call is None:
            return super().executemany(sql, param_list)
        try:
            with _noting_refusal(call):
                super().executemany(sql, param_list)
        finally:
            recorder.end_call(call)
        return self

    def executescript(self, sql_script: str, /) -> Self:
        self._buffer = None
        recorder = _recorder_of(self.connection)
        call = recorder.begin_call(sql_script, [], script=True) if recorder is not None else None
        if call is None:
            return super().executescript(sql_script)
        assert recorder is not None
        try:
            super().executescript(sql_script)
        finally:
            recorder.end_call(call)
        return self

    def _fetch_eagerly(self, call: _Call) -> None:
        description = self.description
        if description is None:
            return
        rows: list[Any] = []
        while chunk := sqlite3.Cursor.fetchmany(self, _FETCH_CHUNK):
            rows += chunk
            if len(rows) > BUFFER_LIMIT:
                raise TooManyRows(
                    f"the statement returned more than {BUFFER_LIMIT} rows, more than the "
                    "snippet runner holds; add a LIMIT"
                )
        call.columns = [column[0] for column in description]
        call.rows = rows
        self._buffer = rows
        self._position = 0

    # -- serving the buffered rows ---------------------------------------------------

    def fetchone(self) -> Any:
        if self._buffer is None:
            return super().fetchone()
        if self._position >= len(self._buffer):
            return None
        row = self._buffer[self._position]
        self._position += 1
        return row

    def fetchmany(self, size: int | None = None) -> list[Any]:
        if self._buffer is None:
            return super().fetchmany() if size is None else super().fetchmany(size)
        count = self.arraysize if size is None else size
        rows = self._buffer[self._position : self._position + max(count, 0)]
        self._position += len(rows)
        return rows

    def fetchall(self) -> list[Any]:
        if self._buffer is None:
            return super().fetchall()
        rows = self._buffer[self._position :]
        self._position = len(self._buffer)
        return rows

    def __iter__(self) -> Self:
        return self

    def __next__(self) -> Any:
        if self._buffer is None:
            return super().__next__()
        row = self.fetchone()
        if row is None:
            raise StopIteration
        return row

    def close(self) -> None:
        self._buffer = None
        super().close()


@functools.cache
def recording_cursor_class(factory: type[sqlite3.Cursor]) -> type[sqlite3.Cursor]:
    """The cursor class combining ``factory`` (the ORM's) with ``RecordingCursor``."""
    if issubclass(factory, RecordingCursor):
        return factory
    if factory is sqlite3.Cursor:
        return RecordingCursor
    return type(f"Recording{factory.__name__}", (factory, RecordingCursor), {})


class RecordingConnection(sqlite3.Connection):
    """A ``sqlite3`` connection whose cursors and shortcuts are recorded."""

    recorder: Recorder | None

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.recorder = None
        self.set_trace_callback(self._on_trace)
        self._setup = Recorder(self, max_rows)
        self._setup.start()

    @contextmanager
    def loading(self) -> Iterator[None]:
        """Nothing sent while inside is recorded (loading the demo database)."""
        recorder, self.recorder = self.recorder, None
        try:
            yield
        finally:
            self.recorder = recorder

    def take_setup(self) -> list[Statement]:
        """Stops recording the set-up and returns what it recorded."""
        self._setup.stop()
        return self._setup.statements

    def _on_trace(self, sql: str) -> None:
        recorder = self.recorder
        if recorder is not None:
            recorder.on_trace(sql)

    def cursor(self, factory: Any = sqlite3.Cursor) -> sqlite3.Cursor:  # type: ignore[override]
        if isinstance(factory, type) and issubclass(factory, sqlite3.Cursor):
            return super().cursor(recording_cursor_class(factory))
        # A factory function: its cursor is not a RecordingCursor, so say so loudly
        # rather than silently miss statements.
        raise TypeError("RecordingConnection.cursor() needs a sqlite3.Cursor subclass as factory")

    # The connection's shortcuts go through a recording cursor too.

    def execute(self, sql: str, parameters: Any = _NO_PARAMS, /) -> sqlite3.Cursor:
        cursor = self.cursor()
        if parameters is _NO_PARAMS:
            return cursor.execute(sql)
        return cursor.execute(sql, parameters)

    def executemany(self, sql: str, seq_of_parameters: Sequence[Any], /) -> sqlite3.Cursor:
        return self.cursor().executemany(sql, seq_of_parameters)

    def executescript(self, sql_script: str, /) -> sqlite3.Cursor:
        return self.cursor().executescript(sql_script)
