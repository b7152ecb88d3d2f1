from __future__ import annotations

from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_safe

from merchants import audit
from merchants.models import AuditLog, Merchant
from merchants.tenancy import SignedInRequest, staff_view
from support import pages, search

GROUP = "Support"


@staff_view(GROUP)
@require_safe
def search_page(request: SignedInRequest) -> HttpResponse:
    query = request.GET.get("q", "").strip()[:200]
    results = search.search(query) if query else []
    if query:
        audit.record(request, AuditLog.Action.SEARCH, query=query)
    else:
        audit.record(request, AuditLog.Action.VIEW, object_repr="Support search")
    return render(
        request,
        "support/search.html",
        {
            "query": query,
            "results": results,
            "too_short": bool(query) and len(query) < search.MIN_LENGTH,
            "kinds": [k for k in search.KINDS if k.available()],
        },
    )


@staff_view(GROUP)
@require_safe
def merchant_page(request: SignedInRequest, merchant_id: int) -> HttpResponse:
    merchant = Merchant.objects.select_related("deleted_by").filter(pk=merchant_id).first()
    # Looking for a merchant that isn't there is a look-up too: audit it before the 404.
    audit.record(
        request,
        AuditLog.Action.VIEW,
        merchant=merchant,
        object_repr=str(merchant) if merchant else f"merchant {merchant_id} (not found)",
    )
    if merchant is None:
        raise Http404("No such merchant.")
    # The store's own clock, as on its own pages: support reads times out to the merchant.
    with timezone.override(merchant.zone):
        return render(
            request,
            "support/merchant.html",
            {"merchant": merchant, "page": pages.merchant_overview(merchant)},
        )
