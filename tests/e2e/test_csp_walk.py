"""One new merchant's whole shipping day in one browser, with the strict Content Security Policy
on: sign up, connect Stamps.com, fund, import, rates, a domestic label, a GlobalPost label from
the order page, a void, a batch that auto-funding pays for, a SCAN form and a pickup. Not one
CSP violation may be reported along the way (issue 17).

Violations are caught twice: a ``securitypolicyviolation`` listener in every document (it keeps
them in ``window.__cspViolations`` and hands each to the test as it happens, so one on a page
that is navigated away from a moment later is not lost), and Chromium's own console report
("Applying inline style violates the following Content Security Policy directive..."), along
with uncaught page errors. The walk first proves both channels hear a violation of its own.
"""

from __future__ import annotations

import re
from decimal import Decimal

import pytest
from playwright.sync_api import expect

from carriers.models import CarrierAccount
from endofday.models import Pickup, ScanForm
from funding.models import PostagePurchase
from shipments.models import Batch, Shipment
from tests.e2e.test_connect_stamps import open_connect
from tests.factories import confirmation_link
from tests.orders.test_import_csv import csv_text, row
from tests.support import WEEKDAY_MORNING

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.clock(WEEKDAY_MORNING)]

EMAIL = "owner@tidewater.test"
STAMPS_USER = "tidewater-post"
STAMPS_PASSWORD = "stamps-pass-77"

LISTENER = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", (e) => {
  const v = {
    url: document.location.href,
    directive: e.effectiveDirective || e.violatedDirective,
    blocked: e.blockedURI,
    sample: e.sample,
    source: `${e.sourceFile}:${e.lineNumber}:${e.columnNumber}`,
  };
  window.__cspViolations.push(v);
  window.__reportCspViolation(v);
});
"""


class Violations:
    """Everything the browser reported against the policy, in the order it happened."""

    def __init__(self, page) -> None:
        self.events: list[dict] = []
        self.console: list[str] = []
        self.errors: list[str] = []
        self.quiet = False
        page.context.expose_binding("__reportCspViolation", lambda source, v: self._event(v))
        page.context.add_init_script(LISTENER)
        page.on("console", self._console)
        page.on("pageerror", lambda exc: self.errors.append(f"{page.url}: {exc}"))

    def _event(self, violation: dict) -> None:
        # Printed as well, so a walk that fails further on still shows what was seen so far.
        if not self.quiet:
            print("CSP violation:", violation)
        self.events.append(violation)

    def _console(self, message) -> None:
        if "Content Security Policy" in message.text:
            # Chromium's message, up to the directive it names (the rest is advice).
            first = message.text.split(". ")[0]
            text = f"{message.page.url if message.page else '?'}: {first}"
            if not self.quiet:
                print("CSP console:", text)
            self.console.append(text)

    def prove_it_listens(self, page) -> None:
        """An inline style attribute of our own is refused and reported through both channels
        (the walk would pass vacuously if the listener were not wired up); then forget it."""
        self.quiet = True
        page.evaluate(
            "html => document.body.insertAdjacentHTML('beforeend', html)",
            '<b style="color: red">!</b>',
        )
        page.wait_for_function("window.__cspViolations.length > 0")
        for _ in range(50):  # the binding and the console message arrive asynchronously
            if self.events and self.console:
                break
            page.wait_for_timeout(20)
        assert [v["directive"] for v in self.events] == ["style-src-attr"], self.events
        assert len(self.console) == 1, self.console
        self.events.clear()
        self.console.clear()
        page.console_errors.clear()  # the fixture's list of console errors saw it too
        self.quiet = False

    def report(self) -> str:
        lines = [
            f"{v['url']}: {v['directive']} blocked {v['blocked'] or '(inline)'}"
            f" at {v['source']} {v['sample']!r}"
            for v in self.events
        ]
        lines += [f"console: {text}" for text in self.console]
        lines += [f"page error: {text}" for text in self.errors]
        return "\n".join(lines)


def import_rows() -> str:
    canada = {"city": "Toronto", "state": "ON", "street": "301 Front St W"}
    return csv_text(
        row("TW-1", name="Ada Lovelace", sku="CANDLE"),
        row("TW-CA", name="Liam MacDonald", country="CA", postal="M5V 2T6", sku="SOAP", **canada),
        *(row(f"TW-B{n}", name=f"Batch Buyer {n}", sku="MUG", weight="20") for n in (1, 2, 3)),
    )


def find_orders(page, text: str) -> None:
    """The order list's search box, which filters through htmx as the merchant types."""
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Orders").click()
    page.wait_for_load_state("load")  # htmx is deferred
    page.get_by_label("Search").fill(text)
    expect(page).to_have_url(re.compile(rf"q={text}"))


def test_a_whole_shipping_day_reports_no_csp_violation(page, sandbox, settings):
    # The import goes through its job and progress page (the job itself runs in-process).
    settings.ORDERS_IMPORT_INLINE_MAX_ROWS = 0
    settings.ORDERS_JOBS_SYNC = True
    seen = Violations(page)
    sandbox.create_account(STAMPS_USER, STAMPS_PASSWORD, balance=Decimal("0.00"), plan="pro")

    # Sign up, confirm the e-mail address, add the ship-from location.
    page.goto("/signup/")
    page.get_by_label("Company name").fill("Tidewater Candles")
    page.get_by_label("Work e-mail").fill(EMAIL)
    page.get_by_label("Password").fill("tide-pool-lantern-42")
    page.get_by_role("button", name="Create account").click()
    expect(page.get_by_role("heading", name="Tidewater Candles")).to_be_visible()
    seen.prove_it_listens(page)
    page.goto(confirmation_link(EMAIL))
    expect(page.get_by_text(f"Thanks, {EMAIL} is confirmed.")).to_be_visible()

    page.goto("/settings/locations/new/")
    page.get_by_label("Location name").fill("Brooklyn dock")
    page.get_by_label("Contact name").fill("Pat Shipper")
    page.get_by_label("Address 1").fill("100 Main St")
    page.get_by_label("City").fill("Brooklyn")
    page.get_by_label("State").select_option("NY")
    page.get_by_label("Postal code").fill("11201")
    page.get_by_label("Phone").fill("718-555-0100")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_role("link", name="Brooklyn dock")).to_be_visible()

    # Connect the Stamps.com account the merchant already has.
    open_connect(page)
    page.get_by_label("I already have a Stamps.com account").check()
    page.get_by_role("button", name="Next").click()
    page.get_by_label("Stamps.com username").fill(STAMPS_USER)
    page.get_by_label("Stamps.com password").fill(STAMPS_PASSWORD)
    page.get_by_label("Account nickname").fill("Main postage")
    page.get_by_role("button", name="Connect").click()
    expect(page.locator("tr", has_text="Main postage")).to_contain_text("Active")
    account = CarrierAccount.objects.get(username=STAMPS_USER)

    # Fund it through htmx on the funds page: an amount of its own, then a preset.
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Funds").click()
    card = page.locator(f"#account-{account.pk}")
    card.get_by_label("Other amount").fill("20")
    card.get_by_role("button", name="Add funds").click()
    expect(card.get_by_test_id("balance")).to_have_text("$20.00")
    card.get_by_role("button", name="$25", exact=True).click()
    expect(card.get_by_test_id("balance")).to_have_text("$45.00")

    # Import the day's orders.
    page.goto("/orders/import/")
    page.get_by_label("CSV file").set_input_files(
        files=[{"name": "day.csv", "mimeType": "text/csv", "buffer": import_rows().encode()}]
    )
    page.get_by_role("button", name="Import", exact=True).click()
    expect(page.get_by_text("5 new orders")).to_be_visible()

    # Rates, then a domestic label bought from the order page, then voided.
    find_orders(page, "TW-1")
    page.get_by_role("link", name="TW-1", exact=True).click()
    rates = page.locator("#rates-table")
    expect(rates).to_be_visible()
    page.get_by_label("Weight (lb)").fill("2")
    page.get_by_label("Weight (lb)").press("Tab")
    page.locator('#rates-table tr[data-service="US-GA"] input[name="service"]').check()
    expect(page.get_by_test_id("service-summary")).to_contain_text("Ground Advantage")
    page.get_by_role("button", name="Buy label").click()
    expect(page).to_have_url(re.compile(r"/shipments/\d+/$"))
    page.wait_for_load_state("load")  # the confirmation dialog's script is deferred
    page.get_by_role("button", name=re.compile("Void label")).click()
    page.locator("#confirm-dialog").get_by_role("button", name="Confirm").click()
    expect(page.get_by_test_id("shipment-status")).to_have_text("Voided")

    # A GlobalPost label from the order page.
    find_orders(page, "TW-CA")
    page.get_by_role("link", name="TW-CA").click()
    # The cheapest rate is preselected; the merchant picks another GlobalPost one.
    globalpost = page.locator('#rates-table tr[data-service^="SC-GP"]').nth(1)
    expect(globalpost).to_be_visible()
    globalpost.locator('input[name="service"]').check()
    expect(page.get_by_test_id("service-summary")).to_contain_text("GlobalPost")
    page.get_by_role("button", name="Buy label").click()
    expect(page).to_have_url(re.compile(r"/shipments/\d+/$"))
    assert Shipment.objects.get(order__number="TW-CA").service.startswith("SC-GP")

    # Auto-funding on (R13), then a batch of three that costs more than the balance.
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Funds").click()
    card.get_by_label("Turn on auto-funding").check()
    card.get_by_label("When the balance drops below ($)").fill("20")
    card.get_by_label("Add ($)").fill("50")
    card.get_by_label("At most (times a day)").fill("3")
    card.get_by_role("button", name="Save auto-funding").click()
    expect(card.get_by_test_id("auto-status")).to_contain_text("below $20.00, add $50.00")

    find_orders(page, "TW-B")
    expect(page.locator("#orders-table tbody tr")).to_have_count(3)
    page.locator("[data-select-all=order]").check()
    page.get_by_text("Change the selected orders").click()
    bulk = page.locator("details.bulk-edit")
    bulk.get_by_label("Service").select_option("US-PM")
    bulk.get_by_test_id("bulk-apply").click()
    # The selection survived the search (the box lost focus as it was ticked) and the change.
    expect(page.get_by_test_id("bulk-notice")).to_contain_text("3 orders")
    page.get_by_role("button", name="Create labels").click()
    expect(page.get_by_test_id("batch-status")).to_contain_text(
        "Done, 3 of 3 labels created", timeout=30_000
    )
    assert PostagePurchase.objects.filter(account=account, automatic=True).exists()
    assert Batch.objects.get().items.count() == 3

    # End of day: a SCAN form for every label, then a pickup.
    page.goto("/shipments/")
    page.get_by_role("link", name="SCAN forms").click()
    page.get_by_role("button", name="Create SCAN form for the selected labels").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("SCAN form SCAN")
    assert ScanForm.objects.get().label_count == 4

    page.goto("/shipments/pickups/")
    page.wait_for_load_state("load")
    page.get_by_label("Total weight (lb)").fill("6")
    page.get_by_role("button", name="Schedule pickup").click()
    expect(page.get_by_text("Pickup scheduled for Thursday, June 11.")).to_be_visible()
    assert Pickup.objects.get().package_count == 4
    assert Shipment.objects.filter(status=Shipment.Status.BOUGHT).count() == 4

    page.wait_for_load_state("networkidle")
    report = seen.report()
    assert report == "", f"CSP violations during the walk:\n{report}"
    assert page.console_errors == []
