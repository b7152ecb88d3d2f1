"""What a merchant page reads about the person and the store: once, with the merchant.

The merchant middleware reads the store with the member's role, confirmed e-mail, two-step
state, whether they have another store and support-group membership in one query; the
decorator, the page around the view (navigation, store switcher) and a service's own
permission check (``require``) reuse it instead of asking again. Issue 21's load benchmark
measures why.
"""

from __future__ import annotations

import re

import pytest
from django.contrib.auth.models import Group
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from merchants.models import Membership
from merchants.permissions import NotAllowed, Perm, require
from merchants.tenancy import resolve_merchant
from tests.factories import (
    make_member,
    make_merchant,
    make_order,
    make_ship_from,
    make_support_agent,
)

pytestmark = pytest.mark.django_db

TOKEN = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
SERVICE = re.compile(r'name="service" value="([^"]+)"')


def outer(query: str) -> str:
    """The query without its subqueries (the merchant's read counts stores in one)."""
    while (shorter := re.sub(r"\([^()]*\)", "", query)) != query:
        query = shorter
    return query


def reads(sql: list[str], table: str) -> list[str]:
    """The queries that read ``table`` itself (not in a subquery of another table's read)."""
    return [q for q in sql if f'FROM "{table}"' in outer(q)]


def page_queries(client: Client, url: str, **kwargs) -> tuple[object, list[str]]:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url, **kwargs)
    return response, [q["sql"] for q in queries.captured_queries]


def test_an_order_page_reads_the_store_and_the_member_once(merchant, owner_client):
    order = make_order(merchant, "1001")
    owner_client.get(f"/orders/{order.pk}/")  # warm: nothing first-time below
    response, sql = page_queries(owner_client, f"/orders/{order.pk}/")
    assert response.status_code == 200 and "1001" in response.text
    # One read of the store (the middleware's, with the role), none of the membership alone
    # (the decorator's role), none of the permission tables (the navigation's support link).
    assert len(reads(sql, "shipdesk_merchant")) == 1, sql
    assert reads(sql, "shipdesk_membership") == []
    assert not [q for q in sql if "auth_permission" in q or "auth_group" in outer(q)]


def test_buying_a_label_asks_the_role_and_the_confirmation_no_second_time(
    merchant, owner_client, sandbox_account
):
    sandbox_account(balance="100.00")
    order = make_order(
        merchant, "2001", ship_from=make_ship_from(merchant), service="US-PM",
        package_type="Package", weight_lb=1,
    )  # fmt: skip
    panel = owner_client.get(f"/orders/{order.pk}/rates/").text
    token, service = TOKEN.search(panel), SERVICE.search(panel)
    assert token and service, "the rates panel offers no buy form"
    with CaptureQueriesContext(connection) as queries:
        response = owner_client.post(
            f"/orders/{order.pk}/buy/",
            {"csrfmiddlewaretoken": token.group(1), "service": service.group(1)},
        )
    sql = [q["sql"] for q in queries.captured_queries]
    assert response.status_code == 302 and "/shipments/" in response["Location"]
    # The service's own check (shipments.labels -> merchants.permissions.require) trusts the
    # role and confirmed e-mail the request's merchant was read with.
    assert reads(sql, "shipdesk_membership") == []
    assert reads(sql, "shipdesk_profile") == []
    assert len(reads(sql, "shipdesk_merchant")) == 1


def test_a_merchant_read_for_one_person_never_answers_for_another(merchant, owner, rf):
    viewer = make_member(merchant, "viewer@acme.test", role=Membership.Role.VIEWER)
    request = rf.get("/")
    request.user, request.session = owner, {}
    read_for_owner = resolve_merchant(request)
    assert read_for_owner is not None and read_for_owner.member_role == "owner"
    require(owner, read_for_owner, Perm.BUY_LABELS)
    # The viewer's own role is read and refuses, whatever the owner's annotations say.
    with pytest.raises(NotAllowed, match="viewer"):
        require(viewer, read_for_owner, Perm.BUY_LABELS)


def test_a_member_of_one_store_gets_no_switcher_and_a_member_of_two_does(merchant, owner):
    client = Client()
    client.force_login(owner)
    one = client.get("/orders/").text
    assert 'id="merchant-switch"' not in one and "Acme Outfitters" in one
    other = make_merchant("Bramble & Co", owner_email="owner@bramble.test")
    Membership.objects.create(merchant=other, user=owner, role=Membership.Role.SHIPPER)
    two = client.get("/orders/").text
    switcher = two[two.index('id="merchant-switch"') : two.index("</select>")]
    assert "Acme Outfitters" in switcher and "Bramble &amp; Co" in switcher


def test_the_support_link_shows_exactly_for_who_may_open_the_console(merchant, owner):
    agent = make_support_agent()
    Membership.objects.create(merchant=merchant, user=agent, role=Membership.Role.VIEWER)
    link = f'href="{reverse("support:search")}"'
    clients = {}
    for user in (owner, agent):
        clients[user] = Client()
        clients[user].force_login(user)
    assert link not in clients[owner].get("/orders/").text
    assert link in clients[agent].get("/orders/").text
    assert clients[agent].get(reverse("support:search")).status_code == 200
    # Taken out of the group: the link goes with the next page, as the console's door does.
    agent.groups.remove(Group.objects.get(name="Support"))
    assert link not in clients[agent].get("/orders/").text
    assert clients[agent].get(reverse("support:search")).status_code == 403
    owner.is_superuser = True
    owner.save(update_fields=["is_superuser"])
    assert link in clients[owner].get("/orders/").text


def test_the_carrier_banner_is_read_for_pages_not_for_fragments(
    merchant, owner_client, sandbox_account
):
    account = sandbox_account(balance="100.00")
    order = make_order(
        merchant, "3001", ship_from=make_ship_from(merchant), service="US-PM",
        package_type="Package", weight_lb=1,
    )  # fmt: skip
    panel, sql = page_queries(owner_client, f"/orders/{order.pk}/rates/", HTTP_HX_REQUEST="true")
    assert panel.status_code == 200 and 'id="rates-table"' in panel.text
    assert not [q for q in sql if "needs_reauth" in q], "a fragment read the banner's accounts"
    # R7: a page still warns about an account Stamps.com no longer signs in to.
    account.status = account.Status.NEEDS_REAUTH
    account.save(update_fields=["status"])
    page = owner_client.get("/orders/").text
    assert "Update password" in page and account.nickname in page
