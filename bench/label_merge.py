"""Printing a batch of 500 carrier labels as one file (R39), against reading them.

The carrier's images are drawn once by the sandbox's label renderer (as CreateIndicium would
answer them) and stored the way a purchase stores them (``shipments.label_files``: Django
storage, with each PDF's prepared form). Then, in one run:

- read: opening and reading the 500 stored label files through storage (the baseline);
- PDF: ``shipments.printing.print_job`` for the 500 labels, 4 x 6 and two-up letter,
  consumed chunk by chunk as the HTTP response would be;
- ZPL: the same for 500 ZPL labels, against reading those.

Target: merging adds at most 2x the read time (the job's time at most 3x the read time).
Memory: the peak traced while streaming 500 labels against 100; what each extra label adds
must stay under half a printed label's bytes (pages are never kept, only ids and offsets).
Run: python -m bench label_merge
"""

from __future__ import annotations

import os
import time
import tracemalloc

LABELS = 500
RUNS = 5


def _store_labels(merchant, count: int, image_type: str) -> list:
    """``count`` bought shipments whose carrier label (``image_type``) is in storage."""
    import datetime as dt
    import types
    import uuid

    from carriers.stamps.sandbox import label_images
    from carriers.stamps.types import LabelImage
    from shipments import label_files
    from shipments.models import Shipment
    from tests.factories import make_carrier_account, make_order

    account = make_carrier_account(merchant, nickname=f"Bench {image_type}")
    image = label_files.image_for("zpl" if image_type == "Zpl" else "4x6")
    assert isinstance(image, LabelImage)
    shipments = []
    for i in range(count):
        tracking = f"9400111{i:015d}"
        order = make_order(merchant, f"{image_type}-{i:04d}", status="shipped")
        shipment = Shipment.objects.create(
            merchant=merchant,
            order=order,
            account=account,
            service="US-GA",
            package_type="Package",
            ship_date=dt.date(2026, 6, 10),
            tracking_number=tracking,
            stamps_tx_id=str(uuid.uuid4()),
            status=Shipment.Status.BOUGHT,
            to_name=order.recipient_name,
            image_type=image.image_type,
            paper_size=image.paper_size,
            image_dpi=image.image_dpi,
        )
        indicium = types.SimpleNamespace(
            rate={
                "From": {"FullName": "Bench Sender", "ZIPCode": "60614"},
                "To": {
                    "FullName": order.recipient_name,
                    "Address1": order.street1,
                    "City": order.city,
                    "State": order.state,
                    "ZIPCode": "10001",
                },
                "WeightLb": 1,
            },  # fmt: skip
            service_type="US-GA",
            package_type="Package",
            ship_date=dt.date(2026, 6, 10),
            tracking_number=tracking,
            stamps_tx_id=shipment.stamps_tx_id,
            label_category="Domestic",
            label_options={},
            customs=None,
        )
        data = label_images.label_data(indicium)
        drawn = label_images.render(
            [label_images.label_page(data)], image.image_type, image.paper_size, image.image_dpi
        )
        label_files.keep_answer(shipment, (drawn,))
        shipments.append(shipment)
    return shipments


def _read_all(shipments) -> float:
    from shipments import label_files
    from shipments.models import LabelFile

    started = time.perf_counter()
    rows = LabelFile.objects.filter(shipment_id__in=[s.pk for s in shipments]).values_list("file")
    for (name,) in rows.iterator(chunk_size=500):
        label_files.read(label_files.Stored(0, "label", 1, name, ""))
    return time.perf_counter() - started


def _job(shipments, layout: str) -> tuple[float, int]:
    from shipments import printing

    started = time.perf_counter()
    size = 0
    job = printing.print_job(shipments, printing.PrintOptions(layout=layout), "bench")
    for chunk in job.chunks:
        size += len(chunk)
    return time.perf_counter() - started, size


def _peak(shipments, layout: str) -> int:
    tracemalloc.start()
    try:
        _job(shipments, layout)
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def main() -> int:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "shipdesk.settings")
    import django

    django.setup()
    from django.conf import settings
    from django_q.conf import Conf

    from bench._db import throwaway_db

    Conf.SYNC = True  # the worker's part of storing a label (preparing PDFs) runs inline
    failed = 0
    with throwaway_db("bench_label_merge") as folder:
        settings.MEDIA_ROOT = str(folder / "media")
        from shipments.models import Shipment
        from tests.factories import make_merchant

        merchant = make_merchant("Bench Labels", owner_email="labels@bench.test")
        started = time.perf_counter()
        pdfs = _store_labels(merchant, LABELS, "Pdf")
        zpls = _store_labels(merchant, LABELS, "Zpl")
        print(f"stored {2 * LABELS} carrier labels in {time.perf_counter() - started:.1f} s")
        jobs_pdf_size = 1
        pdfs = list(Shipment.objects.filter(pk__in=[s.pk for s in pdfs]).select_related("order"))
        zpls = list(Shipment.objects.filter(pk__in=[s.pk for s in zpls]).select_related("order"))

        for name, shipments, layout in (
            ("PDF 4x6", pdfs, "4x6"),
            ("PDF letter two-up", pdfs, "letter"),
            ("ZPL", zpls, "zpl"),
        ):
            reads = [_read_all(shipments) for _ in range(RUNS)]
            jobs = [_job(shipments, layout) for _ in range(RUNS)]
            # The best of each: the machine is shared, and noise only ever adds time.
            read = min(reads)
            job = min(t for t, _ in jobs)
            ratio = job / read
            verdict = "ok" if ratio <= 3.0 else "FAIL"
            print(
                f"{name}: {LABELS} labels merged in {job * 1000:.0f} ms "
                f"({jobs[0][1] / 1e6:.1f} MB), reading them {read * 1000:.0f} ms: "
                f"{ratio:.2f}x the read time (merging adds {ratio - 1:.2f}x; target <= 2x) "
                f"{verdict}"
            )
            failed |= ratio > 3.0
            if layout == "4x6":
                jobs_pdf_size = jobs[0][1]
        small, big = _peak(pdfs[:100], "4x6"), _peak(pdfs, "4x6")
        per_label = (big - small) / (LABELS - 100)
        label_bytes = jobs_pdf_size / LABELS
        # Pages kept in memory would add at least a label's bytes per label; ids, sort keys
        # and xref offsets add a few hundred bytes.
        flat = per_label <= label_bytes / 2
        print(
            f"memory while streaming: peak {small / 1e6:.2f} MB for 100 labels, "
            f"{big / 1e6:.2f} MB for {LABELS}: {per_label:.0f} bytes more per label against "
            f"{label_bytes:.0f} bytes per label printed "
            f"{'(no pages kept: ok)' if flat else 'FAIL: pages are kept in memory'}"
        )
        failed |= not flat
    return int(failed)
