"""Where the runner finds the shared demo database and the model definitions."""

import sys
from pathlib import Path

SNIPPETS_DIR = Path(__file__).resolve().parents[2]
SCHEMA_FILE = SNIPPETS_DIR / "schema.sql"
POSTGRESQL_SCHEMA_FILE = SNIPPETS_DIR / "schema.postgresql.sql"
FIXTURES_FILE = SNIPPETS_DIR / "fixtures.sql"
POSTGRESQL_SEQUENCES_FILE = SNIPPETS_DIR / "sequences.postgresql.sql"
MODELS_DIR = SNIPPETS_DIR / "models"
KINDS_FILE = SNIPPETS_DIR / "kinds.toml"


def ensure_models_importable() -> None:
    """Put ``snippets/models`` on ``sys.path`` (the Django app and the SQLAlchemy module)."""
    models = str(MODELS_DIR)
    if models not in sys.path:
        sys.path.insert(0, models)
