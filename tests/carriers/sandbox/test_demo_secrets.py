"""The demo carrier password and the sandbox's page tokens are nothing anyone can look up
in the source (issue 13)."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.core import signing
from django.urls import reverse

from carriers import demo
from carriers.stamps.sandbox import api, endofday
from shipdesk import settings as project_settings

pytestmark = pytest.mark.django_db


def test_the_demo_carrier_password_is_not_in_the_source(settings):
    source = Path(demo.__file__).read_text()
    password = demo.demo_password()
    assert len(password) >= 20 and password not in source
    settings.SECRET_KEY = "another-deployment-" + "k" * 40
    assert demo.demo_password() != password  # derived per deployment


def test_a_page_token_signed_with_the_development_key_is_refused(client, settings):
    settings.STAMPS_SANDBOX = True
    account = api.create_account("page-token-test", "pw-123456", balance=0)
    forged = signing.dumps(
        {"a": account.pk}, salt=endofday.PAGE_SALT, key=project_settings._DEV_SECRET_KEY
    )
    response = client.get(reverse("stamps_sandbox:page", args=["reports"]), {"token": forged})
    assert response.status_code == 403
    genuine = signing.dumps({"a": account.pk}, salt=endofday.PAGE_SALT, key=endofday.page_key())
    response = client.get(reverse("stamps_sandbox:page", args=["reports"]), {"token": genuine})
    assert response.status_code == 200
