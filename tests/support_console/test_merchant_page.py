"""The support merchant page: every section, bounded queries, and no secret on it."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from carriers.models import CarrierAccount, CarrierCall, PhoneVerification
from funding.models import (
    AutoFunding,
    BalanceCheck,
    BalanceDrift,
    LedgerEntry,
    PostagePurchase,
)
from merchants import events
from merchants.models import AuditLog
from orders.models import ApiKey
from support import pages
from tests.factories import (
    SUPPORT_WHY,
    make_carrier_account,
    make_import_job,
    make_member,
    make_merchant,
    make_order,
    make_support_agent,
)
from tests.shipments.factories import make_batch, make_shipment

pytestmark = pytest.mark.django_db

CARRIER_PASSWORD = "Sup3r-Secret-Carrier-Pw"
CONSOLE_CODE = "913482"
API_KEY_HASH = "f" * 20 + "deadbeefcafe" * 3 + "0" * 8


@pytest.fixture
def agent_client() -> Client:
    client = Client()
    client.force_login(make_support_agent())
    return client


def fill(merchant, n: int = 1) -> CarrierAccount:
    """``n`` rows of everything the page shows, with known secrets in the secret fields."""
    now = timezone.now()
    account = make_carrier_account(
        merchant,
        "Main postage",
        username=f"{merchant.slug}-stamps",
        password=CARRIER_PASSWORD,
        phone_number="+14155550132",
        status=CarrierAccount.Status.NEEDS_REAUTH,
        status_reason="Authentication Failed",
        balance=Decimal("42.50"),
        balance_synced_at=now,
        card_last4="4242",
    )
    for i in range(n):
        joined = make_member(merchant, f"member{i}@{merchant.slug}.test")
        events.record(merchant, joined, events.Action.JOINED, subject=joined.email)
        make_order(merchant, f"{merchant.slug}-{i}", items=0)
        PhoneVerification.objects.create(
            merchant=merchant,
            account=account,
            phone_number="+14155550132",
            backend="console",
            console_code=CONSOLE_CODE,
            sent_at=now - timedelta(minutes=i),
            expires_at=now + timedelta(minutes=10),
            failed_attempts=5,
            locked_at=now,
        )
        CarrierCall.objects.create(
            merchant=merchant,
            account=account,
            username=account.username,
            operation="PurchasePostage",
            started_at=now - timedelta(seconds=i),
            outcome=CarrierCall.Outcome.FAULT,
            fault_code="002b0202",
            fault_text="Authentication Failed",
            merchant_message="Stamps.com refused the password: update it in ShipDesk.",
        )
        LedgerEntry.objects.create(
            merchant=merchant,
            account=account,
            kind=LedgerEntry.Kind.PURCHASE,
            amount=Decimal("10.00"),
            balance_after=Decimal("10.00") * (i + 1),
            reference=f"sdfund-{merchant.pk}-{i}",
            idempotency_key=f"test-{merchant.pk}-{i}",
        )
        PostagePurchase.objects.create(
            merchant=merchant,
            account=account,
            amount=Decimal("10.00"),
            status=PostagePurchase.Status.REJECTED,
            rejection_reason="Card declined",
        )
        BalanceDrift.objects.create(
            merchant=merchant,
            account=account,
            ledger_balance=Decimal("10.00"),
            carrier_balance=Decimal("12.00"),
            difference=Decimal("2.00"),
        )
        make_import_job(
            merchant,
            errors=[{"row": 3, "order_number": "X-3", "reason": "Country is not a country"}],
            error_count=1,
        )
        make_shipment(
            merchant,
            f"{merchant.slug}-L{i}",
            tracking_number=f"94001118992233{merchant.pk:04d}{i:04d}",
            account=account,
        )
        make_batch(merchant, f"{merchant.slug}-B{i}", account=account)
    AutoFunding.objects.create(merchant=merchant, account=account, enabled=True)
    BalanceCheck.objects.create(
        merchant=merchant,
        account=account,
        compared_at=now - timedelta(hours=8),
        waiting_since=now - timedelta(hours=7),
        waiting_for="a label is being bought",
        runs_waited=7,
    )
    ApiKey.objects.create(
        merchant=merchant, prefix="sdk_live_ab", key_hash=f"{API_KEY_HASH[:-6]}{merchant.pk:06d}"
    )
    return account


def merchant_page(client: Client, merchant) -> str:
    response = client.get(reverse("support:merchant", args=[merchant.pk]), {"why": SUPPORT_WHY})
    assert response.status_code == 200
    return response.text


def section(html: str, key: str) -> str:
    start = html.index(f'id="{key}"')
    return html[start : html.index("</section>", start)]


def test_the_page_shows_members_accounts_and_their_health(agent_client, merchant):
    fill(merchant)
    html = merchant_page(agent_client, merchant)
    assert "owner@acme.test" in section(html, "members")
    accounts = section(html, "accounts")
    assert "acme-outfitters-stamps" in accounts
    assert "Needs re-authentication" in accounts and "Authentication Failed" in accounts
    assert "$42.50" in accounts
    assert "Your own plan" in accounts


def test_the_page_shows_failed_carrier_calls_with_what_the_merchant_was_told(
    agent_client, merchant
):
    fill(merchant)
    errors = section(merchant_page(agent_client, merchant), "carrier-errors")
    assert "PurchasePostage" in errors and "002b0202 Authentication Failed" in errors
    assert "Stamps.com refused the password: update it in ShipDesk." in errors


def test_the_page_shows_verification_history_without_codes(agent_client, merchant):
    fill(merchant)
    history = section(merchant_page(agent_client, merchant), "verifications")
    assert "Locked (5 wrong tries)" in history
    assert "0132" in history and "4155550132" not in history  # masked phone
    assert CONSOLE_CODE not in history


def test_the_page_shows_money_and_imports(agent_client, merchant):
    fill(merchant)
    html = merchant_page(agent_client, merchant)
    assert "sdfund-" in section(html, "ledger")
    assert "Card declined" in section(html, "purchases")
    assert "funds twice" not in section(html, "auto-funding")
    assert "open" in section(html, "drifts")
    assert "Row 3 (X-3): Country is not a country" in section(html, "imports")
    assert "sdk_live_ab…" in section(html, "api-key")
    labels = section(html, "shipment")
    tracking = f"94001118992233{merchant.pk:04d}0000"  # ids differ between databases
    assert tracking in labels and "Label created" in labels and "$9.40" in labels
    assert "Done" in section(html, "batch") or "Queued" in section(html, "batch")


def test_the_page_shows_when_the_books_were_last_compared_and_a_long_wait_stands_out(
    agent_client, merchant
):
    account = fill(merchant)
    make_carrier_account(merchant, "Spare", username="acme-spare")  # never checked
    checks = section(merchant_page(agent_client, merchant), "balance-checks")
    assert "a label is being bought" in checks and "(7 runs)" in checks
    assert 'badge-failed">since' in checks  # over six hours: worth a look
    assert "Spare" in checks and "never" in checks

    BalanceCheck.objects.filter(account=account).update(
        waiting_since=timezone.now() - timedelta(hours=2), runs_waited=2
    )
    checks = section(merchant_page(agent_client, merchant), "balance-checks")
    assert 'badge-pending">since' in checks and "(2 runs)" in checks
    assert "badge-failed" not in checks


def test_the_page_shows_the_store_activity_with_who_did_it(agent_client, merchant):
    fill(merchant)
    activity = section(merchant_page(agent_client, merchant), "activity")
    assert "Accepted the invitation" in activity and "member0@acme-outfitters.test" in activity


def test_the_page_shows_one_merchant_only(agent_client, merchant, outsider_merchant):
    fill(merchant)
    fill(outsider_merchant)
    html = merchant_page(agent_client, merchant)
    assert "bramble" not in html.lower()


def test_an_unknown_merchant_is_404_and_the_attempt_is_audited(agent_client):
    assert (
        agent_client.get(
            reverse("support:merchant", args=[999999]), {"why": SUPPORT_WHY}
        ).status_code
        == 404
    )
    assert AuditLog.objects.get().object_repr == "merchant 999999 (not found)"


def test_page_queries_do_not_grow_with_rows(agent_client, merchant, outsider_merchant):
    fill(merchant, n=1)
    fill(outsider_merchant, n=12)
    counts = []
    for m in (merchant, outsider_merchant):
        with CaptureQueriesContext(connection) as queries:
            merchant_page(agent_client, m)
        counts.append(len(queries))
    assert counts[0] == counts[1]
    # One query per section, plus order counts and the entries around the newest open drift;
    # the rest is the request's fixed cost (session, user, tenancy, group check, merchant,
    # audit insert, nav: merchants, perms).
    assert counts[0] <= len(pages.SECTIONS) + 1 + 1 + 9, counts


def test_the_page_has_no_secret(agent_client, merchant):
    fill(merchant, n=2)
    html = (
        merchant_page(agent_client, merchant)
        + agent_client.get("/support/", {"q": "acme-outfitters-stamps", "why": SUPPORT_WHY}).text
    )
    for secret in (CARRIER_PASSWORD, CONSOLE_CODE, API_KEY_HASH[:-6], "4242"):
        assert secret not in html


def test_a_merchant_with_nothing_yet_renders(agent_client):
    empty = make_merchant("Fresh Start", owner_email="new@fresh.test")
    html = merchant_page(agent_client, empty)
    assert "No carrier accounts connected." in html


def test_times_written_into_sentences_name_their_zone(agent_client, merchant, owner):
    account = fill(merchant)
    AutoFunding.objects.filter(account=account).update(changed_by=owner)
    html = merchant_page(agent_client, merchant)
    # The store's zone, said: a bare 14:00 reads as anybody's time.
    stamp = f"{timezone.localtime(timezone.now(), merchant.zone):%Y-%m-%d %H:%M %Z}"
    assert stamp.endswith(("EDT", "EST"))
    assert f"{owner.email}, {stamp}" in section(html, "auto-funding")


@pytest.mark.clock("2026-06-10T14:00:00+00:00")
def test_times_are_the_stores_own_and_the_page_names_its_zone(agent_client):
    # What the merchant saw on their own pages at 7 a.m. in Los Angeles is what support reads
    # out to them, not the server's 2 p.m.
    store = make_merchant(
        "Pacific Goods", owner_email="owner@pacific.test", time_zone="America/Los_Angeles"
    )
    fill(store)
    html = merchant_page(agent_client, store)
    ledger = section(html, "ledger")
    assert "7 a.m." in ledger and "2 p.m." not in ledger
    assert "Times are the store's own: America/Los_Angeles" in html
