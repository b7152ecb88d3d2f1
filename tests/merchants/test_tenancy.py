from __future__ import annotations

import re

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.http import HttpResponse
from django.test import Client, RequestFactory
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from merchants.permissions import Perm
from merchants.tenancy import (
    ACCESS_ATTR,
    MerchantMiddleware,
    get_owned_or_404,
    merchant_view,
    project_app_prefixes,
)
from orders.models import Order
from tests.factories import make_member, make_merchant, make_order
from tests.tenancy_urls import OBJECT_URLS

# Values that fit every path converter in use (ids, words, years, months).
SAMPLE_VALUES = [1, "x", 2026, "01"]
METHODS = ["get", "post", "put", "patch", "delete"]


def walk(patterns, namespace=""):
    """Every URL pattern, with its name qualified by its namespace ("carriers:verify")."""
    for p in patterns:
        if isinstance(p, URLResolver):
            inner = f"{namespace}{p.namespace}:" if p.namespace else namespace
            yield from walk(p.url_patterns, inner)
        elif isinstance(p, URLPattern):
            yield (f"{namespace}{p.name}" if p.name else None), p


def merchant_patterns() -> list[tuple[str, URLPattern]]:
    return [
        (name, p)
        for name, p in walk(get_resolver().url_patterns)
        if getattr(p.callback, ACCESS_ATTR, None) == "merchant"
    ]


def missing_object_kwargs(kwargs: dict) -> dict:
    """The same URL pointing at objects that exist nowhere."""
    return {k: (999999 if isinstance(v, int) else v) for k, v in kwargs.items()}


def test_project_apps_are_found_without_a_list():
    prefixes = project_app_prefixes()
    for app in (
        "merchants.",
        "carriers.",
        "orders.",
        "funding.",
        "support.",
        "front.",
        "carriers.stamps.sandbox.",
    ):
        assert app in prefixes
    assert "django_q." not in prefixes and "django.contrib.admin." not in prefixes


def test_every_project_view_declares_its_access():
    undeclared = [
        f"{p.callback.__module__}.{p.callback.__name__}"
        for _, p in walk(get_resolver().url_patterns)
        if p.callback.__module__.startswith(project_app_prefixes())
        and not hasattr(p.callback, ACCESS_ATTR)
    ]
    assert undeclared == []


def test_every_merchant_url_with_ids_is_in_the_tenancy_registry():
    with_ids = {name for name, p in merchant_patterns() if p.pattern.converters}
    missing = sorted(with_ids - set(OBJECT_URLS))
    assert missing == [], f"add these URL names to tests/tenancy_urls.py: {missing}"


@pytest.mark.django_db
@pytest.mark.parametrize("url_name", sorted(OBJECT_URLS))
def test_another_merchants_object_answers_404_for_every_method(url_name, merchant, outsider_client):
    """B cannot reach A's objects, nor tell them apart from objects that don't exist."""
    kwargs = OBJECT_URLS[url_name](merchant)
    url = reverse(url_name, kwargs=kwargs)
    nowhere = reverse(url_name, kwargs=missing_object_kwargs(kwargs))
    for method in METHODS:
        response = getattr(outsider_client, method)(url)
        baseline = getattr(outsider_client, method)(nowhere)
        # 405 only where the method is refused for every object alike (POST-only actions).
        assert response.status_code in {403, 404, 405}, f"{method.upper()} {url}"
        assert response.status_code == baseline.status_code, f"{method.upper()} {url}"
        if method == "get" and response.status_code != 405:
            assert response.status_code == 404, f"GET {url}: {response.status_code}"


@pytest.mark.django_db
@pytest.mark.parametrize("url_name", sorted(OBJECT_URLS))
def test_the_owner_reaches_its_own_object(url_name, merchant, owner_client):
    """The registry builds real objects: their owner is never told they don't exist."""
    url = reverse(url_name, kwargs=OBJECT_URLS[url_name](merchant))
    response = owner_client.get(url)
    assert response.status_code in {200, 302, 405}, f"GET {url}: {response.status_code}"


@pytest.mark.django_db
def test_every_merchant_page_requires_login():
    client = Client()
    checked = 0
    for name, pattern in merchant_patterns():
        kwargs = {
            key: next(v for v in SAMPLE_VALUES if re.fullmatch(conv.regex, str(v)))
            for key, conv in pattern.pattern.converters.items()
        }
        url = reverse(name, kwargs=kwargs)
        response = client.get(url)
        assert response.status_code == 302, url
        assert response["Location"].startswith(reverse("login")), url
        checked += 1
    assert checked >= 3


def test_a_view_without_declared_access_is_refused(rf: RequestFactory):
    def sneaky(request):  # pragma: no cover - must never run
        raise AssertionError("served without an access declaration")

    sneaky.__module__ = "orders.views_new"
    middleware = MerchantMiddleware(lambda r: HttpResponse())
    with pytest.raises(ImproperlyConfigured, match="declares no access"):
        middleware.process_view(rf.get("/"), sneaky, (), {})


@pytest.mark.django_db
def test_lookup_helper_only_finds_the_signed_in_merchants_rows(rf, merchant, outsider_merchant):
    from django.http import Http404

    mine = make_order(merchant, "A-1")
    theirs = make_order(outsider_merchant, "B-1")
    request = rf.get("/")
    request.merchant = merchant
    assert get_owned_or_404(request, Order, pk=mine.pk) == mine
    with pytest.raises(Http404):
        get_owned_or_404(request, Order, pk=theirs.pk)


@pytest.mark.django_db
def test_a_user_in_two_merchants_switches_between_them(merchant, outsider_merchant, owner):
    make_member(outsider_merchant, owner.email)
    make_order(merchant, "A-77")
    make_order(outsider_merchant, "B-88")
    client = Client()
    client.force_login(owner)
    assert "A-77" in client.get("/orders/").text
    response = client.post(reverse("switch-merchant"), {"merchant": outsider_merchant.pk})
    assert response.status_code == 302
    page = client.get("/orders/").text
    assert "B-88" in page and "A-77" not in page


@pytest.mark.django_db
def test_switching_to_a_merchant_you_are_not_in_is_refused(owner_client, outsider_merchant):
    response = owner_client.post(reverse("switch-merchant"), {"merchant": outsider_merchant.pk})
    assert response.status_code == 404


@pytest.mark.django_db
def test_user_without_merchant_sees_explanation_not_data(client):
    from tests.factories import make_user

    make_merchant("Someone Else", owner_email="x@else.test")
    client.force_login(make_user("loner@nowhere.test"))
    response = client.get("/orders/")
    assert response.status_code == 403
    assert "isn't part of a store" in response.text


def test_merchant_view_marks_access():
    @merchant_view(Perm.VIEW)
    def page(request):
        return None

    assert getattr(page, ACCESS_ATTR) == "merchant"
