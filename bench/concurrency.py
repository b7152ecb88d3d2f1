"""Issue 15's concurrency proof for the full minute: 4 django-q2 worker processes and 8 web
threads buying labels and funds on one Stamps.com account, conversation faults injected
(``tests/funding/test_concurrency_live.py``, which runs 10 s in the test suite). Reports what
was done; fails when a conversation fault reached a merchant, anything was bought twice or the
ledger differs from the carrier's balance. ``CONCURRENCY_SECONDS`` changes the minute."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SECONDS = os.environ.get("CONCURRENCY_SECONDS", "60")


def main() -> int:
    env = {**os.environ, "CONCURRENCY_SECONDS": SECONDS, "DJANGO_ALLOW_ASYNC_UNSAFE": "true"}
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-s", "-p", "no:cacheprovider",
         "tests/funding/test_concurrency_live.py"],
        cwd=ROOT, env=env, capture_output=True, text=True, check=False,
    )  # fmt: skip
    lines = done.stdout.splitlines()
    for line in lines:
        if line.startswith(f"{float(SECONDS):.0f} s:") or " passed" in line or " failed" in line:
            print(line)
    if done.returncode:  # the assertion that failed, with its values
        print("\n".join(line for line in lines if line.startswith(("E ", ">", "FAILED"))))
    return done.returncode


if __name__ == "__main__":
    sys.exit(main())
