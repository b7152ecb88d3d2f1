"""PDFs (labels, statements, the sandbox's documents) load only ShipDesk's own static files:
a file:// or http:// URL in a document is refused, never read (issue 13)."""

from __future__ import annotations

import base64
import http.server
import importlib
import threading

import pytest

from merchants import pdf

# A 1x1 PNG: a loaded image shows up as an /Image object in the PDF.
PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8DwHwAFBQIAX8jx0gAAAABJRU5ErkJggg=="
)


@pytest.fixture
def local_png(tmp_path):
    path = tmp_path / "secret.png"
    path.write_bytes(PNG)
    return path


@pytest.fixture
def web_server():
    """A local HTTP server that records every request it gets."""
    seen: list[str] = []

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            seen.append(self.path)
            self.send_response(200)
            self.send_header("Content-Type", "image/png")
            self.end_headers()
            self.wfile.write(PNG)

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_port}", seen
    server.shutdown()


def test_a_file_url_in_a_document_is_not_read(local_png):
    document = pdf.html_to_pdf(f'<p>x</p><img src="file://{local_png}">')
    assert document.startswith(b"%PDF") and b"/Image" not in document


def test_an_http_url_in_a_document_is_never_requested(web_server):
    url, seen = web_server
    document = pdf.html_to_pdf(
        f'<link rel="stylesheet" href="{url}/x.css"><img src="{url}/pixel.png">'
    )
    assert document.startswith(b"%PDF") and b"/Image" not in document
    assert seen == []


def test_data_uris_and_shipdesk_static_files_still_load():
    data = "data:image/png;base64," + base64.b64encode(PNG).decode()
    assert b"/Image" in pdf.html_to_pdf(f'<img src="{data}">')
    assert pdf.static_path(pdf.BASE_URL + "static/css/app.css") is not None
    assert pdf.static_path(pdf.BASE_URL + "static/../shipdesk/settings.py") is None
    assert pdf.static_path("http://127.0.0.1/static/css/app.css") is None
    assert pdf.static_path("file:///static/css/app.css") is None


@pytest.mark.parametrize(
    ("module_name", "function", "argument"),
    [
        ("shipments.printing", "packing_slips_pdf", []),
        ("funding.reports", "statement_pdf", None),
        ("carriers.stamps.sandbox.documents", "_pdf", "<p>x</p>"),
    ],
)
def test_every_document_renders_through_the_static_only_fetcher(
    module_name, function, argument, monkeypatch
):
    import weasyprint

    fetchers = []
    real = weasyprint.HTML

    def recording(*args, **kwargs):
        fetchers.append(type(kwargs.get("url_fetcher")).__name__)
        return real(*args, **kwargs)

    monkeypatch.setattr(weasyprint, "HTML", recording)
    module = importlib.import_module(module_name)
    # An empty document is enough: what matters is the fetcher WeasyPrint is given.
    for builder in ("render_to_string",):
        monkeypatch.setattr(module, builder, lambda *a, **k: "<p>x</p>", raising=False)
    getattr(module, function)(argument)
    assert fetchers == ["StaticFilesOnly"]
