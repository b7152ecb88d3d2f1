"""The import page, the job with its progress, the command and the JSON API."""

from __future__ import annotations

import json
from zoneinfo import ZoneInfo

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from orders import api_keys, importing
from orders.models import ApiKey, ImportJob, Order
from tests.orders.test_import_csv import csv_text, row


def upload(client, text: str, name="orders.csv"):
    return client.post(
        reverse("order-import"), {"file": SimpleUploadedFile(name, text.encode(), "text/csv")}
    )


def test_the_import_page_documents_the_columns_and_offers_a_sample(owner_client):
    page = owner_client.get(reverse("order-import")).text
    for header in ("Order Number", "Recipient Name", "Item Weight (oz)", "Tags"):
        assert header in page
    sample = owner_client.get(reverse("order-import-sample"))
    assert sample["Content-Type"].startswith("text/csv")
    assert "attachment" in sample["Content-Disposition"]
    assert sample.content.decode().startswith("Order Number,Order Date,Store")


def test_a_small_upload_imports_at_once_and_reports_bad_rows(owner_client, merchant):
    response = upload(owner_client, csv_text(row("1001"), row("1002", country="Atlantis")))
    job = ImportJob.objects.get(merchant=merchant)
    assert response.url == reverse("order-import-job", kwargs={"pk": job.pk})
    page = owner_client.get(response.url).text
    assert "1 new order," in page
    assert "Country &#x27;Atlantis&#x27; is unknown" in page
    assert job.errors and job.errors[0]["row"] == 3
    job.refresh_from_db()
    assert job.content == ""  # the customer data isn't kept twice


def test_a_large_upload_runs_as_a_job_and_the_progress_fragment_stops_polling(
    owner_client, merchant, settings, django_capture_on_commit_callbacks
):
    settings.ORDERS_IMPORT_INLINE_MAX_ROWS = 2
    settings.ORDERS_JOBS_SYNC = True  # the job runs inline; test_e2e proves a real worker
    rows = [row(f"L-{i}") for i in range(5)]
    with django_capture_on_commit_callbacks(execute=True):
        response = upload(owner_client, csv_text(*rows))
    job = ImportJob.objects.get(merchant=merchant)
    assert job.status == ImportJob.Status.DONE
    assert Order.objects.filter(merchant=merchant).count() == 5
    fragment = owner_client.get(response.url, headers={"HX-Request": "true"})
    assert fragment.status_code == 286  # htmx: stop polling
    assert 'value="100"' in fragment.text and "<html" not in fragment.text


def test_progress_fragment_keeps_polling_while_running(owner_client, merchant):
    job = ImportJob.objects.create(
        merchant=merchant, status=ImportJob.Status.RUNNING, total_rows=200, processed_rows=50
    )
    fragment = owner_client.get(
        reverse("order-import-job", kwargs={"pk": job.pk}), headers={"HX-Request": "true"}
    )
    assert fragment.status_code == 200
    assert 'hx-trigger="every 1s"' in fragment.text and 'value="25"' in fragment.text


def test_unknown_headers_lead_to_the_mapping_page_which_saves_and_imports(owner_client, merchant):
    text = "Ref,Ship To,Street,Town,Zip\n8001,Jane Doe,1 Main St,Austin,78701\n"
    response = upload(owner_client, text)
    job = ImportJob.objects.get(merchant=merchant)
    assert response.url == reverse("order-import-mapping", kwargs={"pk": job.pk})
    page = owner_client.get(response.url).text
    assert "Ship To" in page and "Jane Doe" in page
    incomplete = owner_client.post(response.url, {"col_0": "order_number"})
    assert "Still missing" in incomplete.text
    done = owner_client.post(
        response.url,
        {"col_0": "order_number", "col_1": "recipient_name", "col_2": "street1", "col_3": "city"},
    )
    assert done.status_code == 302
    assert Order.objects.get(merchant=merchant, number="8001").postal_code == "78701"
    # The next file with the same headers needs no mapping.
    again = upload(owner_client, text.replace("8001", "8002"))
    assert "mapping" not in again.url
    assert Order.objects.filter(merchant=merchant, number="8002").exists()


def test_import_orders_command_imports_and_reports_bad_rows(merchant, tmp_path, capsys):
    path = tmp_path / "orders.csv"
    path.write_text(csv_text(row("C-1"), row("C-2", qty="-4")))
    with pytest.raises(CommandError, match="1 row was not imported"):
        call_command("import_orders", str(path), "--merchant", merchant.slug)
    out = capsys.readouterr()
    assert "1 order created" in out.out
    assert "row 3: Quantity '-4'" in out.err
    path.write_text(csv_text(row("C-1", city="Reno")))
    call_command("import_orders", str(path), "--merchant", merchant.slug)
    assert Order.objects.get(number="C-1").city == "Reno"
    assert Order.objects.filter(merchant=merchant).count() == 1


def test_import_orders_command_refuses_an_unknown_merchant(db, tmp_path):
    path = tmp_path / "orders.csv"
    path.write_text(csv_text(row()))
    with pytest.raises(CommandError, match="No merchant"):
        call_command("import_orders", str(path), "--merchant", "nope")


# -- API ------------------------------------------------------------------------------------

API_ORDER = {
    "order_number": "API-1",
    "recipient_name": "Jane Doe",
    "street1": "1 Market St",
    "city": "San Francisco",
    "state": "CA",
    "postal_code": "94105",
    "items": [{"sku": "MUG", "item_name": "Mug", "quantity": 2, "unit_price": "18.00"}],
}


def post_api(key: str | None, body):
    headers = {"Authorization": f"Bearer {key}"} if key else {}
    return Client().post(
        "/api/v1/orders", json.dumps(body), content_type="application/json", headers=headers
    )


def test_api_imports_orders_for_the_keys_merchant_only(merchant, outsider_merchant):
    key, _ = api_keys.rotate(merchant)
    response = post_api(key, {"orders": [API_ORDER]})
    assert response.status_code == 200, response.content
    order = Order.objects.get(number="API-1")
    assert response.json() == {
        "created": 1,
        "updated": 0,
        "orders": [
            {
                "order_number": "API-1",
                "id": order.pk,
                "status": "awaiting_shipment",
                "ship_from": None,
                # No ship-from location yet: today in the store's time zone.
                "ship_date": timezone.localdate(timezone=ZoneInfo(merchant.time_zone)).isoformat(),
                "address_status": "unchecked",
            }
        ],
        "errors": [],
    }
    assert order.merchant == merchant and order.total.to_eng_string() == "36.00"
    again = post_api(key, {"orders": [API_ORDER | {"city": "Oakland"}]})
    assert again.json()["updated"] == 1
    assert Order.objects.filter(number="API-1").count() == 1


def test_api_reports_each_bad_order_with_its_index(merchant):
    key, _ = api_keys.rotate(merchant)
    bad = API_ORDER | {"order_number": "API-2", "country": "Mordor"}
    response = post_api(key, {"orders": [API_ORDER, bad, "nope"]})
    body = response.json()
    assert body["created"] == 1
    assert [o["order_number"] for o in body["orders"]] == ["API-1"]  # the refused one isn't
    assert [(e["index"], e["order_number"]) for e in body["errors"]] == [(1, "API-2"), (2, "")]
    assert "Mordor" in body["errors"][0]["reason"]


@pytest.mark.parametrize(
    "change",
    [
        {"recipient_name": "Jane\u0000Doe"},
        {"order_number": "API\u00002"},
        {"items": [{"sku": "MUG\u0000", "quantity": 1}]},
    ],
    ids=["name", "number", "item"],
)
def test_api_refuses_an_order_with_a_nul_character_and_says_where(merchant, change):
    """PostgreSQL stores no NUL character: the order, its number looked up first, was a server
    error there; it is refused like any bad value and the other orders still go in."""
    key, _ = api_keys.rotate(merchant)
    refused = API_ORDER | {"order_number": "API-2"} | change
    response = post_api(key, {"orders": [API_ORDER, refused]})
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["created"] == 1 and [e["index"] for e in body["errors"]] == [1]
    assert "NUL character" in body["errors"][0]["reason"]
    assert list(Order.objects.values_list("number", flat=True)) == ["API-1"]


@pytest.mark.parametrize("key", [None, "sdk_wrong", "not-even-a-key"])
def test_api_without_a_valid_key_is_refused(merchant, key):
    response = post_api(key, {"orders": [API_ORDER]})
    assert response.status_code == 401
    assert not Order.objects.exists()


def test_api_refuses_broken_json(merchant):
    key, _ = api_keys.rotate(merchant)
    response = Client().post(
        "/api/v1/orders", "{nope", content_type="application/json",
        headers={"Authorization": f"Bearer {key}"},
    )  # fmt: skip
    assert response.status_code == 400


def test_only_a_hash_of_the_key_is_stored_and_rotation_revokes_the_old_key(owner_client, merchant):
    page = owner_client.post(reverse("api-key-rotate"))
    raw = page.context["new_key"]
    assert raw in page.text
    stored = ApiKey.objects.get(merchant=merchant)
    assert raw not in (stored.key_hash, stored.prefix) and stored.key_hash == api_keys.hash_key(raw)
    assert raw not in owner_client.get(reverse("api-key-settings")).text
    owner_client.post(reverse("api-key-rotate"))
    assert post_api(raw, {"orders": [API_ORDER]}).status_code == 401
    assert ApiKey.objects.filter(merchant=merchant).count() == 1


def test_api_json_order_without_items_imports(merchant):
    orders, errors = importing.orders_from_json({"orders": [dict(API_ORDER, items=[])]})
    assert errors == [] and len(orders) == 1
