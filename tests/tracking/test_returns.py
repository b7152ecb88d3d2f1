"""Prepaid return labels (R46): bought like any label from a shipped order, once, through the
ledger; voidable; tracked; e-mailed to the buyer with a signed, expiring link."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal

import pytest
import time_machine
from django.core import mail
from django.core.cache import cache
from django.test import Client
from django.utils import timezone

from carriers.stamps.sandbox import api
from funding.models import LedgerEntry
from orders.models import Order
from orders.ship_dates import order_today
from shipments import jobs, labels, returns, voids
from shipments.models import Shipment
from tests.factories import make_ship_from
from tests.support import credit_refunds
from tracking import polling
from tracking import returns as buyer_side
from tracking.models import Branding, CustomerEmail, Parcel

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def fresh_rate_limit():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def shipped(account, make_shippable):
    """An order shipped on a real sandbox label (the buyer has an e-mail address)."""
    order = make_shippable(email="jane@example.test")
    return labels.buy_label(order, account, "US-PM")


def fresh(shipment: Shipment) -> Shipment:
    return Shipment.objects.select_related("order", "account", "return_to", "return_of").get(
        pk=shipment.pk
    )


def test_a_return_label_is_bought_from_the_buyer_to_the_store_once_R46(
    shipped, ship_from, account, owner
):
    mail.outbox.clear()
    balance_before = api.get_balance(account.username)
    label = returns.buy_return_label(
        fresh(shipped), location=ship_from, service="US-GA", days=14, by=owner
    )
    assert label.status == Shipment.Status.BOUGHT and label.is_return
    assert label.tracking_number and label.return_of_id == shipped.pk
    # Fourteen days from the ship date, which is the ship-from location's date (R43).
    assert label.return_expires_on == order_today(label.order) + dt.timedelta(days=14)
    # At the carrier: a return layout, the buyer as the sender, the store's location as the
    # recipient, and the postage paid now (prepaid).
    indicium = next(
        i for i in api.indicia(account.username) if i.tracking_number == label.tracking_number
    )
    assert indicium.rate["PrintLayout"] == "Return"
    assert indicium.rate["From"]["Address1"].upper() == shipped.order.street1.upper()
    assert indicium.rate["To"]["ZIPCode"] == ship_from.postal_code[:5]
    assert indicium.return_expires_on == label.return_expires_on
    assert api.get_balance(account.username) == balance_before - label.amount
    # The ledger: one debit for it, like any label (R14).
    debits = LedgerEntry.objects.filter(reference=label.integrator_tx_id)
    assert [d.amount for d in debits] == [-label.amount]
    # The order stays shipped, and the buyer gets no "your order has shipped" again.
    assert Order.objects.get(pk=shipped.order_id).status == Order.Status.SHIPPED
    assert mail.outbox == []
    # A second "Create" does not buy a second one.
    with pytest.raises(labels.LabelError, match="already has a return label"):
        returns.buy_return_label(fresh(shipped), location=ship_from, service="US-GA", by=owner)
    assert len(api.indicia(account.username)) == 2


def test_a_lost_answer_is_finished_with_the_same_integrator_tx_id_R28(
    shipped, ship_from, account, stamps, settings
):
    settings.STAMPS_RETRIES = 0  # the client gives up at once: ShipDesk's own retry is tested
    stamps.set_fault("CreateIndicium", "drop_after_commit")
    with pytest.raises(labels.LabelPending):
        returns.buy_return_label(fresh(shipped), location=ship_from, service="US-PM", days=30)
    pending = Shipment.objects.get(return_of=shipped)
    assert pending.status == Shipment.Status.BUYING
    # The sweep (or the merchant's retry) finishes it: the carrier answers the label it made.
    assert jobs.sweep_labels(older_than=None) == 1
    done = fresh(pending)
    assert (
        done.status == Shipment.Status.BOUGHT and done.integrator_tx_id == pending.integrator_tx_id
    )
    assert len(api.indicia(account.username)) == 2  # the outbound label and this one
    assert LedgerEntry.objects.filter(reference=done.integrator_tx_id).count() == 1


def test_voiding_a_return_label_refunds_it_and_leaves_the_order_shipped_R46(
    sandbox, shipped, ship_from, owner
):
    label = returns.buy_return_label(fresh(shipped), location=ship_from, service="US-GA")
    assert "void the return label first" in voids.void_refused_reason(fresh(shipped))
    voided = voids.void_label(fresh(label), by=owner)
    # R41: the void requests the refund; it is credited once the carrier has.
    assert voided.status == Shipment.Status.VOIDED and voided.refunded == 0
    assert credit_refunds(sandbox) == 1
    assert fresh(label).refunded == label.amount
    assert Order.objects.get(pk=shipped.order_id).status == Order.Status.SHIPPED
    assert Parcel.objects.get(shipment=label).stopped == Parcel.Stop.VOIDED
    assert voids.void_refused_reason(fresh(shipped)) == ""
    # Voided, a new one can be made.
    again = returns.buy_return_label(fresh(shipped), location=ship_from, service="US-GA")
    assert again.pk != label.pk and again.status == Shipment.Status.BOUGHT


def test_a_return_label_is_tracked_like_any_label_without_order_emails_R46(
    clock, shipped, ship_from
):
    label = returns.buy_return_label(fresh(shipped), location=ship_from, service="US-GA")
    mail.outbox.clear()
    clock.advance(days=6)
    polling.poll_due()
    label.refresh_from_db()
    assert label.delivery_status == "delivered"
    assert Parcel.objects.get(shipment=label).stopped == "delivered"
    # The outbound parcel's e-mails go on; none is about the parcel coming back.
    assert CustomerEmail.objects.filter(shipment=label).count() == 0
    assert not any(label.tracking_number in m.body for m in mail.outbox)


def test_international_orders_get_no_return_label_R46(account, make_shippable, ship_from):
    from tests.shipments.conftest import international

    shipped = labels.buy_label(make_shippable(**international()), account, "US-PMI")
    with pytest.raises(labels.LabelError, match="between US addresses only"):
        returns.buy_return_label(fresh(shipped), location=ship_from, service="US-GA")
    assert not Shipment.objects.filter(return_of=shipped).exists()


def test_the_buyer_gets_a_signed_expiring_link_and_nothing_of_the_store_R46(
    merchant, shipped, ship_from, account
):
    Branding.objects.create(merchant=merchant, display_name="Acme Trail Shop")
    label = returns.buy_return_label(fresh(shipped), location=ship_from, service="US-GA", days=7)
    mail.outbox.clear()
    assert buyer_side.email_to_buyer(fresh(label)) == "jane@example.test"
    (sent,) = mail.outbox
    assert (
        sent.subject == f"Your return label for order {shipped.order.number} from Acme Trail Shop"
    )
    body = sent.body
    # No merchant data beyond what the buyer has: no company name, account, cost or ids.
    for secret in ("Acme Outfitters", account.nickname, account.username, str(label.amount)):
        assert secret not in body and secret not in sent.alternatives[0][0]
    link = next(w for w in body.split() if "/r/" in w)
    path = link.split("://", 1)[-1].split("/", 1)[-1]
    buyer = Client()
    pdf = buyer.get("/" + path)
    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf"
    assert pdf.content.startswith(b"%PDF")
    assert f"/t/{Parcel.objects.get(shipment=label).token}/" in body
    # A forged or altered link is the same 404 as a missing one.
    missing = buyer.get("/r/nothing-here/label.pdf")
    forged = buyer.get("/" + path.replace("/label.pdf", "x/label.pdf"))
    assert missing.status_code == forged.status_code == 404
    assert re.sub(r'nonce="[^"]+"', "", missing.text) == re.sub(r'nonce="[^"]+"', "", forged.text)
    # After its last valid day the link is dead.
    with time_machine.travel(timezone.now() + dt.timedelta(days=7), tick=False):
        assert buyer.get("/" + path).status_code == 200  # its last valid day
    with time_machine.travel(timezone.now() + dt.timedelta(days=8), tick=False):
        assert buyer.get("/" + path).status_code == 404
    # And a voided label is no longer handed out.
    voids.void_label(fresh(label))
    assert buyer.get("/" + path).status_code == 404


def test_the_return_form_shows_prices_and_creates_the_label_R46(owner_client, shipped, ship_from):
    page = owner_client.get(f"/shipments/{shipped.pk}/return/")
    assert page.status_code == 200
    html = page.text
    assert 'data-service="US-GA"' in html and 'data-service="US-PM"' in html
    assert 'data-service="US-MM"' not in html  # no return labels on Media Mail
    bad = owner_client.post(
        f"/shipments/{shipped.pk}/return/",
        {"service": "US-GA", "location": ship_from.pk, "days": "45", "email_buyer": "on"},
    )
    assert bad.status_code == 400 and "45 is not one of the available choices" in bad.text
    assert 'name="email_buyer" checked' in bad.text or "checked" in bad.text
    assert not Shipment.objects.filter(return_of=shipped).exists()
    mail.outbox.clear()
    done = owner_client.post(
        f"/shipments/{shipped.pk}/return/",
        {"service": "US-GA", "location": ship_from.pk, "days": "30", "email_buyer": "on"},
    )
    label = Shipment.objects.get(return_of=shipped)
    assert done.status_code == 302 and done["Location"] == f"/shipments/{label.pk}/"
    assert [m.to for m in mail.outbox] == [["jane@example.test"]]
    detail = owner_client.get(done["Location"]).text
    assert "Return label for order" in detail and 'data-testid="return-marker"' in detail
    listing = owner_client.get("/shipments/").text
    assert listing.count('data-testid="return-marker"') == 1
    panel = owner_client.get(f"/orders/{shipped.order_id}/tracking/").text
    assert 'data-testid="return-marker"' in panel
    assert 'data-testid="create-return"' not in panel  # one live return label per label


def test_a_location_stamps_com_cannot_verify_stops_the_purchase_R37(shipped, merchant, account):
    nowhere = make_ship_from(  # a street the carrier's directory of that ZIP code lacks
        merchant,
        name="Nowhere",
        street1="1 Nowhere Blvd",
        city="San Francisco",
        state="CA",
        postal_code="94105",
        is_default=False,
    )
    with pytest.raises(labels.LabelError, match="could not verify the address of “Nowhere”"):
        returns.buy_return_label(fresh(shipped), location=nowhere, service="US-GA")
    assert not Shipment.objects.filter(return_of=shipped).exists()
    assert LedgerEntry.objects.filter(amount__lt=Decimal("0")).count() == 1  # the outbound only
