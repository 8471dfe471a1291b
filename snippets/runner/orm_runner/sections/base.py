"""What a section kind provides: a fresh database, the names the code sees, its ORM's tables."""

import asyncio
import importlib
from collections.abc import Callable, Coroutine
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from typing import Any, Protocol

from orm_runner.paths import ensure_models_importable
from orm_runner.postgresql import SectionDatabase
from orm_runner.recording import RecordingConnection
from orm_runner.tables import OrmTables


@dataclass
class SectionContext:
    """One section's fresh database and the namespace its code runs in."""

    # SQLite: the recorded connection itself; PostgreSQL: where the section's database is
    # (its drivers are recorded at class level, ``pg_recording``).
    connection: RecordingConnection | SectionDatabase
    namespace: dict[str, Any]
    tables: OrmTables
    # Runs the coroutine of code that uses top-level ``await``, and returns its value.
    run_async: Callable[[Coroutine[Any, Any, Any]], Any] = field(default=asyncio.run)


class SectionKind(Protocol):
    """A kind of section (``django``, ``sqlalchemy``...)."""

    name: str

    def prepare(self) -> None:
        """Once per process, before any section runs (imports, global configuration)."""
        ...

    def open(self) -> AbstractContextManager[SectionContext]:
        """A fresh, seeded database; leaving the context releases it (not recorded)."""
        ...


def namespace(names: dict[str, Any]) -> dict[str, Any]:
    """The globals a section's code runs in, like a notebook's."""
    return {"__name__": "__main__", "__builtins__": __builtins__, **names}


def listed_models(module_name: str) -> dict[str, Any]:
    """The classes a module of ``snippets/models`` lists in ``MODELS``, by class name."""
    ensure_models_importable()
    module = importlib.import_module(module_name)
    return {model.__name__: model for model in module.MODELS}


def sqlite_only(kind: str) -> None:
    """Refuses to prepare ``kind`` on another database than SQLite."""
    from orm_runner import database

    if database.current != "sqlite":
        raise RuntimeError(
            f"{kind} sections are recorded on SQLite only; give the comparison `db=sqlite` "
            "in its ```compare line"
        )
