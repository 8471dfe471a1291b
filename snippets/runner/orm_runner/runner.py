"""Running a whole request: every section of every snippet, each on a fresh database."""

import functools
import gc
import platform
import sqlite3
import threading
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from importlib import metadata
from pathlib import Path
from typing import Any

from orm_runner import database, execute, pg_recording, postgresql, recording
from orm_runner.budget import SectionTimeout, time_limit
from orm_runner.execute import ErrorInfo, Outcome, error_info
from orm_runner.isolation import run_isolated
from orm_runner.protocol import Request
from orm_runner.recording import Recorder
from orm_runner.sections import KINDS, SectionContext, SectionKind
from orm_runner.tables import to_table
from orm_runner.values import oversized_value
from orm_runner.watch import Watcher

Response = dict[str, Any]


def versions(lock: Path) -> dict[str, str]:
    """Python, the database (its SQLite, or the private PostgreSQL server), and every
    library pinned in the stack's ``lock`` file (lower-cased), as installed."""
    pinned = {}
    for line in lock.read_text(encoding="utf-8").splitlines():
        name = line.split("#", 1)[0].split("==", 1)[0].strip()
        if name:
            pinned[name.lower()] = metadata.version(name)
    if database.current == "postgresql":
        server = {"postgresql": postgresql.cluster().version}
    else:
        server = {"sqlite": sqlite3.sqlite_version}
    return {"python": platform.python_version(), **server, **pinned}


def _section(
    kind: str,
    statements: list[dict[str, Any]],
    outcome: Outcome | None,
    error: ErrorInfo | None,
    setup: list[dict[str, Any]] | None = None,
) -> Response:
    return {
        "kind": kind,
        "setup": setup or [],
        "statements": statements,
        "result": outcome.result if outcome is not None else None,
        "stdout": outcome.stdout if outcome is not None else "",
        "error": error,
    }


def _setup_failure(exc: BaseException) -> ErrorInfo:
    return error_info("SetupError", f"{type(exc).__name__}: {exc}", None, by_runner=True)


def _run_recorded(
    kind: str,
    code: str,
    context: SectionContext,
    recorder: Recorder | pg_recording.PgRecorder,
    request: Request,
) -> tuple[Outcome | None, ErrorInfo | None]:
    """Run the code while recording, within the time budget."""
    outcome: Outcome | None = None
    filename = f"<{kind}>"
    with time_limit(context.connection, filename, request.limits.seconds) as budget:
        try:
            with recorder.recording():
                outcome = execute.run(
                    code,
                    filename,
                    context.namespace,
                    lambda value: to_table(value, context.tables, request.max_rows),
                    context.run_async,
                    request.limits.output_bytes,
                )
        except SectionTimeout:
            pass
        error = outcome.error if outcome is not None else None
        if budget.expired and (outcome is None or error is not None):
            # Includes SQL interrupted by the budget (OperationalError: interrupted).
            line = error["line"] if error else None
            error = error_info("Timeout", budget.message(), line, by_runner=True)
    return outcome, error


@contextmanager
def _no_cyclic_gc() -> Iterator[None]:
    """Objects die by reference counting only while a section runs.

    SQLAlchemy's identity map holds objects weakly, and when the cyclic collector
    runs depends on allocation patterns that vary with memory layout. An object
    collected between two loads turns an identity-map hit into a query, so a
    capture could change between two runs of the same tree (the freshness test
    caught one).
    """
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


def _open_recording_setup(
    section_kind: SectionKind, request: Request, opened: ExitStack
) -> tuple[SectionContext, list[dict[str, Any]]]:
    """Opens the section's fresh database; returns it and what the library sent while
    it connected (the set-up, shown apart from the section's own statements)."""
    if database.current == "postgresql":
        setup_recorder = pg_recording.PgRecorder(request.max_rows)
        with setup_recorder.recording():
            context = opened.enter_context(section_kind.open())
        return context, setup_recorder.statements
    context = opened.enter_context(section_kind.open())
    connection = context.connection
    assert isinstance(connection, recording.RecordingConnection)
    return context, connection.take_setup()


def _recorder(context: SectionContext, request: Request) -> Recorder | pg_recording.PgRecorder:
    connection = context.connection
    if isinstance(connection, recording.RecordingConnection):
        return Recorder(connection, request.max_rows)
    return pg_recording.PgRecorder(request.max_rows)


def run_section(
    kind: str, code: str, request: Request, setup_errors: dict[str, ErrorInfo]
) -> Response:
    """Runs one section (in the process it has to itself) and returns its answer."""
    section_kind = KINDS.get(kind)
    if section_kind is None:
        known = ", ".join(sorted(KINDS))
        message = f"unknown section kind {kind!r}; the runner knows: {known}"
        return _section(kind, [], None, error_info("UnknownSection", message, None, True))
    if kind in setup_errors:
        return _section(kind, [], None, setup_errors[kind])
    statements: list[dict[str, Any]] = []
    setup: list[dict[str, Any]] = []
    outcome: Outcome | None = None
    error: ErrorInfo | None = None
    ran = False
    recording.max_rows = request.max_rows
    try:
        with _no_cyclic_gc(), ExitStack() as opened:
            context, setup = _open_recording_setup(section_kind, request, opened)
            recorder = _recorder(context, request)
            statements = recorder.statements
            outcome, error = _run_recorded(kind, code, context, recorder, request)
            ran = True
    except SectionTimeout:
        message = "the section ran too long and was interrupted"
        error = error_info("Timeout", message, None, by_runner=True)
    except Exception as exc:
        # Opening or releasing the section's database failed: not the snippet's fault.
        if not ran or error is None:
            error = _setup_failure(exc)
    if error is not None and error["type"] == "MemoryError":
        megabytes = request.limits.memory_bytes >> 20
        message = (
            f"the section needed more memory than its limit of {megabytes} MiB (`section-"
            "memory-mb` in book.toml) and Python refused it"
        )
        error = error_info("MemoryError", message, error["line"], by_runner=True)
    answer = _section(kind, statements, outcome, error, setup)
    too_long = oversized_value(answer, request.limits.value_chars)
    if too_long is not None:
        answer = _section(
            kind,
            [],
            None,
            error_info(
                "ValueTooLarge",
                f"{too_long} holds a value of more than {request.limits.value_chars} "
                "characters (the `value-chars` limit in book.toml); show less of it",
                None,
                by_runner=True,
            ),
        )
    return answer


# Code of the warm-up section each kind runs once in the runner's own process.
_WARM_UP = "None"


def _prepare_kinds(request: Request, server_ready: Callable[[], None]) -> dict[str, ErrorInfo]:
    """Prepares every kind, then opens one section of each in this process and throws it
    away, so that what a library does only the first time (connecting, initialising a
    dialect, filling caches) is done before the sections' processes are forked, once,
    instead of in every one of them. ``server_ready`` waits for the request's database
    server, if it has one, between the two."""
    setup_errors: dict[str, ErrorInfo] = {}
    for name, section_kind in KINDS.items():
        try:
            section_kind.prepare()
        except Exception as exc:
            setup_errors[name] = _setup_failure(exc)
    server_ready()
    if request.isolate:
        # Only the kinds this request runs: the others' first time never comes.
        used = {section.kind for snippet in request.snippets for section in snippet.sections}
        for name in KINDS:
            if name in used:
                run_section(name, _WARM_UP, request, setup_errors)
    return setup_errors


def run_request(request: Request, emit: Callable[[Response], None]) -> None:
    """Runs every section of the request, each in a process of its own.

    ``emit`` gets the versions first, then each snippet as soon as all its sections
    have answered (in the order they finish).
    """
    database.current = request.database
    if request.database == "postgresql":
        with _private_server(request) as server_ready:
            _run_all(request, emit, server_ready)
    else:
        _run_all(request, emit, lambda: None)


@contextmanager
def _private_server(request: Request) -> Iterator[Callable[[], None]]:
    """A PostgreSQL server of this request's own, stopped however the request ends.

    It starts in a thread while the libraries are imported (each takes most of a
    second); the context gives the function that waits for it, which the runner
    calls before any section runs, and so before any process is forked."""
    pg_recording.install()
    cluster = postgresql.Cluster(request.limits.seconds)
    postgresql.current = cluster
    failed: list[BaseException] = []

    def start() -> None:
        try:
            cluster.start()
        except BaseException as exc:  # noqa: BLE001 - handed to the waiting thread
            failed.append(exc)

    cluster.reserve()
    starting = threading.Thread(target=start, name="postgresql-server")
    starting.start()

    def ready() -> None:
        starting.join()
        if failed:
            raise failed[0]

    try:
        yield ready
    finally:
        starting.join()
        cluster.stop()
        postgresql.current = None


def _run_all(
    request: Request, emit: Callable[[Response], None], server_ready: Callable[[], None]
) -> None:
    setup_errors = _prepare_kinds(request, server_ready)
    emit({"versions": versions(Path(request.lock))})
    tasks: list[tuple[int, int, str, str]] = [
        (s, i, section.kind, section.code)
        for s, snippet in enumerate(request.snippets)
        for i, section in enumerate(snippet.sections)
    ]
    answers: list[list[Response | None]] = [[None] * len(s.sections) for s in request.snippets]
    left = [len(s.sections) for s in request.snippets]
    for snippet in request.snippets:
        if not snippet.sections:
            emit({"id": snippet.id, "sections": []})

    def failure(index: int, kind: str, message: str) -> Response:
        return _section(tasks[index][2], [], None, error_info(kind, message, None, True))

    watcher = Watcher(request.watch) if request.watch else None
    for index, answer in run_isolated(
        (
            functools.partial(run_section, kind, code, request, setup_errors)
            for _, _, kind, code in tasks
        ),
        request.limits,
        request.jobs,
        failure,
        watcher.changed if watcher is not None else None,
        request.isolate,
    ):
        s, i, _, _ = tasks[index]
        answers[s][i] = answer
        left[s] -= 1
        if left[s] == 0:
            emit({"id": request.snippets[s].id, "sections": answers[s]})
