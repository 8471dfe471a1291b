"""``sqlalchemy`` sections: the classes of ``demo_sqlalchemy``, ``select`` and a ``session``."""

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from orm_runner import database
from orm_runner.paths import ensure_models_importable
from orm_runner.postgresql import SectionDatabase
from orm_runner.recording import RecordingConnection
from orm_runner.sections.base import SectionContext, namespace
from orm_runner.tables import Rows, UnsupportedResult
from orm_runner.values import has_memory_address

MODELS_MODULE = "demo_sqlalchemy"


def _state(value: Any) -> Any:
    """The instance state of a mapped instance, or ``None``."""
    from sqlalchemy import inspect
    from sqlalchemy.orm import InstanceState

    if isinstance(value, type):
        return None
    state = inspect(value, raiseerr=False)
    return state if isinstance(state, InstanceState) else None


def _column_keys(mapper: Any) -> list[str]:
    """The mapper's column attributes: table columns in table order, then the others."""
    from sqlalchemy.orm.exc import UnmappedColumnError

    keys: list[str] = []
    for column in mapper.persist_selectable.columns:
        try:
            key = mapper.get_property_by_column(column).key
        except UnmappedColumnError:
            continue
        if key not in keys:
            keys.append(key)
    keys += [prop.key for prop in mapper.column_attrs if prop.key not in keys]
    return keys


def _entity_names(result: Any) -> list[str] | None:
    """For a result of whole instances of one entity (``select(Customer)``), its column keys."""
    from sqlalchemy import inspect

    context = getattr(result, "context", None)
    # An ORM result's QueryContext has the statement as .query; Core's has .compiled.
    statement = getattr(context, "query", None)
    if statement is None:
        statement = getattr(getattr(context, "compiled", None), "statement", None)
    descriptions = getattr(statement, "column_descriptions", None)
    if not descriptions or len(descriptions) != 1:
        return None
    entity = descriptions[0].get("entity")
    if entity is None or descriptions[0].get("expr") is not entity:
        return None
    return _column_keys(inspect(entity).mapper)


class SQLAlchemyTables:
    """Results, rows and mapped instances as tables."""

    def rows(self, value: Any) -> Rows | None:
        from sqlalchemy.engine import CursorResult, Result, ScalarResult
        from sqlalchemy.engine.result import FilterResult
        from sqlalchemy.orm import Query

        if isinstance(value, Query):
            names = [str(column["name"]) for column in value.column_descriptions]
            return Rows(value.all(), names)
        if isinstance(value, CursorResult) and not value.returns_rows:
            raise UnsupportedResult(
                "the last expression is a result that returns no rows (an INSERT, UPDATE or "
                "DELETE without RETURNING); end the section with `result.rowcount`, or with "
                "no expression"
            )
        if isinstance(value, Result):
            names = _entity_names(value) or [str(key) for key in value.keys()]
            return Rows(value.all(), names)
        if isinstance(value, FilterResult):
            # ScalarResult, MappingResult, TupleResult: filters over a Result.
            real = value._real_result
            keys = [str(key) for key in real.keys()]
            if isinstance(value, ScalarResult):
                keys = keys[:1]
            return Rows(value.all(), _entity_names(real) or keys)
        return None

    def record(self, value: Any) -> list[tuple[str, Any]] | None:
        state = _state(value)
        if state is None:
            return None
        # Attributes deferred by the query (load_only, defer) are left out; expired ones
        # (after a commit) are loaded, like any access to them would. A new object's
        # unset attributes read as None, without SQL.
        skipped = state.unloaded - state.expired_attributes if state.has_identity else set()
        return [
            (key, getattr(value, key)) for key in _column_keys(state.mapper) if key not in skipped
        ]

    def label(self, value: Any) -> str | None:
        state = _state(value)
        if state is None:
            return None
        cls = type(value)
        if cls.__repr__ is not object.__repr__:
            text = repr(value)
            if not has_memory_address(text):
                return text
        mapper = state.mapper
        identity = state.identity or (None,) * len(mapper.primary_key)
        keys = [mapper.get_property_by_column(column).key for column in mapper.primary_key]
        inside = ", ".join(f"{key}={ident!r}" for key, ident in zip(keys, identity, strict=True))
        return f"{cls.__name__}({inside})"


def import_models() -> None:
    """Imports the mappings and configures them, once, before any section's process
    starts: every section then begins with the same, ready mappers."""
    from sqlalchemy.orm import configure_mappers

    ensure_models_importable()
    __import__(MODELS_MODULE)
    configure_mappers()


def mapped_classes() -> dict[str, Any]:
    """The demo's mapped classes, by class name."""
    import importlib

    module = importlib.import_module(MODELS_MODULE)
    return {mapper.class_.__name__: mapper.class_ for mapper in module.Base.registry.mappers}


def _engine(handle: RecordingConnection | SectionDatabase) -> Any:
    """An engine over the section's database: its one recorded SQLite connection, or
    the psycopg driver on the section's PostgreSQL database."""
    from sqlalchemy import create_engine
    from sqlalchemy.pool import StaticPool

    if isinstance(handle, SectionDatabase):
        return create_engine(handle.url("psycopg"))
    return create_engine("sqlite://", creator=lambda: handle, poolclass=StaticPool)


@contextmanager
def session_on_fresh_database(
    session_class: Callable[[Any], Any],
) -> Iterator[tuple[RecordingConnection | SectionDatabase, Any]]:
    """A fresh, seeded database and a session of ``session_class`` on an engine over it.

    The engine's first connect initialises the dialect (it runs queries of its own): done
    here, before the recording starts.
    """
    with database.fresh_section_database() as handle:
        engine = _engine(handle)
        try:
            with engine.connect():
                pass
            session = session_class(engine)
            try:
                yield handle, session
            finally:
                session.close()
        finally:
            engine.dispose()


class SQLAlchemySection:
    name = "sqlalchemy"

    def prepare(self) -> None:
        import_models()

    @contextmanager
    def open(self) -> Iterator[SectionContext]:
        from sqlalchemy import select
        from sqlalchemy.orm import Session

        with session_on_fresh_database(Session) as (connection, session):
            names = {**mapped_classes(), "select": select, "session": session}
            yield SectionContext(connection, namespace(names), SQLAlchemyTables())
