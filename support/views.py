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
WHY_MIN_LENGTH = 3
WHY_MISSING = (
    "Say why you are looking (a ticket number, or what the merchant asked) before looking up "
    "a merchant: every look-up is recorded with its reason."
)


def _why(request: SignedInRequest) -> str:
    """The reason the agent gave for this look-up, or "" when there is none worth the name."""
    why = " ".join(request.GET.get("why", "").split())[:200]
    return why if len(why) >= WHY_MIN_LENGTH else ""


@staff_view(GROUP)
@require_safe
def search_page(request: SignedInRequest) -> HttpResponse:
    query = request.GET.get("q", "").strip()[:200]
    why = _why(request)
    context = {
        "query": query,
        "why": why,
        "results": [],
        "too_short": False,
        "why_missing": "",
        "kinds": [k for k in search.KINDS if k.available()],
    }
    if query and not why:
        # Nothing was looked up, so nothing is audited; the agent is asked for the reason.
        context["why_missing"] = WHY_MISSING
        return render(request, "support/search.html", context, status=400)
    if query:
        context["results"] = search.search(query)
        context["too_short"] = len(query) < search.MIN_LENGTH
        audit.record(request, AuditLog.Action.SEARCH, query=query, reason=why)
    else:
        audit.record(request, AuditLog.Action.VIEW, object_repr="Support search")
    return render(request, "support/search.html", context)


@staff_view(GROUP)
@require_safe
def merchant_page(request: SignedInRequest, merchant_id: int) -> HttpResponse:
    why = _why(request)
    if not why:
        # Asked before anything about the merchant (even its name) is read or shown.
        return render(
            request,
            "support/why.html",
            {"merchant_id": merchant_id, "why_missing": WHY_MISSING},
            status=400,
        )
    merchant = Merchant.objects.select_related("deleted_by").filter(pk=merchant_id).first()
    # Looking for a merchant that isn't there is a look-up too: audit it before the 404.
    audit.record(
        request,
        AuditLog.Action.VIEW,
        reason=why,
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
            {"merchant": merchant, "why": why, "page": pages.merchant_overview(merchant)},
        )
