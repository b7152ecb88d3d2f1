"""Uploads and API bodies that are too big, of the wrong type or malformed get a clear
answer (400/413 with the reason), never a server error."""

from __future__ import annotations

import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from orders import api_keys, import_views
from orders.models import ImportJob, Order

CSV = "Order Number,Recipient Name,Address 1,City,State,Postal Code,Country\n1,Jane Doe,1 Main St,Austin,TX,78701,US\n"  # noqa: E501
PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4\x89"  # noqa: E501
XLSX = b"PK\x03\x04\x14\x00\x06\x00\x08\x00\x00\x00!\x00[Content_Types].xml\x00\x00"


def upload(client, content: bytes, name: str, content_type: str = "text/csv"):
    file = SimpleUploadedFile(name, content, content_type)
    return client.post(reverse("order-import"), {"file": file})


def form_errors(response) -> str:
    assert response.status_code == 200, response.status_code
    return " ".join(response.context["form"].errors.get("file", []))


@pytest.mark.django_db
def test_a_csv_over_the_size_cap_is_refused_with_the_limit(owner_client):
    big = CSV.encode() + b"2,Jane Doe,1 Main St,Austin,TX,78701,US\n" * (
        import_views.MAX_UPLOAD_BYTES // 40 + 1
    )
    assert len(big) > import_views.MAX_UPLOAD_BYTES
    message = form_errors(upload(owner_client, big, "orders.csv"))
    assert "over 20 MB" in message and "split" in message
    assert not ImportJob.objects.exists() and not Order.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("content", "name", "content_type"),
    [
        (PNG, "orders.csv", "text/csv"),  # binary renamed to .csv
        (XLSX, "orders.xlsx", "application/vnd.ms-excel"),
        (CSV.encode(), "orders.xlsx", "application/vnd.ms-excel"),  # a spreadsheet's name
        (b"\x00\x01\x02\x03" * 64, "orders.csv", "application/octet-stream"),
    ],
    ids=["png", "xlsx", "xlsx-name", "binary"],
)
def test_a_file_that_is_not_csv_is_refused_with_what_to_do(owner_client, content, name,
                                                          content_type):  # fmt: skip
    message = form_errors(upload(owner_client, content, name, content_type))
    assert "CSV" in message, message
    assert not ImportJob.objects.exists()


@pytest.mark.django_db
def test_an_empty_or_malformed_csv_is_refused_not_a_server_error(owner_client):
    assert "empty" in form_errors(upload(owner_client, b"", "orders.csv")).lower()
    response = upload(owner_client, b'Order Number,"Recipient\n1,"Jane', "orders.csv")
    assert response.status_code in {200, 302}


@pytest.mark.django_db
def test_a_proper_csv_still_imports(owner_client):
    response = upload(owner_client, CSV.encode(), "orders.csv")
    assert response.status_code == 302
    assert Order.objects.count() == 1


# -- JSON API ---------------------------------------------------------------------------


@pytest.fixture
def api(merchant):
    key, _ = api_keys.rotate(merchant)
    client = Client(headers={"Authorization": f"Bearer {key}"})

    def post(body: bytes | str, content_type: str = "application/json"):
        return client.post(reverse("api-orders"), body, content_type=content_type)

    return post


def assert_json_error(response, *statuses: int) -> str:
    assert response.status_code in statuses, (response.status_code, response.content[:300])
    assert response["Content-Type"] == "application/json"
    body = response.json()
    assert isinstance(body.get("error"), str) and body["error"], body
    return body["error"]


ORDER = {"order_number": "J-1", "recipient_name": "Jane Doe", "street1": "1 Main St",
         "city": "Austin", "state": "TX", "postal_code": "78701", "country": "US"}  # fmt: skip


@pytest.mark.django_db
@pytest.mark.parametrize(
    "body",
    [b"", b"{", b"nul", b"\xff\xfe\x00{", b'{"orders": [', b"[" * 100_000 + b"]" * 100_000,
     b'{"orders": ' + b"{" * 50_000 + b"}" * 50_000 + b"}"],
    ids=["empty", "truncated", "not-json", "bad-utf8", "unterminated", "deep-list", "deep-object"],
)  # fmt: skip
def test_malformed_json_answers_400_with_a_reason(api, body):
    assert_json_error(api(body), 400)


@pytest.mark.django_db
@pytest.mark.parametrize(
    "payload",
    [None, 5, "orders", [], {}, {"orders": 5}, {"orders": "x"}, {"orders": True},
     {"orders": {"a": 1}}, {"orders": None}, {"orders": [1, "x", None, []]},
     {"orders": [{**ORDER, "items": 5}]}, {"orders": [{**ORDER, "items": [1, 2]}]},
     {"orders": [{**ORDER, "items": {"sku": "A"}}]},
     {"orders": [{**ORDER, "recipient_name": {"a": [1]}, "city": [1, 2], "state": 1.5e308}]},
     {"orders": [{**ORDER, "order_number": "N" * 10_000, "city": "C" * 100_000}]},
     {"orders": [{**ORDER, "items": [{"sku": "A", "quantity": "1e999999", "unit_price": "NaN",
                                      "item_weight_oz": -1}]}]},
     {"orders": [{**ORDER, "order_date": "9999-99-99", "total": "Infinity"}]},
     {"orders": [{**ORDER, "order_date": "9999-12-31T23:59:59-12:00"}]},
     {"orders": [{**ORDER, "order_date": "0001-01-01"}]}],
)  # fmt: skip
def test_wrong_shapes_and_values_never_cause_a_server_error(api, payload):
    response = api(json.dumps(payload))
    assert response.status_code in {200, 400, 413, 422}, (response.status_code, payload)
    assert response["Content-Type"] == "application/json"
    body = response.json()
    if response.status_code != 200:
        assert body.get("error") or body.get("errors"), body


@pytest.mark.django_db
def test_a_body_over_the_limit_answers_413_in_json(api):
    from orders.api import MAX_BODY_BYTES

    huge = json.dumps({"orders": [ORDER], "padding": "x" * (MAX_BODY_BYTES + 10)})
    assert "5 MB" in assert_json_error(api(huge), 413)


@pytest.mark.django_db
def test_a_body_between_djangos_memory_limit_and_ours_is_still_answered_in_json(api, settings):
    """Django refuses bodies over DATA_UPLOAD_MAX_MEMORY_SIZE (2.5 MB) with an HTML 400:
    the API must answer for itself, in JSON, either way."""
    filler = {**ORDER, "notes_ignored": "x" * 3000}
    body = json.dumps({"orders": [{**filler, "order_number": f"J-{i}"} for i in range(900)]})
    assert settings.DATA_UPLOAD_MAX_MEMORY_SIZE < len(body) < 5 * 1024 * 1024
    response = api(body)
    assert response["Content-Type"] == "application/json", response.status_code
    assert response.status_code in {200, 413}


@pytest.mark.django_db
def test_too_many_orders_answers_413(api):
    from orders.api import MAX_ORDERS

    body = json.dumps({"orders": [{"order_number": str(i)} for i in range(MAX_ORDERS + 1)]})
    assert str(MAX_ORDERS) in assert_json_error(api(body), 413)


@pytest.mark.django_db
def test_a_wrong_or_missing_key_answers_401_in_json(merchant):
    client = Client()
    for headers in ({}, {"Authorization": "Bearer nope"}, {"Authorization": "Basic eA=="}):
        response = client.post(reverse("api-orders"), "{}", "application/json", headers=headers)
        assert_json_error(response, 401)


@pytest.mark.django_db
def test_only_post_is_served(api, merchant):
    response = Client().get(reverse("api-orders"))
    assert response.status_code == 405
