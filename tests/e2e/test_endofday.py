"""End of day in a browser: labels, a SCAN form and its PDF, then a pickup asked for two days
ahead that USPS books for tomorrow (R31, R33), against the sandbox on a frozen Thursday."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
import time_machine
from django.test import Client
from playwright.sync_api import expect

from carriers.models import CarrierAccount
from endofday.models import Pickup, ScanForm
from shipments.labels import buy_label
from tests.factories import make_order, make_ship_from

pytestmark = pytest.mark.django_db(transaction=True)

THURSDAY_11AM_NY = dt.datetime(2026, 11, 5, 16, 0, tzinfo=dt.UTC)


def test_labels_then_a_scan_form_with_its_pdf_then_a_pickup_moved_to_tomorrow(
    page, live_server, sandbox, settings, tmp_path, merchant, owner
):
    settings.MEDIA_ROOT = tmp_path / "media"
    sandbox.set_clock(THURSDAY_11AM_NY)
    with time_machine.travel(THURSDAY_11AM_NY, tick=True):
        sandbox.create_account("eod-e2e", "sandbox-pass-1", balance=Decimal("200"), plan="pro")
        account = CarrierAccount.objects.create(
            merchant=merchant,
            nickname="Main postage",
            username="eod-e2e",
            password="sandbox-pass-1",
            plan=CarrierAccount.Plan.PRO_FREE,
            balance=Decimal("200"),
            is_default=True,
        )
        dock = make_ship_from(merchant, name="Brooklyn dock", phone="718-555-0100")
        labels = [
            buy_label(
                make_order(
                    merchant,
                    f"EOD-{n}",
                    ship_from=dock,
                    service="US-PM",
                    package_type="Package",
                    weight_lb=1,
                    confirmation="tracking",
                ),
                account,
                "US-PM",
            )
            for n in (1, 2)
        ]
        client = Client()
        client.force_login(owner)
        page.context.add_cookies(
            [
                {
                    "name": "sessionid",
                    "value": client.cookies["sessionid"].value,
                    "url": live_server.url,
                }
            ]
        )

        page.goto("/shipments/")
        page.get_by_role("link", name="SCAN forms").click()
        table = page.locator("#eligible-labels")
        for shipment in labels:
            expect(table).to_contain_text(shipment.tracking_number)
        page.get_by_role("button", name="Create SCAN form for the selected labels").click()
        expect(page.get_by_role("heading", level=1)).to_contain_text("SCAN form SCAN")
        expect(page.locator("#scan-form-labels")).to_contain_text(labels[1].tracking_number)
        form = ScanForm.objects.get()
        assert (
            form.label_count == 2
            and sandbox.manifests("eod-e2e")[0].manifest_id == form.manifest_id
        )

        pdf_link = page.get_by_test_id("scan-form-pdf")
        pdf = page.request.get(pdf_link.get_attribute("href"))
        assert pdf.headers["content-type"] == "application/pdf"
        assert pdf.body().startswith(b"%PDF")

        page.goto("/shipments/")
        page.get_by_role("link", name="Pickups").click()
        # htmx is a deferred script: wait for it before changing the date, as a person would.
        page.wait_for_load_state("load")
        expect(page.get_by_label("Number of packages")).to_have_value("2")
        page.get_by_label("Pickup date").fill("2026-11-07")  # Saturday, two days ahead
        expect(page.get_by_test_id("pickup-date-note")).to_contain_text(
            "will be scheduled for Friday, November 6"
        )
        page.get_by_label("Total weight (lb)").fill("3")
        page.get_by_role("button", name="Schedule pickup").click()
        expect(page.get_by_test_id("pickup-date-note")).to_contain_text("Friday, November 6")
        page.get_by_role("button", name="Confirm pickup for Friday, November 6").click()
        expect(page.get_by_test_id("pickup-date")).to_have_text("Friday, November 6, 2026")
        pickup = Pickup.objects.get()
        expect(page.get_by_test_id("pickup-confirmation")).to_have_text(pickup.confirmation_number)
        assert sandbox.pickups("eod-e2e")[0].pickup_date == dt.date(2026, 11, 6)
        assert page.console_errors == []
    sandbox.set_clock(None)
