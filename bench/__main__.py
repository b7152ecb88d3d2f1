"""Run every benchmark module in bench/ (each exposes ``main()``), in name order."""

from __future__ import annotations

import importlib
import os
import sys
from pathlib import Path


def main() -> int:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "shipdesk.settings")
    import django

    django.setup()
    only = set(sys.argv[1:])
    failed = 0
    for path in sorted(Path(__file__).parent.glob("*.py")):
        name = path.stem
        if name.startswith("_") or (only and name not in only):
            continue
        module = importlib.import_module(f"bench.{name}")
        if not hasattr(module, "main"):
            continue
        print(f"== bench.{name} ==", flush=True)
        if module.main():
            failed += 1
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
