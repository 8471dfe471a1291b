"""Environment variables a library reads, set for a while and put back afterwards."""

import os
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def environment_kept(*names: str) -> Iterator[None]:
    """On leaving, ``names`` are as they were: restored, or removed if they were unset."""
    saved = {name: os.environ.get(name) for name in names}
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
