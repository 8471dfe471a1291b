"""Turning Python values into the JSON values of the response.

Two flavours:

- ``db_value``: a value as SQLite sees it (statement parameters and rows). Booleans are
  integers there, and values the driver adapts (dates, ``Decimal``...) are shown the way
  ``sqlite3``'s registered adapters store them.
- ``result_value``: a cell of the section's result table. Booleans stay booleans.

Both give integers, floats, strings, ``None``, or ``{"$bytes": "<hex>"}``.
"""

import datetime
import decimal
import enum
import math
import re
import sqlite3
import sys
import uuid
from pathlib import Path
from typing import Any

JsonValue = None | bool | int | float | str | dict[str, str]

# A default ``repr`` (``<Foo object at 0x7f3a...>``) holds a memory address, which
# changes from run to run.
MEMORY_ADDRESS = re.compile(r"0x[0-9a-fA-F]{6,}")
MASKED_ADDRESS = "0x…"


# Where this machine keeps Python and the book: a message that names a file under
# them (an ImportError names the module's path) would differ from one checkout to
# the next. Longest first, so the environment wins over the book that holds it.
_MACHINE_PATHS = sorted(
    {sys.prefix, sys.base_prefix, str(Path(__file__).resolve().parents[3])}, key=len, reverse=True
)


# Names the private PostgreSQL server gives per run and per section (its socket
# folder, each section's database), as a reader sees them whatever the run.
_RUN_NAMES = [
    # As a path, or URL-encoded inside a connection URL (``host=%2Fdev%2Fshm%2F…``).
    (re.compile(r"(?:/|%2F)(?:[\w.-]+(?:/|%2F))*ormcompare-pg-\w+(?:/|%2F)data"), "…/pg"),
    (re.compile(r"\bsection_\d+_\d+\b"), "section_db"),
]


def without_machine_paths(text: str) -> str:
    """``text`` with this machine's Python and book folders written as ``…``, and the
    private server's run-to-run names as fixed ones."""
    for path in _MACHINE_PATHS:
        text = text.replace(path, "…")
    for pattern, shown in _RUN_NAMES:
        text = pattern.sub(shown, text)
    return text


def has_memory_address(text: str) -> bool:
    return MEMORY_ADDRESS.search(text) is not None


def mask_memory_addresses(text: str) -> str:
    return MEMORY_ADDRESS.sub(MASKED_ADDRESS, text)


def _float(value: float) -> float | str:
    # JSON has no NaN or infinities.
    if math.isfinite(value):
        return value
    return "NaN" if math.isnan(value) else ("Infinity" if value > 0 else "-Infinity")


def _datetime(value: datetime.datetime) -> str:
    return value.isoformat(" ")


def _common(value: Any) -> tuple[bool, JsonValue]:
    """Types shown the same way in both flavours; ``(False, None)`` when not one of them."""
    if value is None:
        return True, None
    # Subclasses (str and int enums, Django's choices) as their plain value.
    if isinstance(value, str):
        return True, str.__str__(value)
    if isinstance(value, int) and not isinstance(value, bool):
        return True, int(value)
    if isinstance(value, float):
        return True, _float(float(value))
    if isinstance(value, (bytes, bytearray, memoryview)):
        return True, {"$bytes": bytes(value).hex()}
    if isinstance(value, decimal.Decimal):
        return True, str(value)
    if isinstance(value, datetime.datetime):
        return True, _datetime(value)
    if isinstance(value, (datetime.date, datetime.time)):
        return True, value.isoformat()
    return False, None


def db_value(value: Any) -> JsonValue:
    """A parameter or a fetched value, as SQLite stores it."""
    if isinstance(value, bool):
        return int(value)
    known, shown = _common(value)
    if known:
        return shown
    adapter = sqlite3.adapters.get((type(value), sqlite3.PrepareProtocol))
    if adapter is not None:
        adapted = adapter(value)
        known, shown = _common(adapted)
        if known:
            return shown
        value = adapted
    return mask_memory_addresses(str(value))


def db_params(params: Any) -> Any:
    """The parameters of one ``execute`` call: a list (qmark style) or an object (named)."""
    if params is None:
        return []
    if isinstance(params, dict) or hasattr(params, "keys"):
        return {str(key): db_value(params[key]) for key in params.keys()}
    try:
        return [db_value(value) for value in params]
    except TypeError:
        return [db_value(params)]


class UnshownValue(Exception):
    """A result cell whose value has no deterministic text form."""


def result_value(value: Any) -> JsonValue:
    """A cell of the result table (model instances are handled by ``tables``)."""
    if isinstance(value, bool):
        return value
    known, shown = _common(value)
    if known:
        return shown
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, datetime.timedelta):
        return str(value)
    if isinstance(value, enum.Enum):
        return result_value(value.value)
    text = repr(value)
    if has_memory_address(text):
        raise UnshownValue(
            f"a value of type {type(value).__name__} has no deterministic text form "
            f"(its repr holds a memory address)"
        )
    return text


def oversized_value(answer: Any, limit: int, where: str = "the capture") -> str | None:
    """Where in a section's answer a string longer than ``limit`` characters sits, if any."""
    if isinstance(answer, str):
        return where if len(answer) > limit else None
    if isinstance(answer, dict):
        items: Any = answer.items()
    elif isinstance(answer, list):
        items = enumerate(answer)
    else:
        return None
    for key, value in items:
        found = oversized_value(value, limit, _place(where, key))
        if found is not None:
            return found
    return None


def _place(where: str, key: Any) -> str:
    """``statement 3's params``, ``the result's rows``: a reader's name for a part."""
    names = {
        "statements": "its statements",
        "params": "parameters",
        "rows": "rows",
        "result": "the result",
        "stdout": "printed output",
        "sql": "SQL text",
        "error": "the error",
    }
    if isinstance(key, int):
        return f"{where} #{key + 1}"
    return f"{where}, {names.get(key, key)}" if where != "the capture" else names.get(key, key)
