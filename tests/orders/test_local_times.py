"""The days an order's checks and import read are the merchant's, never the server's UTC:
a country alert (R23) is judged on the day the label would ship from its ship-from location
(R43), the day the rates beside it are priced for."""

from __future__ import annotations

import datetime as dt

import lxml.html
import pytest
from django.urls import reverse

from orders.models import CountryServiceAlert
from tests.factories import make_order, make_ship_from

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
