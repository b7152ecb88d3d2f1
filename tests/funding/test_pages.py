"""The /funds/ page, its htmx fragments, the CSV export and the monthly statement PDF."""

from __future__ import annotations

import csv
import io
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db import transaction
from django.utils import timezone

from funding import ledger
from funding.models import PostagePurchase
from tests.factories import make_carrier_account

HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def account(merchant):
    account = make_carrier_account(merchant, balance=Decimal("80.00"))
    with transaction.atomic():
        ledger.ensure_opening_balance(account)
        ledger.debit_for_label(account, Decimal("7.10"), "label-77")
    return account


@pytest.mark.django_db
def test_funds_page_shows_balance_chart_ledger_and_statement_links(owner_client, account):
    page = owner_client.get("/funds/").text
    assert "$72.90" in page
    assert "<polyline" in page and "chart-line" in page
    assert "label-77" in page
    # The store's month (New York), not the test's own zone: they differ on a month's last
    # evening, when this once failed.
    month = timezone.localdate(timezone=ZoneInfo(account.merchant.time_zone))
    assert f"/funds/{account.pk}/statements/{month:%Y-%m}.pdf" in page
    assert "style=" not in page  # strict CSP: no inline styles


@pytest.mark.clock("2026-06-10T14:00:00+00:00")
@pytest.mark.django_db
def test_statements_are_offered_only_from_the_month_the_account_was_connected(
    owner_client, merchant
):
    with time_machine.travel("2026-04-20T15:00:00+00:00", tick=False):
        account = make_carrier_account(merchant, balance=Decimal("10.00"))
    page = owner_client.get("/funds/").text
    offered = [m for m in ("2026-06", "2026-05", "2026-04") if f"/statements/{m}.pdf" in page]
    assert offered == ["2026-06", "2026-05", "2026-04"]
    assert f"/funds/{account.pk}/statements/2026-03.pdf" not in page  # before it existed


@pytest.mark.django_db
def test_the_ledger_filters_and_exports_as_csv(owner_client, account):
    page = owner_client.get("/funds/", {"kind": "adjustment"}).text
    assert "label-77" not in page
    response = owner_client.get("/funds/ledger.csv", {"kind": "label", "account": account.pk})
    assert response["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert rows[0][:5] == ["Date", "Account", "Kind", "Amount", "Balance after"]
    assert [r[2:5] for r in rows[1:]] == [["Label", "-7.10", "72.90"]]


@pytest.mark.django_db
def test_the_ledger_csv_says_who_did_each_movement(owner_client, owner, account):
    with transaction.atomic():
        ledger.debit_for_label(account, Decimal("4.20"), "label-78", by=owner)
    response = owner_client.get("/funds/ledger.csv")
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert rows[0][-1] == "By"
    by = {r[5]: r[-1] for r in rows[1:]}
    assert by["label-78"] == "owner@acme.test"
    assert by["label-77"] == "ShipDesk"  # no person: an earlier version or automation


@pytest.mark.django_db
def test_polling_stops_when_no_purchase_is_in_flight(owner_client, account):
    purchase = PostagePurchase.objects.create(
        merchant=account.merchant, account=account, amount=Decimal("20.01"), status="pending"
    )
    response = owner_client.get(f"/funds/{account.pk}/", **HTMX)
    assert response.status_code == 200 and 'hx-trigger="every 2s"' in response.text
    PostagePurchase.objects.filter(pk=purchase.pk).update(status="success")
    response = owner_client.get(f"/funds/{account.pk}/", **HTMX)
    assert response.status_code == 286  # django_htmx HttpResponseStopPolling
    assert "every 2s" not in response.text


@pytest.mark.django_db
def test_monthly_statement_is_a_pdf(owner_client, account):
    today = timezone.localdate()
    response = owner_client.get(f"/funds/{account.pk}/statements/{today:%Y-%m}.pdf")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF")
    assert owner_client.get(f"/funds/{account.pk}/statements/2026-13.pdf").status_code == 404


@pytest.mark.django_db(transaction=True)
def test_R10_adding_funds_from_the_page_updates_the_card(sandbox_account, owner_client, sandbox):
    account = sandbox_account(balance="5.00")
    response = owner_client.post(f"/funds/{account.pk}/add/", {"amount": "25"}, **HTMX)
    assert response.status_code == 200
    # The card's balance itself, not only the chart's "high $30.00".
    assert 'data-testid="balance">$30.00<' in response.text
    assert "$25.00 added" in response.text
    response = owner_client.post(f"/funds/{account.pk}/add/", {"amount": "5"}, **HTMX)
    assert "at least $10.00" in response.text
    response = owner_client.post(f"/funds/{account.pk}/add/", {"amount": "9999"})
    assert response.status_code == 400
    assert "You can add at most $9,970.00" in response.text


@pytest.mark.django_db
def test_the_ledger_pages_by_keyset_without_counting_and_each_entry_shows_once(
    owner_client, account, django_assert_max_num_queries
):
    from funding.models import LedgerEntry

    with transaction.atomic():
        for n in range(118):  # 120 entries with the opening balance and label-77
            ledger.debit_for_label(account, Decimal("0.10"), f"bulk-{n:03}")
    seen: list[str] = []
    url, pages = "/funds/", 0
    while url:
        with django_assert_max_num_queries(40) as queries:
            page = owner_client.get(url)
        # The ledger list is not counted (the balance chart counts its own 90-day window).
        counts = [q["sql"] for q in queries.captured_queries if "COUNT(" in q["sql"].upper()]
        assert not [sql for sql in counts if "merchant_id" in sql], counts
        pages += 1
        rows = page.context["page"].rows
        seen += [e.reference for e in rows]
        older = page.context["page"].older
        url = f"/funds/?older={older}" if older else ""
    assert pages == 3
    newest_first = list(
        LedgerEntry.objects.filter(account=account).values_list("reference", flat=True)
    )
    assert seen == newest_first  # every entry once, in the ledger's order

    second = owner_client.get("/funds/", {"older": _first_page_older(owner_client)})
    back = owner_client.get("/funds/", {"newer": second.context["page"].newer})
    assert [e.reference for e in back.context["page"].rows] == newest_first[:50]
    assert 'aria-label="Ledger pages"' in second.text and "Newer" in second.text


def _first_page_older(client) -> str:
    return client.get("/funds/").context["page"].older


@pytest.mark.django_db(transaction=True)
def test_adding_funds_with_htmx_refreshes_the_ledger_below_the_card(
    sandbox_account, owner_client, sandbox
):
    """The card is swapped alone: the ledger under it must be told to fetch itself again, or
    the purchase the merchant just made is missing from it until a reload."""
    account = sandbox_account(balance="5.00")
    page = owner_client.get("/funds/").text
    assert 'hx-trigger="ledger-changed from:body"' in page
    response = owner_client.post(f"/funds/{account.pk}/add/", {"amount": "25"}, **HTMX)
    assert "ledger-changed" in response.headers.get("HX-Trigger", "")
    ledger_part = owner_client.get("/funds/", HTTP_HX_TARGET="ledger", **HTMX).text
    assert "Postage purchase" in ledger_part and "25.00" in ledger_part


@pytest.mark.django_db(transaction=True)
def test_a_refused_purchase_leaves_the_ledger_alone(sandbox_account, owner_client, sandbox):
    account = sandbox_account(balance="5.00")
    response = owner_client.post(f"/funds/{account.pk}/add/", {"amount": "5"}, **HTMX)
    assert "HX-Trigger" not in response.headers


@pytest.mark.django_db
def test_a_balance_synced_moments_ago_does_not_read_zero_minutes_ago(owner_client, account):
    account.balance_synced_at = timezone.now()
    account.save(update_fields=["balance_synced_at"])
    funds = owner_client.get("/funds/").text
    carriers = owner_client.get("/settings/carriers/").text
    for page in (funds, carriers):
        assert "0 minutes ago" not in page
        assert "synced" in page and "now" in page
