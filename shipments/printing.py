"""Print jobs: the carrier's label images in the merchant's format, with ShipDesk's packing
slips (R39). ShipDesk never draws a postage label; it places the carrier's images.

Formats (``PrintLayout``): ``4x6`` and ``letter`` are one PDF (a letter sheet holds two
4 x 6 pages side by side: labels, customs forms and packing slips in print order), ``zpl``
one ZPL stream (the carrier's ZPL files one after another), ``png`` the PNG itself, or a
ZIP of PNGs when a job has more than one image. A job is streamed: a batch of 500 labels is
read and written one label at a time (``pdf_merge``).

Packing slips are ShipDesk's own documents (WeasyPrint, one document per job), after each
label ("interleaved") or all after the labels ("separate"); ZPL and PNG jobs leave slips to
their own PDF. Print order: order number, first SKU, or ship-to name.
"""

from __future__ import annotations

import io
import zipfile
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass

from django.template.loader import render_to_string
from django.utils import timezone

from merchants.errors import MerchantError
from merchants.pdf import html_to_pdf
from shipments import label_files, pdf_merge
from shipments.models import LabelFile, PrintLayout, Shipment, ShippingSettings

PDF_LAYOUTS = (PrintLayout.LABEL_4X6, PrintLayout.LETTER)
SORTS: dict[str, Callable[[Shipment], tuple]] = {
    ShippingSettings.SortOrder.ORDER: lambda s: (s.order.number, s.pk),
    ShippingSettings.SortOrder.SKU: lambda s: (_first_sku(s), s.order.number, s.pk),
    ShippingSettings.SortOrder.SHIP_TO: lambda s: (s.to_name.casefold(), s.order.number, s.pk),
}


def _first_sku(shipment: Shipment) -> str:
    skus = sorted(item.sku for item in shipment.order.items.all() if item.sku)
    return skus[0] if skus else "\uffff"  # orders without SKUs print last


@dataclass(frozen=True)
class PrintOptions:
    layout: str = PrintLayout.LABEL_4X6
    slips: bool = False
    slip_mode: str = ShippingSettings.Slips.INTERLEAVED
    sort: str = ShippingSettings.SortOrder.ORDER


@dataclass
class PrintJob:
    content_type: str
    filename: str
    chunks: Iterator[bytes]


class PrintError(MerchantError):
    """Some labels' images could not be had from Stamps.com; nothing was printed."""


def sort_shipments(shipments: Iterable[Shipment], sort: str) -> list[Shipment]:
    return sorted(shipments, key=SORTS.get(sort, SORTS[ShippingSettings.SortOrder.ORDER]))


CHUNK = 100  # labels whose file names are read at a time while a job streams


def gather(shipments: list[Shipment], layout: str) -> None:
    """Make sure every label has its stored files in the layout's format, fetching the
    missing ones from the carrier first (R39), so a stream never fails half way. One query
    for the whole job; the file names themselves are read chunk by chunk (``_files``)."""
    image = label_files.image_for(layout)
    have = set(
        LabelFile.objects.filter(
            shipment_id__in=[s.pk for s in shipments],
            kind=LabelFile.Kind.LABEL,
            image_type=image.image_type,
            paper_size=image.paper_size,
            image_dpi=image.image_dpi,
        ).values_list("shipment_id", flat=True)
    )
    problems = []
    for shipment in shipments:
        if shipment.pk not in have:
            try:
                label_files.files_for(shipment, image)
            except label_files.LabelImageUnavailable as exc:
                problems.append(exc.message)
    if problems:
        raise PrintError(" ".join(problems[:3]) + (" …" if len(problems) > 3 else ""))


def _files(
    shipments: list[Shipment], layout: str
) -> Iterator[tuple[int, Shipment, list[label_files.Stored]]]:
    """Each label's stored files, in print order, looked up ``CHUNK`` labels at a time so a
    job of 500 never holds 500 labels' worth of anything."""
    image = label_files.image_for(layout)
    for start in range(0, len(shipments), CHUNK):
        chunk = shipments[start : start + CHUNK]
        found = label_files.stored_for([s.pk for s in chunk], image)
        for offset, shipment in enumerate(chunk):
            yield start + offset, shipment, found[shipment.pk]


def packing_slips_pdf(shipments: list[Shipment]) -> bytes:
    """ShipDesk's packing slips, one 4 x 6 page per shipment (one store's), in the given
    order, with the order dates in the store's day."""
    # A print file streams after the merchant's request (and its zone) has returned, so the
    # store's zone is named here rather than taken from whoever renders.
    zone = shipments[0].merchant.zone if shipments else timezone.get_current_timezone()
    with timezone.override(zone):
        html = render_to_string("shipments/packing_slips.html", {"shipments": shipments})
    return html_to_pdf(html)


def _pdf(shipments: list[Shipment], options: PrintOptions) -> Iterator[bytes]:
    writer = pdf_merge.PdfStream()
    yield writer.start()
    slips: list[pdf_merge.Placed] = []
    if options.slips:
        chunk, slips = writer.add(pdf_merge.prepare(packing_slips_pdf(shipments)))
        yield chunk
    waiting: list[pdf_merge.Placed] = []  # a letter sheet's left half

    def place(items: list[pdf_merge.Placed]) -> Iterator[bytes]:
        for item in items:
            if options.layout != PrintLayout.LETTER:
                yield writer.single(item)
                continue
            waiting.append(item)
            if len(waiting) == 2:
                yield writer.sheet(waiting[0], waiting[1])
                waiting.clear()

    for index, _shipment, stored in _files(shipments, options.layout):
        for label_file in stored:
            chunk, placed = writer.add(label_files.read_prepared(label_file))
            yield chunk
            yield from place(placed)
        if slips and options.slip_mode == ShippingSettings.Slips.INTERLEAVED:
            yield from place([slips[index]])
    if slips and options.slip_mode != ShippingSettings.Slips.INTERLEAVED:
        yield from place(slips)
    if waiting:
        yield writer.sheet(waiting[0], None)
    yield writer.finish()


def _zpl(shipments: list[Shipment]) -> Iterator[bytes]:
    for _index, _shipment, stored in _files(shipments, PrintLayout.ZPL):
        for label_file in stored:
            data = label_files.read(label_file)
            yield data if data.endswith(b"\n") else data + b"\n"


class _Sink(io.RawIOBase):
    """Where ``zipfile`` writes; drained after each member so the ZIP streams."""

    def __init__(self) -> None:
        self._parts: list[bytes] = []
        self._pos = 0

    def writable(self) -> bool:
        return True

    def write(self, data) -> int:
        self._parts.append(bytes(data))
        self._pos += len(data)
        return len(data)

    def tell(self) -> int:
        return self._pos

    def drain(self) -> bytes:
        out = b"".join(self._parts)
        self._parts.clear()
        return out


def _zip(shipments: list[Shipment], options: PrintOptions) -> Iterator[bytes]:
    sink = _Sink()
    with zipfile.ZipFile(sink, "w", compression=zipfile.ZIP_STORED) as archive:
        for _index, shipment, stored in _files(shipments, PrintLayout.PNG):
            name = shipment.tracking_number or f"label-{shipment.pk}"
            for label_file in stored:
                member = f"{name}-{label_file.kind}-{label_file.part}.png"
                archive.writestr(member, label_files.read(label_file))
                yield sink.drain()
        if options.slips:
            archive.writestr("packing-slips.pdf", packing_slips_pdf(shipments))
    yield sink.drain()


def print_job(shipments: Iterable[Shipment], options: PrintOptions, name: str) -> PrintJob:
    """The print file of ``shipments`` in ``options``' format; raises ``PrintError`` before
    anything is sent when a label's image cannot be had."""
    ordered = sort_shipments(shipments, options.sort)
    layout = options.layout if options.layout in label_files.IMAGES else PrintLayout.LABEL_4X6
    gather(ordered, layout)
    options = PrintOptions(layout, options.slips, options.slip_mode, options.sort)
    if layout in PDF_LAYOUTS:
        return PrintJob("application/pdf", f"{name}.pdf", _pdf(ordered, options))
    if layout == PrintLayout.ZPL:
        return PrintJob("application/zpl", f"{name}.zpl", _zpl(ordered))
    if len(ordered) == 1 and not options.slips:
        (_, _, stored), *_ = _files(ordered, layout)
        if len(stored) == 1:
            return PrintJob("image/png", f"{name}.png", iter([label_files.read(stored[0])]))
    return PrintJob("application/zip", f"{name}.zip", _zip(ordered, options))
