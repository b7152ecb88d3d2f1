"""R30, R31, R43 with a frozen clock: the ship date and the SCAN form follow the ship-from ZIP's
local time, whatever the server's or the store's time zone says.

Thursday 5 November 2026 at 8:59 pm and at 9:01 pm local time in four ZIP codes, with the
location's shipping cut-off at 9 pm: the order page, the batch form, the order API and the
SCAN-form page must all agree (Thursday and offered; then Friday and refused).
"""

from __future__ import annotations

import datetime as dt
import json
import zoneinfo

import lxml.html
import pytest
import time_machine
from django.urls import reverse

from locations.models import EndOfDaySettings
from orders import api_keys
from shipments.models import Batch
from tests.factories import make_rule, make_ship_from

pytestmark = pytest.mark.django_db(transaction=True)

THU, FRI = dt.date(2026, 11, 5), dt.date(2026, 11, 6)
PLACES = {
    "Chicago": ("IL", "60601", "America/Chicago"),
    "Los Angeles": ("CA", "90012", "America/Los_Angeles"),
    "Honolulu": ("HI", "96813", "Pacific/Honolulu"),
    "Anchorage": ("AK", "99501", "America/Anchorage"),
}


def local_instant(zone: str, hour: int, minute: int) -> dt.datetime:
    return dt.datetime(2026, 11, 5, hour, minute, tzinfo=zoneinfo.ZoneInfo(zone))


@pytest.mark.clock("2026-11-05T15:00:00+00:00")  # signed in the same day it travels to
@pytest.mark.parametrize("city", list(PLACES))
@pytest.mark.parametrize(
    ("hour", "minute", "ship_date", "scan_form_offered"),
    [(20, 59, THU, True), (21, 1, FRI, False)],
    ids=["8:59pm", "9:01pm"],
)
def test_R43_ship_date_and_scan_form_follow_the_ship_from_zip_at_the_9pm_cut_off(
    stamps, sandbox_account, make_shippable, merchant, owner_client,
    city, hour, minute, ship_date, scan_form_offered,
):  # fmt: skip
    state, zip_code, zone = PLACES[city]
    # The old default zone (New York) is given on purpose: the ZIP decides, as at the carrier.
    location = make_ship_from(
        merchant, name=f"Dock {city}", city=city, state=state, postal_code=zip_code,
        time_zone="America/New_York", is_default=False,
    )  # fmt: skip
    assert str(location.zone) == zone and location.time_zone == zone
    EndOfDaySettings.objects.create(
        merchant=merchant, location=location, cutoff_time=dt.time(21, 0)
    )
    account = sandbox_account(balance="100.00")
    on_page, in_batch = make_shippable(ship_from=location), make_shippable(ship_from=location)
    # Orders the store sends through the API ship from this dock by an automation rule.
    make_rule(merchant, "Ship from the dock", actions={"ship_from": location.pk})
    key, _ = api_keys.rotate(merchant)
    api_order = {
        "order_number": f"API-{city}",
        "recipient_name": "Jane Receiver",
        "street1": "1 Market St",
        "city": "San Francisco",
        "state": "California",
        "postal_code": "94105",
        "items": [{"sku": "MUG", "quantity": 1, "unit_price": "9.50"}],
    }

    with time_machine.travel(local_instant(zone, hour, minute), tick=False):
        panel = owner_client.get(reverse("shipments:rates", args=[on_page.pk])).text
        date_input = lxml.html.fromstring(panel).get_element_by_id("rates-panel")
        value = date_input.xpath('.//input[@name="ship_date"]/@value')
        assert value == [ship_date.isoformat()], f"order page at {hour}:{minute} in {city}"
        # The batch form sent without a date.
        owner_client.post(
            reverse("shipments:batches"),
            {"order": [in_batch.pk], "account": account.pk, "ship_date": ""},
        )
        batch = Batch.objects.get()
        assert batch.ship_date == ship_date, f"batch at {hour}:{minute} in {city}"
        answer = owner_client.post(
            reverse("api-orders"),
            json.dumps({"orders": [api_order]}),
            content_type="application/json",
            headers={"Authorization": f"Bearer {key}"},
        ).json()
        assert answer["orders"] == [
            {
                "order_number": f"API-{city}",
                "id": answer["orders"][0]["id"],
                "status": "awaiting_shipment",
                "ship_from": f"Dock {city}",
                "ship_date": ship_date.isoformat(),
                "address_status": "unchecked",
            }
        ], f"API at {hour}:{minute} in {city}"
        scan_page = owner_client.get(
            reverse("endofday:scan-forms"), {"account": account.pk, "location": location.pk}
        ).text

    assert batch.items.get().shipment.ship_date == ship_date
    refused = 'data-testid="scan-refusal"' in scan_page
    assert refused is not scan_form_offered, f"SCAN form at {hour}:{minute} in {city}"
    if scan_form_offered:
        # Today's batch label is on offer for today's SCAN form, with the time left.
        assert in_batch.number in scan_page
        assert "close today at 9:00 PM" in scan_page
    else:
        assert "before 9pm local time" in scan_page and in_batch.number not in scan_page
        assert "tomorrow's can be created until Fri 9:00 PM" in scan_page
