"""Files and pages the sandbox links to: label PDFs, SCAN forms, account and report pages."""

from __future__ import annotations

from django.core import signing
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.views.decorators.csrf import csrf_exempt

from merchants.tenancy import sandbox_view

from .documents import ImageExpired, image_for, manifest_pdf
from .endofday import PAGE_SALT, page_key
from .models import Account, Manifest

TOKEN_MAX_AGE = 60 * 60


@csrf_exempt
@sandbox_view
def image(request: HttpRequest, token: str, name: str) -> HttpResponse:
    """A label or customs form behind a CreateIndicium/ReprintIndicium link, while it lasts."""
    try:
        content, content_type, filename = image_for(token)
    except ImageExpired:
        return HttpResponse(
            "This label link has expired. Ask Stamps.com for the label again (ReprintIndicium).",
            status=403,
            content_type="text/plain; charset=utf-8",
        )
    response = HttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = f'inline; filename="{filename}"'
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
