"""The days an order's checks and import read are the merchant's, never the server's UTC:
a country alert (R23) is judged on the day the label would ship from its ship-from location
(R43), the day the rates beside it are priced for; an Order Date written without a zone is the
store's, whichever way the file comes in (a job, the command, the API: none runs in a
merchant's request)."""

from __future__ import annotations

import datetime as dt

import lxml.html
import pytest
from django.core.management import call_command
from django.urls import reverse

from orders import api_keys
from orders.jobs import run_import_job
from orders.models import CountryServiceAlert, ImportJob, Order
from tests.factories import make_order, make_ship_from
from tests.orders.test_import_csv import csv_text, row
from tests.orders.test_import_paths import API_ORDER, post_api

pytestmark = pytest.mark.django_db


def alerts_on_order_page(client, order) -> str:
    page = lxml.html.fromstring(client.get(reverse("order-detail", args=[order.pk])).text)
    return " ".join(li.text_content() for li in page.xpath('//*[@id="shipping-problems"]/li'))


@pytest.fixture
def canada_alerts():
    CountryServiceAlert.objects.create(
        country="CA", kind="suspension", message="Suspended from July 1.",
        starts_on=dt.date(2026, 7, 1),
    )  # fmt: skip
    CountryServiceAlert.objects.create(
        country="CA", message="Delays until June 30.", ends_on=dt.date(2026, 6, 30)
    )


def canada_order(merchant, ship_from):
    return make_order(
        merchant, "CA-1", country="CA", state="ON", postal_code="M5V 2T6", ship_from=ship_from,
        service="US-PMI", weight_lb=1, recipient_name="Liam MacDonald",
    )  # fmt: skip


# 9:30 PM on Tuesday June 30 in Los Angeles; already 12:30 AM on Wednesday July 1 in Brooklyn.
@pytest.mark.clock("2026-07-01T04:30:00+00:00")
def test_R23_an_alert_is_judged_on_the_ship_from_locations_day_not_the_stores(
    merchant, owner_client, canada_alerts
):
    merchant.time_zone = "America/Los_Angeles"
    merchant.save(update_fields=["time_zone"])
    brooklyn = make_ship_from(merchant)  # its ZIP's zone: America/New_York
    shown = alerts_on_order_page(owner_client, canada_order(merchant, brooklyn))
    # A label bought now leaves Brooklyn on July 1, into the suspension.
    assert "Suspended from July 1." in shown
    assert "Delays until June 30." not in shown


# 6:00 PM on Tuesday June 30 in Brooklyn, store and warehouse alike: past the 5 PM cut-off,
# so a label bought now is dated (and priced for) Wednesday July 1.
@pytest.mark.clock("2026-06-30T22:00:00+00:00")
def test_R23_after_the_cut_off_an_alert_is_judged_on_the_next_shipping_day(
    merchant, owner_client, canada_alerts
):
    brooklyn = make_ship_from(merchant)
    shown = alerts_on_order_page(owner_client, canada_order(merchant, brooklyn))
    assert "Suspended from July 1." in shown
    assert "Delays until June 30." not in shown


# -- Order Date ------------------------------------------------------------------------------


def import_by_job(merchant, tmp_path, dates: dict[str, str]) -> None:
    content = csv_text(*(row(number, date=date) for number, date in dates.items()))
    job = ImportJob.objects.create(merchant=merchant, filename="orders.csv", content=content)
    run_import_job(job.pk)  # what the django-q2 worker runs for a large file


def import_by_command(merchant, tmp_path, dates: dict[str, str]) -> None:
    path = tmp_path / "orders.csv"
    path.write_text(csv_text(*(row(number, date=date) for number, date in dates.items())))
    call_command("import_orders", str(path), "--merchant", merchant.slug)


def import_by_api(merchant, tmp_path, dates: dict[str, str]) -> None:
    key, _ = api_keys.rotate(merchant)
    orders = [
        API_ORDER | {"order_number": number, "order_date": date} for number, date in dates.items()
    ]
    assert post_api(key, {"orders": orders}).status_code == 200


# 8:30 PM on June 30 in Los Angeles, the evening the store exports that day's orders.
@pytest.mark.clock("2026-07-01T03:30:00+00:00")
@pytest.mark.parametrize("way_in", [import_by_job, import_by_command, import_by_api])
def test_an_order_date_without_a_zone_is_the_stores_date_and_time(
    merchant, owner_client, tmp_path, way_in
):
    merchant.time_zone = "America/Los_Angeles"
    merchant.save(update_fields=["time_zone"])
    way_in(
        merchant,
        tmp_path,
        {"E-1": "06/30/2026 20:15", "E-2": "2026-06-30", "E-3": "2026-06-30T20:15:00-04:00"},
    )
    ordered = {}
    for order in Order.objects.filter(merchant=merchant):
        page = lxml.html.fromstring(owner_client.get(reverse("order-detail", args=[order.pk])).text)
        line = page.xpath('//p[contains(., "Ordered ")]')[0].text_content()
        ordered[order.number] = line.split("Ordered ")[1].split(" · ")[0].strip()
    assert ordered == {
        "E-1": "Jun 30, 2026 8:15 PM PDT",
        "E-2": "Jun 30, 2026 12:00 AM PDT",
        # A time that names its zone keeps it: 8:15 PM in New York is 5:15 PM here.
        "E-3": "Jun 30, 2026 5:15 PM PDT",
    }
    listed = owner_client.get(reverse("order-list")).text
    assert listed.count("Jun 30, 2026") >= 3 and "Jun 29, 2026" not in listed
