from __future__ import annotations

import subprocess
import sys

import pytest

from tests.support import ROOT

PROD_ENV = {
    "DEBUG": "0",
    "SECRET_KEY": "x" * 20 + "-a-real-production-secret-key-for-tests-only-0123456789",
    "ALLOWED_HOSTS": "shipdesk.example.com",
    "FIELD_ENCRYPTION_KEYS": "mG4kNc0f1cG1nVYbUwrv8kMYbZ7A1Q2hD3Xc0n4f5aY=",
    "PATH": "/usr/bin:/bin",
}


def manage(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_check_deploy_is_clean_with_production_settings():
    result = manage("check", "--deploy", "--fail-level", "WARNING", env=PROD_ENV)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_the_sandbox_app_is_installed_only_when_the_sandbox_is_on():
    script = "from django.apps import apps; print(apps.is_installed('carriers.stamps.sandbox'))"
    off = manage("shell", "-c", script, env=PROD_ENV)
    # The sandbox runs only in development (production refuses it: see below).
    on = manage("shell", "-c", script, env={**PROD_ENV, "STAMPS_SANDBOX": "1", "DEBUG": "1"})
    answers = (off.stdout.split()[-1:], on.stdout.split()[-1:])
    assert answers == (["False"], ["True"]), off.stderr + on.stderr


def test_production_refuses_to_start_without_secret_key():
    env = {k: v for k, v in PROD_ENV.items() if k != "SECRET_KEY"}
    result = manage("check", env=env)
    assert result.returncode != 0
    assert "SECRET_KEY must be set" in result.stderr


def test_production_refuses_to_start_without_encryption_keys():
    env = {k: v for k, v in PROD_ENV.items() if k != "FIELD_ENCRYPTION_KEYS"}
    result = manage("check", env=env)
    assert result.returncode != 0
    assert "FIELD_ENCRYPTION_KEYS" in result.stderr


def test_a_malformed_boolean_fails_loudly():
    result = manage("check", env={**PROD_ENV, "DEBUG": "maybe"})
    assert result.returncode != 0
    assert "DEBUG must be one of" in result.stderr


def test_production_refuses_to_start_with_the_stamps_sandbox_on():
    result = manage("check", env={**PROD_ENV, "STAMPS_SANDBOX": "1"})
    assert result.returncode != 0
    assert "STAMPS_SANDBOX" in result.stderr and "DEBUG" in result.stderr


@pytest.mark.parametrize("name", ["SMS_BACKEND", "TWO_STEP_SMS_BACKEND"])
def test_production_refuses_to_start_with_codes_shown_on_the_page(name):
    result = manage("check", env={**PROD_ENV, name: "console"})
    assert result.returncode != 0
    assert f"{name}=console shows verification codes" in result.stderr


def test_a_sqlite_database_url_gets_a_test_database_file_that_workers_can_open(tmp_path):
    """A worker process started by a test or a benchmark reads the test database through
    DATABASE_URL: in memory it would be another database, and the wait for its rows endless."""
    script = (
        "from django.conf import settings; t = settings.DATABASES['default']['TEST'];"
        "print(t['NAME'])"
    )
    env = {"PATH": "/usr/bin:/bin", "DATABASE_URL": f"sqlite:///{tmp_path}/bench.sqlite3"}
    result = manage("shell", "-c", script, env=env)
    assert result.returncode == 0, result.stderr
    name = result.stdout.split()[-1]
    assert name.startswith(f"{tmp_path}/test_bench_") and name.endswith(".sqlite3")


def test_sessions_are_read_from_redis_when_there_is_one_and_kept_in_the_database():
    script = "from django.conf import settings; print(settings.SESSION_ENGINE)"
    alone = manage("shell", "-c", script, env=PROD_ENV)
    with_redis = manage(
        "shell", "-c", script, env={**PROD_ENV, "REDIS_URL": "redis://127.0.0.1:1/0"}
    )
    engines = (alone.stdout.split()[-1:], with_redis.stdout.split()[-1:])
    # Without Redis the cache is per process: a session must be the same on every worker.
    assert engines == (
        ["django.contrib.sessions.backends.db"],
        ["django.contrib.sessions.backends.cached_db"],
    ), alone.stderr + with_redis.stderr
