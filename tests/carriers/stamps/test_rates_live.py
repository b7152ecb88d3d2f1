"""GetRates through the client against the sandbox (both WSDLs)."""

from __future__ import annotations

import datetime as dt
import threading
from decimal import Decimal

import pytest

from carriers.stamps import errors
from carriers.stamps.client import get_client
from carriers.stamps.types import Address, RateRequest

pytestmark = pytest.mark.django_db(transaction=True)

SF = Address(zip_code="94105", country="US")


def test_domestic_rates_with_add_ons_delivery_days_and_zone(stamps):
    stamps.create_account("amy", "Secret123")
    ship_date = dt.date.today() + dt.timedelta(days=1)
    rates = get_client("amy", "Secret123").get_rates(
        RateRequest(from_zip="11201", to=SF, weight_lb=1, weight_oz=4, ship_date=ship_date)
    )
    by_service = {r.service_type: r for r in rates}
    assert {"US-GA", "US-PM", "US-XM"} <= set(by_service)
    priority = by_service["US-PM"]
    assert priority.amount > Decimal("0")
    assert priority.delivery_days
    assert priority.delivery_date and priority.delivery_date > ship_date
    assert priority.zone and priority.zone >= 1
    assert priority.package_type == "Package"
    assert priority.to.zip_code == "94105" and priority.from_zip == "11201"
    # R15: hazmat is offered where the service supports it.
    hazmat = priority.add_on("US-A-HM")
    assert hazmat is not None and hazmat.description
    assert priority.add_on("US-A-SC").amount > Decimal("0")


def test_cubic_pricing_for_small_priority_mail_packages_R35(stamps):
    stamps.create_account("amy", "Secret123", plan="pro")
    (rate,) = get_client("amy", "Secret123").get_rates(
        RateRequest(
            from_zip="11201",
            to=SF,
            weight_lb=8,
            service_type="US-PM",
            length=6.125,
            width=5.875,
            height=6.375,
        )
    )
    assert rate.cubic_pricing is True
    assert (rate.length, rate.width, rate.height) == (6.125, 5.875, 6.375)


def test_cubic_package_type_is_refused_by_the_carrier_R20(stamps):
    stamps.create_account("amy", "Secret123")
    with pytest.raises(errors.InvalidPackageType) as exc_info:
        get_client("amy", "Secret123").get_rates(
            RateRequest(from_zip="11201", to=SF, weight_oz=8, package_type="Cubic")
        )
    assert "Priority Mail" in exc_info.value.what_to_do


def test_international_rates_need_a_postal_code_R19(stamps):
    stamps.create_account("amy", "Secret123")
    client = get_client("amy", "Secret123")
    with pytest.raises(errors.SchemaValidation) as exc_info:
        client.get_rates(RateRequest(from_zip="11201", to=Address(country="HK"), weight_oz=8))
    assert "00000" in exc_info.value.what_to_do
    rates = client.get_rates(
        RateRequest(from_zip="11201", to=Address(country="HK", postal_code="00000"), weight_oz=8)
    )
    assert {r.service_type for r in rates} >= {"US-FCI", "US-PMI"}


def test_rates_for_one_account_from_many_threads(stamps):
    stamps.create_account("amy", "Secret123")
    client = get_client("amy", "Secret123")
    client.authenticate()
    results, failures = [], []

    def work():
        try:
            results.append(
                client.get_rates(
                    RateRequest(from_zip="11201", to=SF, weight_oz=8, service_type="US-GA")
                )
            )
        except Exception as exc:  # noqa: BLE001 - collected for the assertion below
            failures.append(exc)

    threads = [threading.Thread(target=work) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert failures == [] and len(results) == 4


def test_the_sandbox_wsdl_is_fetched_and_parsed_once_for_many_clients_and_calls(stamps):
    from carriers.stamps import client as stamps_client

    stamps.create_account("amy", "Secret123")
    stamps.create_account("bob", "Secret123")
    request = RateRequest(from_zip="11201", to=SF, weight_oz=8, service_type="US-GA")
    for username in ["amy", "bob"] * 3:
        get_client(username, "Secret123").get_rates(request)
    assert list(stamps_client.wsdl_parse_count.values()) == [1]


def test_surcharges_come_apart_from_the_amount_R40(stamps):
    stamps.create_account("amy", "Secret123")
    client = get_client("amy", "Secret123")

    def ground(length, width, height):
        (rate,) = client.get_rates(
            RateRequest(
                from_zip="11201",
                to=SF,
                weight_lb=5,
                service_type="US-GA",
                length=length,
                width=width,
                height=height,
            )
        )
        return rate

    plain = ground(12, 10, 8)
    assert plain.surcharges == () and plain.surcharges_total == Decimal("0.00")
    long_box = ground(24, 10, 8)  # longest side over 22 in
    assert long_box.amount == plain.amount  # the fee is not folded into Amount
    assert [(f.type, f.amount) for f in long_box.surcharges] == [("SUR-A-NSDIM1", Decimal("4.00"))]
    assert long_box.surcharges[0].name == "Non-standard length fee (over 22 in)"
    big = ground(32, 14, 10)  # over 30 in and over 2 cubic feet
    assert {f.type for f in big.surcharges} == {"SUR-A-NSDIM2", "SUR-A-NSVOL"}
    assert big.surcharges_total == Decimal("30.00")
