"""Create labels for many orders at once: the batch page with its live progress bar."""

from __future__ import annotations

from django.contrib import messages
from django.db.models import Count, Q
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST
from django_htmx.http import HttpResponseStopPolling

from carriers.services import ChosenAccountGone
from merchants.ids import parse_ids
from merchants.permissions import Perm
from merchants.tenancy import MerchantRequest, get_owned_or_404, merchant_view, owned
from shipments import batches
from shipments.forms import BatchForm
from shipments.models import Batch, BatchItem
from shipments.views import chosen_account, merchant_accounts


@merchant_view(Perm.BUY_LABELS, read=Perm.VIEW)
def batch_list(request: MerchantRequest) -> HttpResponse:
    if request.method == "POST":
        return batch_create(request)
    recent = (
        owned(request, Batch)
        .select_related("account")
        .annotate(failed=Count("items", filter=Q(items__status=BatchItem.Status.FAILED)))[:50]
    )
    return render(request, "shipments/batches.html", {"batches": recent})


@require_POST
def batch_create(request: MerchantRequest) -> HttpResponse:
    ids = parse_ids(request.POST.getlist("order"))
    accounts = merchant_accounts(request)
    try:
        account = chosen_account(request, accounts)
    except ChosenAccountGone as exc:
        messages.error(request, exc.message)
        return redirect("order-list")
    if account is None:
        messages.error(request, "Connect a Stamps.com account before creating labels.")
        return redirect("order-list")
    form = BatchForm(request.POST)
    # A date that is not a date, or one already past, falls back to the default ship date.
    day = form.cleaned_data.get("ship_date") if form.is_valid() else None
    try:
        batch = batches.create_batch(request.merchant, ids, account, day, user=request.user)
    except batches.BatchError as exc:
        messages.error(request, str(exc))
        return redirect("order-list")
    return redirect("shipments:batch", pk=batch.pk)


def _batch_context(batch: Batch) -> dict:
    failures = (
        batch.items.filter(status=BatchItem.Status.FAILED)
        .select_related("order")
        .only("reason", "order__number", "order_id", "batch_id")
    )
    created = (
        batch.items.filter(status=BatchItem.Status.BOUGHT, shipment__isnull=False)
        .select_related("order", "shipment")
        .only(
            "order__number",
            "shipment__service_name",
            "shipment__tracking_number",
            "shipment__amount",
            "batch_id",
        )
    )
    return {
        "batch": batch,
        "created": created if batch.finished else [],
        "progress": batches.progress(batch),
        "failures": failures if batch.finished else failures[:50],
        "stale": batches.is_stale(batch),
    }


@merchant_view(Perm.LABELS, read=Perm.VIEW)
def batch_detail(request: MerchantRequest, pk: int) -> HttpResponse:
    batch = get_owned_or_404(request, Batch.objects.select_related("account"), pk=pk)
    return render(request, "shipments/batch.html", _batch_context(batch))


@merchant_view(Perm.LABELS, read=Perm.VIEW)
def batch_progress(request: MerchantRequest, pk: int) -> HttpResponse:
    batch = get_owned_or_404(request, Batch, pk=pk)
    response = render(request, "shipments/batch.html#progress", _batch_context(batch))
    if batch.finished:
        # Stop polling, and show the final state (django-htmx's 286).
        return HttpResponseStopPolling(response.content)
    return response


@merchant_view(Perm.BUY_LABELS)
@require_POST
def batch_resume(request: MerchantRequest, pk: int) -> HttpResponse:
    batch = get_owned_or_404(request, Batch, pk=pk)
    if batches.resume(batch):
        messages.success(request, "Batch resumed: labels already bought are kept, none twice.")
    elif batch.finished:
        messages.info(request, "This batch is already finished.")
    else:
        messages.info(request, "This batch is still running.")
    return redirect("shipments:batch", pk=batch.pk)


@merchant_view(Perm.BUY_LABELS)
@require_POST
def batch_retry(request: MerchantRequest, pk: int) -> HttpResponse:
    batch = get_owned_or_404(request, Batch.objects.select_related("account"), pk=pk)
    try:
        count = batches.retry_failed(batch)
    except batches.BatchError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(
            request,
            ngettext("Retrying %(n)d failed order", "Retrying %(n)d failed orders", count)
            % {"n": count}
            + ": labels already bought are kept and none is bought twice."
            if count
            else "Every failed order has a label by now: nothing to buy again.",
        )
    return redirect("shipments:batch", pk=batch.pk)
