"""The account the merchant chose pays, or nothing is bought: a chosen account that is no
longer connected (disconnected in another tab) or was never the store's (an id forged into the
post) is refused in the merchant's words, never swapped for the store's default. Only when no
account was named does the default pay."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from carriers import services
from carriers.models import CarrierCall
from shipments.models import Batch, Shipment

pytestmark = pytest.mark.django_db(transaction=True)

GONE = (
    "The Stamps.com account you chose is no longer connected. Choose another account and try again."
)
HTMX = {"HX-Request": "true"}


@pytest.fixture
def main(sandbox_account):
    return sandbox_account("acme-main", balance="100.00")


@pytest.fixture
def second(sandbox_account, main, owner):
    """Chosen on the page, then disconnected in another tab."""
    second = sandbox_account("acme-second", balance="100.00", plan="personal")
    services.disconnect(second, owner)
    return second


@pytest.fixture
def foreign(sandbox_account, main, outsider_merchant):
    """Another store's account, its id forged into the post."""
    return sandbox_account("bramble-main", balance="100.00", for_merchant=outsider_merchant)


@pytest.fixture(params=["disconnected", "another store's"])
def unusable(request):
    return request.getfixturevalue("second" if request.param == "disconnected" else "foreign")


def nothing_bought(stamps, *usernames: str) -> bool:
    return (
        not Shipment.objects.exists()
        and not CarrierCall.objects.filter(operation="CreateIndicium").exists()
        and not any(stamps.indicia(name) for name in usernames)
    )


def test_a_label_for_a_chosen_account_no_longer_connected_is_refused_in_the_panel(
    stamps, main, unusable, make_shippable, owner_client
):
    order = make_shippable()
    response = owner_client.post(
        reverse("shipments:buy", args=[order.pk]),
        {"service": "US-PM", "account": unusable.pk},
        headers=HTMX,
    )
    assert response.status_code == 200 and "HX-Redirect" not in response
    assert GONE in response.text and 'data-testid="buy-error"' in response.text
    assert nothing_bought(stamps, "acme-main", unusable.username)
    assert stamps.get_balance("acme-main") == 100
    # The panel asks for another account instead of pricing the default's.
    assert response.context["account"] is None and not response.context["shop"].quotes
    assert "Choose an account" in response.text and 'name="account"' in response.text


def test_another_stores_account_reads_exactly_like_a_disconnected_one(
    stamps, main, second, foreign, make_shippable, owner_client
):
    answers = []
    for account in (second, foreign):
        order = make_shippable(number=f"X-{account.pk}")
        response = owner_client.post(
            reverse("shipments:buy", args=[order.pk]),
            {"service": "US-PM", "account": account.pk},
            headers=HTMX,
        )
        panel = response.text.replace(f"/orders/{order.pk}/", "/orders/N/")
        panel = re.sub(r'name="csrfmiddlewaretoken" value="[^"]*"', "", panel)
        answers.append((response.status_code, panel))
    assert answers[0] == answers[1]
    assert foreign.nickname not in answers[1][1]


def test_a_label_for_a_chosen_account_no_longer_connected_is_refused_without_htmx(
    stamps, main, unusable, make_shippable, owner_client
):
    order = make_shippable()
    response = owner_client.post(
        reverse("shipments:buy", args=[order.pk]), {"service": "US-PM", "account": unusable.pk}
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("order-detail", args=[order.pk])
    page = owner_client.get(response["Location"])
    assert GONE in page.text
    assert nothing_bought(stamps, "acme-main", unusable.username)


@pytest.mark.parametrize("typed", ["abc", "-1", "99999999999999999999999"])
def test_an_account_that_is_not_an_id_is_refused_like_a_missing_one(
    stamps, main, make_shippable, owner_client, typed
):
    order = make_shippable()
    response = owner_client.post(
        reverse("shipments:buy", args=[order.pk]),
        {"service": "US-PM", "account": typed},
        headers=HTMX,
    )
    assert GONE in response.text
    assert nothing_bought(stamps, "acme-main")


@pytest.mark.parametrize("sent", [{}, {"account": ""}], ids=["no field", "blank"])
def test_a_label_with_no_account_named_is_bought_on_the_default(
    stamps, main, second, sandbox_account, make_shippable, owner_client, sent
):
    sandbox_account("acme-third", balance="100.00", plan="personal")  # connected, not default
    order = make_shippable()
    response = owner_client.post(
        reverse("shipments:buy", args=[order.pk]), {"service": "US-PM", **sent}, headers=HTMX
    )
    assert response["HX-Redirect"]
    assert Shipment.objects.get(order=order).account == main


def test_the_rates_panel_for_a_chosen_account_no_longer_connected_shows_no_default_rates(
    stamps, main, unusable, make_shippable, owner_client
):
    order = make_shippable()
    response = owner_client.get(
        reverse("shipments:rates", args=[order.pk]), {"account": unusable.pk}, headers=HTMX
    )
    assert response.status_code == 200 and GONE in response.text
    assert response.context["account"] is None and not response.context["shop"].quotes
    assert not CarrierCall.objects.filter(operation="GetRates").exists()
    assert 'id="rates-table"' not in response.text  # nothing to buy
    # Picking a connected account from the list prices it again.
    again = owner_client.get(
        reverse("shipments:rates", args=[order.pk]), {"account": main.pk}, headers=HTMX
    )
    assert again.context["account"] == main and again.context["shop"].quotes


def test_a_batch_for_a_chosen_account_no_longer_connected_is_not_created(
    stamps, main, unusable, make_shippable, owner_client
):
    order = make_shippable()
    response = owner_client.post(
        reverse("shipments:batches"), {"order": [order.pk], "account": unusable.pk}, follow=True
    )
    assert response.redirect_chain[-1][0] == reverse("order-list")
    assert GONE in response.text
    assert not Batch.objects.exists()
    assert nothing_bought(stamps, "acme-main", unusable.username)


def test_a_batch_with_no_account_named_uses_the_default(
    stamps, main, second, make_shippable, owner_client
):
    order = make_shippable()
    response = owner_client.post(reverse("shipments:batches"), {"order": [order.pk]})
    batch = Batch.objects.get()
    assert response["Location"] == reverse("shipments:batch", args=[batch.pk])
    assert batch.account == main
    assert Shipment.objects.get(order=order).account == main


def test_the_rate_calculator_refuses_a_chosen_account_no_longer_connected(
    stamps, main, unusable, owner_client
):
    response = owner_client.get(
        reverse("shipments:calculator"),
        {"from_zip": "11201", "to_zip": "94105", "country": "US", "weight_oz": "12",
         "package_type": "Package", "confirmation": "none", "account": unusable.pk},
    )  # fmt: skip
    assert response.status_code == 200 and response.context["shop"] is None
    assert response.context["form"].errors["account"] == [GONE]
    assert not CarrierCall.objects.filter(operation="GetRates").exists()
