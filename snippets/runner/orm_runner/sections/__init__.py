"""The section kinds, by the name used in a request's ``kind``.

The list is ``snippets/kinds.toml``, which the preprocessor reads too: each entry
names the class that runs it (``runner = "module:Class"`` under this package). To
add a kind, write a module like ``django_orm`` with a class following
``SectionKind`` and add its entry to the registry.
"""

import importlib
import tomllib

from orm_runner.paths import KINDS_FILE
from orm_runner.sections.base import SectionContext, SectionKind


def _load() -> dict[str, SectionKind]:
    registry = tomllib.loads(KINDS_FILE.read_text(encoding="utf-8"))
    kinds: dict[str, SectionKind] = {}
    for entry in registry["kind"]:
        module_name, class_name = entry["runner"].split(":")
        module = importlib.import_module(f"{__name__}.{module_name}")
        kind = getattr(module, class_name)()
        if kind.name != entry["name"]:
            raise ValueError(f"{entry['runner']} runs {kind.name!r}, not {entry['name']!r}")
        kinds[entry["name"]] = kind
    return kinds


KINDS: dict[str, SectionKind] = _load()

__all__ = ["KINDS", "SectionContext", "SectionKind"]
