"""Stops a private PostgreSQL server whose runner died without stopping it.

Started by ``postgresql.Cluster.start`` as ``python -m orm_runner.pg_guard FOLDER``,
with a pipe from the runner as its standard input. The pipe closes when the runner
ends, however it ends (a ``SIGKILL`` included); the guard then stops a server still
running in a folder of ``FOLDER`` (immediate mode: its data is thrown away) and removes the
folder. A runner that stopped the server itself leaves the guard nothing to do.
"""

import os
import shutil
import sys
from pathlib import Path


def main() -> None:
    folder = Path(sys.argv[1])
    sys.stdin.buffer.read()
    # The server in ``data``, or the one making the stack's snapshot in ``build``.
    for pid_file in folder.glob("*/postmaster.pid"):
        from pgserver._commands import pg_ctl

        data = pid_file.parent
        user = "pgserver" if os.geteuid() == 0 else None
        try:
            pg_ctl(["-m", "immediate", "-w", "stop"], pgdata=data, user=user)
        except Exception as exc:  # noqa: BLE001 - a guard reports and goes on cleaning
            print(
                f"orm_runner.pg_guard: could not stop the server in {data}: {exc}", file=sys.stderr
            )
    shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
