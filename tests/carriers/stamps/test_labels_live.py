"""Addresses, labels, voids, tracking, SCAN forms, pickups and carrier links against the
sandbox over real HTTP (both WSDLs)."""

from __future__ import annotations

import dataclasses
import datetime as dt
import uuid
from decimal import Decimal

import pytest

from carriers.models import CarrierCall
from carriers.stamps import errors
from carriers.stamps.client import get_client
from carriers.stamps.types import (
    Address,
    Customs,
    CustomsLine,
    PickupAddress,
    PickupContact,
    PickupPackages,
    RateRequest,
)
from tests.support import WEEKDAY_MORNING

pytestmark = pytest.mark.django_db(transaction=True)

FROM = Address(
    full_name="Pat Shipper",
    address1="100 Main St",
    city="Brooklyn",
    state="NY",
    zip_code="11201",
    phone="7185550100",
)
TO = Address(
    full_name="Jane Receiver",
    address1="1 Market St",
    city="San Francisco",
    state="CA",
    zip_code="94105",
)


@pytest.fixture
def amy(stamps):
    stamps.create_account("amy", "Secret123", balance=Decimal("100.00"))
    return get_client("amy", "Secret123")


def ground_rate(client, to=TO, **kw):
    (rate,) = client.get_rates(
        RateRequest(from_zip="11201", to=to, weight_oz=12, service_type="US-GA", **kw)
    )
    return rate


def cleansed(client, to=TO):
    """R37: labels are bought with the carrier's cleansed address and its CleanseHash."""
    answer = client.cleanse_address(to, from_zip="11201")
    assert answer.address_match
    return dataclasses.replace(answer.address, full_name=to.full_name)


def buy(client, rate=None, tx_id=None, **kw):
    return client.create_indicium(
        tx_id or uuid.uuid4().hex,
        rate or ground_rate(client),
        from_address=FROM,
        to_address=kw.pop("to_address", None) or cleansed(client),
        **kw,
    )


def test_create_indicium_buys_a_label_and_a_retry_with_the_same_tx_id_buys_nothing_R28(stamps, amy):
    tx_id = uuid.uuid4().hex
    label = buy(amy, tx_id=tx_id, add_ons=["US-A-HM"])
    assert label.tracking_number and label.stamps_tx_id and label.url
    assert label.balance < Decimal("100.00")
    again = buy(amy, tx_id=tx_id)
    assert again.stamps_tx_id == label.stamps_tx_id
    assert len(stamps.indicia("amy")) == 1


def test_label_dropped_after_commit_is_recovered_by_the_same_tx_id_R28(stamps, amy):
    rate = ground_rate(amy)
    stamps.set_fault("CreateIndicium", "drop_after_commit")
    label = buy(amy, rate=rate)
    assert label.tracking_number
    assert len(stamps.indicia("amy")) == 1
    outcomes = (
        CarrierCall.objects.filter(operation="CreateIndicium")
        .order_by("started_at", "pk")
        .values_list("attempt", "outcome")
    )
    assert list(outcomes) == [(1, "transport"), (2, "ok")]


def test_international_names_need_two_words_R18(amy):
    abroad = Address(
        full_name="Madonna",
        address1="1 Queen's Rd",
        city="Hong Kong",
        country="HK",
        postal_code="00000",
    )
    (rate, *_) = amy.get_rates(
        RateRequest(from_zip="11201", to=abroad, weight_oz=12, service_type="US-PMI")
    )
    customs = Customs("Merchandise", (CustomsLine("T-shirt", 1, Decimal("20"), weight_oz=12),))
    with pytest.raises(errors.AddressValidation):
        buy(amy, rate=rate, to_address=cleansed(amy, abroad), customs=customs)


def test_void_and_track(amy):
    label = buy(amy)
    tracking = amy.track_shipment(tracking_number=label.tracking_number)
    assert isinstance(tracking.events, tuple)
    amy.cancel_indicium(stamps_tx_id=label.stamps_tx_id)
    second = buy(amy)
    amy.cancel_indicium(tracking_number=second.tracking_number)


def test_void_after_28_days_is_refused_R27(stamps, amy):
    label = buy(amy)
    stamps.set_clock(dt.datetime.now(dt.UTC) + dt.timedelta(days=29))
    with pytest.raises(errors.VoidRefused):
        amy.cancel_indicium(stamps_tx_id=label.stamps_tx_id)


@pytest.mark.clock(WEEKDAY_MORNING)
def test_scan_form_for_todays_labels(amy):
    label = buy(amy)
    (manifest,) = amy.create_manifest(
        from_address=FROM, ship_date=label.rate.ship_date, stamps_tx_ids=[label.stamps_tx_id]
    )
    assert manifest.manifest_id and manifest.url


@pytest.mark.clock(WEEKDAY_MORNING)
def test_scan_form_for_a_past_ship_date_R31(amy):
    with pytest.raises(errors.ScanFormAlreadyScanned) as exc_info:
        amy.create_manifest(from_address=FROM, ship_date=dt.date.today() - dt.timedelta(days=3))
    assert "cut-off" in exc_info.value.what_to_do


@pytest.mark.clock(WEEKDAY_MORNING)
def test_scan_form_carrier_failure_points_to_stamps_com_R32(amy):
    with pytest.raises(errors.ScanFormFailure) as exc_info:
        amy.create_manifest(
            from_address=Address(**{**FROM.__dict__, "company": "Buffer Quota Inc"}),
            ship_date=dt.date.today(),
        )
    assert exc_info.value.help_url_type == "OnlineReportsPage"


def test_pickups_schedule_modify_cancel_R33(amy):
    contact = PickupContact("Pat", "Shipper", "7185550100")
    where = PickupAddress("100 Main St", "Brooklyn", "NY", "11201")
    pickup = amy.schedule_carrier_pickup(contact, where, PickupPackages(priority=2))
    assert pickup.confirmation_number and pickup.pickup_date
    changed = amy.modify_carrier_pickup(
        pickup.confirmation_number, contact, PickupPackages(priority=3)
    )
    assert changed.confirmation_number == pickup.confirmation_number
    assert amy.cancel_carrier_pickup(pickup.confirmation_number)


def test_carrier_links_R9(amy):
    for url_type in ("AccountSettingsPage", "OnlineReportsPage"):
        assert amy.get_url(url_type).startswith("http")


def test_a_label_costs_its_amount_add_ons_and_surcharges_R40(stamps, amy):
    (rate,) = amy.get_rates(
        RateRequest(from_zip="11201", to=TO, weight_lb=5, service_type="US-GA", length=24,
                    width=10, height=8, insured_value=Decimal("200.00"))
    )  # fmt: skip
    fee = rate.surcharges_total
    insurance = rate.add_on("US-A-INS").amount
    assert fee == Decimal("4.00") and insurance > 0
    label = buy(amy, rate=rate, add_ons=["US-A-INS"])
    assert label.total == rate.amount + insurance + fee
    assert label.balance == Decimal("100.00") - label.total
    assert [f.type for f in label.rate.surcharges] == ["SUR-A-NSDIM1"]
    amy.cancel_indicium(stamps_tx_id=label.stamps_tx_id)  # the refund returns all of it
    stamps.set_clock(dt.datetime.now(dt.UTC) + dt.timedelta(days=30))
    assert amy.get_account_info().balance == Decimal("100.00")
