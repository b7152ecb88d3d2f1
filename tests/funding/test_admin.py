"""Money records in the Django admin: readable, changed only through the funding services."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from funding.models import AutoFunding, LedgerEntry, PostagePurchase
from tests.factories import admin_search, admin_url, make_carrier_account
from tests.orders.test_search_plan import admin_search_plans, read_whole
from tests.support_console.test_merchant_page import fill

pytestmark = pytest.mark.django_db


def test_R10_R11_an_admin_cannot_set_auto_funding_past_the_services_checks(admin_client, merchant):
    account = make_carrier_account(merchant)
    auto = AutoFunding.objects.create(merchant=merchant, account=account, enabled=False)
    change = admin_url(AutoFunding, "change", auto.pk)
    assert "_save" not in admin_client.get(change).text
    # $5.00 is under the $10.00 minimum purchase and $20,000 over the maximum balance; the
    # funds page refuses both and records who changed the setting.
    for amount in ("5.00", "20000.00"):
        response = admin_client.post(
            change,
            {"enabled": "on", "threshold": "50.00", "amount": amount, "max_per_day": "100"},
        )
        assert response.status_code == 403
    response = admin_client.post(admin_url(AutoFunding, "delete", auto.pk), {"post": "yes"})
    assert response.status_code == 403
    changelist = admin_client.get(admin_url(AutoFunding, "changelist")).text
    assert 'value="delete_selected"' not in changelist
    auto.refresh_from_db()
    assert not auto.enabled and auto.amount == Decimal("100.00")


def ledger_search(client, term: str) -> tuple[str, list[str]]:
    """The ledger's admin list for ``term``, and how SQLite reads the ledger for each query
    that filters it: "SCAN" is every row, "SEARCH ... USING INDEX" only the matching ones."""
    with CaptureQueriesContext(connection) as queries:
        response = client.get(admin_url(LedgerEntry, "changelist"), {"q": term})
    assert response.status_code == 200
    plans = []
    with connection.cursor() as cursor:
        for query in queries.captured_queries:
            sql = query["sql"]
            if 'FROM "funding_ledgerentry"' in sql and "WHERE" in sql:
                cursor.execute(f"EXPLAIN QUERY PLAN {sql}")
                plans += [row[3] for row in cursor.fetchall()]
    return response.text, plans


@pytest.mark.skipif(connection.vendor != "sqlite", reason="reads SQLite's query plans")
@pytest.mark.parametrize("by", ["reference", "store", "username"])
def test_a_ledger_search_reads_only_the_entries_it_finds(
    admin_client, merchant, outsider_merchant, by
):
    fill(merchant, n=3)
    fill(outsider_merchant, n=3)
    term = {
        "reference": f"sdfund-{merchant.pk}-1",
        "store": "acme",
        "username": "acme-outfitters-stamps",
    }[by]
    html, plans = ledger_search(admin_client, term)
    assert "Acme Outfitters" in html and "Bramble" not in html
    assert plans and not [p for p in plans if p.startswith("SCAN funding_ledgerentry")], plans


# -- postage purchases' search, at any size ------------------------------------------------


@pytest.mark.parametrize("by", ["id", "integrator", "carrier", "username", "store"])
def test_the_purchase_search_finds_a_purchase(admin_client, merchant, outsider_merchant, by):
    account = make_carrier_account(merchant, username="acme-main")
    purchase = PostagePurchase.objects.create(
        merchant=merchant,
        account=account,
        amount=Decimal("25.00"),
        status=PostagePurchase.Status.SUCCESS,
        carrier_transaction_id="7001234",
    )
    other = PostagePurchase.objects.create(
        merchant=outsider_merchant,
        account=make_carrier_account(outsider_merchant, username="bramble-1"),
        amount=Decimal("25.00"),
        status=PostagePurchase.Status.SUCCESS,
    )
    term = {
        "id": str(purchase.pk),
        "integrator": purchase.integrator_tx_id,
        "carrier": "7001234",
        "username": "ACME-MAIN",
        "store": "acme out",
    }[by]
    shown = admin_search(admin_client, PostagePurchase, term)
    assert purchase.pk in shown and other.pk not in shown


@pytest.mark.skipif(connection.vendor != "postgresql", reason="reads PostgreSQL's query plans")
@pytest.mark.parametrize("term", ["acme", "7001234", "sdfund-1-1"])
def test_the_purchase_search_reads_only_through_indexes(admin_client, merchant, term):
    # LIKE '%term%' on both transaction ids (and across the join to the store's name) read
    # every purchase ever made.
    fill(merchant, n=20)
    keep = (
        "funding_postagepurchase_integrator_tx_id",
        "purchase_carrier_tx_id",
        "funding_postagepurchase_merchant_id",
        "funding_postagepurchase_account_id",
    )
    for plan in admin_search_plans(admin_client, PostagePurchase, term, keep):
        assert not read_whole(plan, "funding_postagepurchase"), plan
