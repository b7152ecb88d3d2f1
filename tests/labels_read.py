"""Reading printed labels as a scanner and a person would: barcodes decoded by zbarimg from
the rasterised page (pdftoppm), text by pdftotext (poppler-utils and zbar-tools)."""

from __future__ import annotations

import re
import subprocess
import tempfile
from pathlib import Path

# IMpb (GS1-128): "420" + ZIP (5 or 9 digits), a GS separator (FNC1), the tracking number.
IMPB = re.compile(r"^420(\d{5}|\d{9})\x1d(\d{20,34})$")


def impb_tracking(decoded: str) -> str:
    """The tracking number inside a decoded IMpb (domestic labels carry ZIP routing)."""
    match = IMPB.match(decoded)
    return match[2] if match else decoded.lstrip("\x1d")


def _decode(png: Path) -> list[str]:
    out = subprocess.run(
        ["zbarimg", "--quiet", "--raw", "-Sdisable", "-Scode128.enable", str(png)],
        capture_output=True,
        text=True,
    )
    # Not splitlines(): it would also split at the GS separator inside a GS1-128 code.
    return [line for line in out.stdout.split("\n") if line.strip()]


def pdf_pages(data: bytes) -> list[bytes]:
    """Each page of a PDF as a 200 dpi PNG."""
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "doc.pdf"
        path.write_bytes(data)
        subprocess.run(["pdftoppm", "-r", "200", "-png", str(path), f"{folder}/p"], check=True)
        return [png.read_bytes() for png in sorted(Path(folder).glob("p*.png"))]


def barcodes_in_image(data: bytes) -> list[str]:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "image.png"
        path.write_bytes(data)
        return _decode(path)


def tracking_numbers(data: bytes) -> list[str]:
    """The tracking numbers a scanner reads from a printed PDF or PNG, page by page."""
    images = pdf_pages(data) if data.startswith(b"%PDF") else [data]
    return [impb_tracking(code) for image in images for code in barcodes_in_image(image)]


def pdf_text(data: bytes) -> str:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "doc.pdf"
        path.write_bytes(data)
        return subprocess.run(
            ["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True, check=True
        ).stdout


def page_count(data: bytes) -> int:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "doc.pdf"
        path.write_bytes(data)
        info = subprocess.run(["pdfinfo", str(path)], capture_output=True, text=True, check=True)
    pages = re.search(r"^Pages:\s+(\d+)", info.stdout, re.M)
    assert pages is not None, info.stdout
    return int(pages[1])
