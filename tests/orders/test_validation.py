"""Checks before any carrier call: R15-R23, each message naming the fix."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from orders import validation
from orders.models import CountryServiceAlert
from tests.factories import make_order, make_ship_from


def rules_of(problems, level=None):
    return {p.rule for p in problems if level is None or p.level == level}


@pytest.fixture
def ship_from(merchant):
    return make_ship_from(merchant)


@pytest.fixture
def canada(merchant, ship_from):
    return make_order(
        merchant, "CA-1", country="CA", state="ON", postal_code="M5V 2T6", ship_from=ship_from,
        service="US-FCI", weight_lb=1, recipient_name="Liam MacDonald",
    )  # fmt: skip


@pytest.fixture
def domestic(merchant, ship_from):
    return make_order(merchant, "US-1", ship_from=ship_from, service="US-PM", weight_oz=8)


def test_a_complete_domestic_order_has_no_errors(domestic):
    assert rules_of(validation.shipment_problems(domestic), "error") == set()
    validation.ensure_shippable(domestic)


def test_R15_dangerous_goods_only_with_a_service_that_supports_it(domestic, canada):
    assert validation.available_options(domestic)["dangerous_goods"]
    domestic.service = "US-FC"
    assert not validation.available_options(domestic)["dangerous_goods"]
    domestic.dangerous_goods = True
    [problem] = [p for p in validation.option_problems(domestic) if p.rule == "R15"]
    assert "First-Class Mail" in problem.message and "Ground Advantage" in problem.message
    canada.dangerous_goods = True
    assert not validation.available_options(canada)["dangerous_goods"]
    assert "other countries" in validation.option_problems(canada)[0].message


def test_R16_no_signature_confirmation_to_international_addresses(canada, domestic):
    assert not validation.available_options(canada)["signature"]
    assert validation.available_options(domestic)["signature"]
    for kind in ("signature", "adult_signature"):
        canada.confirmation = kind
        [problem] = validation.option_problems(canada)
        assert problem.rule == "R16" and "USPS Tracking" in problem.message
    with pytest.raises(validation.ShipmentInvalid):
        validation.ensure_shippable(canada)


def test_R17_label_messages_not_for_international_nor_first_class_letters(canada, domestic):
    assert validation.available_options(domestic)["label_messages"]
    assert not validation.available_options(canada)["label_messages"]
    canada.label_message_1 = "Thanks!"
    assert rules_of(validation.option_problems(canada)) == {"R17"}
    domestic.service, domestic.package_type = "US-FC", "Letter"
    domestic.label_message_2 = "Hi"
    [problem] = validation.option_problems(domestic)
    assert problem.rule == "R17" and "Letter" in problem.message
    domestic.package_type = "Large Envelope or Flat"
    assert validation.option_problems(domestic) == []


@pytest.mark.parametrize(
    "name, ok",
    [("Liam MacDonald", True), ("Jo Li", True), ("Madonna", False), ("J Smith", False),
     ("Liam M", False), ("Mary Ann Lee", True)],
)  # fmt: skip
def test_R18_international_names_need_two_words_of_two_letters(canada, name, ok):
    canada.recipient_name = name
    assert ("R18" not in rules_of(validation.shipment_problems(canada))) is ok


def test_R18_also_checks_the_ship_from_name_and_military_mail(merchant, canada):
    canada.ship_from.contact_name = "Warehouse"
    [problem] = [p for p in validation.shipment_problems(canada) if p.rule == "R18"]
    assert "Ship-from name" in problem.message
    apo = make_order(
        merchant, "APO-1", state="AE", city="APO", postal_code="09012", recipient_name="Sgt",
        service="US-PM", weight_oz=4,
    )  # fmt: skip
    assert "R18" in rules_of(validation.shipment_problems(apo))


def test_R19_countries_without_postal_codes_get_00000(merchant, ship_from):
    hk = make_order(merchant, "HK-1", country="HK", state="", postal_code="", ship_from=ship_from)
    assert validation.carrier_postal_code(hk) == "00000"
    assert "R19" in rules_of(validation.shipment_problems(hk), "info")
    uk = make_order(merchant, "GB-1", country="GB", postal_code="SW1A 2AA")
    assert validation.carrier_postal_code(uk) == "SW1A 2AA"


def test_R20_priority_packages_without_dimensions_are_steered_to_cubic_pricing(domestic):
    [note] = [p for p in validation.shipment_problems(domestic) if p.rule == "R20"]
    assert note.level == "info" and "cubic" in note.message
    domestic.length_in = domestic.width_in = domestic.height_in = Decimal("6")
    assert "R20" not in rules_of(validation.shipment_problems(domestic))


def test_R21_merchandise_in_a_first_class_international_flat_goes_via_globalpost(canada):
    canada.package_type = "Large Envelope or Flat"
    [warning] = [p for p in validation.shipment_problems(canada) if p.rule == "R21"]
    assert "domestic label to the GlobalPost facility" in warning.message
    canada.customs_contents_type = "documents"
    assert "R21" not in rules_of(validation.shipment_problems(canada))


def test_R22_prepay_duties_to_canada_rules(canada, merchant):
    assert validation.available_options(canada)["prepay_duties_canada"]
    canada.prepay_duties_canada = True
    assert validation.option_problems(canada) == []
    canada.package_type = "Flat Rate Box"  # Medium Flat Rate Box
    assert "Medium or Large Flat Rate" in validation.option_problems(canada)[0].message
    canada.package_type, canada.service = "Package", "US-PMI"
    canada.weight_lb = 4
    assert "under 4 lb" in validation.option_problems(canada)[0].message
    canada.weight_lb, canada.weight_oz = 3, Decimal("15.9")
    assert validation.option_problems(canada) == []
    canada.service = "SC-GPP"
    assert validation.option_problems(canada)[0].rule == "R22"
    uk = make_order(merchant, "GB-1", country="GB", service="US-FCI", prepay_duties_canada=True)
    assert "only for shipments to Canada" in validation.option_problems(uk)[0].message


def test_R23_admin_kept_country_alerts_warn_and_suggest_globalpost(merchant, canada):
    CountryServiceAlert.objects.create(
        country="CA", kind="suspension", message="Canada Post strike.", services=""
    )
    CountryServiceAlert.objects.create(
        country="CA", message="Old news.", ends_on=dt.date(2020, 1, 1)
    )
    CountryServiceAlert.objects.create(country="CA", message="Express only.", services="US-EMI")
    [warning] = [p for p in validation.shipment_problems(canada) if p.rule == "R23"]
    assert warning.level == "warning"
    assert "Canada Post strike." in warning.message and "GlobalPost" in warning.message


def test_R23_military_mail_is_not_affected(merchant, ship_from):
    CountryServiceAlert.objects.create(country="US", message="Storm delays.")
    apo = make_order(merchant, "APO", state="AP", city="FPO", postal_code="96278")
    home = make_order(merchant, "HOME")
    assert "R23" not in rules_of(validation.shipment_problems(apo))
    assert "R23" in rules_of(validation.shipment_problems(home))


def test_a_domestic_service_to_another_country_is_an_error_naming_the_fix(canada):
    canada.service = "US-PM"
    problem = next(p for p in validation.shipment_problems(canada) if p.field == "service")
    assert "choose an international service" in problem.message
