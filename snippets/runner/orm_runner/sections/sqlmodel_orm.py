"""``sqlmodel`` sections: the classes of ``demo_sqlmodel``, ``select`` and a ``session``.

SQLModel's classes are SQLAlchemy mapped classes (and Pydantic models), its
``Session`` is SQLAlchemy's with ``exec()`` added, and its engine is SQLAlchemy's:
the section is set up like a ``sqlalchemy`` one, and its results are SQLAlchemy's.
"""

from collections.abc import Iterator
from contextlib import contextmanager

from orm_runner.sections.base import SectionContext, listed_models, namespace
from orm_runner.sections.sqlalchemy_orm import SQLAlchemyTables, session_on_fresh_database

MODELS_MODULE = "demo_sqlmodel"


class SQLModelSection:
    name = "sqlmodel"

    def prepare(self) -> None:
        from sqlalchemy.orm import configure_mappers

        listed_models(MODELS_MODULE)
        configure_mappers()

    @contextmanager
    def open(self) -> Iterator[SectionContext]:
        from sqlmodel import Session, select

        with session_on_fresh_database(Session) as (connection, session):
            names = {**listed_models(MODELS_MODULE), "select": select, "session": session}
            yield SectionContext(connection, namespace(names), SQLAlchemyTables())
