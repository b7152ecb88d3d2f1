"""ShipDesk's own documents say the store's dates even when they are made after the
merchant's request has returned: a print file streams, and its packing slips are drawn while
it does, outside the store's zone."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse

from shipments import labels
from tests.labels_read import pdf_text

pytestmark = pytest.mark.django_db(transaction=True)

INSTANT = "2026-06-10T14:00:00+00:00"  # 4:00 AM in Honolulu (HST, UTC-10)


@pytest.mark.clock(INSTANT)
def test_a_streamed_packing_slip_dates_the_order_in_the_stores_day(
    merchant, owner_client, stamps, account, make_shippable
):
    merchant.time_zone = "Pacific/Honolulu"
    merchant.save(update_fields=["time_zone"])
    # 8:00 PM on June 9 in Honolulu; already June 10 in UTC.
    ordered = dt.datetime(2026, 6, 10, 6, 0, tzinfo=dt.UTC)
    shipment = labels.buy_label(make_shippable(order_date=ordered), account, "US-PM")
    order_page = owner_client.get(reverse("order-detail", args=[shipment.order_id])).text
    assert "Ordered Jun 9, 2026 8:00 PM HST" in order_page  # what the merchant reads there
    response = owner_client.get(
        reverse("shipments:label", args=[shipment.pk]), {"slip": "1", "layout": "4x6"}
    )
    assert response.status_code == 200 and response.streaming
    text = pdf_text(b"".join(response.streaming_content))
    assert "Packing slip" in text
    assert "Ordered Jun 9, 2026 ·" in text
