"""Django, configured once per process for the ``django`` sections."""

import _thread

from django.conf import settings

from orm_runner import database, postgresql
from orm_runner.paths import ensure_models_importable
from orm_runner.recording import RecordingConnection

APP_LABEL = "demo"


class _StableThreadIdents:
    """Small thread numbers in order of first use, instead of ``_thread.get_ident()``.

    Django names savepoints after the thread's identifier (``SAVEPOINT "s140…_x1"``),
    which changes from run to run. With this stand-in the runner's thread is number 1,
    so a nested ``atomic()`` emits ``SAVEPOINT "s1_x1"`` every time.
    """

    def __init__(self) -> None:
        self._numbers: dict[int, int] = {}

    def get_ident(self) -> int:
        return self._numbers.setdefault(_thread.get_ident(), len(self._numbers) + 1)


def _default_database() -> dict[str, object]:
    if database.current == "postgresql":
        # The name is each section's own database (set when the section opens).
        return {**postgresql.cluster().placeholder().django_settings()}
    return {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": ":memory:",
        "OPTIONS": {"factory": RecordingConnection},
    }


def setup() -> None:
    """Configure and set up Django (does nothing the second time)."""
    if settings.configured:
        return
    ensure_models_importable()
    settings.configure(
        INSTALLED_APPS=[APP_LABEL],
        DATABASES={"default": _default_database()},
        USE_TZ=False,
        TIME_ZONE="UTC",
        DEFAULT_AUTO_FIELD="django.db.models.AutoField",
    )
    import django
    import django.db.backends.base.base as backend_base

    # Before any connection wrapper exists: it records its thread's identifier.
    idents = _StableThreadIdents()
    idents.get_ident()
    backend_base._thread = idents  # type: ignore[assignment]
    django.setup()
