"""R39: what prints is the carrier's own label image, in the merchant's format, kept once in
storage and fetched again (never bought again) when the copy is lost; customs forms print
with international and APO/FPO labels; label messages print on the label."""

from __future__ import annotations

import io
from decimal import Decimal

import pytest
from django.test import Client
from django.urls import reverse
from pypdf import PdfReader

from carriers.models import CarrierCall
from carriers.stamps import errors
from funding.models import LedgerEntry
from merchants import pdf as merchant_pdf
from merchants.permissions import Role
from shipments import label_files, labels, printing
from shipments.models import LabelFile, Shipment, ShippingSettings, UserPrintPreference
from tests.factories import make_member
from tests.labels_read import page_count, pdf_text, tracking_numbers
from tests.shipments.conftest import international

pytestmark = pytest.mark.django_db(transaction=True)


def printed(shipments, layout="4x6", **options) -> bytes:
    job = printing.print_job(shipments, printing.PrintOptions(layout=layout, **options), "t")
    return b"".join(job.chunks)


def store_prints(merchant, layout: str) -> None:
    prefs = ShippingSettings.get_for(merchant)
    prefs.layout = layout
    prefs.save()


def carrier_calls(operation: str) -> int:
    return CarrierCall.objects.filter(operation=operation).count()


def content_streams(data: bytes) -> list[bytes]:
    """The drawing instructions of each page, or of each XObject a page places."""
    found: list[bytes] = []
    for page in PdfReader(io.BytesIO(data)).pages:
        resources = page.get("/Resources")
        xobjects = resources.get_object().get("/XObject") if resources else None
        if xobjects:
            found += [xobjects[name].get_object().get_data() for name in xobjects]
        else:
            contents = page.get_contents()
            assert contents is not None
            found.append(contents.get_data())
    return found


def test_R39_the_printed_label_is_the_carriers_drawing_not_shipdesks(
    stamps, account, make_shippable, monkeypatch
):
    shipment = labels.buy_label(make_shippable(), account, "US-GA")
    (stored,) = shipment.files.all()
    carrier_pdf = label_files.read(stored)

    def no_own_labels(*args, **kwargs):
        raise AssertionError("ShipDesk rendered a document while printing a postage label")

    # Labels without packing slips never go through ShipDesk's own HTML-to-PDF renderer...
    monkeypatch.setattr(merchant_pdf, "html_to_pdf", no_own_labels)
    monkeypatch.setattr(printing, "html_to_pdf", no_own_labels)
    for layout in ("4x6", "letter"):
        data = printed([shipment], layout)
        # ...and the page carries the carrier's drawing instruction for instruction.
        assert content_streams(data) == content_streams(carrier_pdf)
        assert "SAMPLE – NOT VALID POSTAGE" in pdf_text(data)  # the sandbox's mark
        assert tracking_numbers(data) == [shipment.tracking_number]


def test_R39_a_label_is_bought_in_the_stores_format_and_the_shipment_records_it(
    stamps, account, make_shippable, merchant
):
    store_prints(merchant, "zpl")
    shipment = labels.buy_label(make_shippable(), account, "US-PM")
    assert (shipment.image_type, shipment.paper_size, shipment.image_dpi) == (
        "Zpl",
        "LabelSize",
        "ImageDpi203",
    )
    zpl = printed([shipment], "zpl").decode()
    zip_code = shipment.order.postal_code[:5]
    assert zpl.startswith("^XA") and zpl.count("^XZ") == 1
    # The IMpb as a native GS1-128 field: FNC1 420 + ZIP, FNC1, the tracking number.
    assert f"^FD>;>8420{zip_code}" in zpl and f">8{shipment.tracking_number}^FS" in zpl
    assert "SAMPLE – NOT VALID POSTAGE" in zpl


def test_R39_png_labels_scan_to_the_carriers_tracking_number(stamps, account, make_shippable):
    shipment = labels.buy_label(make_shippable(), account, "US-GA")
    image = printed([shipment], "png")
    assert image.startswith(b"\x89PNG")
    assert tracking_numbers(image) == [shipment.tracking_number]
    assert carrier_calls("ReprintIndicium") == 1  # the PNG was asked of the carrier


def test_R39_a_lost_download_is_fetched_again_from_the_link_never_bought_again(
    stamps, account, make_shippable, monkeypatch
):
    def lost(url, timeout=None):
        raise errors.CarrierUnavailable("connection reset", operation="GetImage")

    with monkeypatch.context() as patch:
        patch.setattr(label_files, "download_image", lost)
        shipment = labels.buy_label(make_shippable(), account, "US-GA")
    assert shipment.status == Shipment.Status.BOUGHT and not shipment.files.exists()
    assert tracking_numbers(printed([shipment])) == [shipment.tracking_number]
    assert shipment.files.count() == 1
    assert carrier_calls("ReprintIndicium") == 0  # the link still worked
    assert len(stamps.indicia(account.username)) == 1
    assert LedgerEntry.objects.filter(kind=LedgerEntry.Kind.LABEL).count() == 1


def test_R39_once_the_link_expired_the_label_is_asked_for_again_not_bought_again(
    stamps, account, make_shippable, settings
):
    shipment = labels.buy_label(make_shippable(), account, "US-GA")
    shipment.files.all().delete()
    settings.STAMPS_SANDBOX_IMAGE_TTL = 0  # every link the sandbox gave has expired
    assert tracking_numbers(printed([shipment])) == [shipment.tracking_number]
    assert carrier_calls("ReprintIndicium") == 1
    assert len(stamps.indicia(account.username)) == 1
    account.refresh_from_db()
    assert account.balance == stamps.get_balance(account.username)


def test_R39_switching_the_store_to_zpl_reprints_the_same_label_in_zpl(
    stamps, account, make_shippable, merchant, owner_client
):
    shipment = labels.buy_label(make_shippable(), account, "US-PM")
    store_prints(merchant, "zpl")
    response = owner_client.get(reverse("shipments:label", args=[shipment.pk]))
    zpl = b"".join(response.streaming_content).decode()
    assert response["Content-Type"] == "application/zpl"
    assert f">8{shipment.tracking_number}^FS" in zpl
    assert len(stamps.indicia(account.username)) == 1
    assert sorted(shipment.files.values_list("image_type", flat=True)) == ["Pdf", "Zpl"]


def test_a_persons_own_format_wins_over_the_stores(
    stamps, account, make_shippable, merchant, owner, owner_client
):
    shipment = labels.buy_label(make_shippable(), account, "US-GA")
    response = owner_client.post(reverse("shipments:my-printing"), {"layout": "png"})
    assert response.status_code == 302
    assert UserPrintPreference.objects.get(user=owner).layout == "png"
    image = owner_client.get(reverse("shipments:label", args=[shipment.pk]))
    assert image["Content-Type"] == "image/png"
    assert tracking_numbers(b"".join(image.streaming_content)) == [shipment.tracking_number]


@pytest.mark.parametrize(
    ("layout", "pages"),
    [("4x6", 3), ("letter", 2)],
)
def test_R39_a_batch_prints_as_one_pdf_in_the_chosen_order(
    stamps, account, make_shippable, layout, pages
):
    bought = [
        labels.buy_label(make_shippable(number=n), account, "US-GA") for n in ("C-3", "A-1", "B-2")
    ]
    data = printed(bought, layout)
    assert page_count(data) == pages
    expected = [s.tracking_number for s in sorted(bought, key=lambda s: s.order.number)]
    found = tracking_numbers(data)
    if layout == "letter":  # the first sheet holds the first two, in either reading order
        assert sorted(found[:2]) == sorted(expected[:2]) and found[2:] == expected[2:]
    else:
        assert found == expected


def test_batches_sort_by_sku_or_ship_to_and_zpl_batches_are_one_stream(
    stamps, account, make_shippable
):
    first = labels.buy_label(make_shippable(recipient_name="Zoe Last"), account, "US-GA")
    second = labels.buy_label(make_shippable(recipient_name="Abe First"), account, "US-GA")
    first.order.items.update(sku="AAA")
    second.order.items.update(sku="ZZZ")
    for sort, expected in (("sku", [first, second]), ("ship_to", [second, first])):
        zpl = printed([first, second], "zpl", sort=sort).decode()
        positions = [zpl.index(s.tracking_number) for s in expected]
        assert positions == sorted(positions) and zpl.count("^XA") == 2


def test_packing_slips_print_after_each_label_or_all_after_the_labels(
    stamps, account, make_shippable
):
    a = labels.buy_label(make_shippable(number="A-1"), account, "US-GA")
    b = labels.buy_label(make_shippable(number="B-2"), account, "US-GA")
    interleaved = printed([a, b], slips=True, slip_mode="interleaved")
    separate = printed([a, b], slips=True, slip_mode="separate")
    for data in (interleaved, separate):
        assert page_count(data) == 4
    pages = [p for p in pdf_text(interleaved).split("\f") if p.strip()]
    assert ["Packing slip" in p for p in pages] == [False, True, False, True]
    pages = [p for p in pdf_text(separate).split("\f") if p.strip()]
    assert ["Packing slip" in p for p in pages] == [False, False, True, True]


def test_R39_international_labels_print_with_their_cn22_customs_form(
    stamps, account, make_shippable
):
    shipment = labels.buy_label(make_shippable(**international()), account, "US-PMI")
    assert shipment.carrier_form_url
    data = printed([shipment])
    assert page_count(data) == 2
    text = pdf_text(data)
    assert "CUSTOMS DECLARATION CN 22" in text and "Item 0" in text
    # The label and its form both carry the tracking number.
    assert tracking_numbers(data) == [shipment.tracking_number] * 2
    zpl = printed([shipment], "zpl").decode()
    assert zpl.count("^XA") == 2 and "CUSTOMS DECLARATION CN 22" in zpl


def test_R39_valuable_international_contents_get_the_cp72_dispatch_note(
    stamps, account, make_shippable
):
    order = make_shippable(**international(non_delivery="abandon"))
    order.items.update(unit_price=Decimal("450.00"))
    shipment = labels.buy_label(order, account, "US-PMI")
    text = pdf_text(printed([shipment]))
    assert "DISPATCH NOTE CP 72" in text and "[X] Treat as abandoned" in text


def test_R39_apo_fpo_labels_print_with_a_customs_form(stamps, account, make_shippable):
    order = make_shippable(
        recipient_name="Dana Rivera",
        street1="Unit 2050 Box 4190",
        city="APO",
        state="AE",
        postal_code="09012",
        service="US-PM",
    )
    shipment = labels.buy_label(order, account, "US-PM")
    data = printed([shipment], "letter")
    assert page_count(data) == 1  # the label and its form side by side on one sheet
    assert "CUSTOMS DECLARATION CN 22" in pdf_text(data)
    assert tracking_numbers(data)[0] == shipment.tracking_number


def test_R17_label_messages_print_on_the_label_as_reference_1_to_3(stamps, account, make_shippable):
    order = make_shippable(label_message_1="Fragile", label_message_3="Gift wrap")
    shipment = labels.buy_label(order, account, "US-GA")
    text = pdf_text(printed([shipment]))
    assert "Ref1: Fragile" in text and "Ref2: Gift wrap" in text


def test_the_print_queue_shows_what_waits_and_reprints_what_printed(
    stamps, account, make_shippable, owner_client
):
    shipment = labels.buy_label(make_shippable(), account, "US-GA")
    page = owner_client.get(reverse("shipments:queue"))
    assert page.text.count('data-testid="waiting-row"') == 1
    owner_client.post(reverse("shipments:print"), {"shipment": [shipment.pk], "from": "queue"})
    page = owner_client.get(reverse("shipments:queue"))
    assert 'data-testid="waiting-row"' not in page.text
    assert page.text.count('data-testid="printed-row"') == 1
    assert reverse("shipments:label", args=[shipment.pk]) in page.text


def test_looking_at_a_label_leaves_it_waiting_and_only_printing_it_marks_it_printed(
    stamps, account, make_shippable, owner_client, merchant
):
    """A GET changes nothing: a viewer opening a label, a link preview or a link from another
    site took the label off the print queue as printed. Printing is the Print buttons' POST,
    for the roles that print (Perm.LABELS); it still serves the file."""
    shipment = labels.buy_label(make_shippable(), account, "US-GA")
    label_url = reverse("shipments:label", args=[shipment.pk])
    viewer = Client()
    viewer.force_login(make_member(merchant, "viewer@acme.test", role=Role.VIEWER))
    for client in (viewer, owner_client):
        assert client.get(label_url).status_code == 200
        looked = client.get(reverse("shipments:print"), {"shipment": [shipment.pk]})
        assert looked.status_code == 200 and looked["Content-Type"] == "application/pdf"
    assert viewer.post(label_url).status_code == 403
    shipment.refresh_from_db()
    assert shipment.printed_at is None
    assert owner_client.get(reverse("shipments:queue")).text.count('data-testid="waiting-row"') == 1

    printed_now = owner_client.post(f"{label_url}?layout=zpl")
    assert printed_now.status_code == 200 and printed_now["Content-Type"] == "application/zpl"
    assert f">8{shipment.tracking_number}^FS" in b"".join(printed_now.streaming_content).decode()
    shipment.refresh_from_db()
    assert shipment.printed_at is not None


def test_a_label_the_carrier_cannot_give_now_is_explained_not_a_server_error(
    stamps, account, make_shippable, owner_client, monkeypatch
):
    shipment = labels.buy_label(make_shippable(), account, "US-GA")
    shipment.files.all().delete()

    def down(url, timeout=None):
        raise errors.CarrierUnavailable("timeout", operation="GetImage")

    monkeypatch.setattr(label_files, "download_image", down)
    response = owner_client.get(reverse("shipments:label", args=[shipment.pk]), follow=True)
    assert response.status_code == 200
    assert "image from Stamps.com" in response.text and "Try again" in response.text
    assert not LabelFile.objects.exists()


def test_R17_an_automation_rule_sets_label_messages_that_print_on_the_label(
    stamps, account, merchant, ship_from
):
    from orders import importing
    from orders.models import Order
    from tests.factories import make_rule
    from tests.orders.test_import_csv import csv_text, row

    make_rule(merchant, "Fragile goods", actions={"label_message_1": "Handle with care"})
    importing.import_csv(merchant, csv_text(row("R-1")))
    order = Order.objects.get(number="R-1")
    assert order.label_message_1 == "Handle with care"
    order.ship_from = ship_from
    order.service, order.package_type, order.weight_lb = "US-GA", "Package", 1
    order.save()
    shipment = labels.buy_label(order, account, "US-GA")
    assert "Ref1: Handle with care" in pdf_text(printed([shipment]))
