"""Label and packing-slip PDFs (weasyprint), one document per print job.

Layouts: ``4x6`` (a label printer: one label a page, its packing slip on the next page) and
``letter`` (8.5 x 11 in: two labels side by side, or a label beside its packing slip).
R25: no postage amount on any label, and no transit time on Priority Mail. R26: First-Class
letters and flats have no tracking number, so no barcode. R24: GAP labels say so.
"""

from __future__ import annotations

import base64
from io import BytesIO

import barcode
from barcode.writer import SVGWriter
from django.core.files.base import ContentFile
from django.template.loader import render_to_string

from merchants.pdf import html_to_pdf
from shipments.models import Shipment

LAYOUTS = ("4x6", "letter")
NO_TRANSIT_TIME = {"US-PM", "US-PMI"}  # R25


def barcode_data_uri(value: str) -> str:
    buf = BytesIO()
    barcode.get("code128", value, writer=SVGWriter()).write(
        buf, options={"module_height": 18.0, "font_size": 0, "text_distance": 1, "quiet_zone": 4}
    )
    return "data:image/svg+xml;base64," + base64.b64encode(buf.getvalue()).decode("ascii")


def _order_address(order) -> dict:
    return {
        "contact_name": order.recipient_name,
        "company": order.company,
        "street1": order.street1,
        "street2": order.street2,
        "city": order.city,
        "state": order.state,
        "postal_code": order.postal_code,
        "country": order.country,
    }


def label_context(shipment: Shipment) -> dict:
    order = shipment.order
    # A return label (R46) runs the other way: from the buyer back to the store's location.
    sender: object = order.ship_from
    recipient: object = _order_address(order)
    if shipment.is_return:
        sender, recipient = _order_address(order), shipment.return_to
    return {
        "s": shipment,
        "order": order,
        "ship_from": sender,
        "to": recipient,
        "barcode": barcode_data_uri(shipment.tracking_number) if shipment.tracking_number else "",
        "gap": shipment.label_category == "GlobalAdvantageProgram",
        "globalpost": shipment.label_category == "GlobalPost"
        or shipment.service.startswith("SC-GP"),
        "transit": ""
        if shipment.service in NO_TRANSIT_TIME
        else (shipment.delivery_days and f"{shipment.delivery_days} days"),
    }


def document_html(shipments: list[Shipment], layout: str = "4x6", slip: bool = False) -> str:
    if layout not in LAYOUTS:
        layout = "4x6"
    items = [label_context(s) for s in shipments]
    if layout == "letter":
        # Two panels a sheet: label beside label, or each label beside its packing slip.
        kinds = ("label", "slip") if slip else ("label",)
        flat = [(item, kind) for item in items for kind in kinds]
        pages = [flat[i : i + 2] for i in range(0, len(flat), 2)]
    else:
        kinds = ("label", "slip") if slip else ("label",)
        pages = [[(item, kind)] for item in items for kind in kinds]
    return render_to_string("shipments/print.html", {"pages": pages, "layout": layout})


def render_pdf(shipments: list[Shipment], layout: str = "4x6", slip: bool = False) -> bytes:
    return html_to_pdf(document_html(shipments, layout, slip))


def label_pdf(shipment: Shipment) -> bytes:
    """The 4x6 label alone, rendered once and kept in storage."""
    if shipment.label_pdf:
        try:
            with shipment.label_pdf.open("rb") as f:
                return f.read()
        except FileNotFoundError:
            pass
    data = render_pdf([shipment])
    shipment.label_pdf.save(f"label-{shipment.integrator_tx_id}.pdf", ContentFile(data), save=False)
    Shipment.objects.filter(pk=shipment.pk).update(label_pdf=shipment.label_pdf.name)
    return data
