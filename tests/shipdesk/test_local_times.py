"""Every time a merchant reads is local: a store in Honolulu sees 4:00 AM HST, never the UTC
instant (2:00 PM / 14:00) the rows were written at."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from endofday.models import Pickup, ScanForm
from funding.models import LedgerEntry
from orders.models import ImportJob
from shipments.models import Batch, Shipment
from tests.factories import make_carrier_account, make_order, make_ship_from

INSTANT = "2026-06-10T14:00:00+00:00"  # 4:00 AM in Honolulu (HST, UTC-10, no summer time)
UTC_SPELLINGS = ("2:00 PM", "2:00 p.m.", "14:00", "UTC")


@pytest.fixture
def honolulu_store(merchant):
    merchant.time_zone = "Pacific/Honolulu"
    merchant.save(update_fields=["time_zone"])
    now = timezone.now()
    location = make_ship_from(merchant, city="Honolulu", state="HI", postal_code="96813")
    account = make_carrier_account(merchant, is_default=True)
    order = make_order(merchant, "HI-1", ship_from=location, rules_applied_at=now)
    shipment = Shipment.objects.create(
        merchant=merchant, order=order, account=account, ship_from=location, service="US-PM",
        package_type="Package", weight_oz=Decimal("20"), ship_date=now.date(),
        tracking_number="9205511000000000000001", status=Shipment.Status.BOUGHT,
        voided_at=now,
    )  # fmt: skip
    Batch.objects.create(merchant=merchant, account=account, ship_date=now.date(), total=1)
    scan_form = ScanForm.objects.create(
        merchant=merchant, account=account, location=location, ship_date=now.date(),
        status=ScanForm.Status.CREATED, manifest_id="SF-1", label_count=1,
    )  # fmt: skip
    pickup = Pickup.objects.create(
        merchant=merchant, account=account, location=location,
        requested_date=now.date() + dt.timedelta(days=1),
        pickup_date=now.date() + dt.timedelta(days=1), confirmation_number="WTC1",
        status=Pickup.Status.SCHEDULED, package_count=1, total_weight_lb=2,
        contact_phone="+18085550100",
    )  # fmt: skip
    LedgerEntry.objects.create(
        merchant=merchant, account=account, kind=LedgerEntry.Kind.PURCHASE,
        amount=Decimal("20.00"), balance_after=Decimal("20.00"), idempotency_key="hi-1",
    )  # fmt: skip
    ImportJob.objects.create(merchant=merchant, filename="orders.csv")
    return {"order": order, "shipment": shipment, "scan_form": scan_form, "pickup": pickup}


@pytest.mark.clock(INSTANT)
@pytest.mark.django_db
def test_every_page_shows_a_honolulu_store_its_own_time(honolulu_store, owner_client):
    rows = honolulu_store
    pages = {
        "orders": reverse("order-list"),
        "order (Ordered, Rules ran)": reverse("order-detail", args=[rows["order"].pk]),
        "import jobs": reverse("order-import"),
        "shipments": reverse("shipments:list"),
        "shipment": reverse("shipments:detail", args=[rows["shipment"].pk]),
        "batches": reverse("shipments:batches"),
        "SCAN forms": reverse("endofday:scan-forms"),
        "SCAN form": reverse("endofday:scan-form", args=[rows["scan_form"].pk]),
        "pickups": reverse("endofday:pickups"),
        "pickup (change deadline)": reverse("endofday:pickup", args=[rows["pickup"].pk]),
        "funds and ledger": reverse("funding:home"),
    }
    local_seen = []
    for name, url in pages.items():
        response = owner_client.get(url)
        assert response.status_code == 200, name
        leaks = [text for text in UTC_SPELLINGS if text in response.text]
        assert not leaks, f"{name} shows UTC: {leaks}"
        local_seen.append("4:00 AM HST" in response.text or "Jun 10, 2026" in response.text)
    detail = owner_client.get(pages["order (Ordered, Rules ran)"]).text
    assert "Rules ran Jun 10, 4:00 AM HST" in detail
    ledger = owner_client.get(pages["funds and ledger"]).text
    assert "Jun 10, 2026 4:00 AM HST" in ledger
    scan_form = owner_client.get(pages["SCAN form"]).text
    assert "4:00 AM HST" in scan_form
