"""Per-merchant API keys for the order API. Only a SHA-256 hash is stored."""

from __future__ import annotations

import hashlib
import secrets

from django.db import transaction
from django.utils import timezone

from merchants import events
from merchants.models import Merchant
from orders.models import ApiKey

PREFIX = "sdk_"


def hash_key(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


@transaction.atomic
def rotate(merchant: Merchant, by=None) -> tuple[str, ApiKey]:
    """A new key for ``merchant``, replacing any old one; returns (the raw key, its record).
    ``by`` is logged in the store's activity: the key lets another system write its orders."""
    raw = PREFIX + secrets.token_urlsafe(32)
    ApiKey.objects.for_merchant(merchant).delete()
    key = ApiKey.objects.create(merchant=merchant, prefix=raw[:10], key_hash=hash_key(raw))
    events.record(merchant, by, events.Action.API_KEY_CREATED, detail=f"{key.prefix}…")
    return raw, key


def merchant_for(authorization: str) -> Merchant | None:
    """The merchant whose key is in an ``Authorization: Bearer <key>`` header."""
    scheme, _, raw = (authorization or "").partition(" ")
    if scheme.lower() != "bearer" or not raw.strip().startswith(PREFIX):
        return None
    key = ApiKey.objects.select_related("merchant").filter(key_hash=hash_key(raw.strip())).first()
    if key is None:
        return None
    ApiKey.objects.filter(pk=key.pk).update(last_used_at=timezone.now())
    return key.merchant
