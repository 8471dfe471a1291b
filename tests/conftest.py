"""Shared test setup for the demo database and the ORM models that map it.

Puts snippets/models on sys.path (the Django app `demo` and the modules
`demo_sqlalchemy`, `demo_sqlmodel`, `demo_peewee` and `demo_tortoise`), configures
Django standalone (idempotently), and offers fixtures for the schema, the fixture
rows, a loaded SQLite database and each ORM's models.
"""

from __future__ import annotations

import sqlite3
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

import pytest
from django.apps import AppConfig

REPO_ROOT = Path(__file__).resolve().parent.parent
SNIPPETS_DIR = REPO_ROOT / "snippets"
MODELS_DIR = SNIPPETS_DIR / "models"
SCHEMA_SQL = SNIPPETS_DIR / "schema.sql"
FIXTURES_SQL = SNIPPETS_DIR / "fixtures.sql"

DJANGO_SETTINGS: dict[str, object] = {
    "INSTALLED_APPS": ["demo"],
    "DATABASES": {"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": ":memory:"}},
    "USE_TZ": False,
    "DEFAULT_AUTO_FIELD": "django.db.models.AutoField",
}


def add_models_to_path() -> None:
    """Make `demo` and the `demo_*` modules importable."""
    if str(MODELS_DIR) not in sys.path:
        sys.path.insert(0, str(MODELS_DIR))


def configure_django() -> None:
    """Configure Django standalone with the demo app; safe to call more than once."""
    add_models_to_path()
    import django
    from django.apps import apps
    from django.conf import settings

    if not settings.configured:
        settings.configure(**DJANGO_SETTINGS)
    if not apps.ready:
        django.setup()


def open_demo_db(*, with_fixtures: bool = True) -> sqlite3.Connection:
    """A fresh in-memory database with foreign keys enforced, schema (and rows) loaded."""
    conn = sqlite3.connect(":memory:")
    conn.execute("PRAGMA foreign_keys = ON")
    conn.executescript(SCHEMA_SQL.read_text(encoding="utf-8"))
    if with_fixtures:
        conn.executescript(FIXTURES_SQL.read_text(encoding="utf-8"))
    return conn


add_models_to_path()


@pytest.fixture(scope="session")
def pg_cluster() -> Iterator[object]:
    """The runner's private PostgreSQL server (pgserver's), started for the test session
    and stopped after it: its template database holds the demo schema and rows."""
    runner = str(SNIPPETS_DIR / "runner")
    if runner not in sys.path:
        sys.path.insert(0, runner)
    from orm_runner.postgresql import Cluster

    cluster = Cluster(statement_seconds=30)
    cluster.start()
    try:
        yield cluster
    finally:
        cluster.stop()


@pytest.fixture(scope="session")
def schema_sql() -> str:
    return SCHEMA_SQL.read_text(encoding="utf-8")


@pytest.fixture(scope="session")
def fixtures_sql() -> str:
    return FIXTURES_SQL.read_text(encoding="utf-8")


@pytest.fixture
def demo_db() -> Iterator[sqlite3.Connection]:
    """A fresh sqlite3 connection holding the schema and the fixture rows."""
    conn = open_demo_db()
    try:
        yield conn
    finally:
        conn.close()


@pytest.fixture(scope="session")
def django_demo_app() -> AppConfig:
    """Django configured with the demo app; returns its AppConfig."""
    configure_django()
    from django.apps import apps

    return apps.get_app_config("demo")


@pytest.fixture(scope="session")
def sqlalchemy_demo() -> ModuleType:
    """The demo_sqlalchemy module, with every mapper configured."""
    from sqlalchemy.orm import configure_mappers

    import demo_sqlalchemy

    configure_mappers()
    return demo_sqlalchemy


@pytest.fixture(scope="session")
def sqlmodel_demo() -> ModuleType:
    """The demo_sqlmodel module, with every mapper configured."""
    from sqlalchemy.orm import configure_mappers

    import demo_sqlmodel

    configure_mappers()
    return demo_sqlmodel


@pytest.fixture(scope="session")
def peewee_demo() -> ModuleType:
    """The demo_peewee module (its models are bound to an uninitialised proxy)."""
    import demo_peewee

    return demo_peewee


@pytest.fixture(scope="session")
def tortoise_demo() -> ModuleType:
    """The demo_tortoise module, its relations initialised (no connection is opened)."""
    from tortoise import Tortoise
    from tortoise.context import TortoiseContext

    import demo_tortoise

    with TortoiseContext():
        Tortoise.init_models([demo_tortoise], demo_tortoise.APP_LABEL)
    return demo_tortoise
