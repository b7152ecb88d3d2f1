"""R14: the ledger opens with the carrier's balance before any money moves, whatever path
writes first and whatever carrier call failed before it (issue 20: a label bought after the
account's first GetAccountInfo failed left the ledger short by the whole starting balance)."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.utils import timezone

from funding import services
from funding.ledger import ledger_balance
from funding.models import LedgerEntry
from shipments import labels
from tests.factories import make_order, make_ship_from

pytestmark = pytest.mark.django_db(transaction=True)


def _order(merchant, number="OB-1"):
    return make_order(
        merchant,
        number,
        ship_from=make_ship_from(merchant, name=f"Dock {number}"),
        service="US-PM",
        package_type="Package",
        weight_lb=1,
        weight_oz=Decimal("4.0"),
        confirmation="tracking",
    )


def _ledger(account):
    return list(
        LedgerEntry.objects.filter(account=account).order_by("pk").values_list("kind", "amount")
    )


@pytest.fixture
def unreadable_wsdl(settings):
    """The WSDL can't be fetched (the carrier down before ShipDesk ever parsed it)."""
    from carriers.stamps import client as stamps_client

    def break_it():
        settings.STAMPS_WSDL_URL = "http://127.0.0.1:9/swsim.asmx?wsdl"  # discard port
        stamps_client.reset_wsdl_cache()

    def mend_it():
        settings.STAMPS_WSDL_URL = ""
        stamps_client.reset_wsdl_cache()

    return break_it, mend_it


@pytest.mark.parametrize("first_read", ["GetAccountInfo timeout", "WSDL unreachable"])
def test_R14_a_label_bought_after_the_first_balance_read_failed_keeps_the_opening_balance(
    make_account, sandbox, merchant, unreadable_wsdl, first_read, caplog
):
    account = make_account("acme-first", balance="300.00")
    break_wsdl, mend_wsdl = unreadable_wsdl
    if first_read == "WSDL unreachable":
        break_wsdl()
    else:
        sandbox.set_fault("GetAccountInfo", "timeout", delay=1.2, times=0)
    # Turning auto-funding on reads the carrier's auto-buy: that first read fails (logged).
    services.save_auto_funding(
        account, enabled=True, threshold=Decimal("50"), amount=Decimal("100"), max_per_day=3
    )
    assert "could not read auto-buy" in caplog.text
    sandbox.clear_faults()
    mend_wsdl()

    shipment = labels.buy_label(_order(merchant), account, "US-PM", timezone.localdate())

    carrier = sandbox.get_balance("acme-first")
    assert carrier == Decimal("300.00") - shipment.amount
    assert ledger_balance(account) == carrier
    assert _ledger(account) == [("adjustment", Decimal("300.00")), ("label", -shipment.amount)]
    assert services.reconcile(account) is None
