"""Customer e-mails: shipped, out for delivery and delivered, in the store's own branding.

Builds on the store's "e-mail customers their tracking number" setting and R29
(shipments.notifications): nothing is sent when it is off, and a First-Class Mail
International parcel whose tracking is not shared gets only the shipped e-mail, without the
number. Each kind is sent at most once per parcel: its CustomerEmail row is claimed first.
"""

from __future__ import annotations

import base64
import re
from email.message import MIMEPart

from django.conf import settings
from django.core import signing
from django.core.mail import EmailMultiAlternatives
from django.db import IntegrityError, transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from orders.models import Order
from shipments.models import DeliveryStatus, Shipment, ShippingSettings
from shipments.notifications import notification_payload, shares_tracking
from tracking.models import Branding, CustomerEmail, EmailOptOut, Parcel

Kind = CustomerEmail.Kind
STATUS_EMAIL: dict[str, str] = {
    DeliveryStatus.OUT_FOR_DELIVERY: Kind.OUT_FOR_DELIVERY,
    DeliveryStatus.DELIVERED: Kind.DELIVERED,
}
PLACEHOLDERS = ("customer_name", "order_number", "store_name")
UNSUBSCRIBE_SALT = "tracking.unsubscribe"


def fill(text: str, values: dict[str, str]) -> str:
    """The merchant's wording with {placeholders} filled; anything else is left as typed
    (never a template language: the text comes from the merchant)."""
    return re.sub(r"\{(\w+)\}", lambda m: values.get(m.group(1), m.group(0)), text)


def unsubscribe_token(merchant_id: int, email: str) -> str:
    return signing.dumps({"m": merchant_id, "e": email.lower()}, salt=UNSUBSCRIBE_SALT)


def read_unsubscribe_token(token: str) -> tuple[int, str] | None:
    try:
        data = signing.loads(token, salt=UNSUBSCRIBE_SALT)
    except signing.BadSignature:
        return None
    return int(data["m"]), str(data["e"])


def unsubscribe(token: str) -> bool:
    found = read_unsubscribe_token(token)
    if found is None:
        return False
    merchant_id, email = found
    EmailOptOut.objects.get_or_create(merchant_id=merchant_id, email=email)
    return True


def store_name(branding: Branding, merchant_name: str) -> str:
    return branding.display_name or merchant_name


def public_url(path: str) -> str:
    return settings.PUBLIC_BASE_URL + path


def compose(
    *,
    kind: str,
    branding: Branding,
    merchant_name: str,
    order: Order,
    shipment: Shipment,
    parcel: Parcel | None,
    share_tracking: bool,
    preview: bool = False,
) -> EmailMultiAlternatives:
    """The e-mail (plain text and HTML, the logo inline) without sending it."""
    values = {
        "customer_name": order.recipient_name or "there",
        "order_number": order.number,
        "store_name": store_name(branding, merchant_name),
    }
    subject = fill(getattr(branding, f"{kind}_subject"), values)
    message = fill(getattr(branding, f"{kind}_message"), values)
    payload = notification_payload(shipment, ShippingSettings(share_fci_tracking=share_tracking))
    track_link = ""
    if share_tracking and parcel is not None:
        track_link = public_url(reverse("tracking:public", args=[parcel.token]))
    unsubscribe_link = public_url(
        reverse("tracking:unsubscribe", args=[unsubscribe_token(order.merchant_id, order.email)])
    )
    logo_src = ""
    if branding.logo:
        logo_src = (
            f"data:{branding.logo_type};base64,{base64.b64encode(bytes(branding.logo)).decode()}"
            if preview
            else "cid:store-logo"
        )
    context = {
        "kind": kind,
        "subject": subject,
        "message": message,
        "branding": branding,
        "store_name": values["store_name"],
        "payload": payload,
        # The payload's ISO date is for marketplaces and webhooks; a customer reads words.
        "shipped_on": shipment.ship_date,
        "track_link": track_link,
        "unsubscribe_link": unsubscribe_link,
        "logo_src": logo_src,
    }
    text = render_to_string("tracking/email/customer.txt", context)
    html = render_to_string("tracking/email/customer.html", context)
    mail = EmailMultiAlternatives(
        subject,
        text,
        None,
        [order.email],
        headers={"List-Unsubscribe": f"<{unsubscribe_link}>"},
    )
    mail.attach_alternative(html, "text/html")
    if branding.logo and not preview:
        image = MIMEPart()
        image.set_content(
            bytes(branding.logo),
            maintype="image",
            subtype=branding.logo_type.split("/")[-1],
            disposition="inline",
            filename="logo",
            cid="<store-logo>",
        )
        mail.attach(image)
    return mail


def send_customer_email(shipment_id: int, kind: str) -> bool:
    """Send ``kind`` for the label unless the store turned e-mails off, the customer has no
    address or unsubscribed, R29 keeps the tracking private, or it was sent already."""
    shipment = Shipment.objects.select_related("order", "merchant").get(pk=shipment_id)
    order = shipment.order
    if shipment.is_return:
        return False  # the order's e-mails speak of the parcel going out, not coming back
    if kind == Kind.SHIPPED and shipment.status != Shipment.Status.BOUGHT:
        return False  # voided before the e-mail went out
    parcel = Parcel.objects.filter(shipment=shipment).first()
    prefs = ShippingSettings.get_for(shipment.merchant_id)
    if not prefs.notify_customers or not order.email:
        return False
    shared = shares_tracking(shipment, prefs)
    if kind != Kind.SHIPPED and not shared:
        return False  # R29: USPS does not follow it to the door; say nothing we can't back
    if EmailOptOut.objects.filter(
        merchant_id=shipment.merchant_id, email=order.email.lower()
    ).exists():
        return False
    try:
        with transaction.atomic():
            CustomerEmail.objects.create(shipment=shipment, kind=kind, to=order.email)
            mail = compose(
                kind=kind,
                branding=Branding.get_for(shipment.merchant_id),
                merchant_name=shipment.merchant.name,
                order=order,
                shipment=shipment,
                parcel=parcel,
                share_tracking=shared,
            )
            # Inside the transaction: a failed send un-claims the row, so a retry sends it.
            mail.send()
    except IntegrityError:
        return False  # sent before (or being sent right now by another worker)
    if kind == Kind.SHIPPED:
        Shipment.objects.filter(pk=shipment.pk).update(notified_at=timezone.now())
    return True


def schedule(shipment_id: int, kind: str) -> None:
    from django_q.tasks import async_task

    async_task(
        "tracking.notifications.send_customer_email",
        shipment_id,
        kind,
        cluster=settings.Q_SHORT_CLUSTER,
    )


def parcel_moved(parcel: Parcel, entered: list[str]) -> None:
    """After a poll stored new events: the e-mails for the statuses the parcel entered."""
    if parcel.shipment.return_of_id is not None:
        return  # a return on its way back: the buyer mailed it and needs no news of it
    for status in dict.fromkeys(entered):
        kind = STATUS_EMAIL.get(status)
        if kind is not None:
            schedule(parcel.shipment_id, kind)
