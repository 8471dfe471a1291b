"""Throwaway migration projects for the migrations chapter, each in a temporary directory.

The comparison sections share one Python process, so each context manager puts back
what it changed: the working directory, ``sys.path``, ``sys.modules``, Django's
settings and app registry. They only make and remove files and state; every migration
command is called by the snippet itself, where the reader sees it.
"""

import datetime
import importlib
import shutil
import sys
import tempfile
from argparse import Namespace
from collections.abc import Iterator
from contextlib import chdir, contextmanager
from pathlib import Path
from unittest import mock

from alembic.config import Config

# The time Django's migrations table records for every migration applied in a snippet,
# instead of the current time, so that the statements are the same on every run.
APPLIED_AT = datetime.datetime(2025, 1, 1)

# The module whose ``run_formatters`` (black, when installed) is switched off.
MAKEMIGRATIONS = "django.core.management.commands.makemigrations"

# Alembic's generic ``script.py.mako`` without its ``Create Date:`` line (a timestamp)
# and its type annotations.
ALEMBIC_TEMPLATE = '''\
"""${message}

Revision ID: ${up_revision}
Revises: ${down_revision | comma,n}
"""
from alembic import op
import sqlalchemy as sa
${imports if imports else ""}

revision = ${repr(up_revision)}
down_revision = ${repr(down_revision)}
branch_labels = ${repr(branch_labels)}
depends_on = ${repr(depends_on)}


def upgrade() -> None:
    ${upgrades if upgrades else "pass"}


def downgrade() -> None:
    ${downgrades if downgrades else "pass"}
'''

# The env.py of every scratch Alembic project.
ALEMBIC_ENV = Path(__file__).with_name("scratch_alembic") / "env.py"


def forget_modules(package: str) -> None:
    """Drop ``package`` and its submodules from ``sys.modules``."""
    for name in [name for name in sys.modules if name == package or name.startswith(f"{package}.")]:
        del sys.modules[name]


@contextmanager
def _scratch_directory() -> Iterator[Path]:
    """A new temporary directory, the working directory while the block runs."""
    with tempfile.TemporaryDirectory() as name, chdir(name):
        yield Path(name)


@contextmanager
def django_app(label: str) -> Iterator[None]:
    """A Django app ``label``, installed for the block, with an empty ``migrations`` package.

    Models declared with ``app_label = label`` belong to it. The working directory is
    the app's parent, so ``makemigrations`` prints paths relative to it. Django must be
    set up already.
    """
    from django.apps import apps
    from django.conf import settings
    from django.db.migrations.recorder import MigrationRecorder
    from django.test.utils import override_settings

    with _scratch_directory() as root:
        migrations = root / label / "migrations"
        migrations.mkdir(parents=True)
        (root / label / "__init__.py").touch()
        (migrations / "__init__.py").touch()
        installed = [*settings.INSTALLED_APPS, label]
        applied = MigrationRecorder.Migration._meta.get_field("applied")
        sys.path.insert(0, str(root))
        try:
            # The demo app has no migrations: said here, so that no command writes any.
            # Django runs black on the files makemigrations writes if black is on the
            # PATH: not here, so that the files are the same on every machine.
            with (
                override_settings(INSTALLED_APPS=installed, MIGRATION_MODULES={"demo": None}),
                mock.patch.object(applied, "_get_default", lambda: APPLIED_AT),
                mock.patch(f"{MAKEMIGRATIONS}.run_formatters"),
            ):
                yield
        finally:
            apps.all_models.pop(label, None)
            apps.clear_cache()
            forget_modules(label)
            sys.path.remove(str(root))
            importlib.invalidate_caches()


@contextmanager
def alembic_project() -> Iterator[Config]:
    """A script directory ``migrations`` (env.py, template, versions/) and its ``Config``.

    The ``Config`` is quiet: Alembic would print each file it writes with its absolute
    path, here a temporary directory's. (Quiet also silences ``heads``, ``history`` and
    ``current``; offline SQL is still printed.)
    """
    with _scratch_directory() as root:
        scripts = root / "migrations"
        (scripts / "versions").mkdir(parents=True)
        shutil.copyfile(ALEMBIC_ENV, scripts / "env.py")
        (scripts / "script.py.mako").write_text(ALEMBIC_TEMPLATE, encoding="utf-8")
        config = Config(stdout=sys.stdout, cmd_opts=Namespace(quiet=True))
        config.set_main_option("script_location", "migrations")
        yield config
