"""The support console: search kinds, the audit log and who may use it."""

from __future__ import annotations

import html
import re

import pytest
from django.contrib.auth.models import Group
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from carriers.models import PhoneVerification
from merchants.models import AuditLog, AuditLogIsAppendOnly
from support import search
from tests.factories import (
    SUPPORT_WHY,
    make_carrier_account,
    make_member,
    make_merchant,
    make_order,
    make_ship_from,
    make_support_agent,
    make_user,
)
from tests.shipments.factories import make_shipment

pytestmark = pytest.mark.django_db

SEARCH = "/support/"


@pytest.fixture
def agent():
    return make_support_agent()


@pytest.fixture
def agent_client(agent) -> Client:
    client = Client(HTTP_USER_AGENT="AgentBrowser/1.0", REMOTE_ADDR="203.0.113.9")
    client.force_login(agent)
    return client


def found(client: Client, q: str, kind: str) -> str:
    """The HTML of one kind's result group for ``q``, or "" when that kind found nothing."""
    response = client.get(SEARCH, {"q": q, "why": SUPPORT_WHY})
    assert response.status_code == 200
    html = response.text
    marker = f'id="results-{kind}"'
    if marker not in html:
        return ""
    start = html.index(marker)
    return html[start : html.index("</section>", start)]


def test_the_support_group_is_created_by_a_migration():
    assert Group.objects.filter(name="Support").exists()


# -- search kinds -----------------------------------------------------------------------


def test_search_finds_a_merchant_by_name(agent_client, merchant, outsider_merchant):
    group = found(agent_client, "acme", "merchant")
    assert "Acme Outfitters" in group
    assert "Bramble" not in group
    assert reverse("support:merchant", args=[merchant.pk]) in group


def test_search_finds_a_merchant_by_member_email(agent_client, merchant, outsider_merchant):
    make_member(merchant, "packer@acme.test")
    group = found(agent_client, "packer@acme", "email")
    assert "packer@acme.test" in group and "Acme Outfitters" in group
    assert "Bramble" not in group


def test_search_finds_a_carrier_account_by_username_or_nickname(agent_client, merchant):
    make_carrier_account(merchant, "Warehouse postage", username="acme-stamps-7")
    by_username = found(agent_client, "acme-stamps-7", "carrier")
    assert "acme-stamps-7" in by_username and "Acme Outfitters" in by_username
    assert "acme-stamps-7" in found(agent_client, "warehouse post", "carrier")


def test_search_finds_an_order_by_number(agent_client, merchant, outsider_merchant):
    make_order(merchant, "A-1001")
    make_order(outsider_merchant, "B-2002")
    group = found(agent_client, "A-1001", "order")
    assert "Order A-1001" in group and "Acme Outfitters" in group
    assert "Bramble" not in group
    assert "Order A-1001" in found(agent_client, "#A-1001", "order")


@pytest.mark.parametrize("typed", ["(415) 555-0132", "415.555.0132", "+1 415 555 0132"])
def test_search_finds_a_phone_number_however_it_is_typed(agent_client, merchant, typed):
    account = make_carrier_account(merchant, "New", phone_number="+14155550132")
    now = timezone.now()
    PhoneVerification.objects.create(
        merchant=merchant,
        account=account,
        phone_number="+14155550132",
        backend="console",
        sent_at=now,
        expires_at=now,
    )
    group = found(agent_client, typed, "phone")
    assert "Acme Outfitters" in group and "+14155550132" in group


def test_search_finds_a_ship_from_phone(agent_client, outsider_merchant):
    make_ship_from(outsider_merchant, phone="7185550100")
    assert "Bramble" in found(agent_client, "(718) 555-0100", "phone")


def test_words_are_not_taken_for_phone_numbers():
    assert search.normalise_phone("acme") is None
    assert search.normalise_phone("A-1001") is None
    assert search.normalise_phone("415-555-0132") == "+14155550132"


def test_tracking_numbers_are_a_registered_kind():
    assert any(k.key == "tracking" and k.available() for k in search.KINDS)


def test_results_are_grouped_by_kind_in_registry_order(agent_client, merchant):
    make_member(merchant, "acme-ops@example.test")
    make_carrier_account(merchant, "Main", username="acme-main")
    html = agent_client.get(SEARCH, {"q": "acme", "why": SUPPORT_WHY}).text
    positions = [html.index(f'id="results-{key}"') for key in ("merchant", "email", "carrier")]
    assert positions == sorted(positions)


def test_a_search_with_no_match_says_so(agent_client):
    response = agent_client.get(SEARCH, {"q": "zzzz-nothing", "why": SUPPORT_WHY})
    assert "Nothing matches" in response.text


def test_search_queries_do_not_grow_with_matches(agent_client, django_assert_max_num_queries):
    for i in range(30):
        m = make_merchant(f"Acme {i}", owner_email=f"o{i}@acme{i}.test")
        make_carrier_account(m, "Main", username=f"acme-{i}")
    # session, user, group check, merchant resolution, audit insert, one query per kind.
    with django_assert_max_num_queries(6 + len(search.KINDS) + 2):
        response = agent_client.get(SEARCH, {"q": "acme", "why": SUPPORT_WHY})
    assert response.text.count("/support/merchants/") >= search.LIMIT


# -- audit log ---------------------------------------------------------------------------


def test_every_search_is_audited_with_who_what_and_from_where(agent_client, agent, merchant):
    agent_client.get(SEARCH, {"q": "acme", "why": SUPPORT_WHY})
    entry = AuditLog.objects.get()
    assert entry.user == agent and entry.actor == agent.email
    assert entry.action == AuditLog.Action.SEARCH and entry.query == "acme"
    assert entry.reason == SUPPORT_WHY
    assert entry.ip_address == "203.0.113.9"
    assert entry.user_agent == "AgentBrowser/1.0"
    assert entry.created_at is not None


def test_every_page_view_is_audited_with_the_merchant(agent_client, merchant):
    agent_client.get(SEARCH)
    agent_client.get(reverse("support:merchant", args=[merchant.pk]), {"why": SUPPORT_WHY})
    view = AuditLog.objects.filter(merchant=merchant).get()
    assert view.action == AuditLog.Action.VIEW
    assert view.path.startswith(f"/support/merchants/{merchant.pk}/?")
    assert view.reason == SUPPORT_WHY
    assert view.object_repr == "Acme Outfitters"
    assert AuditLog.objects.count() == 2


@pytest.mark.parametrize("why", [None, "", "   ", "x"])
def test_a_search_without_a_reason_is_refused_and_asks_why(agent_client, merchant, why):
    params = {"q": "acme"} | ({"why": why} if why is not None else {})
    response = agent_client.get(SEARCH, params)
    assert response.status_code == 400
    assert "Say why you are looking (a ticket number, or what the merchant asked)" in response.text
    assert 'id="results-merchant"' not in response.text
    assert not AuditLog.objects.exists()  # nothing was looked up


def test_a_merchant_page_without_a_reason_shows_nothing_and_asks_why(agent_client, merchant):
    response = agent_client.get(reverse("support:merchant", args=[merchant.pk]))
    assert response.status_code == 400
    assert "Say why you are looking" in response.text
    assert "Acme Outfitters" not in response.text
    assert not AuditLog.objects.exists()


def test_a_result_carries_the_reason_to_the_merchant_page(agent_client, merchant):
    group = found(agent_client, "acme", "merchant")
    link = re.search(r'href="(/support/merchants/\d+/\?why=[^"]+)"', group).group(1)
    assert agent_client.get(html.unescape(link)).status_code == 200
    view = AuditLog.objects.filter(action=AuditLog.Action.VIEW).get()
    assert view.merchant == merchant and view.reason == SUPPORT_WHY


def test_refused_requests_are_not_mistaken_for_look_ups(owner_client):
    owner_client.get(SEARCH, {"q": "acme", "why": SUPPORT_WHY})
    assert not AuditLog.objects.exists()


def test_the_audit_log_cannot_be_changed_or_deleted(agent_client):
    agent_client.get(SEARCH, {"q": "acme", "why": SUPPORT_WHY})
    entry = AuditLog.objects.get()
    entry.query = "something else"
    with pytest.raises(AuditLogIsAppendOnly):
        entry.save()
    with pytest.raises(AuditLogIsAppendOnly):
        entry.delete()
    with pytest.raises(AuditLogIsAppendOnly):
        AuditLog.objects.update(query="x")
    with pytest.raises(AuditLogIsAppendOnly):
        AuditLog.objects.all().delete()
    assert AuditLog.objects.get().query == "acme"


def test_the_audit_log_outlives_the_user_it_names(agent_client, agent):
    agent_client.get(SEARCH, {"q": "acme", "why": SUPPORT_WHY})
    agent.delete()
    entry = AuditLog.objects.get()
    assert entry.user is None and entry.actor == "agent@shipdesk.test"


# -- permissions --------------------------------------------------------------------------


def test_a_merchant_user_is_refused_the_support_console(owner_client, merchant):
    assert owner_client.get(SEARCH).status_code == 403
    assert owner_client.get(SEARCH, {"q": "acme", "why": SUPPORT_WHY}).status_code == 403
    assert (
        owner_client.get(
            reverse("support:merchant", args=[merchant.pk]), {"why": SUPPORT_WHY}
        ).status_code
        == 403
    )


def test_an_anonymous_visitor_is_sent_to_login(client, merchant):
    response = client.get(reverse("support:merchant", args=[merchant.pk]))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_a_superuser_may_use_the_support_console(client, merchant):
    admin = make_user("root@shipdesk.test")
    admin.is_superuser = admin.is_staff = True
    admin.save()
    client.force_login(admin)
    assert client.get(SEARCH, {"q": "acme", "why": SUPPORT_WHY}).status_code == 200


@pytest.mark.parametrize("method", ["post", "put", "patch", "delete"])
def test_the_support_console_is_read_only(agent_client, merchant, method):
    for url in (SEARCH, reverse("support:merchant", args=[merchant.pk])):
        assert getattr(agent_client, method)(url).status_code == 405


def test_support_pages_carry_no_forms_that_change_data(agent_client, merchant):
    for url in (SEARCH, reverse("support:merchant", args=[merchant.pk])):
        html = agent_client.get(url, {"q": "acme"}).text
        main = html[html.index('<main id="main"') :]
        assert 'method="post"' not in main.lower()


def test_the_nav_shows_support_only_to_support_staff(agent_client, owner_client):
    link = f'href="{SEARCH}"'
    assert link in agent_client.get(SEARCH).text
    assert link not in owner_client.get("/").text


def test_an_agent_without_a_store_is_pointed_to_the_console(agent_client):
    response = agent_client.get("/")
    assert response.status_code == 403
    assert f'href="{SEARCH}"' in response.text


def test_search_finds_a_label_by_tracking_number(agent_client, merchant, outsider_merchant):
    make_shipment(merchant, "L-6677", tracking_number="9400111899223344556677")
    make_shipment(outsider_merchant, "L-0000", tracking_number="9400111899223344550000")
    group = found(agent_client, "9400 1118 9922 3344 5566 77", "tracking")
    assert "9400111899223344556677" in group and "Acme Outfitters" in group
    assert "Bramble" not in group
    page = agent_client.get(
        reverse("support:merchant", args=[merchant.pk]), {"why": SUPPORT_WHY}
    ).text
    assert "9400111899223344556677" in page and "order L-6677" in page
