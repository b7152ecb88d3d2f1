"""The images the sandbox answers CreateIndicium and ReprintIndicium with, as Stamps.com does.

A label (and a customs form) is laid out once, as a list of drawing primitives measured in
inches on a 4 x 6 in face, then drawn by one of three back-ends:

- ``pdf``: a PDF page (reportlab) with real text, so a reader can search it; the 4 x 6 face
  alone (PaperSize LabelSize/Default) or in the top-left corner of a letter sheet
  (PaperSize Letter85x11);
- ``raster``: Pillow at the asked ImageDpi, saved as PNG, GIF, JPEG or BMP (monochrome kinds
  are 1-bit); bars are whole pixels wide so a scanner reads them at every resolution;
- ``zpl``: ZPL II for thermal printers (203 or 300 dpi), with the IMpb as a native ``^BC``
  GS1-128 field and the indicium as a native ``^BX`` Data Matrix.

The IMpb is GS1-128: FNC1, ``420`` + the destination ZIP (ZIP+4 when known), FNC1, then the
tracking number (USPS Publication 199). International labels carry no ``420`` routing.
Every face says "SAMPLE – NOT VALID POSTAGE": the sandbox prints no postage.
R25: no postage amount anywhere, no transit time on Priority Mail. R26: First-Class letters
and flats have no tracking number and no barcode. R24: GAP labels say so.
"""

from __future__ import annotations

import datetime as dt
import functools
import io
from dataclasses import dataclass, field
from decimal import Decimal

import barcode
from PIL import Image, ImageDraw, ImageFont
from pystrich.datamatrix import DataMatrixEncoder

FNC1 = "\xf1"  # python-barcode's FNC1 character
SAMPLE = "SAMPLE – NOT VALID POSTAGE"
FACE = (4.0, 6.0)
LETTER = (8.5, 11.0)

# ImageType -> (back-end, Pillow format, mode, content type, file extension)
RASTER = {
    "Png": ("PNG", "L", "image/png", "png"),
    "PngMonochrome": ("PNG", "1", "image/png", "png"),
    "Gif": ("GIF", "L", "image/gif", "gif"),
    "GifMonochrome": ("GIF", "1", "image/gif", "gif"),
    "Jpg": ("JPEG", "L", "image/jpeg", "jpg"),
    "JpgMonochrome": ("JPEG", "L", "image/jpeg", "jpg"),
    "Bmp": ("BMP", "L", "image/bmp", "bmp"),
    "BmpMonochrome": ("BMP", "1", "image/bmp", "bmp"),
}
ZPL = {"Zpl", "AZpl", "BZpl"}
PDF = {"Pdf", "Auto"}
# Kinds the live service offers that the sandbox does not draw (asked for: a fault).
NOT_DRAWN = {"Epl", "PrintOncePdf", "EncryptedPngUrl"}
DPI = {
    "ImageDpi96": 96,
    "ImageDpi150": 150,
    "ImageDpi200": 200,
    "ImageDpi203": 203,
    "ImageDpi300": 300,
}

SERVICES = {
    "US-PM": ("P", "USPS PRIORITY MAIL®"),
    "US-XM": ("E", "USPS PRIORITY MAIL EXPRESS®"),
    "US-GA": ("G", "USPS GROUND ADVANTAGE™"),
    "US-FC": ("F", "USPS FIRST-CLASS MAIL®"),
    "US-MM": ("M", "USPS MEDIA MAIL®"),
    "US-PMI": ("P", "PRIORITY MAIL INTERNATIONAL®"),
    "US-EMI": ("E", "PRIORITY MAIL EXPRESS INTERNATIONAL®"),
    "US-FCI": ("F", "FIRST-CLASS PKG INTL SERVICE®"),
}
NO_TRANSIT = {"US-PM", "US-PMI"}  # R25


def content_type(image_type: str) -> str:
    if image_type in PDF:
        return "application/pdf"
    if image_type in ZPL:
        return "text/plain; charset=utf-8"
    return RASTER[image_type][2]


def extension(image_type: str) -> str:
    if image_type in PDF:
        return "pdf"
    if image_type in ZPL:
        return "zpl"
    return RASTER[image_type][3]


def dpi_for(image_type: str, image_dpi: str | None) -> int:
    """The resolution drawn at: the asked ImageDpi, else 203 dpi for thermal printers and
    300 dpi for images (the live defaults are not published; see README)."""
    if image_dpi in DPI:
        return DPI[image_dpi]
    return 203 if image_type in ZPL else 300


# --- primitives -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Text:
    x: float
    y: float  # top of the line, inches from the top of the face
    size: float  # points
    text: str
    bold: bool = False


@dataclass(frozen=True)
class Box:
    x: float
    y: float
    w: float
    h: float
    line: float = 0.02  # inches; a box as thick as it is tall is a filled bar


@dataclass(frozen=True)
class Bars:
    """A GS1-128 symbol: ``modules`` is its bar pattern, ``zpl`` its ZPL field data."""

    x: float
    y: float
    w: float  # the widest it may be
    h: float
    modules: str
    zpl: str


@dataclass(frozen=True)
class Matrix:
    x: float
    y: float
    size: float
    cells: tuple[tuple[int, ...], ...]
    data: str


type Primitive = Text | Box | Bars | Matrix


@dataclass
class Page:
    items: list[Primitive] = field(default_factory=list)

    def text(self, x: float, y: float, size: float, text: str, bold: bool = False) -> None:
        if text:
            self.items.append(Text(x, y, size, text, bold))

    def box(self, x: float, y: float, w: float, h: float, line: float = 0.02) -> None:
        self.items.append(Box(x, y, w, h, line))

    def rule(self, y: float, thickness: float = 0.04) -> None:
        self.items.append(Box(0.1, y, 3.8, thickness, thickness))


# --- barcodes ---------------------------------------------------------------------------------


def impb_data(tracking_number: str, routing_zip: str) -> tuple[str, str]:
    """(python-barcode data, ZPL ^BC data) of the IMpb: FNC1 420+ZIP FNC1 tracking."""
    if routing_zip:
        return (
            f"420{routing_zip}{FNC1}{tracking_number}",
            f">;>8420{routing_zip}>8{tracking_number}",
        )
    return tracking_number, f">;>8{tracking_number}"


def impb_bars(x: float, y: float, w: float, h: float, tracking: str, routing_zip: str) -> Bars:
    data, zpl = impb_data(tracking, routing_zip)
    (modules,) = barcode.get("gs1_128", data).build()
    return Bars(x, y, w, h, modules, zpl)


@functools.lru_cache(maxsize=256)
def _data_matrix(data: str) -> tuple[tuple[int, ...], ...]:
    matrix = DataMatrixEncoder(data).matrix
    return tuple(tuple(1 if cell else 0 for cell in row) for row in matrix)


def indicium_matrix(x: float, y: float, size: float, data: str) -> Matrix:
    return Matrix(x, y, size, _data_matrix(data), data)


# --- what the carrier prints ------------------------------------------------------------------


@dataclass(frozen=True)
class LabelData:
    """Everything printed on one label, read from the indicium the sandbox keeps."""

    service: str
    package: str
    ship_date: dt.date
    tracking_number: str
    stamps_tx_id: str
    sender: tuple[str, ...]
    recipient: tuple[str, ...]
    routing_zip: str  # ZIP (+4) for the IMpb routing code; "" abroad
    from_zip: str
    weight_oz: float
    deliver_days: str
    category: str  # Domestic, GlobalAdvantageProgram, GlobalPost
    references: tuple[str, ...] = ()
    customs: dict | None = None
    non_delivery: str = ""


def _address_lines(address: dict) -> tuple[str, ...]:
    name = address.get("FullName") or " ".join(
        p for p in (address.get("FirstName"), address.get("LastName")) if p
    )
    zip_code = address.get("ZIPCode") or address.get("PostalCode") or ""
    if address.get("ZIPCodeAddOn"):
        zip_code = f"{zip_code}-{address['ZIPCodeAddOn']}"
    region = address.get("State") or address.get("Province") or ""
    city = " ".join(p for p in (address.get("City"), region, zip_code) if p)
    lines = [name, address.get("Company"), address.get("Address1"), address.get("Address2")]
    lines += [address.get("Address3"), city]
    country = address.get("Country") or "US"
    if country != "US":
        lines.append(country)
    return tuple(str(line).upper() for line in lines if line)


def label_data(indicium) -> LabelData:
    rate = indicium.rate or {}
    src, dst = rate.get("From") or {}, rate.get("To") or {}
    domestic = (dst.get("Country") or "US") == "US"
    routing = ""
    if domestic and dst.get("ZIPCode"):
        routing = dst["ZIPCode"][:5] + (dst.get("ZIPCodeAddOn") or "")[:4]
    options = indicium.label_options or {}
    weight = float(rate.get("WeightLb") or 0) * 16 + float(rate.get("WeightOz") or 0)
    return LabelData(
        service=indicium.service_type,
        package=indicium.package_type,
        ship_date=indicium.ship_date,
        tracking_number=indicium.tracking_number,
        stamps_tx_id=str(indicium.stamps_tx_id),
        sender=_address_lines(src),
        recipient=_address_lines(dst),
        routing_zip=routing,
        from_zip=(src.get("ZIPCode") or "")[:5],
        weight_oz=weight,
        deliver_days=str(rate.get("DeliverDays") or ""),
        category=indicium.label_category,
        references=tuple(r for r in options.get("references", ()) if r),
        customs=indicium.customs,
        non_delivery=options.get("non_delivery", ""),
    )


def _weight(oz: float) -> str:
    pounds, ounces = divmod(round(oz, 1), 16)
    return f"{int(pounds)} LB {ounces:g} OZ" if pounds else f"{ounces:g} OZ"


def _grouped(tracking: str) -> str:
    return " ".join(tracking[i : i + 4] for i in range(0, len(tracking), 4))


def label_page(data: LabelData) -> Page:
    page = Page()
    icon, banner = SERVICES.get(data.service, ("GP", "GLOBALPOST"))
    # The service icon and the indicium block (the 2D stand-in and the sample mark).
    page.box(0.1, 0.1, 1.1, 1.1, 0.04)
    page.text(0.28 if len(icon) == 1 else 0.18, 0.2, 60, icon, bold=True)
    page.box(1.35, 0.1, 2.55, 1.1)
    indicium = f"SAMPLE|{data.stamps_tx_id}|{data.tracking_number or 'NONE'}|{data.ship_date}"
    page.items.append(indicium_matrix(1.45, 0.2, 0.8, indicium))
    page.text(2.4, 0.18, 9, "SAMPLE", bold=True)
    page.text(2.4, 0.36, 6.5, "NOT VALID POSTAGE")
    page.text(2.4, 0.5, 6.5, "STAMPS.COM SANDBOX")
    page.text(2.4, 0.64, 6.5, data.ship_date.strftime("%m/%d/%Y"))
    page.text(2.4, 0.78, 6.5, f"FROM {data.from_zip}" if data.from_zip else "")
    page.text(2.4, 0.92, 6.5, _weight(data.weight_oz))
    # The service banner.
    page.rule(1.3)
    page.text(0.15, 1.38, 15 if len(banner) < 28 else 11, banner, bold=True)
    page.rule(1.68)
    page.box(0.1, 1.76, 3.8, 0.26, 0.02)
    page.text(0.2, 1.8, 10, SAMPLE, bold=True)
    y = 2.1
    if data.deliver_days and data.service not in NO_TRANSIT and data.tracking_number:
        page.text(0.15, y, 7, f"Expected delivery: {data.deliver_days} business days")
    notes = []
    if data.category == "GlobalAdvantageProgram":
        notes.append("Global Advantage Program (GAP)")
    if data.category == "GlobalPost":
        notes.append("To the GlobalPost facility")
    page.text(2.2, y, 7, " · ".join(notes), bold=True)
    y += 0.15
    for line in data.sender[:5]:
        page.text(0.15, y, 7, line)
        y += 0.13
    y = max(y + 0.12, 3.0)
    page.text(0.15, y, 8, "SHIP TO:", bold=True)
    for line in data.recipient[:6]:
        page.text(0.75, y, 10, line, bold=line == data.recipient[0])
        y += 0.18
    if data.references:
        refs = "  ".join(f"Ref{i}: {r}" for i, r in enumerate(data.references, 1))
        page.text(0.15, 4.2, 7, refs[:90])
    page.rule(4.38, 0.06)
    if data.tracking_number:
        page.text(1.05, 4.47, 9, "USPS TRACKING # " + ("GAP" if notes else ""), bold=True)
        page.items.append(impb_bars(0.2, 4.66, 3.6, 0.85, data.tracking_number, data.routing_zip))
        page.text(0.95, 5.56, 10, _grouped(data.tracking_number), bold=True)
    else:
        page.text(0.6, 4.8, 10, "NO TRACKING · FIRST-CLASS MAIL", bold=True)  # R26
    page.rule(5.78, 0.06)
    return page


# --- customs forms ----------------------------------------------------------------------------

CN22_LIMIT_VALUE = Decimal("400")
CN22_LIMIT_OZ = 64.0  # 4 lb
CATEGORIES = [
    ("Gift", "Gift"),
    ("Document", "Documents"),
    ("Commercial Sample", "Commercial sample"),
    ("Returned Goods", "Returned goods"),
    ("Merchandise", "Merchandise"),
    ("Other", "Other"),
]
LINES_PER_PAGE = 7


def customs_kind(customs: dict, weight_oz: float) -> str:
    """CN 22 up to $400 of contents and 4 lb; above either, the CP 72 dispatch note."""
    total = sum((Decimal(str(line.get("Value") or 0)) for line in _lines(customs)), Decimal(0))
    return "CN22" if total < CN22_LIMIT_VALUE and weight_oz < CN22_LIMIT_OZ else "CP72"


def _lines(customs: dict) -> list[dict]:
    lines = customs.get("CustomsLines") or []
    if isinstance(lines, dict):  # {"CustomsLine": [...]} as parsed from the request
        lines = lines.get("CustomsLine") or []
    return [line for line in lines if line]


def form_pages(data: LabelData) -> list[Page]:
    customs = data.customs or {}
    kind = customs_kind(customs, data.weight_oz)
    lines = _lines(customs)
    chunks = [lines[i : i + LINES_PER_PAGE] for i in range(0, len(lines), LINES_PER_PAGE)]
    pages = []
    for number, chunk in enumerate(chunks or [[]], 1):
        page = Page()
        title = "CUSTOMS DECLARATION CN 22" if kind == "CN22" else "DISPATCH NOTE CP 72"
        page.box(0.1, 0.1, 3.8, 5.8, 0.02)
        page.text(0.2, 0.18, 12, title, bold=True)
        page.text(0.2, 0.42, 7, f"May be opened officially · Designated operator: USPS · "
                  f"page {number} of {len(chunks) or 1}")  # fmt: skip
        page.text(0.2, 0.56, 7, SAMPLE, bold=True)
        y = 0.74
        chosen = customs.get("ContentType", "Merchandise")
        for i, (value, text) in enumerate(CATEGORIES):
            x = 0.2 + (i % 3) * 1.25
            page.text(x, y + (i // 3) * 0.16, 7, ("[X] " if chosen == value else "[ ] ") + text)
        y += 0.4
        if chosen not in dict(CATEGORIES):
            page.text(0.2, y - 0.06, 7, f"Other: {chosen}")
        if kind == "CP72":
            page.text(0.2, y, 7, "FROM: " + ", ".join(data.sender[:4]))
            page.text(0.2, y + 0.14, 7, "TO: " + ", ".join(data.recipient[:4]))
            y += 0.32
        page.rule(y)
        y += 0.06
        for x, head in ((0.15, "Description"), (1.95, "Qty"), (2.25, "Oz"), (2.6, "US$"),
                        (3.05, "HS"), (3.55, "Orig")):  # fmt: skip
            page.text(x, y, 6.5, head, bold=True)
        y += 0.15
        for line in chunk:
            page.text(0.15, y, 6.5, str(line.get("Description", ""))[:32])
            page.text(1.95, y, 6.5, f"{float(line.get('Quantity') or 0):g}")
            page.text(2.25, y, 6.5, f"{float(line.get('WeightOz') or 0):g}")
            page.text(2.6, y, 6.5, f"{Decimal(str(line.get('Value') or 0)):.2f}")
            page.text(3.05, y, 6.5, str(line.get("HSTariffNumber") or "")[:8])
            page.text(3.55, y, 6.5, str(line.get("CountryOfOrigin") or ""))
            y += 0.15
        page.rule(max(y, 3.0))
        total = sum((Decimal(str(line.get("Value") or 0)) for line in lines), Decimal(0))
        y = max(y, 3.0) + 0.08
        page.text(0.15, y, 7.5, f"Total value US$ {total:.2f}   Total weight "
                  f"{_weight(data.weight_oz)}", bold=True)  # fmt: skip
        y += 0.2
        if kind == "CP72":
            option = data.non_delivery or "Return"
            for i, (value, text) in enumerate(
                (("Return", "Return to sender"), ("Abandon", "Treat as abandoned"))
            ):
                mark = "[X] " if option == value else "[ ] "
                page.text(0.15 + i * 1.8, y, 7, mark + text)
            y += 0.18
        if customs.get("InvoiceNumber"):
            page.text(0.15, y, 7, f"Invoice {customs['InvoiceNumber']}")
            y += 0.15
        page.text(0.15, y, 6.5, "I certify that the particulars given in this declaration are")
        page.text(0.15, y + 0.12, 6.5, "correct and that this item contains no dangerous article.")
        page.text(0.15, y + 0.3, 7.5, f"Signed: {customs.get('CustomsSigner') or ''}   "
                  f"Date: {data.ship_date:%m/%d/%Y}")  # fmt: skip
        if data.tracking_number:
            page.items.append(impb_bars(0.2, 4.75, 3.6, 0.7, data.tracking_number, ""))
            page.text(0.95, 5.5, 9, _grouped(data.tracking_number), bold=True)
        pages.append(page)
    return pages


# --- back-ends --------------------------------------------------------------------------------


def render(pages: list[Page], image_type: str, paper_size: str, image_dpi: str | None) -> bytes:
    """The pages in the asked ImageType: one PDF, one ZPL stream, or one raster image (the
    first page; raster forms come as one image per page from ``render_each``)."""
    if image_type in PDF:
        return pdf(pages, letter=paper_size == "Letter85x11")
    dpi = dpi_for(image_type, image_dpi)
    if image_type in ZPL:
        return zpl(pages, dpi, inverted=image_type == "BZpl")
    return raster(pages[0], image_type, dpi, letter=paper_size == "Letter85x11")


def render_each(pages, image_type, paper_size, image_dpi) -> list[bytes]:
    """One image per page for raster kinds; a single document otherwise."""
    if image_type in PDF or image_type in ZPL:
        return [render(pages, image_type, paper_size, image_dpi)]
    return [render([p], image_type, paper_size, image_dpi) for p in pages]


def _module_width(bars: Bars, unit: float) -> int:
    """Whole device units per module: the widest that fits, never below one."""
    return max(1, int(bars.w * unit // len(bars.modules)))


def pdf(pages: list[Page], *, letter: bool = False) -> bytes:
    from reportlab.lib.units import inch
    from reportlab.pdfgen import canvas

    out = io.BytesIO()
    sheet = LETTER if letter else FACE
    doc = canvas.Canvas(out, pagesize=(sheet[0] * inch, sheet[1] * inch), pageCompression=1)
    doc.setTitle("USPS label (Stamps.com sandbox sample)")
    doc.setCreator("Stamps.com sandbox (ShipDesk)")
    # Letter sheets hold the 4 x 6 face in their top-left corner, inside a 1/4 in margin.
    top = sheet[1] - (0.25 if letter else 0.0)
    left = 0.25 if letter else 0.0
    for page in pages:
        for item in page.items:
            if isinstance(item, Text):
                doc.setFont("Helvetica-Bold" if item.bold else "Helvetica", item.size)
                baseline = top - item.y - item.size / 72 * 0.85
                doc.drawString((left + item.x) * inch, baseline * inch, item.text)
            elif isinstance(item, Box):
                if item.line >= item.h:
                    doc.rect((left + item.x) * inch, (top - item.y - item.h) * inch,
                             item.w * inch, item.h * inch, stroke=0, fill=1)  # fmt: skip
                else:
                    doc.setLineWidth(item.line * inch)
                    doc.rect((left + item.x) * inch, (top - item.y - item.h) * inch,
                             item.w * inch, item.h * inch, stroke=1, fill=0)  # fmt: skip
            elif isinstance(item, Bars):
                # Whole 1/600 in modules, as a 600 dpi printer would place them.
                module = _module_width(item, 600) / 600
                x = left + item.x + (item.w - module * len(item.modules)) / 2
                for i, bit in enumerate(item.modules):
                    if bit == "1":
                        doc.rect((x + i * module) * inch, (top - item.y - item.h) * inch,
                                 module * inch, item.h * inch, stroke=0, fill=1)  # fmt: skip
            elif isinstance(item, Matrix):
                cell = item.size / len(item.cells)
                for r, row in enumerate(item.cells):
                    for c, on in enumerate(row):
                        if on:
                            doc.rect((left + item.x + c * cell) * inch,
                                     (top - item.y - (r + 1) * cell) * inch,
                                     cell * inch, cell * inch, stroke=0, fill=1)  # fmt: skip
        doc.showPage()
    doc.save()
    return out.getvalue()


@functools.lru_cache(maxsize=32)
def _font(px: int, bold: bool) -> ImageFont.FreeTypeFont:
    name = "DejaVuSans-Bold.ttf" if bold else "DejaVuSans.ttf"
    try:
        return ImageFont.truetype(name, px)
    except OSError:
        return ImageFont.truetype(f"/usr/share/fonts/truetype/dejavu/{name}", px)


def raster(page: Page, image_type: str, dpi: int, *, letter: bool = False) -> bytes:
    fmt, mode, _ctype, _ext = RASTER[image_type]
    sheet = LETTER if letter else FACE
    offset = 0.25 if letter else 0.0
    image = Image.new("L", (round(sheet[0] * dpi), round(sheet[1] * dpi)), 255)
    draw = ImageDraw.Draw(image)

    def px(inches: float) -> int:
        return round((inches + offset) * dpi)

    for item in page.items:
        if isinstance(item, Text):
            size = max(6, round(item.size / 72 * dpi))
            draw.text((px(item.x), px(item.y)), item.text, fill=0, font=_font(size, item.bold))
        elif isinstance(item, Box):
            box = [px(item.x), px(item.y), px(item.x + item.w) - 1, px(item.y + item.h) - 1]
            if item.line >= item.h:
                draw.rectangle(box, fill=0)
            else:
                draw.rectangle(box, outline=0, width=max(1, round(item.line * dpi)))
        elif isinstance(item, Bars):
            module = _module_width(item, dpi)
            x0 = px(item.x) + (round(item.w * dpi) - module * len(item.modules)) // 2
            y0, y1 = px(item.y), px(item.y + item.h)
            for i, bit in enumerate(item.modules):
                if bit == "1":
                    draw.rectangle([x0 + i * module, y0, x0 + (i + 1) * module - 1, y1], fill=0)
        elif isinstance(item, Matrix):
            cell = max(1, round(item.size * dpi / len(item.cells)))
            for r, row in enumerate(item.cells):
                for c, on in enumerate(row):
                    if on:
                        x, y = px(item.x) + c * cell, px(item.y) + r * cell
                        draw.rectangle([x, y, x + cell - 1, y + cell - 1], fill=0)
    if mode == "1":
        image = image.point(lambda v: 255 if v > 127 else 0).convert("1")
    out = io.BytesIO()
    image.save(out, fmt, dpi=(dpi, dpi))
    return out.getvalue()


def _zpl_text(value: str) -> str:
    # ^ and ~ start commands: the carrier's ZPL never lets a field's text end the field.
    return value.replace("^", " ").replace("~", " ")


def zpl(pages: list[Page], dpi: int, *, inverted: bool = False) -> bytes:
    def dots(inches: float) -> int:
        return round(inches * dpi)

    out = []
    for page in pages:
        cmds = ["^XA", "^CI28", f"^PW{dots(FACE[0])}", f"^LL{dots(FACE[1])}"]
        cmds.append("^POI" if inverted else "^PON")
        for item in page.items:
            if isinstance(item, Text):
                height = max(10, dots(item.size / 72))
                width = round(height * (0.9 if item.bold else 0.75))
                cmds.append(
                    f"^FO{dots(item.x)},{dots(item.y)}^A0N,{height},{width}"
                    f"^FD{_zpl_text(item.text)}^FS"
                )
            elif isinstance(item, Box):
                thickness = max(1, dots(min(item.line, item.h, item.w)))
                cmds.append(
                    f"^FO{dots(item.x)},{dots(item.y)}"
                    f"^GB{max(dots(item.w), thickness)},{max(dots(item.h), thickness)},"
                    f"{thickness}^FS"
                )
            elif isinstance(item, Bars):
                module = min(10, _module_width(item, dpi))
                cmds.append(
                    f"^FO{dots(item.x)},{dots(item.y)}^BY{module}"
                    f"^BCN,{dots(item.h)},N,N,N^FD{item.zpl}^FS"
                )
            elif isinstance(item, Matrix):
                cell = max(1, dots(item.size / len(item.cells)))
                cmds.append(
                    f"^FO{dots(item.x)},{dots(item.y)}^BXN,{cell},200^FD{_zpl_text(item.data)}^FS"
                )
        cmds.append("^XZ")
        out.append("\n".join(cmds))
    return ("\n".join(out) + "\n").encode("utf-8")
