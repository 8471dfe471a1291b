"""The request the runner reads: parsing and checking it."""

import json
from dataclasses import dataclass
from typing import Any

DEFAULT_MAX_ROWS = 1000


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
    max_rows: int
    snippets: list[SnippetRequest]


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


def parse_request(text: str) -> Request:
    try:
        value = json.loads(text)
    except json.JSONDecodeError as exc:
        raise RequestError(f"not JSON: {exc}") from None
    fields = _object(value, "request", {"snippets"}, {"max_rows"})
    max_rows = _typed(fields.get("max_rows", DEFAULT_MAX_ROWS), int, "request.max_rows")
    if max_rows < 0:
        raise RequestError("request.max_rows: must not be negative")
    snippets = _typed(fields["snippets"], list, "request.snippets")
    return Request(
        max_rows=max_rows,
        snippets=[_snippet(item, f"request.snippets[{i}]") for i, item in enumerate(snippets)],
    )
