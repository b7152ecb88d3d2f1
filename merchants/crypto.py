"""Encryption at rest for secrets (carrier passwords), with key rotation.

FIELD_ENCRYPTION_KEYS lists Fernet keys newest first: the newest encrypts, any of them
decrypts, and ``rotate`` re-encrypts a token with the newest key.
"""

from __future__ import annotations

from functools import cache

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import models


@cache
def _fernet(keys: tuple[str, ...]) -> MultiFernet:
    try:
        return MultiFernet([Fernet(k.encode()) for k in keys])
    except (ValueError, TypeError) as exc:
        raise ImproperlyConfigured(
            "FIELD_ENCRYPTION_KEYS holds a key that is not a Fernet key"
        ) from exc


def fernet() -> MultiFernet:
    return _fernet(tuple(settings.FIELD_ENCRYPTION_KEYS))


def encrypt(plaintext: str) -> str:
    return fernet().encrypt(plaintext.encode()).decode()


def decrypt(token: str) -> str:
    try:
        return fernet().decrypt(token.encode()).decode()
    except InvalidToken as exc:
        raise ImproperlyConfigured(
            "A stored secret cannot be decrypted with FIELD_ENCRYPTION_KEYS: keep old keys "
            "listed until `manage.py reencrypt_secrets` has run."
        ) from exc


def rotate(token: str) -> str:
    return fernet().rotate(token.encode()).decode()


class Secret(str):
    """A decrypted value whose repr never shows it (so it stays out of tracebacks and logs)."""

    def __repr__(self) -> str:
        return "Secret('********')"


class EncryptedTextField(models.TextField):
    """Stores a Fernet token; Python code sees the plaintext as a ``Secret``."""

    def from_db_value(self, value, expression, connection):
        if value in (None, ""):
            return value
        return Secret(decrypt(value))

    def to_python(self, value):
        return value

    def get_prep_value(self, value):
        if value in (None, ""):
            return value
        return encrypt(str(value))


def encrypted_fields(model: type[models.Model]) -> list[str]:
    return [f.attname for f in model._meta.concrete_fields if isinstance(f, EncryptedTextField)]


def reencrypt_queryset(queryset: models.QuerySet) -> int:
    """Re-encrypt every secret of these rows with the newest key; returns the secrets rewritten.

    Works on the stored tokens (never the plaintext), row by row under a row lock, so a
    secret changed meanwhile is not overwritten with its old value.
    """
    from django.db import transaction
    from django.db.models.functions import Cast

    fields = encrypted_fields(queryset.model)
    rewritten = 0
    for pk in queryset.values_list("pk", flat=True).iterator():
        with transaction.atomic():
            raw = (
                queryset.model._default_manager.select_for_update()
                .filter(pk=pk)
                .values(**{f"raw_{f}": Cast(f, models.TextField()) for f in fields})
                .first()
            )
            if raw is None:
                continue
            changes = {
                f: models.Value(rotate(raw[f"raw_{f}"]), output_field=models.TextField())
                for f in fields
                if raw[f"raw_{f}"]
            }
            if changes:
                queryset.model._default_manager.filter(pk=pk).update(**changes)
                rewritten += len(changes)
    return rewritten


def reencrypt_all() -> dict[str, int]:
    """Every encrypted field of every installed model, re-encrypted with the newest key."""
    from django.apps import apps

    counts = {}
    for model in apps.get_models():
        if encrypted_fields(model):
            counts[model._meta.label] = reencrypt_queryset(model._default_manager.all())
    return counts
