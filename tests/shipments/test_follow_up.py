"""A label's follow-up (its image, tracking, the customer's e-mail, webhooks) survives the
loss of its job: with Redis as django-q2's broker a job held by a dying worker is gone, so
``jobs.sweep_follow_ups`` queues it again for bought labels never followed up (issue 21)."""

from __future__ import annotations

import datetime as dt
import importlib

import pytest
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django_q.conf import Conf
from django_q.models import OrmQ

from carriers.models import CarrierCall
from shipments import jobs, returns
from shipments.labels import buy_label
from shipments.models import LabelFile, Shipment
from tests.shipments.factories import make_shipment
from tests.support import qcluster, wait_for
from tests.tracking.factories import make_endpoint
from tests.tracking.test_webhooks import Receiver
from tracking.models import CustomerEmail, Parcel, WebhookDelivery

pytestmark = pytest.mark.django_db(transaction=True)

NOW = dt.timedelta(0)  # "bought any time before now": the sweep's wait is tested apart


@pytest.fixture
def account(sandbox_account):
    return sandbox_account("acme-follow", balance="500.00")


@pytest.fixture
def receiver(settings):
    settings.WEBHOOKS_ALLOW_PRIVATE = True  # the receiver listens on 127.0.0.1
    r = Receiver()
    yield r
    r.server.shutdown()
    r.server.server_close()


def buy_losing_the_follow_up(order, account, monkeypatch) -> Shipment:
    """Buy ``order``'s label as in production (its job queued, not run inline), then lose
    that job as a dying worker would."""
    monkeypatch.setattr(Conf, "SYNC", False)
    try:
        shipment = buy_label(order, account, order.service)
    finally:
        monkeypatch.setattr(Conf, "SYNC", True)
    if Conf.ORM:
        OrmQ.objects.all().delete()
    else:  # Redis: the job is in the short cluster's list
        from django.conf import settings

        from shipments.labels import _broker

        _broker(settings.Q_SHORT_CLUSTER).purge_queue()
    return Shipment.objects.get(pk=shipment.pk)


def test_a_label_whose_follow_up_job_was_lost_is_followed_up_once_by_the_sweep(
    account, make_shippable, monkeypatch, receiver, merchant
):
    buy_label(make_shippable(), account, "US-PM")  # the book opened
    make_endpoint(merchant, receiver.url, events=["label.bought"])
    mail.outbox.clear()
    calls_before = CarrierCall.objects.count()
    lost = buy_losing_the_follow_up(make_shippable(email="jane@example.test"), account, monkeypatch)
    assert lost.status == Shipment.Status.BOUGHT and lost.followed_up_at is None
    assert not LabelFile.objects.filter(shipment=lost).exists()
    assert not Parcel.objects.filter(shipment=lost).exists()

    # A label bought a moment ago is left to its own job, which may only be late.
    assert jobs.sweep_follow_ups() == 0

    assert jobs.sweep_follow_ups(older_than=NOW) == 1
    assert LabelFile.objects.filter(shipment=lost, kind=LabelFile.Kind.LABEL).exists()
    assert Parcel.objects.filter(shipment=lost).count() == 1
    assert [m.to for m in mail.outbox] == [["jane@example.test"]]
    assert CustomerEmail.objects.filter(shipment=lost, kind=CustomerEmail.Kind.SHIPPED).count() == 1
    deliveries = WebhookDelivery.objects.filter(event="label.bought")
    assert [d.payload["label"]["id"] for d in deliveries] == [lost.pk]
    assert deliveries.get().status == WebhookDelivery.Status.DELIVERED
    assert len(receiver.received) == 1
    assert Shipment.objects.get(pk=lost.pk).followed_up_at is not None
    # The purchase's carrier call records went with the lost job (best-effort, logged).
    assert CarrierCall.objects.count() == calls_before

    # Followed up: never swept again, nothing sent twice.
    assert jobs.sweep_follow_ups(older_than=NOW) == 0
    assert len(mail.outbox) == 1 and len(receiver.received) == 1
    assert Parcel.objects.filter(shipment=lost).count() == 1


def test_a_label_followed_up_by_its_own_job_is_never_swept(account, make_shippable):
    shipment = buy_label(make_shippable(), account, "US-PM")  # jobs run inline here
    assert Shipment.objects.get(pk=shipment.pk).followed_up_at is not None
    assert jobs.sweep_follow_ups(older_than=NOW) == 0


def test_a_return_label_is_followed_up_and_its_calls_logged_together(
    account, make_shippable, ship_from
):
    outbound = buy_label(make_shippable(), account, "US-PM")
    outbound = Shipment.objects.select_related("order", "account").get(pk=outbound.pk)
    calls_before = CarrierCall.objects.count()
    label = returns.buy_return_label(outbound, location=ship_from, service="US-GA", days=14)
    assert Shipment.objects.get(pk=label.pk).followed_up_at is not None
    assert Parcel.objects.filter(shipment=label).exists()
    logged = CarrierCall.objects.order_by("pk").values_list("operation", flat=True)
    assert "CreateIndicium" in list(logged[calls_before:])
    assert jobs.sweep_follow_ups(older_than=NOW) == 0


@pytest.mark.django_db
def test_the_sweep_costs_the_same_few_queries_for_1_or_30_lost_follow_ups(merchant, monkeypatch):
    monkeypatch.setattr(Conf, "SYNC", False)  # queued, not run: the sweep's own cost

    def sweep() -> list[str]:
        with CaptureQueriesContext(connection) as captured:
            jobs.sweep_follow_ups(older_than=NOW)
        return [q["sql"] for q in captured.captured_queries]

    make_shipment(merchant, "L-0")
    one = sweep()
    Shipment.objects.update(followed_up_at=None)
    for n in range(1, 30):
        make_shipment(merchant, f"L-{n}", tracking_number=f"9205511000000000000{n:03d}")
    many = sweep()
    assert len(many) == len(one) <= 2, many  # the due labels' ids, and the job queued (ORM)


@pytest.mark.django_db
def test_the_sweep_runs_every_five_minutes_and_spares_labels_older_than_the_release(merchant):
    from django.apps import apps
    from django_q.models import Schedule

    migration = importlib.import_module("shipments.migrations.0010_follow_up")
    migration.create_schedule(apps, None)
    migration.create_schedule(apps, None)  # idempotent
    [schedule] = Schedule.objects.filter(func="shipments.jobs.sweep_follow_ups")
    assert schedule.schedule_type == Schedule.MINUTES and schedule.minutes == 5
    assert schedule.repeats == -1 and schedule.cluster is None  # the short cluster's
    # Labels bought before the release are not followed up again after it.
    old = make_shipment(merchant, "L-old")
    migration.mark_existing_followed_up(apps, None)
    assert Shipment.objects.get(pk=old.pk).followed_up_at == old.bought_at
    assert jobs.sweep_follow_ups(older_than=NOW) == 0


@pytest.mark.worker
def test_a_real_worker_follows_up_what_a_dead_worker_lost(
    account, make_shippable, monkeypatch, settings
):
    """The lost job (as with Redis when its worker is killed) is queued again by the sweep
    and run by a real short-jobs cluster: the image kept, tracking started, the e-mail sent."""
    buy_label(make_shippable(), account, "US-PM")  # the book opened
    lost = buy_losing_the_follow_up(make_shippable(email="jane@example.test"), account, monkeypatch)
    monkeypatch.setattr(Conf, "SYNC", False)
    assert jobs.sweep_follow_ups(older_than=NOW) == 1
    env = {
        "STAMPS_SANDBOX": "1",
        "STAMPS_SANDBOX_URL": settings.STAMPS_SANDBOX_URL,
        "Q_WORKERS": "1",
        "MEDIA_ROOT": str(settings.MEDIA_ROOT),
    }
    with qcluster(clusters=("",), **env) as workers:
        wait_for(
            lambda: Shipment.objects.filter(pk=lost.pk, followed_up_at__isnull=False).exists(),
            "the swept label followed up",
            60,
            workers,
        )
        wait_for(
            lambda: CustomerEmail.objects.filter(shipment=lost).exists(),
            "the customer's e-mail",
            30,
            workers,
        )
    assert LabelFile.objects.filter(shipment=lost, kind=LabelFile.Kind.LABEL).exists()
    assert Parcel.objects.filter(shipment=lost).count() == 1
    assert jobs.sweep_follow_ups(older_than=NOW) == 0
