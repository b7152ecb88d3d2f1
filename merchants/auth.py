from __future__ import annotations

from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend
from django.contrib.auth.signals import user_login_failed
from django.core.exceptions import PermissionDenied
from django.dispatch import receiver
from django.http import HttpRequest

from merchants import limits


def login_name(request: HttpRequest | None, credentials: dict | None = None) -> str:
    """The e-mail as sign-in matches it (trimmed, any case): django-axes counts failures under
    this key, so OWNER@Shop.test and owner@shop.test share one lock-out (the admin's too)."""
    raw = (credentials or {}).get("username")
    if raw is None and request is not None:
        raw = getattr(request, "POST", {}).get("username")
    return (raw or "").strip().lower()


class SprayGuardBackend:
    """Refuses every sign-in from an address that failed too many, across any e-mails.

    Not a BaseBackend: without get_user() it is never the backend a session belongs to."""

    def authenticate(self, request, **credentials):
        if request is not None and limits.spraying(request):
            raise PermissionDenied("Too many failed sign-ins from this address.")
        return None


@receiver(user_login_failed)
def count_failed_login(sender, credentials, request=None, **kwargs) -> None:
    limits.record_failed_login(request)


class EmailBackend(ModelBackend):
    """Merchants sign in with their e-mail address; it is stored as the username too."""

    def authenticate(self, request, username=None, password=None, **kwargs):
        if username is None or password is None:
            return None
        User = get_user_model()
        user = User.objects.filter(email__iexact=username.strip()).order_by("id").first()
        if user is None:
            User().set_password(password)  # same work either way: no timing oracle
            return None
        if user.check_password(password) and self.user_can_authenticate(user):
            return user
        return None
