"""Labels and batches in the Django admin: readable, never changed by hand (R14), and list
pages that cost the same with a million rows."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from carriers.models import CarrierCall
from funding.models import LedgerEntry, PostagePurchase
from merchants.admin import EstimatedCountPaginator
from merchants.models import AuditLog
from orders.models import Order, OrderRuleChange
from shipments.models import Batch, BatchItem, Shipment, ShippingSettings
from tests.factories import admin_url, make_merchant, make_order, make_rule
from tests.merchants.test_admin import make_look_up
from tests.orders.test_admin import make_change
from tests.orders.test_search_plan import plan_of_list_search
from tests.shipments.factories import make_batch, make_shipment
from tests.support_console.test_merchant_page import fill

pytestmark = pytest.mark.django_db


def test_R14_an_admin_cannot_void_or_delete_a_label_by_hand(admin_client, merchant):
    label = make_shipment(merchant)
    change = admin_url(Shipment, "change", label.pk)
    assert "_save" not in admin_client.get(change).text
    response = admin_client.post(change, {"status": "voided", "service": "US-FC"})
    assert response.status_code == 403
    assert admin_client.get(admin_url(Shipment, "add")).status_code == 403
    assert (
        admin_client.post(admin_url(Shipment, "delete", label.pk), {"post": "yes"}).status_code
        == 403
    )
    changelist = admin_client.get(admin_url(Shipment, "changelist")).text
    assert 'value="delete_selected"' not in changelist
    label.refresh_from_db()
    assert label.status == Shipment.Status.BOUGHT and label.amount == Decimal("9.40")


def test_an_admin_cannot_put_another_stores_order_into_a_batch(
    admin_client, merchant, outsider_merchant
):
    batch = make_batch(merchant)
    foreign = make_order(outsider_merchant, "B-900")
    change = admin_url(Batch, "change", batch.pk)
    response = admin_client.post(
        change,
        {
            "status": batch.status,
            "items-TOTAL_FORMS": "2",
            "items-INITIAL_FORMS": "1",
            "items-0-id": batch.items.get().pk,
            "items-0-batch": batch.pk,
            "items-0-order": batch.items.get().order_id,
            "items-0-position": "0",
            "items-0-status": "pending",
            "items-1-batch": batch.pk,
            "items-1-order": foreign.pk,
            "items-1-position": "1",
            "items-1-status": "pending",
        },
    )
    assert response.status_code == 403
    assert (
        admin_client.post(admin_url(Batch, "delete", batch.pk), {"post": "yes"}).status_code == 403
    )
    assert not BatchItem.objects.filter(order=foreign).exists()
    assert Batch.objects.filter(pk=batch.pk).exists()


@pytest.mark.parametrize("model", [Shipment, Order, OrderRuleChange, CarrierCall])
def test_big_tables_list_pages_list_no_filter_choices_by_reading_every_row(
    admin_client, merchant, model
):
    # SELECT DISTINCT service FROM shipments (and the like) reads the whole table on every
    # load of the list page: millions of labels, orders and carrier calls.
    make_shipment(merchant)
    with CaptureQueriesContext(connection) as queries:
        response = admin_client.get(admin_url(model, "changelist"))
    assert response.status_code == 200
    scans = [
        q["sql"]
        for q in queries
        if q["sql"].startswith(f'SELECT DISTINCT "{model._meta.db_table}"')
    ]
    assert scans == []


def test_labels_can_still_be_filtered_by_service(admin_client, merchant):
    make_shipment(merchant, "L-1", service="US-PM", tracking_number="9400100000000000000001")
    make_shipment(merchant, "L-2", service="US-FC", tracking_number="9400100000000000000002")
    html = admin_client.get(admin_url(Shipment, "changelist"), {"service": "US-FC"}).text
    assert "9400100000000000000002" in html and "9400100000000000000001" not in html
    assert "Priority Mail" in html  # offered by name


def test_shipping_settings_pages_do_not_list_every_store(admin_client, merchant):
    for i in range(3):
        make_merchant(f"Other {i}", f"o{i}@other.test")
    settings, _ = ShippingSettings.objects.get_or_create(merchant=merchant)
    for url in (
        admin_url(ShippingSettings, "add"),
        admin_url(ShippingSettings, "change", settings.pk),
    ):
        html = admin_client.get(url).text
        assert "Other 0" not in html, url


@pytest.mark.skipif(
    connection.vendor != "postgresql", reason="trigram indexes exist only on PostgreSQL (CI=true)"
)
def test_the_label_search_in_the_admin_reads_only_through_indexes(admin_client, merchant):
    # One field searched without an index (LIKE '%term%' on a transaction id) and the whole
    # OR is answered by reading every label ever bought.
    for i in range(40):
        make_shipment(merchant, f"T-{i:03}", tracking_number=f"94001{i:017}")
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE shipments_shipment")
        cursor.execute("ANALYZE orders_order")
    url = f"{admin_url(Shipment, 'changelist')}?q=0000000000012"
    keep = ("shipments_shipment_order_id", "shipments_shipment_integrator", "shipment_stamps_tx_id")
    plan = plan_of_list_search(admin_client, url, ["shipments_shipment", "orders_order"], keep)
    assert "Bitmap Index Scan on shipments_tracking_trgm" in plan, plan
    # A path the planner was told to avoid (cost 10000000000) means it had no other.
    read_whole = [line for line in plan.splitlines() if "cost=10000000000" in line]
    assert not [line for line in read_whole if "on shipments_shipment" in line], plan


@pytest.mark.parametrize("by", ["tracking", "part of tracking", "transaction", "order number"])
def test_the_label_search_in_the_admin_finds_a_label(admin_client, merchant, by):
    label = make_shipment(
        merchant,
        "A-7788",
        tracking_number="9400100000000000004242",
        stamps_tx_id="11111111-2222-3333-4444-555555557788",
    )
    make_shipment(merchant, "A-1111", tracking_number="9400100000000000001111")
    term = {
        "tracking": label.tracking_number,
        "part of tracking": "4242",
        "transaction": label.stamps_tx_id,
        "order number": "A-7788",
    }[by]
    html = admin_client.get(admin_url(Shipment, "changelist"), {"q": term}).text
    assert "9400100000000000004242" in html and "9400100000000000001111" not in html


LOGS = [Shipment, Order, OrderRuleChange, CarrierCall, LedgerEntry, PostagePurchase, AuditLog]


@pytest.mark.parametrize("model", LOGS)
def test_big_tables_list_pages_count_no_row_beside_a_search_and_list_no_years(
    admin_client, merchant, model
):
    # "3 results (2,345,678 total)" is a COUNT(*) of the whole table on every search, and
    # date_hierarchy's year links a SELECT DISTINCT of every row's year on every load.
    fill(merchant)
    table = model._meta.db_table
    url = admin_url(model, "changelist")
    with CaptureQueriesContext(connection) as searched:
        assert admin_client.get(url, {"q": "acme"}).status_code == 200
    with CaptureQueriesContext(connection) as listed:
        assert admin_client.get(url).status_code == 200
    whole = [
        q["sql"] for q in searched if f'FROM "{table}"' in q["sql"] and " WHERE " not in q["sql"]
    ]
    assert whole == []
    years = [q["sql"] for q in listed if "DISTINCT" in q["sql"] and "TRUNC" in q["sql"].upper()]
    assert years == []


def test_the_call_log_is_narrowed_by_date_instead(admin_client, merchant):
    now = timezone.now()
    for days in (0, 40):
        CarrierCall.objects.create(
            merchant=merchant,
            username=f"called-{days}-days-ago",
            operation="GetRates",
            started_at=now - dt.timedelta(days=days),
            outcome=CarrierCall.Outcome.OK,
        )
    url = admin_url(CarrierCall, "changelist")
    html = admin_client.get(url).text
    assert "Past 7 days" in html  # the filter's fixed choices, no query
    week = {
        "started_at__gte": f"{timezone.localtime(now) - dt.timedelta(days=7):%Y-%m-%d %H:%M:%S%z}"
    }
    html = admin_client.get(url, week).text
    assert "called-0-days-ago" in html and "called-40-days-ago" not in html


# -- the count of an unfiltered big list -----------------------------------------------------

postgresql_only = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="reads PostgreSQL's row estimates (pg_class)"
)


def rows_in_every_big_table(merchant, n: int = 3) -> None:
    fill(merchant, n)
    rule = make_rule(merchant)
    for order in Order.objects.filter(merchant=merchant):
        make_change(order, rule)
    for _ in range(n):
        make_look_up(merchant)


def emptied(model) -> None:
    """``model``'s table emptied by TRUNCATE, inside the test's transaction: its estimate is
    then -1 (never analyzed), and whatever ``analyze`` writes goes away with the test.
    ANALYZE writes its estimate in place, kept when the transaction rolls back: a table
    analyzed with 12,345 test rows would then read "about 12,000" in every later test."""
    with connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")  # no pending checks block TRUNCATE
        cursor.execute(f'TRUNCATE "{model._meta.db_table}" CASCADE')


def analyze(model) -> None:
    with connection.cursor() as cursor:
        cursor.execute(f'ANALYZE "{model._meta.db_table}"')


def reltuples(model) -> float:
    with connection.cursor() as cursor:
        cursor.execute("SELECT reltuples FROM pg_class WHERE relname = %s", [model._meta.db_table])
        return cursor.fetchone()[0]


def counts(queries, model) -> list[str]:
    """The statements that counted ``model``'s table (Django's paginator: COUNT(*))."""
    table = model._meta.db_table
    return [q["sql"] for q in queries if "COUNT(" in q["sql"] and f'FROM "{table}"' in q["sql"]]


def test_an_estimate_reads_as_about_two_figures_or_millions_in_words():
    paginator = EstimatedCountPaginator([], 100)
    for estimate, shown in [
        (12_345, "about 12,000"),
        (98_765, "about 99,000"),
        (123_456, "about 120,000"),
        (1_234_567, "about 1.2 million"),
        (2_000_000_000, "about 2.0 billion"),
    ]:
        paginator.__dict__["estimate"] = estimate
        assert paginator.approximate_count == shown


@postgresql_only
@pytest.mark.parametrize("model", LOGS)
def test_big_tables_unfiltered_lists_are_counted_by_estimate_on_postgresql(
    admin_client, merchant, model, monkeypatch
):
    # SELECT COUNT(*) of the whole table read every row on each load of the list page
    # (its pagination), once the table had millions of rows.
    emptied(model)
    rows_in_every_big_table(merchant)
    analyze(model)
    monkeypatch.setattr(EstimatedCountPaginator, "exact_below", 2)  # these few rows are "big"
    rows = model.objects.count()
    with CaptureQueriesContext(connection) as queries:
        response = admin_client.get(admin_url(model, "changelist"))
    assert response.status_code == 200
    assert counts(queries, model) == []
    assert f"about {rows} {model._meta.verbose_name_plural}" in response.text
    assert "results (" not in response.text  # no count beside the search box either


@postgresql_only
def test_a_big_call_log_says_about_how_many_calls_it_holds(admin_client, merchant):
    emptied(CarrierCall)
    now = timezone.now()
    CarrierCall.objects.bulk_create(
        CarrierCall(
            merchant=merchant,
            username="big-store",
            operation="GetRates",
            started_at=now - dt.timedelta(seconds=i),
            outcome=CarrierCall.Outcome.OK,
        )
        for i in range(12_345)
    )
    analyze(CarrierCall)
    with CaptureQueriesContext(connection) as queries:
        response = admin_client.get(admin_url(CarrierCall, "changelist"), {"p": "2"})
    assert response.status_code == 200
    assert counts(queries, CarrierCall) == []
    assert "about 12,000 carrier calls" in response.text
    assert len(response.context["cl"].result_list) == 100  # the second page, by OFFSET


@postgresql_only
def test_an_order_list_counted_by_estimate_offers_to_select_about_that_many(
    admin_client, merchant, monkeypatch
):
    emptied(Order)
    rows_in_every_big_table(merchant)
    analyze(Order)
    monkeypatch.setattr(EstimatedCountPaginator, "exact_below", 2)
    html = admin_client.get(admin_url(Order, "changelist")).text
    rows = Order.objects.count()
    assert f"Select all about {rows} orders" in html and f"All about {rows} selected" in html


@postgresql_only
def test_filtered_searched_small_or_never_analyzed_lists_are_counted_exactly(
    admin_client, merchant, monkeypatch
):
    emptied(CarrierCall)
    rows_in_every_big_table(merchant)
    url = admin_url(CarrierCall, "changelist")
    # Never analyzed (reltuples -1): the estimate says nothing.
    assert reltuples(CarrierCall) == -1
    monkeypatch.setattr(EstimatedCountPaginator, "exact_below", 0)
    with CaptureQueriesContext(connection) as queries:
        html = admin_client.get(url).text
    assert counts(queries, CarrierCall) and "about" not in html and "3 carrier calls" in html
    # Analyzed, but below the threshold.
    analyze(CarrierCall)
    monkeypatch.setattr(EstimatedCountPaginator, "exact_below", 10_000)
    with CaptureQueriesContext(connection) as queries:
        html = admin_client.get(url).text
    assert counts(queries, CarrierCall) and "about" not in html and "3 carrier calls" in html
    # Big, but narrowed by a filter or a search: their own indexes count those.
    monkeypatch.setattr(EstimatedCountPaginator, "exact_below", 2)
    for narrowed in ({"outcome": "fault"}, {"q": merchant.slug + "-stamps"}):
        with CaptureQueriesContext(connection) as queries:
            html = admin_client.get(url, narrowed).text
        assert counts(queries, CarrierCall), narrowed
        assert "about" not in html and "3 carrier calls" in html, narrowed


@pytest.mark.skipif(connection.vendor != "sqlite", reason="SQLite keeps no row estimate")
@pytest.mark.parametrize("model", LOGS)
def test_on_sqlite_big_tables_lists_keep_their_exact_count(
    admin_client, merchant, model, monkeypatch
):
    rows_in_every_big_table(merchant)
    monkeypatch.setattr(EstimatedCountPaginator, "exact_below", 0)
    rows = model.objects.count()
    with CaptureQueriesContext(connection) as queries:
        html = admin_client.get(admin_url(model, "changelist")).text
    assert counts(queries, model)
    assert f"{rows} {model._meta.verbose_name_plural}" in html and "about" not in html
