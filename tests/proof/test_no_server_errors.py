"""Hostile query strings and form posts that used to raise server errors: each now gets a
400 or an ordinary page with a form error (issue 13)."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from tests.factories import make_carrier_account, make_rule

pytestmark = pytest.mark.django_db


@pytest.fixture
def client(owner_client) -> Client:
    # Server errors must come back as 500 responses here, not as test exceptions.
    owner_client.raise_request_exception = False
    return owner_client


def ok(response) -> None:
    assert response.status_code < 500, response.status_code
    assert response.status_code in {200, 302, 400, 404}, response.status_code


@pytest.mark.parametrize("year", [9999, 10000, 99999])
def test_a_statement_for_a_far_year_is_not_found(client, merchant, year):
    account = make_carrier_account(merchant)
    response = client.get(f"/funds/{account.pk}/statements/{year}-12.pdf")
    assert response.status_code == 404


@pytest.mark.parametrize("end", ["9999-12-31", "0001-01-01"])
def test_the_ledger_filter_with_an_extreme_date_is_a_form_error(client, merchant, end):
    make_carrier_account(merchant)
    page = client.get("/funds/", {"end": end, "start": end})
    assert page.status_code == 200
    assert "Choose a date between 2000 and 2100" in page.text
    ok(client.get("/funds/ledger.csv", {"end": end, "start": end}))


@pytest.mark.parametrize("page", ["99999999999999999999", "9" * 400, "-1", "1e9"])
def test_an_absurd_order_page_number_is_an_ordinary_page(client, page):
    ok(client.get(reverse("order-list"), {"page": page}))


@pytest.mark.parametrize("weight", ["1e400", "inf", "nan", "-1e400", "1" * 500])
def test_an_absurd_weight_in_the_rate_calculator_is_a_form_error(client, merchant, weight):
    make_carrier_account(merchant)
    response = client.get(
        reverse("shipments:calculator"),
        {"from_zip": "11201", "to_zip": "94105", "country": "US", "weight_oz": weight,
         "package_type": "Package", "confirmation": "none"},
    )  # fmt: skip
    assert response.status_code == 200
    assert "weight_oz" in response.context["form"].errors


ODD_IDS = ["²", "١٢", "99999999999999999999999", "１"]


@pytest.mark.parametrize("value", ODD_IDS)
def test_odd_ids_in_selection_posts_are_ignored(client, merchant, value):
    make_carrier_account(merchant)
    ok(client.get(reverse("shipments:print"), {"shipment": [value]}))
    ok(client.post(reverse("shipments:void-selected"), {"shipment": [value]}))
    ok(client.post(reverse("order-reapply-rules"), {"order": [value]}))
    ok(client.post(reverse("shipments:batches"), {"order": [value]}))
    ok(client.post(reverse("endofday:scan-forms"), {"shipment": [value], "account": value}))
    ok(client.get(reverse("shipments:calculator"), {"account": value}))


@pytest.mark.parametrize("value", ["abc", "²", "99999999999999999999999", "1.5"])
def test_non_numeric_ids_to_rule_move_and_merchant_switch(client, merchant, value):
    make_rule(merchant)
    response = client.post(reverse("automation-move"), {"rule": value, "direction": "up"})
    assert response.status_code in {400, 404}
    response = client.post(reverse("switch-merchant"), {"merchant": value})
    assert response.status_code in {400, 404}


NUL = "a\x00b"
NUL_REFUSED = "NUL character"


@pytest.mark.parametrize(
    ("url", "params"),
    [
        ("/orders/", {"q": NUL}),
        ("/orders/", {"store": NUL}),
        ("/orders/", {"tag": NUL}),
        ("/shipments/", {"q": NUL}),
        ("/shipments/", {"service": NUL, "format": "csv"}),
        ("/t/a\x00b/", {}),
    ],
)
def test_a_nul_character_in_the_address_is_refused_in_words(client, url, params):
    """PostgreSQL compares and stores no NUL character: each of these was a server error
    there (SQLite let them through)."""
    response = client.get(url, params)
    assert response.status_code == 400, response.status_code
    assert NUL_REFUSED in response.text


def test_a_support_search_with_a_nul_character_is_refused_in_words():
    from tests.factories import make_support_agent

    agent = Client(raise_request_exception=False)
    agent.force_login(make_support_agent())
    response = agent.get(reverse("support:search"), {"q": f"acme{NUL}"})
    assert response.status_code == 400 and NUL_REFUSED in response.text


@pytest.mark.parametrize("name", ["order-bulk", "order-reapply-rules"])
def test_a_bulk_action_on_a_filter_with_a_nul_character_changes_nothing(client, merchant, name):
    from orders.models import Order
    from tests.factories import make_order

    order = make_order(merchant, "ab")
    data = {"scope": "filter", "filter": "q=a%00b", "service": "US-PM"}
    response = client.post(reverse(name), data)
    assert response.status_code == 400 and NUL_REFUSED in response.text
    assert Order.objects.get(pk=order.pk).service == order.service
