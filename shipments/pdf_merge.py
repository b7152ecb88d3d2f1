"""One PDF out of many, written as it goes (R39: the carrier's pages, never redrawn).

A batch of 500 labels is 500 small PDFs from Stamps.com. Parsing 500 PDFs on every print
would cost far more than reading them, so each carrier PDF is *prepared* once, when it is
stored: ``prepare`` (pypdf) turns each of its pages into a Form XObject that carries the
carrier's own content stream and resources unchanged, and writes those objects out with
relocatable object numbers. Printing then only reads the prepared files and renumbers
references (a regular expression over the short dictionary text, never over stream data):

- ``PdfStream.add`` copies one prepared file's objects into the output at once and keeps
  only their byte offsets, so memory stays flat however many labels a batch holds;
- ``PdfStream.page`` writes a page that shows one XObject (a 4 x 6 page) or two side by
  side on a letter sheet: the carrier's drawing placed by a transformation matrix.
"""

from __future__ import annotations

import io
import json
import re
import zlib
from array import array
from collections.abc import Iterable
from dataclasses import dataclass

LETTER = (612.0, 792.0)  # points
MARGIN = 18.0  # a quarter inch
PAGES, CATALOG = 1, 2  # object numbers the output keeps for its page tree and catalog
MAGIC = b"SDPF1\n"
# References inside a prepared file: 1 followed by nine digits, the object's index.
BASE = 1_000_000_000
_REF = re.compile(rb"\b1(\d{9}) 0 R")


@dataclass(frozen=True)
class Placed:
    """One prepared page (a Form XObject) in the output: its number and size in points."""

    number: int
    width: float
    height: float


def prepare(data: bytes) -> bytes:
    """A carrier PDF as a prepared file: each page a Form XObject, objects relocatable."""
    from pypdf import PdfReader
    from pypdf.generic import (
        ArrayObject,
        DecodedStreamObject,
        DictionaryObject,
        EncodedStreamObject,
        FloatObject,
        IndirectObject,
        NameObject,
        NullObject,
        NumberObject,
        StreamObject,
    )

    reader = PdfReader(io.BytesIO(data))
    objects: list = []
    numbers: dict[int, int] = {}
    queue: list[tuple[int, object]] = []

    def number_for(key: int | None, source) -> int:
        if key is not None and key in numbers:
            return numbers[key]
        objects.append(None)
        index = len(objects) - 1
        if key is not None:
            numbers[key] = index
        queue.append((index, source))
        return index

    def ref(index: int) -> IndirectObject:
        return IndirectObject(BASE + index, 0, reader)

    def copy(obj):
        if isinstance(obj, IndirectObject):
            return ref(number_for(obj.idnum, obj))
        if isinstance(obj, StreamObject):  # a direct stream: PDF wants it indirect
            return ref(number_for(None, obj))
        if isinstance(obj, DictionaryObject):
            return DictionaryObject({NameObject(k): copy(v) for k, v in obj.items()})
        if isinstance(obj, ArrayObject):
            return ArrayObject(copy(v) for v in obj)
        return obj

    def body(obj):
        obj = obj.get_object() if isinstance(obj, IndirectObject) else obj
        if obj is None:
            return NullObject()
        if isinstance(obj, StreamObject):
            stream = EncodedStreamObject() if "/Filter" in obj else DecodedStreamObject()
            stream._data = obj._data if "/Filter" in obj else obj.get_data()
            for key, value in obj.items():
                if key != "/Length":
                    stream[NameObject(key)] = copy(value)
            return stream
        return copy(obj)

    pages = []
    for page in reader.pages:
        box = page.mediabox
        contents = page.get_contents()
        form = EncodedStreamObject()
        form._data = zlib.compress(contents.get_data() if contents is not None else b"")
        form[NameObject("/Filter")] = NameObject("/FlateDecode")
        form[NameObject("/Type")] = NameObject("/XObject")
        form[NameObject("/Subtype")] = NameObject("/Form")
        form[NameObject("/BBox")] = ArrayObject(FloatObject(v) for v in box)
        if "/Resources" in page:
            form[NameObject("/Resources")] = copy(page["/Resources"])
        objects.append(form)
        pages.append([len(objects) - 1, float(box.width), float(box.height)])
        while queue:
            index, source = queue.pop()
            objects[index] = body(source)

    out = io.BytesIO()
    out.write(MAGIC)
    out.write(json.dumps({"pages": pages}).encode() + b"\n")
    for obj in objects:
        head = io.BytesIO()
        if isinstance(obj, StreamObject):
            dictionary = DictionaryObject(obj)
            dictionary[NameObject("/Length")] = NumberObject(len(obj._data))
            dictionary.write_to_stream(head)
            head.write(b"\nstream\n")
            stream = obj._data
        else:
            obj.write_to_stream(head)
            stream = b""
        out.write(
            b"%d %d %d\n" % (len(head.getvalue()), len(stream), isinstance(obj, StreamObject))
        )
        out.write(head.getvalue())
        out.write(stream)
    return out.getvalue()


class PdfStream:
    """Write prepared files and pages into one PDF as they come; ``finish`` closes it."""

    def __init__(self) -> None:
        # By object number (0 heads the free list); machine integers, 8 bytes an object.
        self._offsets = array("q", [0, 0, 0])
        self._kids = array("q")
        self._pos = 0

    def _emit(self, data: bytes) -> bytes:
        self._pos += len(data)
        return data

    def start(self) -> bytes:
        return self._emit(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")

    def _object(self, body: bytes) -> bytes:
        self._offsets.append(self._pos)
        number = len(self._offsets) - 1
        return self._emit(b"%d 0 obj\n%s\nendobj\n" % (number, body))

    def add(self, prepared: bytes) -> tuple[bytes, list[Placed]]:
        """A prepared file's objects, renumbered into this output, and its pages."""
        if not prepared.startswith(MAGIC):
            raise ValueError("not a prepared label file")
        view = memoryview(prepared)
        at = len(MAGIC)
        line_end = prepared.index(b"\n", at)
        header = json.loads(prepared[at:line_end])
        at = line_end + 1
        base = len(self._offsets)  # the first object lands here

        def relocate(match: re.Match[bytes]) -> bytes:
            return b"%d 0 R" % (base + int(match[1]))

        out = []
        while at < len(prepared):
            line_end = prepared.index(b"\n", at)
            head_len, stream_len, is_stream = map(int, prepared[at:line_end].split())
            at = line_end + 1
            head = _REF.sub(relocate, bytes(view[at : at + head_len]))
            at += head_len
            body = head
            if is_stream:
                body = head + bytes(view[at : at + stream_len]) + b"\nendstream"
                at += stream_len
            out.append(self._object(body))
        placed = [Placed(base + index, w, h) for index, w, h in header["pages"]]
        return b"".join(out), placed

    def page(
        self, placed: Iterable[tuple[Placed, float, float]], size: tuple[float, float]
    ) -> bytes:
        """A page of ``size`` points showing each XObject at (x, y), as drawn."""
        names, ops = [], []
        for i, (item, x, y) in enumerate(placed):
            names.append(b"/L%d %d 0 R" % (i, item.number))
            ops.append(b"q 1 0 0 1 %.2f %.2f cm /L%d Do Q" % (x, y, i))
        content = b"\n".join(ops)
        chunk = self._object(b"<< /Length %d >>\nstream\n%s\nendstream" % (len(content), content))
        contents = len(self._offsets) - 1
        page = (
            b"<< /Type /Page /Parent %d 0 R /MediaBox [0 0 %.2f %.2f] "
            b"/Resources << /XObject << %s >> >> /Contents %d 0 R >>"
            % (PAGES, size[0], size[1], b" ".join(names), contents)
        )
        chunk += self._object(page)
        self._kids.append(len(self._offsets) - 1)
        return chunk

    def single(self, item: Placed) -> bytes:
        return self.page([(item, 0.0, 0.0)], (item.width, item.height))

    def sheet(self, left: Placed, right: Placed | None) -> bytes:
        """Two 4 x 6 pages side by side on a letter sheet, a quarter inch from its edges."""
        top = LETTER[1] - MARGIN
        placed = [(left, MARGIN, top - left.height)]
        if right is not None:
            placed.append((right, LETTER[0] - MARGIN - right.width, top - right.height))
        return self.page(placed, LETTER)

    def finish(self) -> bytes:
        kids = b" ".join(b"%d 0 R" % k for k in self._kids)
        self._offsets[PAGES] = self._pos
        out = self._emit(
            b"%d 0 obj\n<< /Type /Pages /Kids [%s] /Count %d >>\nendobj\n"
            % (PAGES, kids, len(self._kids))
        )
        self._offsets[CATALOG] = self._pos
        out += self._emit(
            b"%d 0 obj\n<< /Type /Catalog /Pages %d 0 R >>\nendobj\n" % (CATALOG, PAGES)
        )
        xref_at = self._pos
        size = len(self._offsets)
        table = [b"xref\n0 %d\n0000000000 65535 f \n" % size]
        table += [b"%010d 00000 n \n" % offset for offset in self._offsets[1:]]
        table.append(b"trailer\n<< /Size %d /Root %d 0 R >>\n" % (size, CATALOG))
        table.append(b"startxref\n%d\n%%%%EOF\n" % xref_at)
        return out + self._emit(b"".join(table))
