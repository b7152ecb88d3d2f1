"""Writing the support audit log: one row per look-up and per page view."""

from __future__ import annotations

from django.http import HttpRequest

from merchants.models import AuditLog, Merchant
from merchants.tenancy import SignedInRequest


def client_ip(request: HttpRequest) -> str | None:
    # REMOTE_ADDR only: X-Forwarded-For is whatever the client says unless a trusted proxy
    # rewrites it, and an audit trail must not record a forged address as fact.
    return request.META.get("REMOTE_ADDR") or None


def record(
    request: SignedInRequest,
    action: str,
    *,
    query: str = "",
    reason: str = "",
    merchant: Merchant | None = None,
    object_repr: str = "",
) -> AuditLog:
    user = request.user
    return AuditLog.objects.create(
        user=user,
        actor=(user.email or user.get_username())[:254],
        action=action,
        query=query[:300],
        reason=reason[:200],
        path=request.get_full_path()[:300],
        merchant=merchant,
        object_repr=(object_repr or (str(merchant) if merchant else ""))[:200],
        ip_address=client_ip(request),
        user_agent=request.headers.get("User-Agent", "")[:300],
    )
