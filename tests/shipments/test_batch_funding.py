"""Batches check what they need before they start: a service on every order and the postage
(topped up through auto-funding, R10-R13, or refused with the amount missing); a finished
batch retries only its failed orders and never buys a label twice (R28)."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.urls import reverse

from funding.models import AutoFunding, LedgerEntry, PostagePurchase
from orders.models import Order
from shipments import batches, rating
from shipments.models import Batch, BatchItem, Shipment
from tests.shipments.conftest import international
from tests.support import WEEKDAY_MORNING

pytestmark = pytest.mark.django_db(transaction=True)


def cost(account, orders, ship_date) -> Decimal:
    return sum(
        (
            rating.rate_for_service(account, rating.query_for_order(o, ship_date), o.service).total
            for o in orders
        ),
        Decimal("0.00"),
    )


def test_an_order_without_a_service_is_refused_before_the_batch_starts(
    stamps, account, make_shippable, owner_client
):
    ready, bare = make_shippable(), make_shippable(service="")
    response = owner_client.post(
        reverse("shipments:batches"), {"order": [ready.pk, bare.pk]}, follow=True
    )
    assert f"1 of the selected orders has no service: {bare.number}" in response.text
    assert not Batch.objects.exists() and stamps.indicia(account.username) == []


def test_without_auto_funding_a_short_batch_is_refused_up_front_with_the_amount_missing(
    stamps, sandbox_account, make_shippable, owner_client
):
    account = sandbox_account(balance="5.00")
    orders = [make_shippable(), make_shippable(), make_shippable(service="US-GA")]
    response = owner_client.post(
        reverse("shipments:batches"), {"order": [o.pk for o in orders]}, follow=True
    )
    needed = cost(account, orders, _ship_date(orders[0]))
    missing = needed - Decimal("5.00")
    assert f"needs about ${needed:,.2f} of postage" in response.text
    assert f"${missing:,.2f} is missing" in response.text
    assert "turn on auto-funding" in response.text
    assert not Batch.objects.exists() and stamps.indicia(account.username) == []
    assert stamps.get_balance(account.username) == Decimal("5.00")


def _ship_date(order):
    from shipments.labels import default_ship_date

    return default_ship_date(Order.objects.select_related("ship_from", "merchant").get(pk=order.pk))


def test_R13_low_balance_with_auto_funding_on_tops_up_first_and_every_label_is_bought(
    stamps, sandbox_account, make_shippable, merchant
):
    account = sandbox_account(balance="5.00")
    AutoFunding.objects.create(
        merchant=merchant, account=account, enabled=True,
        threshold=Decimal("10.00"), amount=Decimal("20.00"), max_per_day=5,
    )  # fmt: skip
    orders = [make_shippable() for _ in range(3)]
    needed = cost(account, orders, _ship_date(orders[0]))
    assert needed > Decimal("25.00")  # more than the balance plus one top-up
    batch = batches.create_batch(merchant, [o.pk for o in orders], account, None)
    batch.refresh_from_db()
    assert batches.progress(batch)["bought"] == 3 and batches.progress(batch)["failed"] == 0
    automatic = PostagePurchase.objects.filter(account=account, automatic=True)
    # R10/R13: the chosen amount each time, within the daily limit, all settled.
    assert automatic.count() <= 5
    assert {p.amount for p in automatic} == {Decimal("20.00")}
    assert set(automatic.values_list("status", flat=True)) == {PostagePurchase.Status.SUCCESS}
    account.refresh_from_db()
    # R14: the ledger holds every movement and matches the carrier to the cent.
    assert account.balance == stamps.get_balance(account.username)
    assert LedgerEntry.objects.filter(account=account, kind="label").count() == 3


def test_R13_auto_funding_that_cannot_cover_a_batch_within_its_daily_limit_says_so(
    stamps, sandbox_account, make_shippable, merchant
):
    account = sandbox_account(balance="5.00")
    AutoFunding.objects.create(
        merchant=merchant, account=account, enabled=True,
        threshold=Decimal("10.00"), amount=Decimal("10.00"), max_per_day=1,
    )  # fmt: skip
    orders = [make_shippable() for _ in range(3)]
    with pytest.raises(batches.BatchError, match="at most 1 time a day") as refused:
        batches.create_batch(merchant, [o.pk for o in orders], account, None)
    assert "is missing" in str(refused.value)
    assert not PostagePurchase.objects.exists() and not Batch.objects.exists()


def test_retry_failed_buys_only_the_failed_orders_and_never_a_bought_label_again(
    stamps, account, make_shippable, merchant, owner_client
):
    good = make_shippable()
    one_name = make_shippable(**international(recipient_name="Cher"))  # R18 refuses it
    batch = batches.create_batch(merchant, [good.pk, one_name.pk], account, None)
    batch.refresh_from_db()
    assert batches.progress(batch).items() >= {"bought": 1, "failed": 1}.items()
    # A bought item wrongly left failed (a lost answer) must not be bought again either.
    BatchItem.objects.filter(batch=batch, order=good).update(
        status=BatchItem.Status.FAILED, reason="Stamps.com did not answer."
    )
    Order.objects.filter(pk=one_name.pk).update(recipient_name="Cher Sarkisian")
    response = owner_client.post(reverse("shipments:batch-retry", args=[batch.pk]), follow=True)
    assert "Retrying 1 failed order:" in response.text
    batch.refresh_from_db()
    assert batch.status == Batch.Status.DONE
    assert batches.progress(batch).items() >= {"bought": 2, "failed": 0}.items()
    assert len(stamps.indicia(account.username)) == 2  # one new label, none twice
    assert Shipment.objects.filter(order=good, status=Shipment.Status.BOUGHT).count() == 1
    again = owner_client.post(reverse("shipments:batch-retry", args=[batch.pk]), follow=True)
    assert "No failed orders to retry" in again.text


# The SCAN-form offer it reads is made only before the 9 PM cut-off on a shipping day.
@pytest.mark.clock(WEEKDAY_MORNING)
def test_counts_read_as_english_for_one_and_for_many(
    stamps, account, make_shippable, merchant, owner_client
):
    batch = batches.create_batch(merchant, [make_shippable().pk], account, None)
    page = owner_client.get(reverse("shipments:batch", args=[batch.pk])).text
    assert "1 order ·" in page and "1 orders" not in page
    assert "Done, 1 of 1 label created." in page
    scan = owner_client.get(reverse("endofday:scan-forms")).text
    assert "Close the 1 label" in scan and "Close all 1 labels" not in scan
