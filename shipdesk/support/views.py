from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.views.decorators.http import require_safe

from shipdesk.models import AuditLog, Merchant
from shipdesk.support import audit, pages, search
from shipdesk.tenancy import staff_view

GROUP = "Support"


@staff_view(GROUP)
@require_safe
def search_page(request: HttpRequest) -> HttpResponse:
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
def merchant_page(request: HttpRequest, merchant_id: int) -> HttpResponse:
    merchant = get_object_or_404(Merchant, pk=merchant_id)
    audit.record(request, AuditLog.Action.VIEW, merchant=merchant)
    return render(
        request,
        "support/merchant.html",
        {"merchant": merchant, "page": pages.merchant_overview(merchant)},
    )
