"""Attacker-shaped CSV files: very wide headers, CR-only line endings, huge first fields.
Each answers with a clear message or goes to the background, never pins the web process."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.template import base as template_base
from django.urls import reverse

from orders import importing
from orders.models import ImportJob, Order
from tests.factories import make_import_job

pytestmark = pytest.mark.django_db

HEADER = "Order Number,Recipient Name,Address 1,City,State,Postal Code,Country"


def upload(client, content: bytes, name: str = "orders.csv"):
    return client.post(reverse("order-import"), {"file": SimpleUploadedFile(name, content)})


def wide_csv(columns: int, rows: int = 3) -> str:
    header = ",".join(f"c{i}" for i in range(columns))
    body = "\n".join(",".join(f"r{r}c{i}" for i in range(columns)) for r in range(rows))
    return f"{header}\n{body}\n"


# Each column's row costs about 270 variable look-ups, most in the <select> of 28 choices;
# the quadratic page cost 3 preview rows x every column more, per column.
WORK_PER_COLUMN = 400


@pytest.fixture
def template_work(monkeypatch):
    """Counts variable look-ups while templates render: the page's work, not its time."""
    counter = {"n": 0}
    original = template_base.FilterExpression.resolve

    def counting(self, context, ignore_failures=False):
        counter["n"] += 1
        # Fail fast instead of rendering for minutes when the work is quadratic.
        assert counter["n"] < WORK_PER_COLUMN * 5_000, "template work grew far beyond linear"
        return original(self, context, ignore_failures)

    monkeypatch.setattr(template_base.FilterExpression, "resolve", counting)
    return counter


def test_a_csv_wider_than_the_column_cap_is_refused_with_the_limit(owner_client, settings):
    response = upload(owner_client, wide_csv(5_000).encode())
    assert response.status_code == 200
    message = " ".join(response.context["form"].errors["file"])
    assert f"{settings.ORDERS_IMPORT_MAX_COLUMNS}" in message and "columns" in message
    assert not ImportJob.objects.exists()


def test_the_mapping_page_for_5000_columns_does_linear_template_work(
    owner_client, merchant, settings, template_work
):
    # Even with the cap lifted (a job stored before the cap existed), the page's template
    # work grows with the number of columns, not with columns x preview cells.
    settings.ORDERS_IMPORT_MAX_COLUMNS = 10_000
    job = make_import_job(merchant, status="needs_mapping", content=wide_csv(5_000))
    response = owner_client.get(reverse("order-import-mapping", args=[job.pk]))
    assert response.status_code == 200
    assert "r0c4999 · r1c4999 · r2c4999" in response.text
    assert template_work["n"] < WORK_PER_COLUMN * 5_000, template_work["n"]


def test_a_stored_job_wider_than_the_cap_is_failed_not_rendered(owner_client, merchant, settings):
    settings.ORDERS_IMPORT_MAX_COLUMNS = 50
    job = make_import_job(merchant, status="needs_mapping", content=wide_csv(60))
    response = owner_client.get(reverse("order-import-mapping", args=[job.pk]), follow=True)
    assert response.status_code == 200
    assert "at most 50 columns" in response.text
    job.refresh_from_db()
    assert job.status == ImportJob.Status.FAILED


def test_preview_cells_are_cut_short_on_the_mapping_page(owner_client, merchant):
    long_cell = "x" * 5_000
    job = make_import_job(
        merchant, status="needs_mapping", content=f"Mystery,Other\n{long_cell},b\n"
    )
    page = owner_client.get(reverse("order-import-mapping", args=[job.pk])).text
    assert long_cell not in page and "x" * 39 + "…" in page


def test_a_csv_with_too_many_rows_is_refused_with_the_limit(owner_client, settings):
    settings.ORDERS_IMPORT_MAX_ROWS = 20
    body = "".join(f"{n},Jane Doe,1 Main St,Austin,TX,78701,US\n" for n in range(21))
    response = upload(owner_client, f"{HEADER}\n{body}".encode())
    message = " ".join(response.context["form"].errors["file"])
    assert "at most 20 rows" in message
    assert not ImportJob.objects.exists() and not Order.objects.exists()


@pytest.mark.parametrize("newline", ["\r", "\r\n", "\n"], ids=["cr", "crlf", "lf"])
def test_row_counting_sees_every_line_ending(newline):
    text = newline.join([HEADER] + [f"{n},Jane,1 Main St,Austin,TX,78701,US" for n in range(5)])
    assert importing.count_rows(text + newline) == 5
    assert importing.count_rows(text) == 5


def test_a_cr_only_file_over_the_inline_limit_goes_to_the_background(
    owner_client, settings, monkeypatch
):
    settings.ORDERS_IMPORT_INLINE_MAX_ROWS = 5
    queued = []
    monkeypatch.setattr("orders.jobs.async_task", lambda *a, **k: queued.append(a))
    body = "".join(f"{n},Jane Doe,1 Main St,Austin,TX,78701,US\r" for n in range(12))
    response = upload(owner_client, f"{HEADER}\r{body}".encode())
    assert response.status_code == 302
    job = ImportJob.objects.get()
    assert job.total_rows == 12
    assert job.status == ImportJob.Status.QUEUED
    assert not Order.objects.exists()  # nothing imported inside the web request


def test_a_huge_field_in_the_first_row_is_a_form_error_and_leaves_no_job(owner_client):
    huge = "x" * (200 * 1024)
    response = upload(owner_client, f'{HEADER}\n1,"{huge}",1 Main St,Austin,TX,78701,US\n'.encode())
    assert response.status_code == 200
    message = " ".join(response.context["form"].errors["file"])
    assert "Row 2" in message
    assert not ImportJob.objects.exists()


def test_an_order_with_more_items_than_the_cap_is_refused_whole(merchant, settings):
    settings.ORDERS_MAX_ITEMS_PER_ORDER = 10
    header = f"{HEADER},SKU,Quantity"
    rows = "".join(f"BIG-1,Jane Doe,1 Main St,Austin,TX,78701,US,SKU-{n},1\n" for n in range(11))
    ok = "".join(f"OK-1,Jane Doe,1 Main St,Austin,TX,78701,US,SKU-{n},1\n" for n in range(10))
    result = importing.import_csv(merchant, f"{header}\n{rows}{ok}")
    assert result.created == 1
    assert list(Order.objects.values_list("number", flat=True)) == ["OK-1"]
    assert len(result.errors) == 11
    assert "at most 10" in result.errors[0].reason


def test_the_json_api_caps_items_per_order_too(merchant, settings):
    settings.ORDERS_MAX_ITEMS_PER_ORDER = 3
    order = {"order_number": "J-1", "recipient_name": "Jane Doe", "street1": "1 Main St",
             "city": "Austin", "state": "TX", "postal_code": "78701", "country": "US",
             "items": [{"sku": f"S{n}", "quantity": 1} for n in range(4)]}  # fmt: skip
    result = importing.import_json(merchant, {"orders": [order]})
    assert result.created == 0
    assert "at most 3" in result.errors[0].reason
