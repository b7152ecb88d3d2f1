"""Orders in the Django admin: one store's records never take another store's."""

from __future__ import annotations

import pytest
from django.contrib import admin
from django.forms.models import model_to_dict
from django.test import RequestFactory

from orders.models import Order
from tests.factories import admin_url, make_merchant, make_ship_from

pytestmark = pytest.mark.django_db


def test_an_orders_ship_from_is_not_picked_from_every_stores_locations(
    admin_client, superuser, order, outsider_merchant
):
    for i in range(3):
        make_ship_from(make_merchant(f"Other {i}", f"o{i}@other.test"), name=f"Depot {i}")
    html = admin_client.get(admin_url(Order, "change", order.pk)).text
    assert "Depot 0" not in html and '<select name="ship_from"' not in html

    request = RequestFactory().post("/")
    request.user = superuser
    form_class = admin.site._registry[Order].get_form(request, order)
    data = {k: v for k, v in model_to_dict(order).items() if v is not None}
    data |= {"order_date_0": f"{order.order_date:%Y-%m-%d}", "order_date_1": "10:00:00"}
    data["ship_from"] = make_ship_from(outsider_merchant, name="Bramble depot").pk
    form = form_class(data, instance=order)
    assert not form.is_valid()
    assert form.errors["ship_from"] == [
        "This ship-from location belongs to another store: pick one of this order's store."
    ]
