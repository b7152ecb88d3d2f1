"""Every ShipDesk form refuses a POST without the CSRF token (Django's CsrfViewMiddleware,
checked by walking the URL conf so that a new view can't opt out unnoticed)."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from tests.proof.pages import project_patterns, url_for

# Views that take no session and so need no CSRF token: each one says why.
CSRF_EXEMPT = {
    "api-orders": "JSON API authenticated by a bearer key, never by cookies",
}
UNSAFE_METHODS = ["post", "put", "patch", "delete"]


def csrf_exempt_views() -> set[str]:
    return {
        name or p.callback.__name__
        for name, p in project_patterns()
        if getattr(p.callback, "csrf_exempt", False)
    }


def test_only_the_bearer_key_api_is_csrf_exempt():
    assert csrf_exempt_views() == set(CSRF_EXEMPT)


@pytest.fixture
def csrf_client(owner) -> Client:
    client = Client(enforce_csrf_checks=True)
    client.force_login(owner)
    return client


@pytest.mark.django_db
def test_every_unsafe_request_without_a_token_is_refused(merchant, csrf_client):
    checked = []
    for name, pattern in project_patterns():
        if name in CSRF_EXEMPT:
            continue
        url = url_for(name, pattern, merchant)
        for method in UNSAFE_METHODS:
            response = getattr(csrf_client, method)(url, {"anything": "1"})
            assert response.status_code == 403, f"{method.upper()} {url}: {response.status_code}"
            assert b"CSRF" in response.content, f"{method.upper()} {url} refused for another reason"
        checked.append(url)
    assert len(checked) >= 30, checked


@pytest.mark.django_db
def test_a_forged_token_is_refused_and_the_real_one_accepted(merchant, csrf_client):
    page = csrf_client.get(reverse("automation-new"))
    token = page.context["csrf_token"]
    form = {"name": "Heavy parcels", "match": "all", "add_tag": "heavy"}
    forged = csrf_client.post(reverse("automation-new"), {**form, "csrfmiddlewaretoken": "x" * 64})
    assert forged.status_code == 403
    real = csrf_client.post(reverse("automation-new"), {**form, "csrfmiddlewaretoken": str(token)})
    assert real.status_code == 302


@pytest.mark.django_db
def test_htmx_requests_carry_the_token_in_a_header(merchant, csrf_client):
    """htmx sends the token from <body hx-headers>; without it the same request is refused."""
    page = csrf_client.get(reverse("order-list"))
    assert b"hx-headers" in page.content and b"X-CSRFToken" in page.content
    token = str(page.context["csrf_token"])
    url = reverse("order-reapply-rules")
    assert csrf_client.post(url, headers={"HX-Request": "true"}).status_code == 403
    ok = csrf_client.post(url, headers={"HX-Request": "true", "X-CSRFToken": token})
    assert ok.status_code != 403


@pytest.mark.django_db
def test_sign_in_and_sign_up_refuse_a_post_without_a_token():
    client = Client(enforce_csrf_checks=True)
    for name in ("login", "signup"):
        assert client.post(reverse(name), {"username": "a", "password": "b"}).status_code == 403
