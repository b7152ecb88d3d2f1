"""What customers are told about a shipped order (R29). The e-mails themselves are sent by
the tracking app, which listens to ``shipments.signals.label_bought``."""

from __future__ import annotations

from shipments.models import Shipment, ShippingSettings

FIRST_CLASS_INTL = "US-FCI"


def shares_tracking(shipment: Shipment, prefs: ShippingSettings) -> bool:
    """R29: First-Class Mail International tracking numbers stay out of customer and
    marketplace notifications unless the merchant turned that on."""
    if not shipment.tracking_number:
        return False
    return shipment.service != FIRST_CLASS_INTL or prefs.share_fci_tracking


def notification_payload(shipment: Shipment, prefs: ShippingSettings | None = None) -> dict:
    """What customers and marketplaces are told about a shipped order."""
    prefs = prefs or ShippingSettings.get_for(shipment.merchant_id)
    payload = {
        "order_number": shipment.order.number,
        "carrier": "USPS",
        "service": shipment.service_name or shipment.service,
        "ship_date": shipment.ship_date.isoformat(),
    }
    if shares_tracking(shipment, prefs):
        payload["tracking_number"] = shipment.tracking_number
        payload["tracking_url"] = shipment.tracking_url
    return payload
