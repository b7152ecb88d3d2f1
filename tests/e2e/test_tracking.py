"""In a browser: buy a label, let the sandbox clock run, refresh and watch the status change
on the shipment list, open the buyer's branded tracking page, then create a return label from
the shipped order (R46)."""

from __future__ import annotations

import datetime as dt
import re

import pytest
import time_machine
from django.utils import timezone
from playwright.sync_api import expect

from shipments.models import Shipment
from tests.factories import make_order, make_ship_from
from tracking import polling
from tracking.models import Branding

pytestmark = pytest.mark.django_db(transaction=True)


def test_buy_then_follow_the_parcel_to_the_buyers_tracking_page(
    signed_in, sandbox, merchant, sandbox_account
):
    page = signed_in
    sandbox_account("acme-track", balance="100.00", nickname="Main postage")
    Branding.objects.create(merchant=merchant, display_name="Acme Trail Shop")
    order = make_order(
        merchant, "TRK-1", ship_from=make_ship_from(merchant), service="US-PM", weight_lb=1
    )

    page.goto(f"/orders/{order.pk}/")
    expect(page.locator('#rates-table tr[data-service="US-PM"]')).to_be_visible()
    page.locator('input[name="service"][value="US-PM"]').check()
    page.get_by_role("button", name="Buy label").click()
    expect(page).to_have_url(re.compile(r"/shipments/\d+/$"))
    expect(page.get_by_test_id("delivery-status")).to_have_text("Label created, not yet scanned")

    # A day later on both clocks: the scheduled poll finds the parcel moving.
    later = timezone.now() + dt.timedelta(days=1, hours=1)
    with time_machine.travel(later, tick=True):
        sandbox.set_clock(later)
        polling.poll_due()
        page.goto("/shipments/")
        row = page.locator("#shipments-table tr", has_text="TRK-1")
        expect(row.get_by_test_id("delivery")).to_contain_text("In transit")

        page.goto(f"/orders/{order.pk}/")
        timeline = page.locator("#tracking-panel ol.timeline li")
        expect(timeline.first).to_contain_text("In Transit to Next Facility")
        expect(timeline).to_have_count(4)

        token = Shipment.objects.get(order=order, return_of__isnull=True).parcel.token
        page.goto(f"/t/{token}/")
        expect(page.get_by_test_id("public-status")).to_have_text("In transit")
        expect(page.get_by_text("Acme Trail Shop")).to_be_visible()
        expect(page.get_by_text("Acme Outfitters")).to_have_count(0)

        # The buyer wants to send it back: a prepaid return label from the shipped order.
        page.goto(f"/orders/{order.pk}/")
        page.get_by_test_id("create-return").click()
        expect(page.locator('#return-quotes tr[data-service="US-GA"]')).to_be_visible()
        page.get_by_label("Service").select_option("US-GA")
        page.get_by_label("Valid for").select_option("14")
        page.get_by_role("button", name="Create return label").click()
        expect(page).to_have_url(re.compile(r"/shipments/\d+/$"))
        expect(
            page.get_by_role("heading", name=re.compile("Return label for order TRK-1"))
        ).to_be_visible()
        expires = timezone.localdate() + dt.timedelta(days=14)
        expect(page.get_by_test_id("return-expires")).to_have_text(f"{expires:%b %-d, %Y}")
        expect(page.get_by_test_id("delivery-status")).to_have_text(
            "Label created, not yet scanned"
        )
        returned = Shipment.objects.get(order=order, return_of__isnull=False)
        assert returned.status == "bought" and returned.return_to_id == order.ship_from_id

        page.goto("/shipments/")
        rows = page.locator("#shipments-table tbody tr", has_text="TRK-1")
        expect(rows).to_have_count(2)
        expect(rows.get_by_test_id("return-marker")).to_have_count(1)
        page.goto(f"/orders/{order.pk}/")
        expect(page.locator("#tracking-panel").get_by_test_id("return-marker")).to_be_visible()
        expect(page.get_by_test_id("create-return")).to_have_count(0)
    assert page.console_errors == []
