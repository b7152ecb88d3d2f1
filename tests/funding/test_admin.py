"""Money records in the Django admin: readable, changed only through the funding services."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from funding.models import AutoFunding, LedgerEntry
from tests.factories import admin_url, make_carrier_account
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
