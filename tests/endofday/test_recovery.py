"""The sweep that settles SCAN forms and pickups left in flight (endofday.recovery)."""

from __future__ import annotations

import datetime as dt
import importlib

import pytest
import time_machine

from carriers.stamps.accounts import call
from endofday import recovery
from endofday.models import Pickup, ScanForm, ScanFormLabel
from shipments.rating import from_address
from tests.endofday.conftest import FRI, THAT_WEEK, THU, utc

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.clock(THAT_WEEK)]

START = utc(2026, 11, 5, 15)  # Thursday 10 AM in New York
STUCK = START + dt.timedelta(minutes=6)


def at(stamps, moment):
    """Freeze ShipDesk's clock and pin the sandbox's to the same moment."""
    stamps.set_clock(moment)
    return time_machine.travel(moment, tick=True)


def reserve(account, location, labels) -> ScanForm:
    """What create_scan_form commits before calling the carrier (then the process dies)."""
    form = ScanForm.objects.create(
        merchant_id=account.merchant_id,
        account=account,
        location=location,
        ship_date=labels[0].ship_date,
        label_count=len(labels),
    )
    ScanFormLabel.objects.bulk_create([ScanFormLabel(scan_form=form, shipment=s) for s in labels])
    return form


def send(account, form, labels):
    """The carrier call of ``form`` that went through, its answer lost."""
    return call(
        account,
        lambda c: c.create_manifest(
            from_address=from_address(form.location),
            ship_date=form.ship_date,
            stamps_tx_ids=[s.stamps_tx_id for s in labels],
            integrator_tx_id=form.integrator_tx_id,
        ),
    )


def test_a_form_whose_manifest_exists_at_the_carrier_is_recorded_created(
    stamps, account, place, bought_label, owner_client
):
    ny = place("America/New_York", is_default=True)
    with at(stamps, START):
        labels = [bought_label(account, ny), bought_label(account, ny)]
        form = reserve(account, ny, labels)
        send(account, form, labels)
        assert recovery.sweep_stuck() == 0  # not stuck yet: the request may still be waiting
    with at(stamps, STUCK):
        assert recovery.sweep_stuck() == 1
    form.refresh_from_db()
    assert form.status == ScanForm.Status.CREATED and form.manifest_id == ""
    assert "already on a SCAN form, so it was created" in form.failure
    assert len(stamps.manifests("eod-pro")) == 1  # asking again made no second form
    assert sorted(form.items.values_list("shipment_id", flat=True)) == [s.pk for s in labels]

    listing = owner_client.get("/shipments/scan-forms/").text
    assert "Check in Stamps.com" in listing and "OnlineReportsPage" in listing
    page = owner_client.get(f"/shipments/scan-forms/{form.pk}/").text
    assert "Print it from Stamps.com Reports" in page and "scan-form-pdf" not in page


def test_a_form_never_sent_is_created_by_the_sweep(stamps, account, place, bought_label):
    ny = place("America/New_York", is_default=True)
    with at(stamps, START):
        labels = [bought_label(account, ny)]
        form = reserve(account, ny, labels)
    with at(stamps, STUCK):
        assert recovery.sweep_stuck() == 1
    form.refresh_from_db()
    [manifest] = stamps.manifests("eod-pro")
    assert form.status == ScanForm.Status.CREATED and form.manifest_id == manifest.manifest_id
    assert manifest.integrator_tx_id == form.integrator_tx_id and form.carrier_url
    assert form.failure == ""


def test_a_stuck_form_the_carrier_refuses_is_failed_and_its_labels_released(
    stamps, account, place, bought_label, owner_client
):
    """R32: asked again, the carrier answers "buffer quota": no form exists, so the labels
    go back to the open labels for another SCAN form."""
    ny = place("America/New_York", company="Buffer Quota Supplies", is_default=True)
    with at(stamps, START):
        labels = [bought_label(account, ny)]
        form = reserve(account, ny, labels)
    with at(stamps, STUCK):
        assert recovery.sweep_stuck() == 1
        form.refresh_from_db()
        assert form.status == ScanForm.Status.FAILED and "buffer quota" in form.failure
        assert "The labels were released" in form.failure
        assert not ScanFormLabel.objects.exists()
        page = owner_client.get(
            "/shipments/scan-forms/", {"account": account.pk, "location": ny.pk}
        ).text
        assert labels[0].tracking_number in page  # open again
    assert stamps.manifests("eod-pro") == []


def test_a_form_stuck_past_its_ship_date_is_unknown_and_keeps_its_labels(
    stamps, account, place, bought_label, owner_client
):
    """After the ship date the carrier answers "already scanned" whatever happened, so it is
    not asked: the merchant is sent to Stamps.com Reports."""
    ny = place("America/New_York", is_default=True)
    with at(stamps, START):
        labels = [bought_label(account, ny)]
        form = reserve(account, ny, labels)
    assert form.ship_date == THU
    with at(stamps, utc(2026, 11, 6, 14)):  # Friday morning
        assert recovery.sweep_stuck() == 1
        page = owner_client.get("/shipments/scan-forms/").text
    form.refresh_from_db()
    assert form.status == ScanForm.Status.UNKNOWN and "check Stamps.com Reports" in form.failure
    assert form.items.count() == 1
    assert stamps.manifests("eod-pro") == []
    assert "Not confirmed: check Stamps.com" in page


def test_a_temporary_carrier_failure_leaves_the_form_for_the_next_pass(
    stamps, account, place, bought_label
):
    ny = place("America/New_York", is_default=True)
    with at(stamps, START):
        labels = [bought_label(account, ny)]
        form = reserve(account, ny, labels)
    stamps.set_fault("CreateManifest", "http500")
    with at(stamps, STUCK):
        assert recovery.sweep_stuck() == 0
        form.refresh_from_db()
        assert form.status == ScanForm.Status.CREATING and form.items.count() == 1
        assert recovery.sweep_stuck() == 1  # the fault was for one call only
    form.refresh_from_db()
    assert form.status == ScanForm.Status.CREATED and form.manifest_id


def test_a_stuck_pickup_becomes_unknown_without_booking_another(
    stamps, account, place, owner_client
):
    ny = place("America/New_York", is_default=True, phone="718-555-0100")
    fields = {
        "merchant": account.merchant,
        "account": account,
        "location": ny,
        "requested_date": FRI,
        "pickup_date": FRI,
        "package_count": 2,
        "total_weight_lb": 3,
        "contact_phone": "7185550100",
    }
    with at(stamps, START):
        stuck = Pickup.objects.create(**fields)
    with at(stamps, STUCK):
        fresh = Pickup.objects.create(**fields)
        assert recovery.sweep_stuck() == 1
        listing = owner_client.get("/shipments/pickups/").text
        page = owner_client.get(f"/shipments/pickups/{stuck.pk}/").text
    stuck.refresh_from_db()
    fresh.refresh_from_db()
    assert stuck.status == Pickup.Status.UNKNOWN and "1-800-275-8777" in stuck.failure
    assert fresh.status == Pickup.Status.REQUESTING  # its request may still be on its way
    assert stamps.pickups("eod-pro") == []  # never re-sent: it is not idempotent
    assert "Not confirmed: check Stamps.com" in listing
    assert "asking again could book a second pickup" in page


def test_the_sweep_is_scheduled_every_five_minutes():
    from django.apps import apps
    from django_q.models import Schedule

    migration = importlib.import_module("endofday.migrations.0003_recovery")
    migration.create_schedule(apps, None)
    migration.create_schedule(apps, None)  # idempotent
    [schedule] = Schedule.objects.filter(func="endofday.recovery.sweep_stuck")
    assert schedule.schedule_type == Schedule.MINUTES and schedule.minutes == 5
    assert schedule.repeats == -1
