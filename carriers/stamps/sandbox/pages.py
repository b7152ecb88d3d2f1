"""Files and pages the sandbox links to: label PDFs, SCAN forms, account and report pages."""

from __future__ import annotations

from django.core import signing
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.views.decorators.csrf import csrf_exempt

from merchants.tenancy import sandbox_view

from .documents import label_pdf, manifest_pdf
from .endofday import PAGE_SALT, page_key
from .models import Account, Indicium, Manifest

TOKEN_MAX_AGE = 60 * 60


@csrf_exempt
@sandbox_view
def label(request: HttpRequest, stamps_tx_id) -> HttpResponse:
    indicium = get_object_or_404(Indicium, stamps_tx_id=stamps_tx_id)
    response = HttpResponse(label_pdf(indicium), content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="label-{stamps_tx_id}.pdf"'
    return response


@csrf_exempt
@sandbox_view
def manifest(request: HttpRequest, manifest_id: str) -> HttpResponse:
    form = get_object_or_404(Manifest, manifest_id=manifest_id)
    response = HttpResponse(manifest_pdf(form), content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{manifest_id}.pdf"'
    return response


@csrf_exempt
@sandbox_view
def page(request: HttpRequest, name: str) -> HttpResponse:
    """What GetURL links to: look-alikes of the carrier's account settings and reports."""
    if name not in ("home", "account-settings", "reports"):
        raise Http404
    try:
        data = signing.loads(
            request.GET.get("token", ""), salt=PAGE_SALT, max_age=TOKEN_MAX_AGE, key=page_key()
        )
    except signing.BadSignature:
        return render(request, "stamps_sandbox/expired.html", status=403)
    account = get_object_or_404(Account, pk=data["a"])
    context = {
        "account": account,
        "name": name,
        "purchases": account.purchases.order_by("-pk")[:50],
        "indicia": account.indicia.order_by("-pk")[:50],
        "manifests": account.manifests.order_by("-pk")[:20],
        "pickups": account.pickups.order_by("-pk")[:20],
    }
    template = "reports" if name == "reports" else "account_settings"
    return render(request, f"stamps_sandbox/{template}.html", context)
