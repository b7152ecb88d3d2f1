"""Small jobs of the project itself."""

from __future__ import annotations

import os


def record_worker_pid(path: str) -> int:
    """Write the worker's process id to ``path``; used to prove a real worker runs jobs."""
    pid = os.getpid()
    with open(path, "w") as fh:
        fh.write(str(pid))
    return pid
