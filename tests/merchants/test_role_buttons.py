"""Each role sees only the buttons it may use: a viewer reads funds, carrier accounts and
labels but is offered nothing the server would refuse with a 403 (merchants.permissions)."""

from __future__ import annotations

import re
from html import unescape
from urllib.parse import urlsplit

import pytest
from django.test import Client
from django.urls import Resolver404, resolve

from merchants.permissions import ROLE_PERMISSIONS, Role
from tests.factories import make_carrier_account, make_member
from tests.merchants.test_permissions import url_of
from tests.merchants.test_tenancy import merchant_patterns
from tests.tenancy_urls import URL_PERMISSIONS
from tests.tracking.factories import make_parcel

pytestmark = pytest.mark.django_db


def client_for(merchant, role: str) -> Client:
    client = Client()
    client.force_login(make_member(merchant, f"{role}@acme.test", role=role))
    return client


def test_a_viewer_sees_the_funds_but_no_button_to_add_fund_or_change_them(merchant):
    account = make_carrier_account(merchant)
    viewer = client_for(merchant, "viewer")
    page = viewer.get("/funds/")
    assert page.status_code == 200 and "Main postage" in page.text
    for button in ("Add funds</button>", "Save auto-funding", "Refresh from Stamps.com"):
        assert button not in page.text
    assert viewer.post(f"/funds/{account.pk}/add/", {"amount": "10"}).status_code == 403


def test_an_admin_still_sees_every_funds_button(merchant, owner_client):
    make_carrier_account(merchant)
    admin = client_for(merchant, "admin")
    page = admin.get("/funds/").text
    for button in ("Add funds</button>", "Save auto-funding", "Refresh from Stamps.com"):
        assert button in page


def test_a_viewer_sees_the_carrier_accounts_but_no_button_to_change_them(merchant):
    make_carrier_account(merchant)
    make_carrier_account(merchant, "Second")
    page = client_for(merchant, "viewer").get("/settings/carriers/").text
    assert "Main postage" in page and "Second" in page
    for button in (
        "Make default",
        "Disconnect",
        "Stamps.com Settings",
        "/settings/carriers/stamps/connect/",
    ):
        assert button not in page


def test_a_viewer_sees_a_label_but_no_print_void_or_refresh_button(merchant):
    parcel = make_parcel(merchant, "V-1")
    viewer = client_for(merchant, "viewer")
    page = viewer.get(f"/shipments/{parcel.shipment_id}/").text
    assert parcel.shipment.tracking_number in page
    for button in ("Print label", "Void label", "Label, ZPL"):
        assert button not in page
    panel = viewer.get(f"/shipments/{parcel.shipment_id}/tracking/").text
    assert "Refresh tracking" not in panel and "Customer's tracking page" in panel


def test_a_shipper_sees_the_labels_print_void_and_refresh_buttons(merchant):
    parcel = make_parcel(merchant, "S-1")
    shipper = client_for(merchant, "shipper")
    page = shipper.get(f"/shipments/{parcel.shipment_id}/").text
    for button in ("Print label", "Void label", "Label, ZPL"):
        assert button in page
    assert "Refresh tracking" in shipper.get(f"/shipments/{parcel.shipment_id}/tracking/").text


POST_TARGETS = re.compile(
    r'<form\b[^>]*\bmethod="post"[^>]*>|\bhx-post="[^"]*"|\bformaction="[^"]*"'
)
LINKS = re.compile(r'<a\b[^>]*\bhref="(/[^"]*)"')
ACTION = re.compile(r'\b(?:action|hx-post|formaction)="([^"]*)"')


def refused_buttons(page_url: str, html: str, role: str) -> list[str]:
    """Every place the page posts to that the role's permission table refuses."""
    refused = []
    for tag in POST_TARGETS.findall(html):
        found = ACTION.search(tag)
        target = urlsplit(unescape(found.group(1)) if found and found.group(1) else page_url).path
        match = resolve(target)
        needed = URL_PERMISSIONS.get(match.view_name)
        if needed is not None and needed[1] not in ROLE_PERMISSIONS[Role(role)]:
            refused.append(f"{page_url} offers {role} a post to {match.view_name}")
    for link in LINKS.findall(html):
        try:
            match = resolve(urlsplit(unescape(link)).path)
        except Resolver404:
            continue
        needed = URL_PERMISSIONS.get(match.view_name)
        if needed is not None and needed[0] not in ROLE_PERMISSIONS[Role(role)]:
            refused.append(f"{page_url} links {role} to {match.view_name}")
    return refused


@pytest.mark.parametrize("role", [Role.VIEWER, Role.SHIPPER, Role.ADMIN])
def test_no_page_a_role_may_read_offers_it_an_action_it_may_not_take(merchant, role):
    client = client_for(merchant, role)
    patterns = dict(merchant_patterns())
    # Every object first, so each page shows its rows' buttons too.
    urls = {name: url_of(name, patterns[name], merchant) for name in sorted(URL_PERMISSIONS)}
    refused = []
    for name, url in urls.items():
        if URL_PERMISSIONS[name][0] not in ROLE_PERMISSIONS[role]:
            continue
        response = client.get(url)
        if response.status_code == 200 and response.get("Content-Type", "").startswith("text/html"):
            refused += refused_buttons(url, response.text, role)
    assert sorted(set(refused)) == []
