"""``python -m orm_runner < request.json > response.json``"""

import json
import os
import sys
from typing import Any, BinaryIO

from orm_runner.protocol import RequestError, parse_request

# Fixed for every run, so that nothing depends on string hashing (set iteration order)
# or on the machine's time zone.
_STABLE_ENV = {"PYTHONHASHSEED": "0", "TZ": "UTC"}
_RESTARTED = "ORM_RUNNER_RESTARTED"


def _restart_if_unstable() -> None:
    """Re-execute the interpreter (same arguments) with ``_STABLE_ENV`` unless in place."""
    if os.environ.get(_RESTARTED) or all(
        os.environ.get(key) == value for key, value in _STABLE_ENV.items()
    ):
        return
    env = {**os.environ, **_STABLE_ENV, _RESTARTED: "1"}
    os.execve(sys.executable, [sys.executable, *sys.orig_argv[1:]], env)


def _reserve_stdout() -> BinaryIO:
    """The response channel. File descriptor 1 then points at stderr, so that nothing a
    snippet or a library writes there (even below ``sys.stdout``) can corrupt it."""
    sys.stdout.flush()
    response = os.fdopen(os.dup(1), "wb")
    os.dup2(2, 1)
    return response


def main() -> int:
    response_channel = _reserve_stdout()
    try:
        request = parse_request(sys.stdin.buffer.read().decode("utf-8"))
    except (RequestError, UnicodeDecodeError) as exc:
        print(f"orm_runner: malformed request: {exc}", file=sys.stderr)
        return 2
    # Imported here: they import the ORMs, which a malformed request does not need.
    from orm_runner.runner import run_request

    def emit(message: dict[str, Any]) -> None:
        """One JSON line per message, written at once so the caller can save it."""
        text = json.dumps(message, ensure_ascii=False, sort_keys=False, allow_nan=False)
        # "replace": a lone surrogate a snippet printed must not make the response invalid.
        response_channel.write(text.encode("utf-8", errors="replace") + b"\n")
        response_channel.flush()

    run_request(request, emit)
    return 0


if __name__ == "__main__":
    _restart_if_unstable()
    sys.exit(main())
