"""End of day says who did it: a SCAN form's page names the member who created it."""

from __future__ import annotations

import pytest

from tests.endofday.factories import make_scan_form
from tests.factories import make_member

pytestmark = pytest.mark.django_db


def test_a_scan_forms_page_says_who_created_it(merchant, owner_client):
    dock = make_member(merchant, "dock@acme.test", role="shipper")
    form = make_scan_form(merchant, created_by=dock)
    page = owner_client.get(f"/shipments/scan-forms/{form.pk}/").text
    assert 'Created by</dt><dd data-testid="scan-form-by">dock@acme.test</dd>' in page
