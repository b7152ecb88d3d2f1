"""Label and SCAN form PDFs (weasyprint) with real Code 128 barcodes (python-barcode)."""

from __future__ import annotations

import base64
from io import BytesIO

import barcode
from barcode.writer import SVGWriter
from django.template.loader import render_to_string

from merchants.pdf import html_to_pdf

from .models import Indicium, Manifest


def barcode_data_uri(value: str) -> str:
    buf = BytesIO()
    barcode.get("code128", value, writer=SVGWriter()).write(
        buf, options={"module_height": 18.0, "font_size": 0, "text_distance": 1, "quiet_zone": 2}
    )
    return "data:image/svg+xml;base64," + base64.b64encode(buf.getvalue()).decode("ascii")


def _pdf(html: str) -> bytes:
    return html_to_pdf(html)


def label_html(indicium: Indicium) -> str:
    rate = indicium.rate
    # R26: First-Class letters and flats carry no tracking barcode. R25: no postage amount,
    # and no transit time on Priority Mail.
    return render_to_string(
        "stamps_sandbox/label.html",
        {
            "indicium": indicium,
            "rate": rate,
            "from": rate.get("From") or {},
            "to": rate.get("To") or {},
            "barcode": barcode_data_uri(indicium.tracking_number)
            if indicium.tracking_number
            else None,
            "gap": indicium.label_category == "GlobalAdvantageProgram",
            "globalpost": indicium.label_category == "GlobalPost",
            "show_transit": indicium.service_type not in ("US-PM", "US-PMI")
            and indicium.tracking_number,
            "deliver_days": rate.get("DeliverDays"),
            "to_region": (rate.get("To") or {}).get("State")
            or (rate.get("To") or {}).get("Province")
            or "",
            "to_postal": (rate.get("To") or {}).get("ZIPCode")
            or (rate.get("To") or {}).get("PostalCode")
            or "",
        },
    )


def label_pdf(indicium: Indicium) -> bytes:
    return _pdf(label_html(indicium))


def manifest_pdf(manifest: Manifest) -> bytes:
    indicia = list(manifest.indicia.order_by("pk"))
    html = render_to_string(
        "stamps_sandbox/scan_form.html",
        {
            "manifest": manifest,
            "indicia": indicia,
            "from": manifest.from_address,
            "barcode": barcode_data_uri(manifest.manifest_id),
        },
    )
    return _pdf(html)
