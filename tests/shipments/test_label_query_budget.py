"""What buying one label costs in SQL (issue 21): at most 8 statements, transaction statements
included, whatever the order holds. ``make bench`` (bench/label_cost.py) measures the time.

The purchase's follow-up (the carrier's image, the call log, tracking, e-mail, webhooks,
auto-funding) is one queued job; with the database as django-q2's broker (SQLite here, no
Redis) queuing it writes the broker's own row, in the label's transaction, counted apart.
"""

from __future__ import annotations

import pytest
import sqlparse
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django_q.conf import Conf

from carriers.models import CarrierCall
from orders import addresses
from orders.models import Order
from shipments.labels import after_purchase, buy_label
from shipments.models import LabelFile, Shipment
from tests.shipments.conftest import international
from tracking.models import Parcel

pytestmark = pytest.mark.django_db(transaction=True)

BUDGET = 8


@pytest.fixture
def account(sandbox_account):
    return sandbox_account("acme-budget", balance="500.00")


def _queries_to_buy(order, account, monkeypatch) -> tuple[list[str], list[str]]:
    """(ShipDesk's statements, the broker's) for buying ``order``'s label; jobs are queued
    as in production, not run inline."""
    addresses.check_ship_to(order, account)  # as the import's background check does
    # As the order page and batches load it: with its ship-from location.
    order = Order.objects.select_related("ship_from").get(pk=order.pk)
    monkeypatch.setattr(Conf, "SYNC", False)
    try:
        with CaptureQueriesContext(connection) as captured:
            shipment = buy_label(order, account, order.service)
    finally:
        monkeypatch.setattr(Conf, "SYNC", True)
    assert shipment.status == Shipment.Status.BOUGHT
    # Statements, not round trips: on PostgreSQL the label is recorded with four or five
    # statements sent together (tests/shipments/test_record_in_one_round_trip.py).
    sql = [s for q in captured.captured_queries for s in sqlparse.split(q["sql"])]
    broker = [s for s in sql if "django_q_ormq" in s]
    return [s for s in sql if "django_q_ormq" not in s], broker


@pytest.mark.parametrize("destination", ["domestic", "international"])
def test_one_label_costs_the_same_few_queries_for_1_or_20_items(
    account, make_shippable, monkeypatch, destination
):
    extra = international() if destination == "international" else {}
    buy_label(make_shippable(**extra), account, extra.get("service", "US-PM"))  # book opened
    small = make_shippable(items=1, **extra)
    large = make_shippable(items=20, **extra)

    own_small, broker_small = _queries_to_buy(small, account, monkeypatch)
    own_large, broker_large = _queries_to_buy(large, account, monkeypatch)

    listing = "\n".join(own_large)
    assert len(own_large) == len(own_small), listing  # the order's items cost nothing more
    # International labels read the items once, for their customs lines.
    budget = BUDGET + (1 if destination == "international" else 0)
    assert len(own_large) <= budget, listing
    # At most the job's own row (none with Redis as the broker).
    assert len(broker_small) <= 1 and len(broker_large) <= 1


def test_the_follow_up_job_keeps_the_image_the_call_log_and_the_tracking(
    account, make_shippable, monkeypatch
):
    """What left the buyer's wait still happens, once the queued job runs (R39)."""
    buy_label(make_shippable(), account, "US-PM")
    order = make_shippable()
    calls_before = CarrierCall.objects.count()
    monkeypatch.setattr(Conf, "SYNC", False)
    shipment = buy_label(order, account, "US-PM")
    assert not LabelFile.objects.filter(shipment=shipment).exists()
    assert not Parcel.objects.filter(shipment=shipment).exists()
    # The purchase's calls (CleanseAddress, GetRates, CreateIndicium) travel with the job.
    assert CarrierCall.objects.count() == calls_before

    from django_q.models import OrmQ
    from django_q.signing import SignedPackage

    if not Conf.ORM:
        pytest.skip("the job's arguments are read back from the database broker only")
    task = SignedPackage.loads(OrmQ.objects.filter(payload__isnull=False).last().payload)
    assert task["func"] == "shipments.labels.after_purchase"
    after_purchase(*task["args"])

    assert LabelFile.objects.filter(shipment=shipment, kind=LabelFile.Kind.LABEL).exists()
    assert Parcel.objects.filter(shipment=shipment).exists()
    logged = list(
        CarrierCall.objects.order_by("pk").values_list("operation", flat=True)[calls_before:]
    )
    assert logged == ["CleanseAddress", "GetRates", "CreateIndicium"]
