"""The import page's progress line counts in words a merchant would write."""

from __future__ import annotations

import pytest
from django.urls import reverse

from tests.factories import make_import_job

pytestmark = pytest.mark.django_db


def test_one_row_with_an_error_is_not_called_rows(owner_client, merchant):
    job = make_import_job(
        merchant,
        total_rows=1,
        processed_rows=1,
        error_count=1,
        errors=[{"row": 2, "order_number": "C-3", "reason": "Quantity 'x' must be a number."}],
    )
    page = owner_client.get(reverse("order-import-job", args=[job.pk])).text
    assert "1 of 1 row ·" in page
    assert "1 row with errors" in page
    assert "1 rows" not in page


def test_several_rows_keep_their_plural(owner_client, merchant):
    job = make_import_job(merchant, total_rows=3, processed_rows=3, error_count=2)
    page = owner_client.get(reverse("order-import-job", args=[job.pk])).text
    assert "3 of 3 rows ·" in page and "2 rows with errors" in page
