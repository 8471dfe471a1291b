"""Running a section's code like a notebook cell: statements, then the last expression.

The code is compiled with the section's own file name (``<django>``, ``<sqlalchemy>``...),
so that an error is reported at its line in the section. When the last statement is an
expression, its value is kept and turned into a table by the caller's ``convert``; that
conversion runs here too, while the statements are still being recorded (evaluating a
QuerySet runs SQL).

Code may use ``await`` at the top level, as in an asyncio REPL. Such code compiles to a
coroutine, which the section kind's ``run_async`` runs to its end: on an event loop of the
section's own for most kinds, through ``asgiref``'s ``async_to_sync`` for Django (so that
Django's async API hands its queries to the runner's thread, as it would in a server).
The whole cell runs in that coroutine, its last expression included (evaluated apart, it
would run outside the loop, where a lazy load that async code cannot do succeeds). The
result is converted after the loop has finished, outside it.
"""

import ast
import inspect
import io
import sys
from collections.abc import Callable, Coroutine
from contextlib import redirect_stdout
from dataclasses import dataclass
from types import CodeType, TracebackType
from typing import Any

from orm_runner.budget import SectionTimeout
from orm_runner.values import has_memory_address, mask_memory_addresses, without_machine_paths

ErrorInfo = dict[str, Any]


class SectionError(Exception):
    """An error the runner reports about a section (its ``type`` is given, not a class)."""

    def __init__(self, kind: str, message: str) -> None:
        super().__init__(message)
        self.kind = kind
        self.message = message


@dataclass
class Outcome:
    result: Any
    stdout: str
    error: ErrorInfo | None


def _section_line(filename: str) -> int | None:
    """The line of the section's code that is running now (seen from a callee)."""
    frame = sys._getframe(2)
    while frame is not None and frame.f_code.co_filename != filename:
        frame = frame.f_back
    return frame.f_lineno if frame is not None else None


class _Output(io.StringIO):
    """Captured stdout, kept up to ``limit`` characters. Notes the section line that
    printed the first memory address, and the one that went past the limit."""

    def __init__(self, filename: str, limit: int) -> None:
        super().__init__()
        self.filename = filename
        self.limit = limit
        self.kept = 0
        self.address_line: int | None = None
        self.address_seen = False
        self.overflow_line: int | None = None
        self.overflowed = False

    def write(self, text: str) -> int:
        if not self.address_seen and has_memory_address(text):
            self.address_seen = True
            self.address_line = _section_line(self.filename)
        room = self.limit - self.kept
        if len(text) > room:
            if not self.overflowed:
                self.overflowed = True
                self.overflow_line = _section_line(self.filename)
            text = text[: max(room, 0)]
        self.kept += len(text)
        super().write(text)
        return len(text)


def error_info(kind: str, message: str, line: int | None, by_runner: bool = False) -> ErrorInfo:
    """An error of a section. ``by_runner``: the runner reports it (a limit, output that
    changes from run to run...), not the section's code; such a capture is never saved."""
    error: ErrorInfo = {"type": kind, "message": message, "line": line}
    if by_runner:
        error["by_runner"] = True
    return error


def _line_in_section(traceback: TracebackType | None, filename: str) -> int | None:
    """The line of the innermost traceback frame that runs the section's code."""
    line = None
    while traceback is not None:
        if traceback.tb_frame.f_code.co_filename == filename:
            line = traceback.tb_lineno
        traceback = traceback.tb_next
    return line


def _describe(exc: BaseException, filename: str, fallback_line: int | None) -> ErrorInfo:
    if isinstance(exc, SectionError):
        return error_info(exc.kind, exc.message, fallback_line, by_runner=True)
    timeout = isinstance(exc, SectionTimeout)
    if timeout:
        kind, message = "Timeout", "the section ran too long and was interrupted"
    else:
        kind, message = type(exc).__name__, without_machine_paths(str(exc))
    line = _line_in_section(exc.__traceback__, filename)
    return error_info(kind, message, line if line is not None else fallback_line, timeout)


# Where code with a top-level ``await`` keeps the value of its last expression.
_RESULT_NAME = "_section_result_"


@dataclass
class _Cell:
    """A section's code compiled: the statements, then how to get the last expression."""

    body: CodeType
    # The last expression, evaluated after the body (code without top-level ``await``).
    last: CodeType | None
    # Whether the body itself stores the last expression's value (code with ``await``).
    keeps_last: bool
    last_line: int | None


def _compile(code: str, filename: str) -> _Cell:
    tree = ast.parse(code, filename=filename, mode="exec")
    flags = ast.PyCF_ALLOW_TOP_LEVEL_AWAIT
    expr = tree.body[-1] if tree.body and isinstance(tree.body[-1], ast.Expr) else None
    if expr is None:
        return _Cell(compile(tree, filename, "exec", flags=flags), None, False, None)
    if compile(tree, filename, "exec", flags=flags).co_flags & inspect.CO_COROUTINE:
        # One coroutine for the whole cell: the last expression is assigned in it.
        target = ast.Name(id=_RESULT_NAME, ctx=ast.Store())
        tree.body[-1] = ast.copy_location(ast.Assign(targets=[target], value=expr.value), expr)
        ast.fix_missing_locations(tree)
        return _Cell(compile(tree, filename, "exec", flags=flags), None, True, expr.lineno)
    tree.body.pop()
    body = compile(tree, filename, "exec", flags=flags)
    last = compile(ast.Expression(body=expr.value), filename, "eval", flags=flags)
    return _Cell(body, last, False, expr.lineno)


RunAsync = Callable[[Coroutine[Any, Any, Any]], Any]


def _evaluate(code: CodeType, namespace: dict[str, Any], run_async: RunAsync) -> Any:
    """Run compiled code; code with a top-level ``await`` gives a coroutine, run to its end."""
    value = eval(code, namespace)
    if code.co_flags & inspect.CO_COROUTINE:
        value = run_async(value)
    return value


def run(
    code: str,
    filename: str,
    namespace: dict[str, Any],
    convert: Callable[[Any], Any],
    run_async: RunAsync,
    output_limit: int,
) -> Outcome:
    """Run ``code`` in ``namespace``; ``convert`` makes the result of the last expression.

    Printed output past ``output_limit`` characters is dropped and reported as the
    section's error (``OutputTooLarge``)."""
    captured = _Output(filename, output_limit)
    result = None
    error: ErrorInfo | None = None
    with redirect_stdout(captured):
        try:
            cell = _compile(code, filename)
        except SyntaxError as exc:
            message = exc.msg if exc.msg else str(exc)
            error = error_info(type(exc).__name__, message, exc.lineno)
        else:
            try:
                _evaluate(cell.body, namespace, run_async)
                if cell.keeps_last:
                    result = convert(namespace.pop(_RESULT_NAME))
                elif cell.last is not None:
                    result = convert(_evaluate(cell.last, namespace, run_async))
            except BaseException as exc:  # noqa: BLE001 - KeyboardInterrupt too: the section's own
                error = _describe(exc, filename, cell.last_line)
    stdout = without_machine_paths(captured.getvalue())
    if has_memory_address(stdout):
        # Masked either way, so that the response stays the same from run to run.
        stdout = mask_memory_addresses(stdout)
        if error is None:
            error = error_info(
                "NondeterministicOutput",
                "the section printed a memory address (a default repr such as "
                "<Foo object at 0x…>), which changes from run to run; print the fields "
                "to show instead",
                captured.address_line,
                by_runner=True,
            )
    if captured.overflowed and error is None:
        error = error_info(
            "OutputTooLarge",
            f"the section printed more than {output_limit} characters (the `output-chars` "
            "limit in book.toml); print less, a count or the first rows",
            captured.overflow_line,
            by_runner=True,
        )
    if error is not None:
        error["message"] = mask_memory_addresses(error["message"])
    return Outcome(result=result, stdout=stdout, error=error)
