"""A time budget per section, so a runaway snippet or query ends with an error, not a hang.

Python code is interrupted by ``SIGALRM``, which raises ``SectionTimeout`` (``except
Exception`` in a snippet does not catch it), but only in the section's own code, never
inside the runner or a library (the recording must stay consistent). Signals reach the
main thread only: section code running on another thread (Django's async code, on the
event loop of ``async_to_sync``) gets the exception through
``PyThreadState_SetAsyncExc``, under the same rule. SQL that runs long
inside SQLite is interrupted through the connection's progress handler (the driver then
raises ``OperationalError: interrupted``).
"""

import ctypes
import os
import signal
import sqlite3
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from types import FrameType

_ALARM_REPEAT_SECONDS = 0.05
_RUNNER_DIR = os.path.dirname(os.path.abspath(__file__)) + os.sep
# SQLite virtual machine instructions between two looks at the clock.
_PROGRESS_STEPS = 20_000


class SectionTimeout(BaseException):
    """Raised in a section that ran longer than its budget."""


class Budget:
    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.deadline = time.monotonic() + seconds

    @property
    def expired(self) -> bool:
        return time.monotonic() >= self.deadline

    def message(self) -> str:
        return f"the section ran longer than {self.seconds:g} seconds and was interrupted"


def _interruptible(frame: FrameType | None, filename: str) -> bool:
    """Whether ``frame`` runs the section's code, or code it called, but not the runner's."""
    while frame is not None:
        current = frame.f_code.co_filename
        if current == filename:
            return True
        if current.startswith(_RUNNER_DIR):
            return False
        frame = frame.f_back
    return False


def _interrupt_other_threads(filename: str) -> None:
    """Raise ``SectionTimeout`` in the other threads now running the section's code."""
    main = threading.main_thread().ident
    for ident, frame in sys._current_frames().items():
        if ident != main and _interruptible(frame, filename):
            ctypes.pythonapi.PyThreadState_SetAsyncExc(
                ctypes.c_ulong(ident), ctypes.py_object(SectionTimeout)
            )


def _set_progress_handler(connection: object, handler: Callable[[], int] | None) -> None:
    # PostgreSQL stops a statement itself, after the role's statement_timeout.
    if not isinstance(connection, sqlite3.Connection):
        return
    try:
        connection.set_progress_handler(handler, _PROGRESS_STEPS)
    except sqlite3.ProgrammingError:
        pass  # the snippet closed the connection


@contextmanager
def time_limit(connection: object, filename: str, seconds: float) -> Iterator[Budget]:
    """Limit the section whose code is compiled with ``filename``.

    This is the friendly limit, with the line the section had reached; the section's
    process is killed from outside a little later in any case (``isolation``)."""
    budget = Budget(seconds)

    def on_alarm(signum: int, frame: FrameType | None) -> None:
        if _interruptible(frame, filename):
            raise SectionTimeout()
        _interrupt_other_threads(filename)
        # Otherwise the repeating alarm comes back (and SQL is stopped by the handler below).

    _set_progress_handler(connection, lambda: 1 if budget.expired else 0)
    use_alarm = hasattr(signal, "setitimer")
    if use_alarm:
        previous = signal.signal(signal.SIGALRM, on_alarm)
        signal.setitimer(signal.ITIMER_REAL, budget.seconds, _ALARM_REPEAT_SECONDS)
    try:
        yield budget
    finally:
        if use_alarm:
            signal.setitimer(signal.ITIMER_REAL, 0)
            signal.signal(signal.SIGALRM, previous)
        _set_progress_handler(connection, None)
