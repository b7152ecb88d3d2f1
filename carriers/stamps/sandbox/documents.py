"""SCAN form PDFs (weasyprint) with real Code 128 barcodes (python-barcode), and the signed,
expiring links to label images (drawn by ``label_images``)."""

from __future__ import annotations

import base64
from io import BytesIO

import barcode
from barcode.writer import SVGWriter
from django.conf import settings
from django.core import signing
from django.template.loader import render_to_string
from django.urls import reverse

from merchants.pdf import html_to_pdf

from . import label_images as images
from .models import Indicium, Manifest


def barcode_data_uri(value: str) -> str:
    buf = BytesIO()
    barcode.get("code128", value, writer=SVGWriter()).write(
        buf, options={"module_height": 18.0, "font_size": 0, "text_distance": 1, "quiet_zone": 2}
    )
    return "data:image/svg+xml;base64," + base64.b64encode(buf.getvalue()).decode("ascii")


def _pdf(html: str) -> bytes:
    return html_to_pdf(html)


IMAGE_SALT = "stamps-sandbox-image"


def image_url(request, indicium: Indicium, kind: str, spec: dict) -> str:
    """A signed link to the label (``kind`` "label") or customs form ("form") in the kind,
    paper and resolution ``spec`` names; ``image_for`` honours it until it expires."""
    from .endofday import page_key  # endofday imports this module for SCAN forms

    token = signing.dumps(
        {"i": str(indicium.stamps_tx_id), "k": kind, **spec}, salt=IMAGE_SALT, key=page_key()
    )
    name = f"{kind}.{images.extension(spec['t'])}"
    return request.build_absolute_uri(
        reverse("stamps_sandbox:image", kwargs={"token": token, "name": name})
    )


class ImageExpired(Exception):
    pass


def image_for(token: str) -> tuple[bytes, str, str]:
    """(content, content type, file name) behind a signed image link; raises
    ``ImageExpired`` once ``STAMPS_SANDBOX_IMAGE_TTL`` has passed or for a forged link."""
    from .endofday import page_key

    try:
        spec = signing.loads(
            token, salt=IMAGE_SALT, key=page_key(), max_age=settings.STAMPS_SANDBOX_IMAGE_TTL
        )
    except signing.BadSignature as exc:
        raise ImageExpired from exc
    indicium = Indicium.objects.filter(stamps_tx_id=spec["i"]).first()
    if indicium is None:
        raise ImageExpired
    data = images.label_data(indicium)
    pages = [images.label_page(data)] if spec["k"] == "label" else images.form_pages(data)
    content = images.render(pages, spec["t"], spec["p"], spec["d"])
    name = f"{spec['k']}-{indicium.tracking_number or indicium.stamps_tx_id}"
    return content, images.content_type(spec["t"]), f"{name}.{images.extension(spec['t'])}"


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
