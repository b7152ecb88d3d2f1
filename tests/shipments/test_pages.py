"""The pages: buy from the rates panel, the shipments list, printing, voiding, batches."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from orders.models import Order
from shipments import batches, labels
from shipments.models import Batch, BatchItem, Shipment
from tests.factories import make_member
from tests.shipments.conftest import international

pytestmark = pytest.mark.django_db(transaction=True)


def test_buying_from_the_rates_panel_opens_the_label(stamps, account, make_shippable, owner_client):
    order = make_shippable()
    response = owner_client.post(
        reverse("shipments:buy", args=[order.pk]),
        {"service": "US-GA", "account": account.pk},
        headers={"HX-Request": "true"},
    )
    shipment = Shipment.objects.get(order=order)
    assert response.status_code == 200
    assert response["HX-Redirect"] == reverse("shipments:detail", args=[shipment.pk])
    page = owner_client.get(response["HX-Redirect"])
    assert shipment.tracking_number in page.text and "Void label" in page.text
    pdf = owner_client.get(reverse("shipments:label", args=[shipment.pk]))
    assert pdf["Content-Type"] == "application/pdf"
    assert b"".join(pdf.streaming_content).startswith(b"%PDF")


def test_buying_a_rate_the_panel_showed_asks_the_carrier_for_no_second_rate(
    stamps, account, make_shippable, owner_client
):
    from carriers.models import CarrierCall

    order = make_shippable()
    panel = owner_client.get(reverse("shipments:rates", args=[order.pk]))
    assert panel.status_code == 200 and "US-GA" in panel.text
    shown = Decimal(panel.context["shop"].quotes[0].total)
    service = panel.context["shop"].quotes[0].service
    response = owner_client.post(
        reverse("shipments:buy", args=[order.pk]),
        {"service": service, "account": account.pk},
        headers={"HX-Request": "true"},
    )
    assert response.status_code == 200 and response["HX-Redirect"]
    shipment = Shipment.objects.get(order=order)
    assert shipment.amount == shown  # the price shown is the price paid
    # The panel's every-service answer priced the purchase: one GetRates in all.
    assert CarrierCall.objects.filter(operation="GetRates").count() == 1
    assert CarrierCall.objects.filter(operation="CreateIndicium").count() == 1


def test_a_refused_purchase_is_explained_in_the_panel(
    stamps, sandbox_account, make_shippable, owner_client
):
    sandbox_account(balance="1.00")
    order = make_shippable()
    response = owner_client.post(
        reverse("shipments:buy", args=[order.pk]),
        {"service": "US-PM"},
        headers={"HX-Request": "true"},
    )
    assert "Not enough postage" in response.text and 'href="/funds/"' in response.text


def test_shipments_list_filters_exports_and_voids_selected(
    stamps, account, make_shippable, owner_client, django_assert_max_num_queries
):
    first = labels.buy_label(make_shippable(), account, "US-PM")
    second = labels.buy_label(make_shippable(), account, "US-GA")
    with django_assert_max_num_queries(10):  # one of them: the locations for the countdown
        page = owner_client.get(reverse("shipments:list"))
    assert first.tracking_number in page.text and second.tracking_number in page.text
    filtered = owner_client.get(reverse("shipments:list"), {"q": first.tracking_number})
    assert second.tracking_number not in filtered.text
    csv = owner_client.get(reverse("shipments:list"), {"format": "csv"})
    assert csv.text.count("\n") == 3 and first.tracking_number in csv.text
    response = owner_client.post(reverse("shipments:void-selected"), {"shipment": [first.pk]})
    assert response.status_code == 302
    assert Shipment.objects.get(pk=first.pk).status == Shipment.Status.VOIDED
    printed = owner_client.get(reverse("shipments:print"), {"shipment": [second.pk]})
    assert b"".join(printed.streaming_content).startswith(b"%PDF")


def test_a_batch_keeps_its_successes_and_lists_each_failure_with_a_fix_link(
    stamps, account, make_shippable, owner_client
):
    good = [make_shippable(), make_shippable(service="US-GA")]
    one_name = make_shippable(**international(recipient_name="Cher"))  # R18 refuses it
    response = owner_client.post(
        reverse("shipments:batches"), {"order": [o.pk for o in [*good, one_name]]}
    )
    batch = Batch.objects.get()
    assert response["Location"] == reverse("shipments:batch", args=[batch.pk])
    assert batch.status == Batch.Status.DONE  # django-q2 sync in tests
    assert batches.progress(batch) | {} == {
        "bought": 2,
        "failed": 1,
        "done": 3,
        "total": 3,
        "percent": 100,
    }
    page = owner_client.get(response["Location"])
    assert "Done, 2 of 3 labels created, 1 failed." in page.text
    assert "<progress" not in page.text  # no full bar over a failure
    assert "needs a first and last name" in page.text and "Retry failed" in page.text
    assert reverse("order-detail", args=[one_name.pk]) in page.text
    progress = owner_client.get(
        reverse("shipments:batch-progress", args=[batch.pk]), headers={"HX-Request": "true"}
    )
    assert progress.status_code == 286  # htmx stops polling
    pdf = owner_client.get(reverse("shipments:batch-pdf", args=[batch.pk]))
    assert b"".join(pdf.streaming_content).startswith(b"%PDF")
    assert Order.objects.filter(status=Order.Status.SHIPPED).count() == 2
    # Running it again (a duplicate delivery of the task) buys nothing more.
    batches.run_batch(batch.pk)
    assert len(stamps.indicia(account.username)) == 2


def test_a_batch_holds_at_most_500_orders(merchant, account):
    with pytest.raises(batches.BatchError, match="at most 500"):
        batches.create_batch(merchant, range(1, 502), account, None)


def test_a_stale_batch_can_be_resumed_and_a_moving_one_cannot(
    stamps, account, make_shippable, settings
):
    order = make_shippable()
    batch = Batch.objects.create(
        merchant=account.merchant, account=account, ship_date=order.order_date.date(), total=1
    )
    BatchItem.objects.create(batch=batch, order=order, position=0)
    settings.LABEL_BATCH_STALE_SECONDS = 3600
    assert not batches.resume(batch)
    settings.LABEL_BATCH_STALE_SECONDS = 0
    assert batches.resume(batch)
    batch.refresh_from_db()
    assert batch.status == Batch.Status.DONE


def _form_values(html: str, form_id_or_action: str) -> dict[str, str]:
    """The fields a browser would submit from the page's form whose action contains the text."""
    import lxml.html

    form = next(f for f in lxml.html.fromstring(html).forms if form_id_or_action in f.action)
    return dict(form.form_values())


def test_every_globalpost_rate_on_the_order_page_can_be_bought_there(
    stamps, account, make_shippable, owner_client
):
    import lxml.html

    from tests.shipments.conftest import international

    probe = make_shippable(**international())
    panel = owner_client.get(reverse("shipments:rates", args=[probe.pk])).text
    radios = lxml.html.fromstring(panel).xpath('//input[@type="radio"][@name="service"]/@value')
    offered = [code for code in radios if code.startswith("SC-GP")]
    assert len(offered) == 4, radios  # Economy, Standard and both SmartSavers
    for service in offered:
        order = make_shippable(**international())
        detail = owner_client.get(reverse("order-detail", args=[order.pk])).text
        assert 'name="service"' not in detail.split('id="rates-area"')[0]  # no second control
        panel = owner_client.get(reverse("shipments:rates", args=[order.pk])).text
        # What the browser sends: the buy form with this rate picked, plus the package form.
        data = _form_values(detail, "/package") | _form_values(panel, "/buy") | {"service": service}
        response = owner_client.post(
            reverse("shipments:buy", args=[order.pk]), data, headers={"HX-Request": "true"}
        )
        assert "buy-error" not in response.text, response.text
        shipment = Shipment.objects.get(order=order)
        assert response["HX-Redirect"] == reverse("shipments:detail", args=[shipment.pk])
        assert (shipment.service, shipment.status) == (service, Shipment.Status.BOUGHT)
        assert Order.objects.get(pk=order.pk).service == service


def test_picking_a_rate_sets_the_orders_service_and_the_package_form_keeps_it(
    stamps, account, make_shippable, owner_client
):
    order = make_shippable(service="")
    detail = owner_client.get(reverse("order-detail", args=[order.pk])).text
    package = _form_values(detail, "/package")
    # The rate radio posts the package form with the picked service (hx-post on the radio).
    picked = owner_client.post(
        reverse("order-package", args=[order.pk]),
        package | {"service": "US-GA"},
        headers={"HX-Request": "true"},
    )
    assert picked.status_code == 200 and "USPS Ground Advantage" in picked.text
    assert Order.objects.get(pk=order.pk).service == "US-GA"
    # Changing the weight afterwards (the package form alone) leaves the service alone.
    owner_client.post(
        reverse("order-package", args=[order.pk]),
        package | {"weight_oz": "9"},
        headers={"HX-Request": "true"},
    )
    saved = Order.objects.get(pk=order.pk)
    assert (saved.service, saved.weight_oz) == ("US-GA", 9)
    panel = owner_client.get(reverse("shipments:rates", args=[order.pk])).text
    assert 'value="US-GA" id="svc-US-GA" checked' in panel


def test_voiding_a_label_says_what_happens_to_the_refund_in_the_merchants_words(
    stamps, account, make_shippable, owner_client
):
    shipment = labels.buy_label(make_shippable(), account, "US-GA")
    response = owner_client.post(reverse("shipments:void", args=[shipment.pk]), follow=True)
    assert "Label voided: a refund of" in response.text
    assert "when Stamps.com credits it." in response.text
    # The rule ids are for the code and its tests, not for the merchant's screen.
    assert "(R41)" not in response.text


def test_without_javascript_show_rates_opens_a_whole_page_with_a_way_back_to_the_order(
    stamps, account, make_shippable, owner_client
):
    order = make_shippable()
    url = reverse("shipments:rates", args=[order.pk])
    page = owner_client.get(url).text
    assert 'aria-label="Main"' in page  # the layout and its navigation, not a bare fragment
    assert f'href="{reverse("order-detail", args=[order.pk])}"' in page
    assert 'id="rates-panel"' in page and "Buy label" in page
    fragment = owner_client.get(url, headers={"HX-Request": "true"}).text
    assert "<html" not in fragment and 'id="rates-panel"' in fragment


def test_a_finished_batch_lists_its_labels_and_points_to_the_end_of_the_day(
    stamps, account, make_shippable, owner_client
):
    """Once printed, the batch page was a dead end: no labels to open, no next step."""
    orders = [make_shippable(), make_shippable(service="US-GA")]
    response = owner_client.post(reverse("shipments:batches"), {"order": [o.pk for o in orders]})
    page = owner_client.get(response["Location"]).text
    for shipment in Shipment.objects.filter(order__in=orders):
        assert reverse("shipments:detail", args=[shipment.pk]) in page
        assert shipment.tracking_number in page
    assert reverse("endofday:scan-forms") in page and reverse("endofday:pickups") in page


def test_the_batch_page_costs_the_same_queries_for_two_labels_or_five(
    stamps, account, make_shippable, owner_client
):
    def page_queries(count: int) -> int:
        orders = [make_shippable() for _ in range(count)]
        response = owner_client.post(
            reverse("shipments:batches"), {"order": [o.pk for o in orders]}
        )
        with CaptureQueriesContext(connection) as queries:
            owner_client.get(response["Location"])
        return len(queries)

    assert page_queries(2) == page_queries(5)


def test_a_labels_service_has_one_name_on_the_order_list_the_order_page_and_the_label(
    stamps, account, make_shippable, owner_client
):
    order = make_shippable(service="US-GA")
    shipment = labels.buy_label(order, account, "US-GA")
    order_list = owner_client.get(reverse("order-list")).text
    order_page = owner_client.get(reverse("shipments:rates", args=[order.pk])).text
    label_page = owner_client.get(reverse("shipments:detail", args=[shipment.pk])).text
    shipments_list = owner_client.get(reverse("shipments:list")).text
    assert "USPS Ground Advantage" in order_list
    assert "Label created: USPS Ground Advantage" in order_page
    assert "<dd>USPS Ground Advantage</dd>" in label_page
    assert "<td>USPS Ground Advantage</td>" in shipments_list


def test_a_viewer_reads_the_order_page_and_its_rates_but_is_offered_no_change_or_purchase(
    stamps, account, make_shippable, merchant
):
    viewer = Client()
    viewer.force_login(make_member(merchant, "viewer@acme.test", role="viewer"))
    order = make_shippable()
    page = viewer.get(reverse("order-detail", args=[order.pk])).text
    assert order.number in page
    for control in ("Edit address", "Reapply rules", 'type="submit">Save</button>', "hx-post"):
        assert control not in page
    rates = viewer.get(reverse("shipments:rates", args=[order.pk])).text
    assert "Priority Mail" in rates
    package = reverse("order-package", args=[order.pk])
    buy = reverse("shipments:buy", args=[order.pk])
    assert "Buy label</button>" not in rates and f'hx-post="{package}"' not in rates
    assert f'action="{buy}"' not in rates
    refused = viewer.post(reverse("shipments:buy", args=[order.pk]), {"service": "US-PM"})
    assert refused.status_code == 403


def test_after_a_void_the_order_page_still_shows_the_voided_label_and_its_refund(
    stamps, account, make_shippable, owner_client
):
    shipment = labels.buy_label(make_shippable(), account, "US-GA")
    owner_client.post(reverse("shipments:void", args=[shipment.pk]))
    order_page = owner_client.get(reverse("order-detail", args=[shipment.order_id])).text
    panel_url = reverse("tracking:order-panel", args=[shipment.order_id])
    assert f'hx-get="{panel_url}"' in order_page  # the order is open again, its label is not gone
    panel = owner_client.get(panel_url).text
    assert "Label voided" in panel and f"refund of ${shipment.amount} requested" in panel


def test_a_shipper_refused_for_lack_of_postage_is_not_linked_to_funds_they_cannot_open(
    stamps, sandbox_account, make_shippable, merchant
):
    sandbox_account(balance="1.00")
    shipper = Client()
    shipper.force_login(make_member(merchant, "packer@acme.test", role="shipper"))
    order = make_shippable()
    response = shipper.post(
        reverse("shipments:buy", args=[order.pk]),
        {"service": "US-PM"},
        headers={"HX-Request": "true"},
    )
    assert "Not enough postage" in response.text
    assert 'href="/funds/"' not in response.text
    assert "Ask the store's owner or an admin (Add funds)." in response.text
