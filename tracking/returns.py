"""Return labels on the buyer's side (R46): a signed, expiring link to the label and the
e-mail that carries it, in the store's branding.

The link names the label's tracking token (128 random bits, never an id) and the label's last
valid day, signed by ShipDesk: it cannot be guessed, widened to another label or stretched past
the expiry. It opens the label itself and nothing else of the store; the tracking page link in
the same e-mail shows only what that page shows.
"""

from __future__ import annotations

import datetime as dt

from django.core import signing
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.urls import reverse

from orders.ship_dates import order_today
from shipments.models import Shipment
from tracking import polling
from tracking.models import Branding, Parcel
from tracking.notifications import public_url, store_name

LINK_SALT = "tracking.return-label"


class NoBuyerEmail(Exception):
    pass


def label_token(parcel: Parcel, expires_on: dt.date) -> str:
    return signing.dumps({"p": parcel.token, "x": expires_on.isoformat()}, salt=LINK_SALT)


def label_link(shipment: Shipment) -> str:
    """The buyer's link to the return label (absolute, for e-mails and the merchant to copy)."""
    parcel = polling.start_tracking(shipment)
    assert parcel is not None and shipment.return_expires_on is not None
    path = reverse("tracking:return-label", args=[label_token(parcel, shipment.return_expires_on)])
    return public_url(path)


def tracking_link(shipment: Shipment) -> str:
    parcel = polling.start_tracking(shipment)
    assert parcel is not None
    return public_url(reverse("tracking:public", args=[parcel.token]))


def label_for_token(token: str) -> Shipment | None:
    """The return label a link opens: None for a bad signature, an expired link, or a label
    that is not (or no longer) a bought return label; the caller answers all alike."""
    try:
        data = signing.loads(token, salt=LINK_SALT)
        expires_on = dt.date.fromisoformat(str(data["x"]))
    except (signing.BadSignature, KeyError, TypeError, ValueError):
        return None
    parcel = (
        Parcel.objects.filter(token=str(data.get("p", "")))
        .select_related("shipment", "shipment__order", "shipment__return_to")
        .first()
    )
    if parcel is None:
        return None
    shipment = parcel.shipment
    if not shipment.is_return or shipment.status != Shipment.Status.BOUGHT:
        return None
    # The last valid day is a day where the label was bought (the ship-from's time zone,
    # as its ship date), not in the server's UTC.
    if order_today(shipment.order) > expires_on:
        return None
    return shipment


def compose(shipment: Shipment) -> EmailMultiAlternatives:
    order = shipment.order
    if not order.email:
        raise NoBuyerEmail(f"Order {order.number} has no e-mail address.")
    branding = Branding.get_for(shipment.merchant_id)
    name = store_name(branding, shipment.merchant.name)
    subject = f"Your return label for order {order.number} from {name}"
    context = {
        "subject": subject,
        "store_name": name,
        "branding": branding,
        "customer_name": order.recipient_name or "there",
        "order_number": order.number,
        "service": shipment.service_name or shipment.service,
        "expires_on": shipment.return_expires_on,
        "label_link": label_link(shipment),
        "track_link": tracking_link(shipment),
    }
    text = render_to_string("tracking/email/return_label.txt", context)
    html = render_to_string("tracking/email/return_label.html", context)
    mail = EmailMultiAlternatives(subject, text, None, [order.email])
    mail.attach_alternative(html, "text/html")
    return mail


def email_to_buyer(shipment: Shipment) -> str:
    """Send the return label's link to the buyer (the merchant asked: sent every time, not
    subject to the tracking e-mail settings). Returns the address it went to."""
    mail = compose(shipment)
    mail.send()
    return mail.to[0]
