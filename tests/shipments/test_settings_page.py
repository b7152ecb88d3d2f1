"""Shipping settings: the store's label format and the person's own, two forms on one page."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db


def test_each_label_format_control_has_its_own_id_so_each_label_names_its_own_select(
    owner_client,
):
    page = owner_client.get(reverse("shipments:settings")).text
    ids = re.findall(r'<select[^>]* id="([^"]+)"', page)
    assert len(ids) == len(set(ids))
    assert {"id_layout", "mine_layout"} <= set(ids)
    targets = dict(re.findall(r'<label for="([^"]+)">([^<]+)</label>', page))
    assert set(ids) <= set(targets)
    assert "My label format" in targets.values() and "Label format" in targets.values()


def test_saving_my_format_still_posts_the_layout_field(owner_client, owner):
    from shipments.models import UserPrintPreference

    response = owner_client.post(reverse("shipments:my-printing"), {"layout": "zpl"})
    assert response.status_code == 302
    assert UserPrintPreference.objects.get(user=owner).layout == "zpl"
