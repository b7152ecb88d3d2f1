"""Hostile form posts to the end-of-day pages get the page back with the reason, never a
server error, and nothing is made."""

from __future__ import annotations

import pytest
from django.urls import reverse

from endofday.models import ScanForm
from tests.factories import make_carrier_account, make_ship_from

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("value", ["abc", "²", "１", "99999999999999999999999", "1.5", ""])
def test_a_scan_form_for_labels_that_are_not_ids_asks_for_a_label(merchant, owner_client, value):
    """The selection is a list of label ids: anything else is no label at all (it was a
    server error once an account and a location were chosen)."""
    owner_client.raise_request_exception = False
    account = make_carrier_account(merchant)
    location = make_ship_from(merchant)
    data = {"account": account.pk, "location": location.pk, "shipment": [value]}
    response = owner_client.post(reverse("endofday:scan-forms"), data)
    assert response.status_code == 200, response.status_code
    assert "Select at least one label" in response.text
    assert not ScanForm.objects.exists()
