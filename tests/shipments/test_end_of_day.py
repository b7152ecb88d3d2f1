"""Labels and end of day (R30, R31): a label keeps the location it was bought from, a label
on a SCAN form can't be voided, the ship date follows the location's cut-off, and the
shipments list shows each label's SCAN form."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse

from endofday import pickups, scan_forms
from endofday.models import ScanForm, ScanFormLabel
from locations.models import EndOfDaySettings
from locations.shipping_day import local_today, ship_date_for
from shipments import labels, voids
from shipments.models import Shipment
from tests.factories import make_ship_from

pytestmark = pytest.mark.django_db(transaction=True)


def put_on_scan_form(shipment: Shipment, manifest_id: str = "SCAN-1") -> ScanForm:
    assert shipment.ship_from is not None
    form = ScanForm.objects.create(
        merchant_id=shipment.merchant_id,
        account=shipment.account,
        location=shipment.ship_from,
        ship_date=shipment.ship_date,
        status=ScanForm.Status.CREATED,
        manifest_id=manifest_id,
        label_count=1,
    )
    ScanFormLabel.objects.create(scan_form=form, shipment=shipment)
    return form


def test_a_label_keeps_the_location_it_was_bought_from(
    stamps, account, make_shippable, merchant, ship_from
):
    order = make_shippable()
    shipment = labels.buy_label(order, account, "US-PM")
    assert shipment.ship_from_id == ship_from.pk
    # The order is edited afterwards: the label was still printed with the first address.
    elsewhere = make_ship_from(merchant, name="Overflow dock", is_default=False)
    order.ship_from = elsewhere
    order.save(update_fields=["ship_from"])
    day = shipment.ship_date
    moment = dt.datetime.combine(day, dt.time(12), tzinfo=ship_from.zone)
    assert list(scan_forms.eligible_labels(account, ship_from, moment)) == [shipment]
    assert list(scan_forms.eligible_labels(account, elsewhere, moment)) == []
    assert list(pickups.labels_for_pickup(merchant.pk, ship_from, moment)) == [shipment]


def test_R31_a_label_on_a_scan_form_cannot_be_voided(stamps, account, make_shippable):
    shipment = labels.buy_label(make_shippable(), account, "US-PM")
    put_on_scan_form(shipment, "SCAN-42")
    assert "SCAN form SCAN-42" in voids.void_refused_reason(shipment)
    with pytest.raises(labels.LabelError, match="SCAN form SCAN-42"):
        voids.void_label(shipment)
    assert Shipment.objects.get(pk=shipment.pk).status == Shipment.Status.BOUGHT
    assert stamps.indicia(account.username)[0].voided_at is None


def test_R31_the_default_ship_date_follows_the_locations_cut_off(
    stamps, account, make_shippable, merchant, ship_from
):
    # A cut-off at midnight: every label from now on takes the next shipping day.
    EndOfDaySettings.objects.create(merchant=merchant, location=ship_from, cutoff_time=dt.time(0))
    expected = ship_date_for(ship_from)
    assert expected > local_today(ship_from)
    shipment = labels.buy_label(make_shippable(), account, "US-PM")
    assert shipment.ship_date == expected


def test_the_shipments_list_shows_each_labels_scan_form_in_constant_queries(
    stamps,
    account,
    make_shippable,
    owner_client,
    django_assert_num_queries,
    django_assert_max_num_queries,
):
    first = labels.buy_label(make_shippable(), account, "US-PM")
    form = put_on_scan_form(first, "SCAN-77")
    url = reverse("shipments:list")
    with django_assert_max_num_queries(50) as few:
        page = owner_client.get(url)
    assert "SCAN-77" in page.text
    assert reverse("endofday:scan-form", args=[form.pk]) in page.text
    for _ in range(3):
        put_on_scan_form(labels.buy_label(make_shippable(), account, "US-PM"), "SCAN-78")
        labels.buy_label(make_shippable(), account, "US-GA")
    with django_assert_num_queries(len(few.captured_queries)):
        page = owner_client.get(url)
    assert page.text.count("SCAN-78") == 3
