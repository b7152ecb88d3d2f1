"""Tenancy: every merchant-facing request carries ``request.merchant``.

Access is declared on each view with one of the decorators below, and the middleware
refuses to serve a ShipDesk view that declares nothing, so a new view cannot forget
login or tenancy by accident (it fails closed, loudly, in development and in tests).
"""

from __future__ import annotations

import zoneinfo
from collections.abc import Callable
from functools import cache, wraps
from pathlib import Path

from django.apps import apps
from django.conf import settings
from django.contrib.auth.models import User
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import ImproperlyConfigured, PermissionDenied
from django.db.models import Model, QuerySet
from django.http import HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import get_object_or_404, render
from django.utils import timezone
from django.utils.functional import SimpleLazyObject
from django_htmx.middleware import HtmxDetails

from merchants.models import Merchant

SESSION_KEY = "shipdesk_merchant_id"


class ShipDeskRequest(HttpRequest):
    """A request as ShipDesk's middleware leaves it (for annotations): the chosen merchant,
    if any, and django-htmx's details."""

    merchant: Merchant | None
    htmx: HtmxDetails


class SignedInRequest(ShipDeskRequest):
    """A request inside a view that requires login (``merchant_view``, ``staff_view``)."""

    user: User


class MerchantRequest(SignedInRequest):
    """A request inside a ``merchant_view``: signed in, with a merchant chosen."""

    merchant: Merchant


@cache
def project_app_prefixes() -> tuple[str, ...]:
    """Module prefixes of ShipDesk's own apps: every installed app that lives in this repo
    (not in site-packages), so a new app is covered without anyone listing it."""
    root = Path(settings.BASE_DIR).resolve()
    return tuple(
        f"{config.name}."
        for config in apps.get_app_configs()
        if Path(config.path).resolve().is_relative_to(root)
        and "site-packages" not in Path(config.path).parts
    )


ACCESS_ATTR = "shipdesk_access"

type View = Callable[..., HttpResponseBase]


def resolve_merchant(request: HttpRequest) -> Merchant | None:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return None
    merchants = Merchant.objects.filter(memberships__user=user)
    wanted = request.session.get(SESSION_KEY)
    if wanted is not None:
        chosen = merchants.filter(pk=wanted).first()
        if chosen is not None:
            return chosen
    return merchants.order_by("memberships__created_at", "pk").first()


def switch_merchant(request: ShipDeskRequest, merchant: Merchant) -> None:
    user = request.user
    if not user.is_authenticated or not merchant.memberships.filter(user=user).exists():
        raise PermissionDenied("You are not a member of that merchant.")
    request.session[SESSION_KEY] = merchant.pk
    request.merchant = merchant


class MerchantMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: ShipDeskRequest) -> HttpResponse:
        request.merchant = resolve_merchant(request)
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        module = getattr(view_func, "__module__", "") or ""
        if module.startswith(project_app_prefixes()) and not hasattr(view_func, ACCESS_ATTR):
            raise ImproperlyConfigured(
                f"{module}.{view_func.__name__} declares no access: decorate it with "
                "merchant_view, public_view, staff_view or sandbox_view (merchants.tenancy)."
            )
        return None


def _mark[V: View](view: V, access: str) -> V:
    setattr(view, ACCESS_ATTR, access)
    return view


def merchant_view(view: View) -> View:
    """Login required and a merchant chosen; the view reads data via ``request.merchant``."""

    @wraps(view)
    def wrapper(request: ShipDeskRequest, *args, **kwargs):
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        if request.merchant is None:
            return render(request, "merchants/no_merchant.html", status=403)
        # Every time a merchant reads is the store's local time (a location's own times are
        # rendered in that location's zone by the template), never the server's UTC.
        with timezone.override(zoneinfo.ZoneInfo(request.merchant.time_zone)):
            return view(request, *args, **kwargs)

    return _mark(wrapper, "merchant")


def public_view[V: View](view: V) -> V:
    """Reachable without login (sign-up, health checks)."""
    return _mark(view, "public")


def sandbox_view[V: View](view: V) -> V:
    """The embedded Stamps.com sandbox: an outside system, not a ShipDesk page."""
    return _mark(view, "sandbox")


def staff_view(group: str) -> Callable[[View], View]:
    """Staff in ``group`` (or superusers) only; everyone else gets 403 after login."""

    def decorator(view: View) -> View:
        @wraps(view)
        def wrapper(request: HttpRequest, *args, **kwargs):
            user = request.user
            if not user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            if not (user.is_superuser or user.groups.filter(name=group).exists()):
                raise PermissionDenied
            return view(request, *args, **kwargs)

        return _mark(wrapper, f"staff:{group}")

    return decorator


def owned[M: Model](request: MerchantRequest, model_or_qs: type[M] | QuerySet[M]) -> QuerySet[M]:
    """The signed-in merchant's rows of a MerchantOwned model (or queryset)."""
    qs = model_or_qs if isinstance(model_or_qs, QuerySet) else model_or_qs._default_manager.all()
    return qs.filter(merchant=request.merchant)


def get_owned_or_404[M: Model](
    request: MerchantRequest, model_or_qs: type[M] | QuerySet[M], **lookup
) -> M:
    return get_object_or_404(owned(request, model_or_qs), **lookup)


def merchant_context(request: ShipDeskRequest) -> dict:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {
        "current_merchant": request.merchant,
        "my_merchants": SimpleLazyObject(
            lambda: list(Merchant.objects.filter(memberships__user=user).order_by("name"))
        ),
    }
