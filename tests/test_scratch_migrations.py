"""The scratch migration projects of the migrations chapter (snippets/models/scratch_migrations.py).

Snippets share one Python process: whatever a project changes must be back as it was
when its block ends, and what it writes must give the same files on every run.
"""

from __future__ import annotations

import io
import os
import sys
from contextlib import redirect_stdout
from pathlib import Path

import pytest
from alembic import command
from django.apps import AppConfig
from sqlalchemy import String, create_engine
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


def _fake_black(directory: Path) -> Path:
    """A ``black`` that marks every file it is given, as a machine with black would."""
    black = directory / "black"
    black.write_text('#!/bin/sh\nshift 2\nfor f in "$@"; do echo "# blackened" >> "$f"; done\n')
    black.chmod(0o755)
    return directory


def test_django_app_is_installed_then_forgotten(
    django_demo_app: AppConfig, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from django.apps import apps
    from django.conf import settings
    from django.core.management import call_command
    from django.core.management.commands import makemigrations
    from django.core.management.utils import run_formatters
    from django.db import models
    from django.db.migrations.recorder import MigrationRecorder

    from scratch_migrations import APPLIED_AT, django_app

    monkeypatch.setenv("PATH", f"{_fake_black(tmp_path)}{os.pathsep}{os.environ['PATH']}")
    cwd, path, installed = os.getcwd(), list(sys.path), list(settings.INSTALLED_APPS)
    with django_app("scratchshop"):
        root = Path.cwd()
        assert (root / "scratchshop" / "migrations" / "__init__.py").is_file()
        assert apps.is_installed("scratchshop")
        assert settings.MIGRATION_MODULES == {"demo": None}
        applied = MigrationRecorder.Migration._meta.get_field("applied")
        assert applied.get_default() == APPLIED_AT

        class Shelf(models.Model):
            label = models.CharField(max_length=10)

            class Meta:
                app_label = "scratchshop"

        out = io.StringIO()
        call_command("makemigrations", "scratchshop", "--no-header", stdout=out)
        assert "scratchshop/migrations/0001_initial.py" in out.getvalue()
        assert str(root) not in out.getvalue()
        assert "scratchshop.migrations" in sys.modules
        written = (root / "scratchshop" / "migrations" / "0001_initial.py").read_text()
        assert written.startswith("from django.db import migrations, models")
        assert "# blackened" not in written
    assert not root.exists()
    assert (os.getcwd(), sys.path, list(settings.INSTALLED_APPS)) == (cwd, path, installed)
    assert not apps.is_installed("scratchshop")
    assert "scratchshop" not in apps.all_models
    assert not any(name.split(".")[0] == "scratchshop" for name in sys.modules)
    assert applied.get_default() != APPLIED_AT
    assert makemigrations.run_formatters is run_formatters


class _Base(DeclarativeBase):
    pass


class _Shelf(_Base):
    __tablename__ = "shelves"

    id: Mapped[int] = mapped_column(primary_key=True)
    label: Mapped[str] = mapped_column(String(10))


def test_alembic_project_writes_revisions_without_a_date() -> None:
    from scratch_migrations import alembic_project

    cwd = os.getcwd()
    engine = create_engine("sqlite://")
    printed = io.StringIO()
    with alembic_project() as cfg, engine.connect() as connection, redirect_stdout(printed):
        root = Path.cwd()
        cfg.attributes["connection"] = connection
        cfg.attributes["target_metadata"] = _Base.metadata
        script = command.revision(cfg, "shelves", autogenerate=True, rev_id="0001")
        assert script is not None
        text = Path(script.path).read_text(encoding="utf-8")
        command.upgrade(cfg, "head", sql=True)
    assert Path(script.path).name == "0001_shelves.py"
    assert "op.create_table('shelves'" in text
    assert "Create Date" not in text
    # Quiet: no "Generating /tmp/.../0001_shelves.py", only the offline SQL.
    assert str(root) not in printed.getvalue()
    assert "CREATE TABLE shelves" in printed.getvalue()
    assert not root.exists()
    assert os.getcwd() == cwd
