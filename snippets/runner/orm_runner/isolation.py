"""Each section in a process of its own, with limits the snippet cannot switch off.

The runner's process imports the libraries and prepares every section kind once, then
forks one child per section (a fork server: start-up stays cheap, and nothing a snippet
does to Python reaches another section). The parent, never the snippet, enforces the
limits:

- wall time: the child's process group is killed (``SIGKILL``) when its time is up;
- memory: the child's address space is capped (``RLIMIT_AS``), so an allocation past
  the limit fails with ``MemoryError`` inside the snippet;
- the answer's size: the parent reads at most ``answer_bytes`` from the child.

A child that dies without answering (``os._exit``, a signal, a segfault) is reported as
that section's error, and the other sections go on. Every child is reaped. Each child
runs in an empty temporary working directory, removed afterwards.
"""

from __future__ import annotations

import ctypes
import gc
import json
import os
import resource
import selectors
import shutil
import signal
import tempfile
import time
import traceback
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Any

Answer = dict[str, Any]

# Time a child gets past its own budget (which it may have switched off) before the
# parent kills it: enough to report the budget's friendlier error with a line number.
KILL_GRACE_SECONDS = 2.0
_READ_CHUNK = 1 << 16
# The exit code of a child whose runner code (not the snippet) failed; its traceback
# went to standard error.
_RUNNER_FAILED = 70
_PR_SET_PDEATHSIG = 1


@dataclass(frozen=True)
class Limits:
    """What one section may use. The values come from book.toml, through the request."""

    seconds: float
    memory_bytes: int
    output_bytes: int
    value_chars: int
    answer_bytes: int


class LimitExceeded(Exception):
    """A section went past one of its limits (raised in the child, reported as its error)."""

    def __init__(self, kind: str, message: str) -> None:
        super().__init__(message)
        self.kind = kind
        self.message = message


@dataclass
class _Child:
    pid: int
    index: int
    fd: int
    deadline: float
    workdir: str
    chunks: list[bytes]
    size: int = 0
    too_large: bool = False
    timed_out: bool = False


def _vm_size_bytes() -> int:
    """The process's current virtual memory size (Linux), or 0 when unknown."""
    try:
        with open("/proc/self/statm", encoding="ascii") as statm:
            pages = int(statm.read().split()[0])
        return pages * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError, IndexError):
        return 0


def _die_with_parent(parent: int) -> None:
    """Asks Linux to kill this child if the runner dies first (killed from outside, say),
    so no section outlives the capture that started it."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    except (OSError, AttributeError):
        pass  # not Linux: the parent's own kill at the deadline still applies
    if os.getppid() != parent:
        os._exit(_RUNNER_FAILED)  # the parent died before the request took effect


def _in_child(
    run: Callable[[], Answer], limits: Limits, write_fd: int, workdir: str, parent: int
) -> None:
    """The child's whole life: limits, run, answer, exit. Never returns."""
    status = 0
    try:
        _die_with_parent(parent)
        os.setpgid(0, 0)
        # Interrupts meant for the runner (Ctrl-C in a terminal) are the parent's to handle.
        signal.signal(signal.SIGINT, signal.SIG_DFL)
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
        base = _vm_size_bytes()
        if base:
            cap = base + limits.memory_bytes
            resource.setrlimit(resource.RLIMIT_AS, (cap, cap))
        os.chdir(workdir)
        answer = run()
        data = json.dumps(answer, ensure_ascii=False, allow_nan=False).encode("utf-8", "replace")
        with os.fdopen(write_fd, "wb") as channel:
            channel.write(data)
    except BaseException:  # noqa: BLE001 - the child must never fall back into the parent's loop
        traceback.print_exc()
        status = _RUNNER_FAILED
    finally:
        # Threads a snippet left running, atexit handlers, buffered files: none of them
        # may keep the child alive or touch anything once it has answered.
        os._exit(status)


def _died(status: int, limits: Limits) -> tuple[str, str]:
    if os.WIFSIGNALED(status):
        number = os.WTERMSIG(status)
        try:
            name = signal.Signals(number).name
        except ValueError:
            name = f"signal {number}"
        if number == signal.SIGKILL:
            return (
                "ProcessKilled",
                f"the section's process was killed ({name}); it may have gone past the "
                f"memory limit ({limits.memory_bytes // (1 << 20)} MiB)",
            )
        return "ProcessCrashed", f"the section's process died of {name}"
    code = os.WEXITSTATUS(status) if os.WIFEXITED(status) else status
    if code == _RUNNER_FAILED:
        return (
            "RunnerError",
            "the runner failed in the section's process (its traceback is on standard "
            "error); this is a bug in snippets/runner, not in the snippet",
        )
    return (
        "ProcessExited",
        f"the section's process exited with code {code} before answering (os._exit or "
        "sys.exit from outside the section's code?)",
    )


def run_isolated(
    tasks: Iterable[Callable[[], Answer]],
    limits: Limits,
    jobs: int,
    failure: Callable[[int, str, str], Answer],
    on_change: Callable[[], str | None] | None = None,
    isolate: bool = True,
) -> Iterator[tuple[int, Answer]]:
    """Runs each task in a child process, ``jobs`` at a time; yields ``(index, answer)``.

    ``failure(index, type, message)`` makes the answer for a task whose child did not
    answer. ``on_change``, called after each child, returns a description of what
    changed in the watched folders since the previous call (or ``None``); a change is
    blamed on the children that were running meanwhile.
    """
    pending = list(enumerate(tasks))
    if not isolate:
        # The baseline `scripts/bench` measures isolation against: every task in this
        # process, one after the other, without limits from outside.
        for index, task in pending:
            yield index, task()
        return
    pending.reverse()
    running: dict[int, _Child] = {}
    selector = selectors.DefaultSelector()
    # What the parent leaves to every child costs nothing to copy: no collection in a
    # child touches these objects' pages.
    gc.collect()
    gc.freeze()
    try:
        while pending or running:
            while pending and len(running) < max(1, jobs):
                index, task = pending.pop()
                child = _start(index, task, limits)
                running[child.fd] = child
                selector.register(child.fd, selectors.EVENT_READ, child)
            now = time.monotonic()
            timeout = max(0.0, min(c.deadline for c in running.values()) - now)
            for key, _ in selector.select(timeout):
                child = key.data
                if not _read(child, limits):
                    selector.unregister(child.fd)
                    del running[child.fd]
                    yield child.index, _finish(child, limits, failure, on_change, running)
            now = time.monotonic()
            for child in [c for c in running.values() if c.deadline <= now]:
                child.timed_out = True
                _kill(child.pid)
    finally:
        for child in running.values():
            _kill(child.pid)
            _reap(child.pid)
            os.close(child.fd)
            shutil.rmtree(child.workdir, ignore_errors=True)
        selector.close()


def _start(index: int, task: Callable[[], Answer], limits: Limits) -> _Child:
    workdir = tempfile.mkdtemp(prefix="orm-runner-")
    read_fd, write_fd = os.pipe()
    parent = os.getpid()
    pid = os.fork()
    if pid == 0:
        os.close(read_fd)
        _in_child(task, limits, write_fd, workdir, parent)
    os.close(write_fd)
    try:
        os.setpgid(pid, pid)  # also done by the child; whichever runs first wins
    except (PermissionError, ProcessLookupError):
        pass
    deadline = time.monotonic() + limits.seconds + KILL_GRACE_SECONDS
    return _Child(pid, index, read_fd, deadline, workdir, [])


def _read(child: _Child, limits: Limits) -> bool:
    """Reads what the child wrote; False at the end of its answer."""
    data = os.read(child.fd, _READ_CHUNK)
    if not data:
        return False
    if child.too_large:
        return True
    child.size += len(data)
    if child.size > limits.answer_bytes:
        child.too_large = True
        child.chunks.clear()
        _kill(child.pid)
    else:
        child.chunks.append(data)
    return True


def _finish(
    child: _Child,
    limits: Limits,
    failure: Callable[[int, str, str], Answer],
    on_change: Callable[[], str | None] | None,
    running: dict[int, _Child],
) -> Answer:
    os.close(child.fd)
    status = _reap(child.pid)
    shutil.rmtree(child.workdir, ignore_errors=True)
    changed = on_change() if on_change is not None else None
    if changed is not None:
        others = len(running)
        blame = "" if not others else f" (or by one of the {others} other sections running then)"
        return failure(
            child.index,
            "RepositoryChanged",
            f"{changed} changed while this section ran{blame}; a snippet must not write to "
            "the book's files: write to the working directory (a temporary folder) instead, "
            "and restore the file with git",
        )
    if child.timed_out:
        return failure(
            child.index,
            "Timeout",
            f"the section ran longer than {limits.seconds:g} seconds and its process was killed",
        )
    if child.too_large:
        return failure(
            child.index,
            "AnswerTooLarge",
            f"the section's capture would be larger than {limits.answer_bytes} bytes; "
            "return or print less",
        )
    if status == 0 and child.chunks:
        try:
            answer: Answer = json.loads(b"".join(child.chunks))
            return answer
        except ValueError:
            pass
    return failure(child.index, *_died(status, limits))


def _kill(pid: int) -> None:
    """Kills the child and everything it started (its process group)."""
    try:
        os.killpg(pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass


def _reap(pid: int) -> int:
    while True:
        try:
            _, status = os.waitpid(pid, 0)
            return status
        except InterruptedError:
            continue
        except ChildProcessError:
            return 0
