"""HTML to PDF (WeasyPrint) that can load nothing but ShipDesk's own static files.

WeasyPrint's default fetcher follows file://, http:// and https:// URLs: one unescaped field
in a label, a statement or a SCAN form would then read server files into the PDF or make
requests from inside the network. This fetcher serves data: URIs (the barcodes) and files
under STATIC_URL found by Django's static file finders; everything else is refused.
WeasyPrint is imported on first use: it is slow to import and most requests never print.
"""

from __future__ import annotations

import functools
import mimetypes
from pathlib import Path
from urllib.parse import unquote, urlsplit

from django.conf import settings
from django.contrib.staticfiles import finders

# Documents are rendered with this base URL, so "/static/css/x.css" resolves to it; the host
# is never contacted: the fetcher reads the file from disk.
BASE_URL = "http://shipdesk-static.invalid/"
_HOST = urlsplit(BASE_URL).netloc


def static_path(url: str) -> Path | None:
    """The file behind one of ShipDesk's static URLs, or None for any other URL."""
    parts = urlsplit(url)
    if parts.scheme != "http" or parts.netloc != _HOST:
        return None
    path = unquote(parts.path)
    if not path.startswith(settings.STATIC_URL) or ".." in path.split("/"):
        return None
    found = finders.find(path.removeprefix(settings.STATIC_URL))
    return Path(found) if isinstance(found, str) else None


@functools.cache
def fetcher_class() -> type:
    from weasyprint.urls import URLFetcher, URLFetcherResponse, URLFetchingError

    class StaticFilesOnly(URLFetcher):
        def fetch(self, url: str, headers=None):
            if url.startswith("data:"):
                return super().fetch(url, headers)  # decoded in memory, no I/O
            path = static_path(url)
            if path is None:
                raise URLFetchingError(f"ShipDesk documents load only their static files: {url}")
            content_type = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
            return URLFetcherResponse(url, path.read_bytes(), {"Content-Type": content_type})

    return StaticFilesOnly


def html_to_pdf(html: str) -> bytes:
    from weasyprint import HTML

    fetcher = fetcher_class()()
    return HTML(string=html, base_url=BASE_URL, url_fetcher=fetcher).write_pdf()
