"""Production mode fails loudly on missing settings; `check --deploy` and the SECRET_KEY /
FIELD_ENCRYPTION_KEYS refusals are proven in tests/shipdesk/test_settings.py."""

from __future__ import annotations

import pytest

from tests.shipdesk.test_settings import PROD_ENV, manage


@pytest.mark.parametrize("value", [None, "", " , "])
def test_production_refuses_to_start_without_allowed_hosts(value):
    env = {k: v for k, v in PROD_ENV.items() if k != "ALLOWED_HOSTS"}
    if value is not None:
        env["ALLOWED_HOSTS"] = value
    result = manage("check", env=env)
    assert result.returncode != 0
    assert "ALLOWED_HOSTS must list" in result.stderr


def test_production_settings_pass_the_deploy_check():
    result = manage("check", "--deploy", "--fail-level", "WARNING", env=PROD_ENV)
    assert result.returncode == 0, result.stdout + result.stderr
