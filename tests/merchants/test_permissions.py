"""The permission crawl: every merchant URL x every method x every role, against the table in
tests/tenancy_urls.py (issue 19). A view that forgets or weakens its permission fails here."""

from __future__ import annotations

import re

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.http import HttpResponse
from django.test import Client, override_settings
from django.urls import path, reverse

from merchants.permissions import NEEDS_CONFIRMED_EMAIL, ROLE_PERMISSIONS, Perm, Role
from merchants.tenancy import PERM_ATTR, merchant_view
from tests.factories import make_member
from tests.merchants.test_tenancy import METHODS, SAMPLE_VALUES, merchant_patterns
from tests.tenancy_urls import OBJECT_URLS, URL_PERMISSIONS

SAFE = {"get", "head", "options"}
ALL_METHODS = [*METHODS, "head", "options"]


def role_clients(merchant) -> dict[str, Client]:
    clients: dict[str, Client] = {}
    for role in Role:
        user = (
            merchant.memberships.get(role=Role.OWNER).user
            if role == Role.OWNER
            else make_member(merchant, f"{role}@acme.test", role=role)
        )
        client = Client()
        client.force_login(user)
        clients[role] = client
    return clients


def url_of(name: str, pattern, merchant) -> str:
    if name in OBJECT_URLS:
        return reverse(name, kwargs=OBJECT_URLS[name](merchant))
    kwargs = {
        key: next(v for v in SAMPLE_VALUES if re.fullmatch(conv.regex, str(v)))
        for key, conv in pattern.pattern.converters.items()
    }
    return reverse(name, kwargs=kwargs)


def mismatches(clients: dict[str, Client], url: str, expected: tuple[Perm, Perm]) -> list[str]:
    """Where the answer disagrees with the table: refused must be 403, allowed must not be."""
    wrong = []
    for role, client in clients.items():
        for method in ALL_METHODS:
            needed = expected[0] if method in SAFE else expected[1]
            allowed = needed in ROLE_PERMISSIONS[Role(role)]
            if allowed and method not in SAFE:
                continue  # running the action with no data proves nothing; declarations do
            status = getattr(client, method)(url).status_code
            if allowed == (status == 403):
                wrong.append(f"{role} {method.upper()} {url}: {status}")
    return wrong


def test_every_merchant_url_is_in_the_permission_table():
    names = {name for name, _ in merchant_patterns()}
    assert sorted(names - set(URL_PERMISSIONS)) == [], "add them to URL_PERMISSIONS"
    assert sorted(set(URL_PERMISSIONS) - names) == [], "remove URLs that no longer exist"


def test_every_view_declares_the_permission_in_the_table():
    declared = {name: getattr(p.callback, PERM_ATTR) for name, p in merchant_patterns()}
    wrong = {n: d for n, d in declared.items() if d != URL_PERMISSIONS.get(n)}
    assert wrong == {}


@pytest.mark.django_db
@pytest.mark.parametrize("url_name", sorted(URL_PERMISSIONS))
def test_permission_crawl(url_name, merchant):
    pattern = dict(merchant_patterns())[url_name]
    url = url_of(url_name, pattern, merchant)
    assert mismatches(role_clients(merchant), url, URL_PERMISSIONS[url_name]) == []


def _forgetful(request, account_id: int):
    return HttpResponse("added $500")


forgetful = merchant_view(Perm.VIEW)(_forgetful)
urlpatterns = [path("funds/<int:account_id>/add/", forgetful, name="forgetful-add")]


@pytest.mark.django_db
@override_settings(ROOT_URLCONF=__name__)
def test_the_crawl_catches_a_view_that_forgot_its_permission(merchant):
    url = reverse("forgetful-add", args=[1])
    wrong = mismatches(role_clients(merchant), url, (Perm.FUNDS_VIEW, Perm.ADD_FUNDS))
    assert "shipper POST /funds/1/add/: 200" in wrong
    assert "viewer POST /funds/1/add/: 200" in wrong
    assert "shipper GET /funds/1/add/: 200" in wrong


def test_a_merchant_view_without_a_permission_is_refused_at_import():
    with pytest.raises(ImproperlyConfigured, match="needs the permission"):

        @merchant_view
        def page(request):  # pragma: no cover - never served
            return None


def test_the_role_table_matches_the_issue():
    owner, admin, shipper, viewer = (ROLE_PERMISSIONS[r] for r in Role)
    assert owner == frozenset(Perm)
    assert admin == owner - {Perm.OWN}
    for money in (Perm.FUNDS_VIEW, Perm.ADD_FUNDS, Perm.CONNECT_CARRIER, Perm.SETTINGS):
        assert money not in shipper
    assert {Perm.BUY_LABELS, Perm.LABELS, Perm.ORDERS} <= shipper
    assert all(p in {Perm.VIEW, Perm.CARRIERS_VIEW, Perm.FUNDS_VIEW} for p in viewer)
    assert owner >= NEEDS_CONFIRMED_EMAIL


@pytest.mark.django_db
def test_a_refused_member_is_told_why_and_nothing_happens(merchant):
    from funding.models import PostagePurchase
    from tests.factories import make_carrier_account

    account = make_carrier_account(merchant)
    client = role_clients(merchant)[Role.SHIPPER]
    response = client.post(reverse("funding:add", args=[account.pk]), {"amount": "25.00"})
    assert response.status_code == 403
    assert "(shipper) doesn" in response.text and "Ask the store" in response.text
    assert not PostagePurchase.objects.exists()
