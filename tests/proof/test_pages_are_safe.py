"""CSP with no inline script on every page, and HTML injection in every text field a
merchant can fill rendered escaped wherever it shows up again."""

from __future__ import annotations

import csv
import io
from decimal import Decimal
from urllib.parse import urlencode

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.test import Client
from django.urls import reverse

from carriers.models import CarrierAccount
from funding import ledger
from merchants.models import Merchant
from merchants.tenancy import ACCESS_ATTR
from orders.models import AutomationRule, ImportJob, Order
from tests.factories import (
    PASSWORD,
    SUPPORT_WHY,
    confirmation_link,
    make_carrier_account,
    make_import_job,
    make_order,
    make_rule,
    make_ship_from,
    make_support_agent,
)
from tests.proof.pages import csp_violations, project_patterns, url_for

SCRIPT = '<script>alert("xss-1")</script>'
ATTRIBUTE = '"><img src=x onerror=alert(2)>'
PAYLOAD = f"{SCRIPT}{ATTRIBUTE}"
# What must never reach a page unescaped.
RAW = ("<script>alert(", "<img src=x onerror")


def merchant_urls(merchant, made: dict | None = None) -> list[str]:
    urls = []
    for name, p in project_patterns():
        if getattr(p.callback, ACCESS_ATTR, None) == "merchant":
            assert name is not None, f"merchant URL {p.pattern} has no name"
            urls.append(url_for(name, p, merchant, made))
    return urls


def fetch_all(client: Client, urls: list[str]) -> list[tuple[str, object]]:
    """GET each URL as a page and as an htmx partial; every answer must be a success."""
    pages: list[tuple[str, object]] = []
    for url in urls:
        for headers in ({}, {"HX-Request": "true"}):
            response = client.get(url, headers=headers)
            # 286: htmx's "stop polling" answer for finished progress partials.
            assert response.status_code in {200, 286, 302, 405}, (
                f"GET {url}: {response.status_code}"
            )
            assert "Content-Security-Policy" in response, f"GET {url}: no CSP header"
            if response.status_code in {200, 286} and response["Content-Type"].startswith(
                "text/html"
            ):
                pages.append((url, response))
    return pages


def assert_clean(pages) -> None:
    problems = {url: csp_violations(r) for url, r in pages}
    assert {url: p for url, p in problems.items() if p} == {}


def assert_escaped(pages) -> None:
    leaked = [url for url, r in pages for raw in RAW if raw in r.content.decode()]
    assert leaked == []


@pytest.mark.django_db
def test_every_merchant_page_has_a_csp_and_no_inline_script(merchant, owner_client):
    make_ship_from(merchant)
    for n in range(3):
        make_order(merchant, f"A-{n}", items=2)
    make_rule(merchant, "Heavy parcels")
    account = make_carrier_account(merchant, balance=Decimal("50.00"))
    with transaction.atomic():
        ledger.debit_for_label(account, Decimal("7.50"), "L-1")
    pages = fetch_all(owner_client, merchant_urls(merchant))
    assert len(pages) >= 25
    assert_clean(pages)


@pytest.mark.django_db
def test_public_and_support_pages_have_a_csp_and_no_inline_script(merchant):
    anonymous = Client()
    public = [reverse(n) for n in ("login", "signup", "password_reset", "password_reset_done")]
    assert_clean(fetch_all(anonymous, public))
    agent = Client()
    agent.force_login(make_support_agent())
    why = urlencode({"why": SUPPORT_WHY})
    support = [
        f"{reverse('support:search')}?q=acme&{why}",
        f"{reverse('support:merchant', args=[merchant.pk])}?{why}",
    ]
    assert_clean(fetch_all(agent, support))


def csv_with_payload_everywhere() -> bytes:
    headers = ["Order Number", "Order Date", "Store", "Recipient Name", "Company", "Address 1",
               "Address 2", "City", "State", "Postal Code", "Country", "Phone", "Email", "SKU",
               "Item Name", "Quantity", "Unit Price", "Item Weight (oz)", "Tags"]  # fmt: skip
    values = {"Order Date": "2026-11-25 09:30", "Country": "US", "State": "CA",
              "Postal Code": "94105", "Phone": "415-555-0100", "Email": "jane@example.com",
              "Quantity": "1", "Unit Price": "10.00", "Item Weight (oz)": "4"}  # fmt: skip
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(headers)
    short = {"City", "SKU"}  # at most 60 characters
    for number in ("X-1", f"X-2{SCRIPT}", f"X-3{ATTRIBUTE}"):
        row = [values.get(h, SCRIPT if h in short else f"{h}{PAYLOAD}") for h in headers]
        row[0] = number
        if number.startswith("X-3"):  # refused: its number shows in the import report
            row[headers.index("Quantity")] = f"lots{SCRIPT}"
        writer.writerow(row)
    return buffer.getvalue().encode()


@pytest.mark.django_db
def test_markup_typed_into_every_text_field_is_rendered_escaped_everywhere():
    # Sign-up: the company name shows in every page's header and the merchant switcher.
    client = Client()
    response = client.post(
        reverse("signup"),
        {
            "company_name": PAYLOAD,
            "email": "evil@example.test",
            "password": PASSWORD,
            "time_zone": "America/New_York",
        },
    )
    assert response.status_code == 302, response.content
    client.get(confirmation_link("evil@example.test"))  # spending pages open once confirmed
    merchant = Merchant.objects.get(name=PAYLOAD)
    # Orders, items and tags through the CSV import (it runs inline for small files).
    upload = SimpleUploadedFile("orders.csv", csv_with_payload_everywhere(), "text/csv")
    response = client.post(reverse("order-import"), {"file": upload})
    assert response.status_code == 302
    job = ImportJob.objects.get(merchant=merchant)
    assert job.status == ImportJob.Status.DONE, job.errors
    assert len(job.errors) == 1, job.errors
    orders = list(Order.objects.filter(merchant=merchant).order_by("number"))
    assert len(orders) == 2 and PAYLOAD in orders[0].recipient_name
    # An automation rule: its name, a condition value and the tag it adds.
    response = client.post(
        reverse("automation-new"),
        {"name": PAYLOAD, "match": "all", "add_tag": ATTRIBUTE, "enabled": "on",
         "c0_field": "store", "c0_op": "contains", "c0_value": PAYLOAD},
    )  # fmt: skip
    assert response.status_code == 302, response.context["form"].errors
    rule = AutomationRule.objects.get(merchant=merchant)
    client.post(reverse("order-reapply-rules"))
    # Label messages on the order's package form, and the names the merchant gives places
    # and carrier accounts (their own forms are covered by the carriers tests).
    Order.objects.filter(merchant=merchant).update(
        label_message_1=PAYLOAD[:50], label_message_2=ATTRIBUTE
    )
    make_ship_from(merchant, name=PAYLOAD[:80], contact_name=ATTRIBUTE, company=ATTRIBUTE)
    # PostgreSQL enforces max lengths: the payload goes in the nickname (60), not the
    # username the factory would derive from it.
    account = make_carrier_account(merchant, nickname=PAYLOAD[:60], username="xss-carrier")
    with transaction.atomic():
        ledger.debit_for_label(account, Decimal("5.00"), f"ref{ATTRIBUTE}", memo=PAYLOAD)
    broken = make_import_job(merchant, status="needs_mapping",
                             content=f"{PAYLOAD},Who\n1,{PAYLOAD}\n")  # fmt: skip
    made = {
        "order-detail": {"pk": orders[1].pk},
        "order-package": {"pk": orders[1].pk},
        "order-import-job": {"pk": job.pk},
        "order-import-mapping": {"pk": broken.pk},
        "automation-edit": {"pk": rule.pk},
    }
    for name in ("carriers:verify", "carriers:update-password", "carriers:settings-popup",
                 "carriers:make-default", "carriers:disconnect"):  # fmt: skip
        made[name] = {"pk": account.pk}
    for name in ("funding:account", "funding:add", "funding:sync", "funding:auto-funding",
                 "funding:carrier-auto-buy-off"):  # fmt: skip
        made[name] = {"account_id": account.pk}
    made["carriers:open-carrier-page"] = {"pk": account.pk, "url_type": "AccountSettingsPage"}
    made["funding:statement"] = {"account_id": account.pk, "year": 2026, "month": 11}
    urls = merchant_urls(merchant, made)
    # Reflected input: search boxes and filters echo what was typed.
    urls += [f"{reverse('order-list')}?q={PAYLOAD}", f"{reverse('funding:home')}?q={PAYLOAD}"]
    pages = fetch_all(client, urls)
    shown = [url for url, r in pages if "xss-1" in r.content.decode()]
    assert len(shown) >= 8, shown  # the payload really is on the pages checked
    assert_escaped(pages)
    assert_clean(pages)
    # Support staff see the same text on their pages.
    agent = Client()
    agent.force_login(make_support_agent())
    why = urlencode({"why": SUPPORT_WHY})
    search = reverse("support:search")
    support = [f"{search}?q={SCRIPT}&{why}", f"{search}?q=X-1&{why}",
               f"{reverse('support:merchant', args=[merchant.pk])}?{why}"]  # fmt: skip
    pages = fetch_all(agent, support)
    assert_escaped(pages)
    assert_clean(pages)
    assert CarrierAccount.objects.filter(nickname=PAYLOAD[:60]).exists()
