"""Tenancy: every merchant-facing request carries ``request.merchant``.

Access is declared on each view with one of the decorators below, and the middleware
refuses to serve a ShipDesk view that declares nothing, so a new view cannot forget
login or tenancy by accident (it fails closed, loudly, in development and in tests).
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cache, wraps
from pathlib import Path
from typing import cast

from django.apps import apps
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.models import User
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import ImproperlyConfigured, PermissionDenied
from django.db.models import (
    BooleanField,
    Exists,
    ExpressionWrapper,
    F,
    Model,
    OuterRef,
    Q,
    QuerySet,
    Value,
)
from django.db.models.functions import Coalesce
from django.http import HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.functional import SimpleLazyObject
from django_htmx.http import HttpResponseClientRedirect, HttpResponseClientRefresh
from django_htmx.middleware import HtmxDetails

from merchants import twostep
from merchants.confirmation import confirmed_email, request_is_confirmed
from merchants.models import Membership, Merchant
from merchants.permissions import ROLE_PERMISSIONS, NotAllowed, Perm, check, role_of

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})

SESSION_KEY = "shipdesk_merchant_id"
# The group whose members may open the support console (support.views, a higher layer,
# enforces it with staff_view; the group holds the use_support_console permission).
SUPPORT_GROUP = "Support"


class ShipDeskRequest(HttpRequest):
    """A request as ShipDesk's middleware leaves it (for annotations): the chosen merchant,
    if any, and django-htmx's details."""

    merchant: Merchant | None
    htmx: HtmxDetails


class SignedInRequest(ShipDeskRequest):
    """A request inside a view that requires login (``merchant_view``, ``staff_view``)."""

    user: User


class MerchantRequest(SignedInRequest):
    """A request inside a ``merchant_view``: signed in, with a merchant chosen, and the
    member's role in that store (``merchants.permissions``)."""

    merchant: Merchant
    role: str | None


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
    """The store this request works in, with ``member_role`` (the user's role there) read in
    the same query."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return None
    # A deleted store (front.store_deletion) is kept for support but opens for nobody.
    merchants = Merchant.objects.filter(memberships__user=user, deleted_at__isnull=True).annotate(
        # Whose membership the annotations describe: the permission check of a service called
        # with this merchant trusts them for this user only (merchants.permissions.check).
        member_user_id=F("memberships__user_id"),
        member_role=F("memberships__role"),
        member_confirmed_email=Coalesce(
            F("memberships__user__shipdesk_profile__confirmed_email"), Value("")
        ),
        member_two_step=ExpressionWrapper(
            Q(memberships__user__shipdesk_profile__totp_enabled_at__isnull=False)
            | Q(memberships__user__shipdesk_profile__sms_enabled_at__isnull=False),
            output_field=BooleanField(),
        ),
        # For the page around the view (merchant_context): whether the switcher has another
        # store to list, and whether the navigation shows the support console, in this query.
        member_elsewhere=Exists(
            Membership.objects.filter(user_id=user.pk, merchant__deleted_at__isnull=True).exclude(
                merchant_id=OuterRef("pk")
            )
        ),
        member_support=Exists(
            User.groups.through.objects.filter(user_id=user.pk, group__name=SUPPORT_GROUP)
        ),
    )
    wanted = request.session.get(SESSION_KEY)
    if wanted is not None:
        chosen = merchants.filter(pk=wanted).first()
        if chosen is not None:
            return chosen
    return merchants.order_by("memberships__created_at", "pk").first()


def switch_merchant(request: ShipDeskRequest, merchant: Merchant) -> None:
    user = request.user
    if (
        not user.is_authenticated
        or merchant.deleted_at is not None
        or not merchant.memberships.filter(user=user).exists()
    ):
        raise PermissionDenied("You are not a member of that merchant.")
    request.session[SESSION_KEY] = merchant.pk
    request.merchant = merchant
    # Signed in with a store chosen: the request is now what MerchantRequest describes.
    role = role_of(user, merchant)
    cast(MerchantRequest, request).role = role
    # What resolve_merchant's query annotates, so the rest of this request reads the same
    # (set by name: mypy knows these only on the annotated queryset's rows).
    member = {
        "member_user_id": user.pk,
        "member_role": role,
        "member_confirmed_email": confirmed_email(user),
        "member_two_step": twostep.is_enabled(user),
    }
    for name, value in member.items():
        setattr(merchant, name, value)


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


PERM_ATTR = "shipdesk_permission"


def _refuse(request: HttpRequest, refusal: NotAllowed) -> HttpResponse:
    """403 in the merchant's words. htmx requests get the message on a reloaded page (htmx
    does not swap a 403), where the e-mail banner offers the resend button."""
    if getattr(request, "htmx", False):
        messages.error(request, refusal.message)
        response = HttpResponse(refusal.message, status=403, content_type="text/plain")
        response["HX-Refresh"] = "true"
        return response
    context = {"refusal": refusal}
    return render(request, "merchants/not_allowed.html", context, status=403)


def _whole_page(request: ShipDeskRequest, url: str) -> HttpResponseBase:
    """Send the person to ``url``. htmx follows a plain redirect inside the element it swaps
    (the set-up page squeezed into a panel), so an htmx request loads it as the page."""
    if getattr(request, "htmx", False):
        return HttpResponseClientRedirect(url)
    return redirect(url)


def merchant_view(perm: Perm, *, read: Perm | None = None) -> Callable[[View], View]:
    """Login required, a merchant chosen, and the member's role allows ``perm``.

    Safe methods (GET, HEAD, OPTIONS) need ``read`` when given (else ``perm`` too), so a page
    whose form needs a permission can still be looked at by a member who may only look. The
    view reads data via ``request.merchant``; ``request.role`` is the member's role there."""
    read = perm if read is None else read
    if not isinstance(perm, Perm) or not isinstance(read, Perm):
        raise ImproperlyConfigured(
            "merchant_view needs the permission the view requires: @merchant_view(Perm.X) "
            "(merchants.permissions)."
        )

    def decorator(view: View) -> View:
        @wraps(view)
        def wrapper(request: ShipDeskRequest, *args, **kwargs) -> HttpResponseBase:
            if not request.user.is_authenticated:
                if getattr(request, "htmx", False):
                    # Back to the page the panel is on after signing in, not to the panel.
                    page = request.htmx.current_url_abs_path or "/"
                    return HttpResponseClientRedirect(redirect_to_login(page).url)
                return redirect_to_login(request.get_full_path())
            if request.merchant is None:
                if getattr(request, "htmx", False):
                    # htmx swaps nothing from a 403: a member removed while the page was open
                    # would click and see nothing. The reloaded page says there is no store.
                    return HttpResponseClientRefresh()
                return render(request, "merchants/no_merchant.html", status=403)
            # Signed in with a store chosen: from here on this is what MerchantRequest describes.
            request = cast(MerchantRequest, request)
            request.role = getattr(request.merchant, "member_role", None) or role_of(
                request.user, request.merchant
            )
            if request.merchant.require_two_step and not getattr(
                request.merchant, "member_two_step", False
            ):
                messages.warning(
                    request,
                    f"{request.merchant} asks every member to use two-step sign-in. "
                    "Set it up to continue.",
                )
                return _whole_page(request, reverse("two-step"))
            needed = read if request.method in SAFE_METHODS else perm
            try:
                check(
                    request.user,
                    request.merchant,
                    needed,
                    role=request.role,
                    confirmed=request_is_confirmed(request),
                )
                # Every time a merchant reads is the store's local time (a location's own times
                # are rendered in that location's zone by the template), never the server's UTC.
                with timezone.override(request.merchant.zone):
                    # A service's own check (merchants.permissions.require) answers the same way.
                    return view(request, *args, **kwargs)
            except NotAllowed as refusal:
                return _refuse(request, refusal)

        setattr(wrapper, PERM_ATTR, (read, perm))
        return _mark(wrapper, "merchant")

    return decorator


def account_view[V: View](view: V) -> V:
    """Login required, no store needed: the person's own settings (two-step sign-in)."""

    @wraps(view)
    def wrapper(request: ShipDeskRequest, *args, **kwargs) -> HttpResponseBase:
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        return view(request, *args, **kwargs)

    return _mark(cast(V, wrapper), "account")


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
    found = get_object_or_404(owned(request, model_or_qs), **lookup)
    # Its merchant is the request's (the query said so): reading ``found.merchant`` costs no
    # second query, and carries the member's role the request was checked with.
    found.merchant = request.merchant  # type: ignore[attr-defined]
    return found


def merchant_context(request: ShipDeskRequest) -> dict:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    merchant = getattr(request, "merchant", None)
    role = getattr(merchant, "member_role", None)
    support = getattr(merchant, "member_support", None)
    elsewhere = getattr(merchant, "member_elsewhere", None)
    if elsewhere is not None and not elsewhere:
        # A member of one store (most people): the switcher has nothing to list.
        my_merchants: object = [merchant]
    else:
        my_merchants = SimpleLazyObject(
            lambda: list(
                Merchant.objects.filter(memberships__user=user, deleted_at__isnull=True).order_by(
                    "name"
                )
            )
        )
    return {
        # What the member may do here, for navigation only: views enforce it themselves.
        "can": {p.value for p in ROLE_PERMISSIONS.get(role, ())} if role else set(),
        "current_merchant": request.merchant,
        "my_merchants": my_merchants,
        "support_console": SimpleLazyObject(lambda: _support_console(user, support)),
    }


def _support_console(user: User, read_with_merchant: bool | None) -> bool:
    """Whether the navigation offers the support console: exactly when its views let the
    person in (``staff_view(SUPPORT_GROUP)``: a superuser, or a member of the group). The
    membership was read with the merchant when there is one."""
    if user.is_superuser:
        return True
    if read_with_merchant is None:
        return user.groups.filter(name=SUPPORT_GROUP).exists()
    return read_with_merchant
