"""Printing: one label, a selection, a batch, the print queue and printing preferences (R39).

Every print serves the carrier's images as stored (``shipments.printing``). Printing is a POST
(the Print buttons, for the roles that print): it serves the file and marks its labels printed,
so the queue can tell what is still waiting. A GET (Reprint, a bookmark) serves the same file
and changes nothing: a link preview, a link from another site or a viewer opening a label must
not take it off the queue. The format, slip and sort choices ride in the query string either way.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.http import HttpResponse, HttpResponseBase, QueryDict, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.http import content_disposition_header
from django.views.decorators.http import require_POST

from merchants.ids import parse_ids
from merchants.pdf import pdf_response
from merchants.permissions import Perm
from merchants.tenancy import MerchantRequest, get_owned_or_404, merchant_view, owned
from shipments import label_files, printing
from shipments.models import (
    Batch,
    BatchItem,
    PrintLayout,
    Shipment,
    ShippingSettings,
    UserPrintPreference,
)

QUEUE_PRINTED_SHOWN = 50


def print_options(request: MerchantRequest) -> printing.PrintOptions:
    """The person's format (else the store's) and the store's slip and sort preferences;
    the print links may override each for one print."""
    prefs = ShippingSettings.get_for(request.merchant)
    layout = request.GET.get("layout") or label_files.layout_for(request.merchant, request.user)
    slip = request.GET.get("slip", "1" if prefs.packing_slip else "0") == "1"
    slip_mode = request.GET.get("slips") or prefs.slips
    sort = request.GET.get("sort") or prefs.sort_order
    return printing.PrintOptions(
        layout=layout if layout in PrintLayout.values else PrintLayout.LABEL_4X6,
        slips=slip,
        slip_mode=slip_mode if slip_mode in ShippingSettings.Slips.values else prefs.slips,
        sort=sort if sort in ShippingSettings.SortOrder.values else prefs.sort_order,
    )


def _shipments(request: MerchantRequest, ids) -> list[Shipment]:
    return list(
        owned(request, Shipment)
        .filter(pk__in=ids, status=Shipment.Status.BOUGHT)
        .select_related("order", "account")
        .prefetch_related("order__items")
    )


def _sent(request: MerchantRequest) -> QueryDict:
    """What a print names (its labels, the page to go back to): the Print buttons post it, a
    link puts it in the query string."""
    return request.POST if request.method == "POST" else request.GET


def _serve(
    request: MerchantRequest, shipments: list[Shipment], name: str, back: HttpResponse
) -> HttpResponseBase:
    """The print file, streamed; printed (a POST), the labels are marked printed once it can
    be sent. When a label's image cannot be had, nothing is sent: ``back``, with the reason."""
    try:
        job = printing.print_job(shipments, print_options(request), name)
    except printing.PrintError as exc:
        messages.error(request, exc.message)
        return back
    if request.method == "POST":
        Shipment.objects.filter(pk__in=[s.pk for s in shipments]).update(printed_at=timezone.now())
    response = StreamingHttpResponse(job.chunks, content_type=job.content_type)
    response["Content-Disposition"] = content_disposition_header(False, job.filename) or "inline"
    return response


@merchant_view(Perm.LABELS, read=Perm.VIEW)
def shipment_label(request: MerchantRequest, pk: int) -> HttpResponseBase:
    shipment = get_owned_or_404(
        request,
        Shipment.objects.select_related("order", "account").prefetch_related("order__items"),
        pk=pk,
    )
    back = redirect("shipments:detail", pk=shipment.pk)
    if shipment.status != Shipment.Status.BOUGHT:
        messages.error(request, "Only created labels can be printed.")
        return back
    return _serve(request, [shipment], f"label-{shipment.tracking_number or shipment.pk}", back)


@merchant_view(Perm.LABELS, read=Perm.VIEW)
def print_selected(request: MerchantRequest) -> HttpResponseBase:
    sent = _sent(request)
    shipments = _shipments(request, parse_ids(sent.getlist("shipment")))
    back = redirect("shipments:queue" if sent.get("from") == "queue" else "shipments:list")
    if not shipments:
        messages.warning(request, "Select one or more created labels to print.")
        return back
    return _serve(request, shipments, "labels", back)


@merchant_view(Perm.LABELS, read=Perm.VIEW)
def batch_print(request: MerchantRequest, pk: int) -> HttpResponseBase:
    batch = get_owned_or_404(request, Batch, pk=pk)
    ids = batch.items.filter(status=BatchItem.Status.BOUGHT).values_list("shipment_id", flat=True)
    shipments = _shipments(request, list(ids))
    back = redirect("shipments:batch", pk=batch.pk)
    if not shipments:
        messages.warning(request, "This batch has no created labels to print yet.")
        return back
    return _serve(request, shipments, f"batch-{batch.pk}", back)


@merchant_view(Perm.LABELS, read=Perm.VIEW)
def packing_slips(request: MerchantRequest) -> HttpResponse:
    """ShipDesk's packing slips alone (for ZPL and PNG printers), in the store's order."""
    shipments = _shipments(request, parse_ids(request.GET.getlist("shipment")))
    if not shipments:
        messages.warning(request, "Select one or more created labels first.")
        return redirect("shipments:queue")
    ordered = printing.sort_shipments(shipments, print_options(request).sort)
    return pdf_response(printing.packing_slips_pdf(ordered), "packing-slips.pdf")


@merchant_view(Perm.LABELS, read=Perm.VIEW)
def print_queue(request: MerchantRequest) -> HttpResponse:
    """Labels waiting to print and those printed lately; print or reprint one, a selection,
    everything waiting, or a whole batch."""
    bought = owned(request, Shipment).filter(status=Shipment.Status.BOUGHT)
    waiting = list(
        bought.filter(printed_at__isnull=True).select_related("order").order_by("order__number")
    )
    printed = list(
        bought.filter(printed_at__isnull=False)
        .select_related("order")
        .order_by("-printed_at", "-pk")[:QUEUE_PRINTED_SHOWN]
    )
    batches = owned(request, Batch).filter(items__status=BatchItem.Status.BOUGHT).distinct()[:10]
    options = print_options(request)
    context = {
        "waiting": waiting,
        "printed": printed,
        "batches": batches,
        "layout": PrintLayout(options.layout).label,
    }
    return render(request, "shipments/queue.html", context)


class MyPrintingForm(forms.ModelForm):
    class Meta:
        model = UserPrintPreference
        fields = ["layout"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        # It shares the settings page with the store's form, which has a "layout" too: its own
        # ids keep "My label format" pointing at its own select.
        kwargs.setdefault("auto_id", "mine_%s")
        super().__init__(*args, **kwargs)


@merchant_view(Perm.VIEW)
@require_POST
def my_printing(request: MerchantRequest) -> HttpResponse:
    """A person's own label format at this store (the printer at their desk)."""
    pref = UserPrintPreference.objects.filter(merchant=request.merchant, user=request.user).first()
    form = MyPrintingForm(request.POST, instance=pref)
    if form.is_valid():
        form.instance.merchant = request.merchant
        form.instance.user = request.user
        form.save()
        messages.success(request, "Your label format is saved.")
    else:
        messages.error(request, "Choose one of the label formats.")
    return redirect("shipments:settings")
