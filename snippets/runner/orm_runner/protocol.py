"""The request the runner reads: parsing and checking it."""

import json
from dataclasses import dataclass
from typing import Any

from orm_runner.isolation import Limits

# The databases the runner can record on.
DATABASES = ("sqlite", "postgresql")


class RequestError(ValueError):
    """The request is malformed (the runner exits with a non-zero code)."""


@dataclass(frozen=True)
class SectionRequest:
    kind: str
    code: str


@dataclass(frozen=True)
class SnippetRequest:
    id: str
    sections: list[SectionRequest]


@dataclass(frozen=True)
class Request:
    # The stack's lock file: the libraries whose versions the answer reports.
    lock: str
    # The database the sections run on: "sqlite", or "postgresql" (a private server
    # the runner starts for the request).
    database: str
    max_rows: int
    snippets: list[SnippetRequest]
    # The limits are book.toml's; the preprocessor sends them with every request.
    limits: Limits
    # Sections run at the same time, each in a process of its own.
    jobs: int = 1
    # Folders a snippet must not change (the book's chapters and snippets).
    watch: tuple[str, ...] = ()
    # False only for the benchmark's baseline: sections share the runner's process.
    isolate: bool = True


def _object(value: Any, where: str, required: set[str], optional: set[str]) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise RequestError(f"{where}: expected an object, got {type(value).__name__}")
    missing = sorted(required - value.keys())
    if missing:
        raise RequestError(f"{where}: missing {', '.join(missing)}")
    unknown = sorted(value.keys() - required - optional)
    if unknown:
        raise RequestError(f"{where}: unknown key(s) {', '.join(unknown)}")
    return value


def _typed(value: Any, kind: type, where: str) -> Any:
    if not isinstance(value, kind) or isinstance(value, bool) and kind is not bool:
        raise RequestError(f"{where}: expected {kind.__name__}, got {type(value).__name__}")
    return value


def _section(value: Any, where: str) -> SectionRequest:
    fields = _object(value, where, {"kind", "code"}, set())
    return SectionRequest(
        kind=_typed(fields["kind"], str, f"{where}.kind"),
        code=_typed(fields["code"], str, f"{where}.code"),
    )


def _snippet(value: Any, where: str) -> SnippetRequest:
    fields = _object(value, where, {"id", "sections"}, set())
    sections = _typed(fields["sections"], list, f"{where}.sections")
    return SnippetRequest(
        id=_typed(fields["id"], str, f"{where}.id"),
        sections=[_section(item, f"{where}.sections[{i}]") for i, item in enumerate(sections)],
    )


def _positive(value: Any, where: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not value > 0:
        raise RequestError(f"{where}: expected a positive number, got {value!r}")
    return value


def _limits(value: Any) -> Limits:
    names = {"seconds", "memory_bytes", "output_bytes", "value_chars", "answer_bytes"}
    fields = _object(value, "request.limits", names, set())
    return Limits(
        seconds=float(_positive(fields["seconds"], "request.limits.seconds")),
        **{
            name: int(_positive(fields[name], f"request.limits.{name}"))
            for name in sorted(names - {"seconds"})
        },
    )


def parse_request(text: str) -> Request:
    try:
        value = json.loads(text)
    except json.JSONDecodeError as exc:
        raise RequestError(f"not JSON: {exc}") from None
    fields = _object(
        value,
        "request",
        {"lock", "database", "snippets", "max_rows", "limits"},
        {"jobs", "watch", "isolate"},
    )
    database = _typed(fields["database"], str, "request.database")
    if database not in DATABASES:
        raise RequestError(
            f"request.database: {database!r} is not one this runner records on "
            f"({', '.join(DATABASES)})"
        )
    max_rows = _typed(fields["max_rows"], int, "request.max_rows")
    if max_rows < 0:
        raise RequestError("request.max_rows: must not be negative")
    snippets = _typed(fields["snippets"], list, "request.snippets")
    watch = _typed(fields.get("watch", []), list, "request.watch")
    return Request(
        lock=_typed(fields["lock"], str, "request.lock"),
        database=database,
        max_rows=max_rows,
        snippets=[_snippet(item, f"request.snippets[{i}]") for i, item in enumerate(snippets)],
        limits=_limits(fields["limits"]),
        jobs=int(_positive(fields.get("jobs", 1), "request.jobs")),
        watch=tuple(_typed(w, str, f"request.watch[{i}]") for i, w in enumerate(watch)),
        isolate=_typed(fields.get("isolate", True), bool, "request.isolate"),
    )
