"""The carrier's label images, kept in ShipDesk's storage (R39).

What prints is always the image Stamps.com issued, in the format the merchant prints in:

1. ``buy_label`` asks CreateIndicium for the buyer's format (``image_for``) and records the
   answer's links (``URL``, ``FormURL``) with the label, in the purchase's transaction.
2. Right after, off the buyer's wait, the purchase's follow-up job
   (``shipments.labels.after_purchase``) downloads the label (and its customs form) once
   into storage as ``LabelFile`` rows (``keep_images``); an image the answer carried
   inline is stored at once (``keep_answer``).
3. Whoever prints later reads ``files_for``: the stored copy; a copy never stored (the
   download was lost) is fetched again from the recorded link, and once that link has
   expired, or when another format is wanted (the store moved to ZPL), the carrier is asked
   for the same label's image (ReprintIndicium). Nothing here ever buys a label, and nothing
   here draws one.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import NamedTuple

from django.contrib.auth.models import User
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction

from carriers.stamps import errors
from carriers.stamps.accounts import call
from carriers.stamps.client import download_image
from carriers.stamps.types import LabelImage
from shipments import pdf_merge
from shipments.models import LabelFile, PrintLayout, Shipment, ShippingSettings
from shipments.models import UserPrintPreference as UserPref

log = logging.getLogger(__name__)

# What the carrier is asked for in each print layout. A letter sheet holds two 4 x 6 faces:
# ShipDesk places the carrier's 4 x 6 PDF pages two to a sheet, so it asks for 4 x 6.
IMAGES: dict[str, LabelImage] = {
    PrintLayout.LABEL_4X6: LabelImage("Pdf", "LabelSize", "ImageDpiDefault"),
    PrintLayout.LETTER: LabelImage("Pdf", "LabelSize", "ImageDpiDefault"),
    PrintLayout.PNG: LabelImage("Png", "LabelSize", "ImageDpi300"),
    PrintLayout.ZPL: LabelImage("Zpl", "LabelSize", "ImageDpi203"),
}
EXTENSIONS = {"Pdf": "pdf", "Png": "png", "Zpl": "zpl"}


class LabelImageUnavailable(Exception):
    """Neither the stored copy, the recorded link nor a reprint gave the image (yet)."""

    def __init__(self, message: str, *, permanent: bool = False) -> None:
        super().__init__(message)
        self.message = message
        self.permanent = permanent


def layout_for(merchant, user: User | None) -> str:
    """The person's own format at this store, else the store's."""
    if user is not None and user.is_authenticated:
        own = (
            UserPref.objects.filter(merchant=merchant, user=user)
            .values_list("layout", flat=True)
            .first()
        )
        if own:
            return own
    return ShippingSettings.get_for(merchant).layout


def image_for(layout: str) -> LabelImage:
    return IMAGES.get(layout, IMAGES[PrintLayout.LABEL_4X6])


def bought_image(shipment: Shipment) -> LabelImage:
    return LabelImage(
        shipment.image_type or "Pdf",
        shipment.paper_size or "LabelSize",
        shipment.image_dpi or "ImageDpiDefault",
    )


def _stored(shipment: Shipment, image: LabelImage) -> list[LabelFile]:
    return list(
        LabelFile.objects.filter(
            shipment=shipment,
            image_type=image.image_type,
            paper_size=image.paper_size,
            image_dpi=image.image_dpi,
        )
    )


def _save(shipment: Shipment, image: LabelImage, kind: str, part: int, data: bytes) -> None:
    ext = EXTENSIONS.get(image.image_type, "bin")
    row = LabelFile(
        shipment=shipment,
        kind=kind,
        image_type=image.image_type,
        paper_size=image.paper_size,
        image_dpi=image.image_dpi,
        part=part,
        size=len(data),
    )
    name = f"{kind}-{shipment.integrator_tx_id}-{image.image_type.lower()}-{part}.{ext}"
    row.file.save(name, ContentFile(data), save=False)
    try:
        with transaction.atomic():
            row.save()
    except IntegrityError:
        # Another request stored the same image a moment ago: keep theirs.
        row.file.delete(save=False)
        return
    if image.image_type == "Pdf":
        # Prepared for merging by a worker, off the purchase's path; a print that comes
        # first prepares it itself (``read_prepared``).
        from django_q.tasks import async_task

        async_task("shipments.label_files.prepare", row.pk, task_name=f"prepare-label-{row.pk}")


def prepare(label_file_id: int) -> None:
    """Keep the prepared form of a stored carrier PDF (``pdf_merge.prepare``)."""
    row = LabelFile.objects.filter(pk=label_file_id, prepared="").first()
    if row is None:
        return
    try:
        prepared = pdf_merge.prepare(read(row))
    except Exception:  # an unreadable PDF is prepared again (and reported) when printed
        log.warning("label file %s: the carrier's PDF could not be prepared", row.pk)
        return
    base = (row.file.name or "label").rsplit("/", 1)[-1]
    row.prepared.save(f"{base}.sdpf", ContentFile(prepared), save=False)
    LabelFile.objects.filter(pk=row.pk, prepared="").update(prepared=row.prepared.name)


@dataclass(frozen=True)
class _Images:
    label: tuple[bytes, ...]
    form: tuple[bytes, ...]


def _from_links(shipment: Shipment) -> _Images:
    label_urls = shipment.carrier_label_url.split()
    if not label_urls:
        raise errors.LabelImageExpired("no link recorded", operation="GetImage")
    label = tuple(download_image(url) for url in label_urls)
    form_urls = shipment.carrier_form_url.split()
    form = tuple(download_image(url) for url in form_urls)
    return _Images(label, form)


def _reprinted(shipment: Shipment, image: LabelImage) -> _Images:
    # The image comes inline (ReturnImageData): no second link that could expire too.
    answer = call(
        shipment.account,
        lambda c: c.reprint_indicium(shipment.stamps_tx_id, image, return_image_data=True),
    )
    label = answer.image_data or tuple(download_image(u) for u in answer.url.split())
    form = tuple(download_image(u) for u in answer.form_url.split())
    return _Images(label, form)


def _fetch(shipment: Shipment, image: LabelImage) -> list[LabelFile]:
    """Fetch and store ``image`` of the label: from the links recorded at purchase when they
    are for that format, else (or once they expired) from ReprintIndicium."""
    images: _Images | None = None
    if image == bought_image(shipment) and shipment.carrier_label_url:
        try:
            images = _from_links(shipment)
        except errors.LabelImageExpired:
            images = None  # ask the carrier again below
    if images is None:
        images = _reprinted(shipment, image)
    for kind, parts in ((LabelFile.Kind.LABEL, images.label), (LabelFile.Kind.FORM, images.form)):
        for part, data in enumerate(parts, 1):
            _save(shipment, image, kind, part, data)
    return _stored(shipment, image)


def files_for(shipment: Shipment, image: LabelImage) -> list[LabelFile]:
    """The label's stored files in ``image``'s format, label pages first, then its customs
    form; fetched (never bought, never drawn) when not stored yet. Raises
    ``LabelImageUnavailable`` when the carrier cannot give them now."""
    if shipment.status != Shipment.Status.BOUGHT:
        raise LabelImageUnavailable("Only created labels can be printed.", permanent=True)
    found = _stored(shipment, image)
    if not any(f.kind == LabelFile.Kind.LABEL for f in found):
        try:
            found = _fetch(shipment, image)
        except errors.StampsError as exc:
            raise LabelImageUnavailable(
                f"ShipDesk couldn't get label {shipment.tracking_number or shipment.pk}'s "
                f"image from Stamps.com. {exc.merchant_message}",
                permanent=exc.permanent,
            ) from exc
    return sorted(found, key=lambda f: (f.kind != LabelFile.Kind.LABEL, f.part))


def keep_answer(shipment: Shipment, image_data: tuple[bytes, ...]) -> bool:
    """Store the label just bought: the images the answer carried (ReturnImageData), else
    those behind its links."""
    if image_data:
        for part, data in enumerate(image_data, 1):
            _save(shipment, bought_image(shipment), LabelFile.Kind.LABEL, part, data)
    return keep_images(shipment)


def keep_images(shipment: Shipment) -> bool:
    """Store the carrier's image of a label just bought. A failure is logged, not raised:
    the label is bought and paid for, and the next print fetches the image again."""
    try:
        files_for(shipment, bought_image(shipment))
    except LabelImageUnavailable as exc:
        log.warning("label %s: image not stored yet: %s", shipment.pk, exc.message)
        return False
    return True


class Stored(NamedTuple):
    """A stored file by name only: a batch of 500 keeps 500 of these, not 500 model rows."""

    pk: int
    kind: str
    part: int
    name: str
    prepared: str


def stored(label_file: LabelFile) -> Stored:
    return Stored(
        label_file.pk,
        label_file.kind,
        label_file.part,
        label_file.file.name or "",
        label_file.prepared.name or "",
    )


def stored_for(shipment_ids: list[int], image: LabelImage) -> dict[int, list[Stored]]:
    """The stored files of many labels in one query, label pages before form pages."""
    found: dict[int, list[Stored]] = {pk: [] for pk in shipment_ids}
    rows = (
        LabelFile.objects.filter(
            shipment_id__in=shipment_ids,
            image_type=image.image_type,
            paper_size=image.paper_size,
            image_dpi=image.image_dpi,
        )
        .order_by("shipment_id", "-kind", "part")  # "label" sorts after "form"
        .values_list("shipment_id", "pk", "kind", "part", "file", "prepared")
    )
    for shipment_id, *fields in rows.iterator(chunk_size=500):
        found[shipment_id].append(Stored(*fields))
    return found


def _storage():
    return LabelFile._meta.get_field("file").storage


def read(item: LabelFile | Stored) -> bytes:
    name = item.file.name if isinstance(item, LabelFile) else item.name
    with _storage().open(name, "rb") as handle:
        return handle.read()


def read_prepared(item: Stored) -> bytes:
    """The PDF's prepared form (``pdf_merge``), made and kept now if no worker made it yet."""
    name: str | None = item.prepared
    if not name:
        prepare(item.pk)
        name = LabelFile.objects.filter(pk=item.pk).values_list("prepared", flat=True).first()
    if not name:  # the PDF could not be prepared: merged straight from the carrier's file
        return pdf_merge.prepare(read(item))
    with _storage().open(name, "rb") as handle:
        return handle.read()
