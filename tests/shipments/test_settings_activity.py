"""Shipping settings in the store's activity log: who changed which setting, with the new
value of a switch or a choice, and nothing for a save that changed nothing."""

from __future__ import annotations

import pytest
from django.urls import reverse

from shipments.models import ShippingSettings
from tests.support import activity_table, store_log

pytestmark = pytest.mark.django_db

STORED = {
    "notify_customers": "on",
    "layout": "4x6",
    "slips": "interleaved",
    "sort_order": "order",
}


def test_a_settings_change_names_each_setting_with_its_new_value(
    store_admin_client, owner_client, merchant
):
    # An unticked box is not posted: "notify_customers" left out turns it off.
    changed = {"layout": "zpl", "packing_slip": "on", "slips": "interleaved", "sort_order": "order"}
    assert store_admin_client.post(reverse("shipments:settings"), changed).status_code == 302
    assert store_log(merchant) == [
        (
            "ops@acme.test",
            "shipping_settings",
            "",
            "e-mail customers their tracking number off, "
            "label format: ZPL for thermal printers (203 dpi), "
            "print a packing slip with each label on",
        )
    ]
    table = activity_table(owner_client)
    assert "Changed the shipping settings" in table and "ops@acme.test" in table
    assert "label format: ZPL" in table


def test_saving_the_settings_unchanged_or_refused_logs_nothing(store_admin_client, merchant):
    assert store_admin_client.post(reverse("shipments:settings"), STORED).status_code == 302
    assert ShippingSettings.objects.filter(merchant=merchant).exists()
    assert store_admin_client.post(reverse("shipments:settings"), STORED).status_code == 302
    refused = {**STORED, "layout": "a-napkin"}
    assert store_admin_client.post(reverse("shipments:settings"), refused).status_code == 200
    assert store_log(merchant) == []
