"""Every page has ShipDesk's icon: the Django admin's pages name it too, and a browser that
asks for /favicon.ico anyway (a PDF or an image opened in a tab) is sent to it."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.contrib.staticfiles import finders
from django.templatetags.static import static
from django.test import Client

pytestmark = pytest.mark.django_db


def test_the_admin_pages_name_shipdesks_icon():
    admin = get_user_model().objects.create_superuser("root", "root@shipdesk.test", "x-pass-1")
    client = Client()
    client.force_login(admin)
    for url in ("/admin/login/", "/admin/"):
        page = client.get(url, follow=True).text
        assert f'<link rel="icon" href="{static("img/favicon.svg")}"' in page, url


def test_favicon_ico_is_sent_to_the_icon_the_pages_name():
    client = Client()
    answer = client.get("/favicon.ico")
    assert answer.status_code == 301
    assert answer["Location"] == static("img/favicon.svg")
    assert finders.find("img/favicon.svg")  # the file the address names is shipped
