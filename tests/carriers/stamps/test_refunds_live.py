"""R41: a void is a refund request. The sandbox credits the postage only once its refund
delay has passed on its clock, and GetShipmentList reports each refund (both WSDLs)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from carriers.stamps.sandbox import state

from .test_labels_live import amy, buy  # noqa: F401 - fixtures and helpers shared

pytestmark = pytest.mark.django_db(transaction=True)

DAY = dt.timedelta(days=1)


def test_a_void_is_credited_only_when_the_refund_is_due_R41(stamps, amy):  # noqa: F811
    stamps.set_refund_delay(3 * 24 * 3600)
    label = buy(amy)
    paid = Decimal("100.00") - label.balance
    amy.cancel_indicium(stamps_tx_id=label.stamps_tx_id)

    # Voided, not refunded: the balance still lacks the postage.
    assert amy.get_account_info().balance == label.balance
    today = state.now().date()
    (refund,) = amy.get_refunds(today - DAY, today + DAY)
    assert refund.stamps_tx_id == label.stamps_tx_id
    assert refund.tracking_number == label.tracking_number
    assert (refund.shipment_status, refund.status, refund.complete) == (
        "Pending Refund",
        "Pending",
        False,
    )
    assert refund.requested == paid and refund.approved == Decimal("0.00")
    assert refund.expected_at is not None

    stamps.set_clock(state.now() + dt.timedelta(days=3, seconds=1))
    (refund,) = amy.get_refunds(today - DAY, today + DAY)
    assert (refund.shipment_status, refund.status) == ("Refunded", "Complete")
    assert refund.approved == paid
    assert amy.get_account_info().balance == Decimal("100.00")


def test_voiding_again_requests_nothing_more_R41(stamps, amy):  # noqa: F811
    stamps.set_refund_delay(0)
    label = buy(amy)
    amy.cancel_indicium(stamps_tx_id=label.stamps_tx_id)
    amy.cancel_indicium(stamps_tx_id=label.stamps_tx_id)
    assert amy.get_account_info().balance == Decimal("100.00")


def test_labels_printed_outside_the_dates_are_not_listed(stamps, amy):  # noqa: F811
    label = buy(amy)
    amy.cancel_indicium(stamps_tx_id=label.stamps_tx_id)
    yesterday = state.now().date() - DAY
    assert amy.get_refunds(yesterday - DAY, yesterday) == []
