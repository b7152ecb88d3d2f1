"""The sandbox's label images, as CreateIndicium and ReprintIndicium answer them (R39), through
the sandbox's WSDL and Stamps.com's own: ImageType, PaperSize, ImageDpi, ReturnImageData,
FormURL (CN22/CP72), Reference1-3, and links that expire."""

from __future__ import annotations

import io
import re
import uuid
from decimal import Decimal

import pytest
import requests
from PIL import Image
from zeep.exceptions import Fault

from tests.labels_read import page_count, pdf_text, tracking_numbers

from .conftest import cleansed, credentials

pytestmark = pytest.mark.django_db(transaction=True)

FROM = {"FullName": "Ada Lovelace", "Address1": "1990 E Grand Ave", "City": "El Segundo",
        "State": "CA", "ZIPCode": "90245", "Country": "US"}  # fmt: skip
TO = {"FullName": "Alan Turing", "Address1": "2 Main St", "City": "New York", "State": "NY",
      "ZIPCode": "10001", "Country": "US"}  # fmt: skip
ABROAD = {"FullName": "Marie Curie", "Address1": "1 Rue de Rivoli", "City": "Paris",
          "PostalCode": "75001", "Country": "FR"}  # fmt: skip
CUSTOMS = {
    "ContentType": "Gift",
    "CustomsLines": {"CustomsLine": [
        {"Description": "Wool scarf", "Quantity": 2, "Value": 30, "WeightOz": 6,
         "HSTariffNumber": "611710", "CountryOfOrigin": "US"},
    ]},
    "CustomsSigner": "Ada Lovelace",
}  # fmt: skip


@pytest.fixture
def alice(alice):
    """Alice with enough postage for international labels."""
    alice.balance = Decimal("5000.00")
    alice.save(update_fields=["balance"])
    return alice


def buy(service, to=TO, service_type="US-GA", **request):
    rate = {"From": FROM, "To": cleansed(service, to), "WeightLb": 1, "WeightOz": 0,
            "PackageType": "Package", "ServiceType": service_type}  # fmt: skip
    return service.CreateIndicium(
        Credentials=credentials(), IntegratorTxID=str(uuid.uuid4()), Rate=rate, **request
    )


def fetch(url: str) -> requests.Response:
    return requests.get(url, timeout=10)


def test_R39_a_pdf_label_is_4x6_with_a_gs1_128_impb_and_the_sample_mark(swsim, alice):
    answer = buy(swsim, ImageType="Pdf", Reference1="PO 77", Reference3="Fragile")
    response = fetch(answer.URL)
    assert response.headers["Content-Type"] == "application/pdf"
    text = pdf_text(response.content)
    assert "SAMPLE – NOT VALID POSTAGE" in text and "USPS GROUND ADVANTAGE" in text
    assert "Ref1: PO 77" in text and "Ref2: Fragile" in text
    assert answer.Reference1 == "PO 77" and answer.Reference3 == "Fragile"
    assert "$" not in text  # R25
    assert tracking_numbers(response.content) == [answer.TrackingNumber]
    assert answer.FormURL is None  # domestic: no customs form


def test_R39_the_impb_routes_to_the_destination_zip_with_the_420_prefix(swsim, alice):
    from tests.labels_read import barcodes_in_image, pdf_pages

    answer = buy(swsim)
    (page,) = pdf_pages(fetch(answer.URL).content)
    (code,) = barcodes_in_image(page)
    assert code.startswith("42010001") and code.endswith("\x1d" + answer.TrackingNumber)


@pytest.mark.parametrize(
    ("image_type", "dpi", "size"),
    [
        ("Png", "ImageDpi300", (1200, 1800)),
        ("Png", "ImageDpi203", (812, 1218)),
        ("Gif", "ImageDpi150", (600, 900)),
        ("PngMonochrome", "ImageDpi200", (800, 1200)),
    ],
)
def test_R39_raster_labels_come_in_the_asked_kind_and_resolution(
    swsim, alice, image_type, dpi, size
):
    answer = buy(swsim, ImageType=image_type, ImageDpi=dpi)
    image = fetch(answer.URL).content
    assert Image.open(io.BytesIO(image)).size == size
    png = io.BytesIO()
    Image.open(io.BytesIO(image)).convert("L").save(png, "PNG")
    assert tracking_numbers(png.getvalue()) == [answer.TrackingNumber]


def test_R39_zpl_labels_are_text_for_thermal_printers(swsim, alice):
    answer = buy(swsim, ImageType="Zpl", ImageDpi="ImageDpi203")
    zpl = fetch(answer.URL).text
    assert zpl.startswith("^XA") and "^PW812" in zpl and "^LL1218" in zpl
    # FNC1, 420 + the cleansed ZIP+4, FNC1, the tracking number: GS1-128 in ZPL's own terms.
    assert re.search(rf"\^BCN,\d+,N,N,N\^FD>;>842010001\d{{4}}>8{answer.TrackingNumber}\^FS", zpl)
    assert "^BX" in zpl  # the 2D indicium stand-in
    assert "^POI" in fetch(buy(swsim, ImageType="BZpl").URL).text  # printed upside down


def test_R39_letter_paper_and_image_data_instead_of_a_link(swsim, alice):
    letter = fetch(buy(swsim, PaperSize="Letter85x11").URL).content
    assert tracking_numbers(letter)
    from pypdf import PdfReader

    box = PdfReader(io.BytesIO(letter)).pages[0].mediabox
    assert (float(box.width), float(box.height)) == (612, 792)
    inline = buy(swsim, ImageType="Pdf", ReturnImageData=True)
    assert inline.URL in ("", None)
    (image,) = inline.ImageData.base64Binary
    assert tracking_numbers(image) == [inline.TrackingNumber]


def test_R39_image_links_expire_like_the_carriers(swsim, alice, settings):
    answer = buy(swsim)
    assert fetch(answer.URL).status_code == 200
    settings.STAMPS_SANDBOX_IMAGE_TTL = 0
    expired = fetch(answer.URL)
    assert expired.status_code == 403 and "expired" in expired.text
    forged = fetch(answer.URL.replace("/label.pdf", "x/label.pdf"))
    assert forged.status_code in (403, 404)


def test_R39_international_labels_answer_a_cn22_or_cp72_form_url(swsim, alice):
    gift = buy(swsim, to=ABROAD, service_type="US-PMI", Customs=CUSTOMS)
    form = fetch(gift.FormURL).content
    assert "CUSTOMS DECLARATION CN 22" in pdf_text(form) and "Wool scarf" in pdf_text(form)
    assert tracking_numbers(form) == [gift.TrackingNumber]
    costly = {**CUSTOMS, "CustomsLines": {"CustomsLine": [
        {"Description": "Camera", "Quantity": 1, "Value": 900, "WeightOz": 20}]}}  # fmt: skip
    dispatch = buy(
        swsim, to=ABROAD, service_type="US-PMI", Customs=costly, nonDeliveryOption="Abandon"
    )
    text = pdf_text(fetch(dispatch.FormURL).content)
    assert "DISPATCH NOTE CP 72" in text and "[X] Treat as abandoned" in text
    zpl_form = fetch(buy(swsim, to=ABROAD, service_type="US-PMI", Customs=CUSTOMS,
                         ImageType="Zpl").FormURL).text  # fmt: skip
    assert zpl_form.startswith("^XA") and "CN 22" in zpl_form


def test_customs_forms_with_many_lines_run_to_more_pages(swsim, alice):
    lines = [{"Description": f"Item {i}", "Quantity": 1, "Value": 5} for i in range(10)]
    customs = {**CUSTOMS, "CustomsLines": {"CustomsLine": lines}}
    answer = buy(swsim, to=ABROAD, service_type="US-PMI", Customs=customs)
    assert page_count(fetch(answer.FormURL).content) == 2


def test_reprint_indicium_draws_the_same_label_again_in_another_kind_without_charging(swsim, alice):
    from carriers.stamps.sandbox import api

    answer = buy(swsim)
    balance = api.get_balance("alice")
    reprint = swsim.ReprintIndicium(
        indiciumRequest={
            "Credentials": credentials(),
            "StampsTxId": answer.StampsTxID,
            "ImageType": "Zpl",
            "RotationDegrees": 0,
            "StartRow": 1,
            "StartColumn": 1,
        }
    )
    result = reprint.ReprintIndiciumResult if hasattr(reprint, "ReprintIndiciumResult") else reprint
    assert result.TrackingNumber == answer.TrackingNumber and result.Authenticator
    assert f">8{answer.TrackingNumber}^FS" in fetch(result.Url).text
    assert api.get_balance("alice") == balance and len(api.indicia("alice")) == 1


def test_reprint_is_refused_for_a_voided_label_and_unknown_kinds_are_refused(swsim, alice):
    answer = buy(swsim)
    swsim.CancelIndicium(
        Credentials=credentials(), _value_1=[{"StampsTxIDs": {"guid": [answer.StampsTxID]}}]
    )
    with pytest.raises(Fault, match="refunded and cannot be printed again"):
        swsim.ReprintIndicium(
            indiciumRequest={
                "Credentials": credentials(),
                "StampsTxId": answer.StampsTxID,
                "RotationDegrees": 0,
                "StartRow": 1,
                "StartColumn": 1,
            }
        )
    with pytest.raises(Fault, match="Epl"):
        buy(swsim, ImageType="Epl")
