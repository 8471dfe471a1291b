"""``django`` sections: the Django ORM, with every model of the ``demo`` app in scope."""

from collections.abc import Coroutine, Iterator
from contextlib import contextmanager
from typing import Any

from orm_runner import database, django_setup, postgresql
from orm_runner.postgresql import SectionDatabase
from orm_runner.recording import RecordingConnection
from orm_runner.sections.base import SectionContext, namespace
from orm_runner.tables import Rows, attributes_set_besides, instance_label


class DjangoTables:
    """QuerySets and model instances as tables."""

    def rows(self, value: Any) -> Rows | None:
        from django.db.models import Manager, QuerySet
        from django.db.models.query import (
            FlatValuesListIterable,
            ModelIterable,
            RawQuerySet,
        )

        if isinstance(value, RawQuerySet):
            return Rows(list(value), list(value.columns))
        if isinstance(value, Manager):
            return None
        if not isinstance(value, QuerySet):
            return None
        items = list(value)
        query = value.query
        if issubclass(value._iterable_class, ModelIterable):
            names = [field.attname for field in value.model._meta.concrete_fields]
            names += [*query.extra_select, *query.annotation_select]
        elif query.selected:
            names = list(query.selected)
        else:
            names = [*query.extra_select, *query.values_select, *query.annotation_select]
        if issubclass(value._iterable_class, FlatValuesListIterable):
            names = names[:1]
        return Rows(items, [str(name) for name in names])

    def record(self, value: Any) -> list[tuple[str, Any]] | None:
        from django.db.models import Model

        if not isinstance(value, Model):
            return None
        loaded = value.__dict__
        fields = [field.attname for field in value._meta.concrete_fields]
        pairs = [(name, loaded[name]) for name in fields if name in loaded]
        return pairs + attributes_set_besides(loaded, set(fields))

    def label(self, value: Any) -> str | None:
        from django.db.models import Model

        if not isinstance(value, Model):
            return None
        return instance_label(value, f"{type(value).__name__} object ({value.pk})")


async def _awaiting(coroutine: Coroutine[Any, Any, Any]) -> Any:
    return await coroutine


def run_through_async_to_sync(coroutine: Coroutine[Any, Any, Any]) -> Any:
    """Runs a section's async code the way a Django server's sync world calls async code.

    ``async_to_sync`` runs the event loop in a thread of its own, and Django's async
    methods (``aget``, ``acount``, ``async for``...) hand each query back, through
    ``sync_to_async(thread_sensitive=True)``, to the thread that called it: the runner's,
    whose connection holds the section's database and is recorded.
    """
    from asgiref.sync import async_to_sync

    return async_to_sync(_awaiting)(coroutine)


class DjangoSection:
    name = "django"

    def prepare(self) -> None:
        django_setup.setup()
        # The backend module registers sqlite3 adapters and converters, process-wide:
        # import it now so every kind of section runs with the same ones.
        import django.db.backends.sqlite3.base  # noqa: F401

    def _models(self) -> dict[str, Any]:
        from django.apps import apps

        config = apps.get_app_config(django_setup.APP_LABEL)
        return {model.__name__: model for model in config.get_models()}

    def _fresh_connection(self) -> RecordingConnection:
        from django.db import connections

        wrapper = connections["default"]
        # close() keeps in-memory databases open on purpose; drop this one for real.
        if wrapper.connection is not None:
            wrapper.connection.close()
        wrapper.connection = None
        wrapper.in_atomic_block = False
        wrapper.closed_in_transaction = False
        wrapper.savepoint_state = 0
        wrapper.queries_log.clear()
        wrapper.ensure_connection()
        raw = wrapper.connection
        assert isinstance(raw, RecordingConnection)
        database.seed(raw)
        return raw

    @contextmanager
    def _connected(self) -> Iterator[RecordingConnection | SectionDatabase]:
        """Django's default connection, open on the section's fresh database."""
        from django.db import connections

        wrapper = connections["default"]
        try:
            if database.current == "postgresql":
                with postgresql.cluster().section_database() as section_database:
                    wrapper.close()
                    wrapper.settings_dict.update(section_database.django_settings())
                    wrapper.ensure_connection()
                    try:
                        yield section_database
                    finally:
                        wrapper.close()
            else:
                connection = self._fresh_connection()
                try:
                    yield connection
                finally:
                    connection.close()
                    wrapper.connection = None
        finally:
            wrapper.in_atomic_block = False

    @contextmanager
    def open(self) -> Iterator[SectionContext]:
        with self._connected() as connection:
            yield SectionContext(
                connection,
                namespace(self._models()),
                DjangoTables(),
                run_async=run_through_async_to_sync,
            )
