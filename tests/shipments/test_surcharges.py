"""R40: the carrier's surcharges (non-standard length and volume) are itemised apart from the
postage; the quote, the label's recorded cost and the ledger debit include them."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.urls import reverse

from funding.ledger import ledger_balance
from funding.models import LedgerEntry
from shipments import labels, rating

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def long_box(make_shippable):
    """A 26 in box: over 22 in, so USPS adds its non-standard length fee."""
    return make_shippable(
        service="US-GA",
        weight_lb=4,
        length_in=Decimal("26"),
        width_in=Decimal("10"),
        height_in=Decimal("8"),
    )


def test_the_quote_lists_the_surcharge_and_totals_it_R40(stamps, account, long_box, owner_client):
    shop = rating.rate_shop(account, rating.query_for_order(long_box))
    ground = next(q for q in shop.quotes if q.service == "US-GA")
    assert ("Non-standard length fee (over 22 in)", Decimal("4.00")) in ground.surcharges
    assert ground.total == ground.postage + Decimal("4.00")
    page = owner_client.get(reverse("shipments:rates", args=[long_box.pk])).text
    assert "Non-standard length fee (over 22 in) +$4.00" in page


def test_the_label_cost_and_the_ledger_debit_include_the_surcharge_R40(stamps, account, long_box):
    shop = rating.rate_shop(account, rating.query_for_order(long_box))
    quoted = next(q for q in shop.quotes if q.service == "US-GA")
    shipment = labels.buy_label(long_box, account, "US-GA")
    assert shipment.amount == quoted.total == shipment.postage + Decimal("4.00")
    debit = LedgerEntry.objects.get(account=account, kind=LedgerEntry.Kind.LABEL)
    assert debit.amount == -quoted.total
    account.refresh_from_db()
    assert account.balance == Decimal("100.00") - quoted.total
    assert ledger_balance(account) == account.balance == stamps.get_balance(account.username)
