"""The apps are floors (DESIGN §2): an app imports only the apps below it.

The floors are written once, in pyproject.toml ([tool.importlinter]); this test runs that
contract over the real import graph, so an upward import or a circle between apps fails here.
"""

import subprocess
import sys
import tomllib
from pathlib import Path

from django.conf import settings

ROOT = Path(__file__).resolve().parent.parent


def contract() -> dict:
    return tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["importlinter"]


def test_no_app_imports_a_floor_above_it():
    lint_imports = Path(sys.executable).with_name("lint-imports")
    result = subprocess.run(
        [str(lint_imports), "--no-cache", "--config", str(ROOT / "pyproject.toml")],
        cwd=ROOT,
        env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "1 kept, 0 broken" in result.stdout


def test_every_project_app_sits_on_a_floor():
    # A new app left out of the contract would be free to import anything.
    floors = {
        name.strip(" ()")
        for layer in contract()["contracts"][0]["layers"]
        for name in layer.replace(":", "|").split("|")
    }
    project_apps = {
        app.split(".")[0]
        for app in settings.INSTALLED_APPS
        if (ROOT / app.split(".")[0] / "__init__.py").exists()
    }
    assert project_apps <= floors
    assert project_apps <= set(contract()["root_packages"])
