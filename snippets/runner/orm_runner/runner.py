"""Running a whole request: every section of every snippet, each on a fresh database."""

import gc
import platform
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from importlib import metadata
from typing import Any

from orm_runner import execute
from orm_runner.budget import SectionTimeout, time_limit
from orm_runner.execute import ErrorInfo, Outcome, error_info
from orm_runner.paths import LOCK_FILE
from orm_runner.protocol import Request
from orm_runner.recording import Recorder
from orm_runner.sections import KINDS, SectionContext
from orm_runner.tables import to_table

Response = dict[str, Any]


def versions() -> dict[str, str]:
    """Python, its SQLite, and every library pinned in ``requirements.lock`` (lower-cased)."""
    pinned = {}
    for line in LOCK_FILE.read_text(encoding="utf-8").splitlines():
        name = line.split("#", 1)[0].split("==", 1)[0].strip()
        if name:
            pinned[name.lower()] = metadata.version(name)
    return {"python": platform.python_version(), "sqlite": sqlite3.sqlite_version, **pinned}


def _section(
    kind: str, statements: list[dict[str, Any]], outcome: Outcome | None, error: ErrorInfo | None
) -> Response:
    return {
        "kind": kind,
        "statements": statements,
        "result": outcome.result if outcome is not None else None,
        "stdout": outcome.stdout if outcome is not None else "",
        "error": error,
    }


def _setup_failure(exc: BaseException) -> ErrorInfo:
    return error_info("SetupError", f"{type(exc).__name__}: {exc}", None)


def _run_recorded(
    kind: str, code: str, context: SectionContext, recorder: Recorder, max_rows: int
) -> tuple[Outcome | None, ErrorInfo | None]:
    """Run the code while recording, within the time budget."""
    outcome: Outcome | None = None
    filename = f"<{kind}>"
    with time_limit(context.connection, filename) as budget:
        try:
            with recorder.recording():
                outcome = execute.run(
                    code,
                    filename,
                    context.namespace,
                    lambda value: to_table(value, context.tables, max_rows),
                    context.run_async,
                )
        except SectionTimeout:
            pass
        error = outcome.error if outcome is not None else None
        if budget.expired and (outcome is None or error is not None):
            # Includes SQL interrupted by the budget (OperationalError: interrupted).
            error = error_info("Timeout", budget.message(), error["line"] if error else None)
    return outcome, error


@contextmanager
def _no_cyclic_gc() -> Iterator[None]:
    """Objects die by reference counting only while a section runs.

    SQLAlchemy's identity map holds objects weakly, and when the cyclic collector
    runs depends on allocation patterns that vary with memory layout. An object
    collected between two loads turns an identity-map hit into a query, so a
    capture could change between two runs of the same tree (the freshness test
    caught one). Collecting between sections instead keeps captures repeatable;
    freezing what survives keeps each of those collections small.
    """
    gc.collect()
    gc.freeze()
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


def run_section(
    kind: str, code: str, max_rows: int, setup_errors: dict[str, ErrorInfo]
) -> Response:
    section_kind = KINDS.get(kind)
    if section_kind is None:
        known = ", ".join(sorted(KINDS))
        message = f"unknown section kind {kind!r}; the runner knows: {known}"
        return _section(kind, [], None, error_info("UnknownSection", message, None))
    if kind in setup_errors:
        return _section(kind, [], None, setup_errors[kind])
    statements: list[dict[str, Any]] = []
    outcome: Outcome | None = None
    error: ErrorInfo | None = None
    ran = False
    try:
        with _no_cyclic_gc(), section_kind.open() as context:
            recorder = Recorder(context.connection, max_rows)
            statements = recorder.statements
            outcome, error = _run_recorded(kind, code, context, recorder, max_rows)
            ran = True
    except SectionTimeout:
        error = error_info("Timeout", "the section ran too long and was interrupted", None)
    except Exception as exc:
        # Opening or releasing the section's database failed: not the snippet's fault.
        if not ran or error is None:
            error = _setup_failure(exc)
    return _section(kind, statements, outcome, error)


def run_request(request: Request) -> Response:
    setup_errors: dict[str, ErrorInfo] = {}
    for name, section_kind in KINDS.items():
        try:
            section_kind.prepare()
        except Exception as exc:
            setup_errors[name] = _setup_failure(exc)
    snippets = []
    for snippet in request.snippets:
        sections = [
            run_section(section.kind, section.code, request.max_rows, setup_errors)
            for section in snippet.sections
        ]
        snippets.append({"id": snippet.id, "sections": sections})
    return {"versions": versions(), "snippets": snippets}
