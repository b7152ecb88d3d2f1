"""The buyer's side: the tracking page, branded e-mails, unsubscribing."""

from __future__ import annotations

import io
import re

import pytest
from django.core import mail
from django.core.cache import cache
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import timezone
from PIL import Image

from shipments.models import ShippingSettings
from tests.tracking.factories import make_parcel
from tracking import notifications
from tracking.forms import BrandingForm
from tracking.models import Branding, CustomerEmail, EmailOptOut, TrackingEvent

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def fresh_rate_limit():
    cache.clear()
    yield
    cache.clear()


def brand(merchant, **fields) -> Branding:
    b = Branding.get_for(merchant)
    for k, v in fields.items():
        setattr(b, k, v)
    b.save()
    return b


def png() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (4, 4), "#ff0000").save(out, "PNG")
    return out.getvalue()


def test_the_tracking_page_shows_the_store_branding_status_and_timeline_only(
    merchant, outsider_merchant
):
    brand(merchant, display_name="Acme Shop", primary_color="#aa0011")
    brand(outsider_merchant, display_name="Bramble Goods")
    parcel = make_parcel(merchant, "PUB-1", delivery_status="in_transit", amount="12.34")
    TrackingEvent.objects.create(
        parcel=parcel,
        key="k",
        occurred_at=timezone.now(),
        status="in_transit",
        description="Arrived at USPS Regional Facility",
        city="DENVER",
        state="CO",
    )
    page = Client().get(f"/t/{parcel.token}/")
    assert page.status_code == 200
    text = page.text
    assert "Acme Shop" in text and "#aa0011" in text and "In transit" in text
    assert "Arrived at USPS Regional Facility" in text and "Denver, CO" in text
    # Nothing of the merchant beyond what the buyer has: no cost, company name, warehouse.
    assert "12.34" not in text and "Acme Outfitters" not in text and "Warehouse" not in text
    assert "Bramble" not in text
    assert page["X-Robots-Tag"] == "noindex"


def test_a_guessed_token_gets_the_same_answer_as_a_missing_one(merchant):
    parcel = make_parcel(merchant, "PUB-2")
    client = Client()
    guessed = client.get(f"/t/{parcel.token[:-1]}x/")
    missing = client.get("/t/nothing-here/")
    by_id = client.get(f"/t/{parcel.pk}/")
    assert guessed.status_code == missing.status_code == by_id.status_code == 404

    def same(r) -> str:  # the page as read, without its per-request CSP nonce
        return re.sub(r'nonce="[^"]+"', "", r.text)

    assert same(guessed) == same(missing) == same(by_id)


def test_the_tracking_page_is_rate_limited_per_address(merchant, settings):
    settings.TRACKING_PAGE_RATE_PER_MINUTE = 3
    parcel = make_parcel(merchant, "PUB-3")
    client = Client()
    codes = [client.get(f"/t/{parcel.token}/").status_code for _ in range(4)]
    assert codes == [200, 200, 200, 429]
    other = Client(REMOTE_ADDR="10.9.9.9")
    assert other.get(f"/t/{parcel.token}/").status_code == 200


def test_the_email_uses_the_store_wording_colours_and_logo(merchant):
    brand(
        merchant,
        display_name="Acme Shop",
        primary_color="#123456",
        shipped_subject="{store_name}: order {order_number} left us",
        shipped_message="Hi {customer_name}! {unknown} stays as typed.",
        logo=png(),
        logo_type="image/png",
    )
    parcel = make_parcel(merchant, "MAIL-1")
    order = parcel.shipment.order
    order.email = "jane@example.test"
    order.save()
    assert notifications.send_customer_email(parcel.shipment_id, "shipped")
    sent = mail.outbox[0]
    assert sent.subject == "Acme Shop: order MAIL-1 left us"
    assert f"Hi {order.recipient_name}! {{unknown}} stays as typed." in sent.body
    # The customer reads the ship date in words, not the marketplaces' ISO form.
    shipped_on = parcel.shipment.ship_date
    in_words = f"shipped {shipped_on:%A, %B} {shipped_on.day}, {shipped_on.year}"
    assert in_words in sent.body and shipped_on.isoformat() not in sent.body
    html = sent.alternatives[0].content
    assert in_words in html
    assert "#123456" in html and "cid:store-logo" in html
    assert [a["Content-ID"] for a in sent.attachments] == ["<store-logo>"]
    assert sent.extra_headers["List-Unsubscribe"].startswith("<http")
    # Never twice for the same event.
    assert not notifications.send_customer_email(parcel.shipment_id, "shipped")
    assert len(mail.outbox) == 1 and CustomerEmail.objects.count() == 1


def test_unsubscribing_stops_the_stores_emails(merchant):
    parcel = make_parcel(merchant, "MAIL-2")
    order = parcel.shipment.order
    order.email = "Jane@Example.test"
    order.save()
    token = notifications.unsubscribe_token(merchant.pk, order.email)
    client = Client()
    assert client.get(f"/unsubscribe/{token}x/").status_code == 404  # tampered
    assert client.get(f"/unsubscribe/{token}/").status_code == 200  # asks, does not act
    assert not EmailOptOut.objects.exists()
    assert "Unsubscribed" in client.post(f"/unsubscribe/{token}/").text
    assert not notifications.send_customer_email(parcel.shipment_id, "shipped")
    assert mail.outbox == []


def test_emails_follow_the_stores_setting_and_R29(merchant):
    parcel = make_parcel(merchant, "MAIL-3", service="US-FCI", to_country="CA")
    order = parcel.shipment.order
    order.email = "marie@example.test"
    order.save()
    # R29: no tracking shared for First-Class Mail International: no delivery updates.
    assert not notifications.send_customer_email(parcel.shipment_id, "out_for_delivery")
    assert notifications.send_customer_email(parcel.shipment_id, "shipped")
    assert parcel.shipment.tracking_number not in mail.outbox[0].body
    assert "/t/" not in mail.outbox[0].body
    prefs = ShippingSettings.get_for(merchant)
    prefs.notify_customers = False
    prefs.save()
    assert not notifications.send_customer_email(parcel.shipment_id, "delivered")


def test_branding_page_saves_colours_and_logo_and_previews(owner_client):
    defaults = {
        name: value for name, value in BrandingForm(instance=Branding()).initial.items() if value
    }
    bad = owner_client.post(
        "/settings/tracking/", defaults | {"display_name": "Kept", "primary_color": "blue"}
    )
    assert bad.status_code == 200 and 'value="Kept"' in bad.text
    assert "six hex digits" in bad.text
    data = defaults | {"display_name": "Acme Shop", "primary_color": "#00aa00"}
    data["logo_file"] = SimpleUploadedFile("logo.png", png(), content_type="image/png")
    assert owner_client.post("/settings/tracking/", data).status_code == 302
    preview = owner_client.get("/settings/tracking/preview/?kind=delivered")
    assert preview.status_code == 200 and "was delivered" in preview.text
    raw = owner_client.get("/settings/tracking/preview/?kind=delivered&raw=1").text
    assert "#00aa00" in raw and "data:image/png;base64," in raw
    assert owner_client.get("/settings/tracking/preview/?kind=nope").status_code == 404
