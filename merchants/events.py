"""The store's activity log: team changes, sign-in rules, carrier accounts, the ways other
systems reach the store's orders, and its settings (ship-from locations and their end-of-day
settings, customer e-mail branding, shipping settings), with who did it.

Services write one row in the same transaction as the change, so the log never claims a change
that was rolled back, nor misses one that was made."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django import forms
from django.db import models, transaction
from django.db.models import QuerySet
from django.utils.dateformat import time_format

from merchants.models import Merchant, StoreEvent

Action = StoreEvent.Action

# What the members page shows; support shows the same with a larger limit.
RECENT = 50


def record(
    merchant: Merchant, by, action: str, *, subject: str = "", detail: str = ""
) -> StoreEvent:
    """``by`` None: ShipDesk itself (a job), shown as such."""
    actor = (by.email or by.get_username()) if by is not None else ""
    return StoreEvent.objects.create(
        merchant=merchant,
        by=by,
        actor=actor[:254],
        action=action,
        subject=subject[:254],
        detail=detail[:300],
    )


def snapshot(instance: models.Model, fields: Iterable[str]) -> dict[str, Any]:
    """The values of ``fields`` before a form touches ``instance`` (``is_valid`` writes the
    submitted values onto it), for ``changes`` to compare with once it is saved."""
    return {name: _comparable(getattr(instance, name)) for name in fields}


def changes(before: dict[str, Any], instance: models.Model) -> str:
    """What a merchant reads in the log about a settings change: the names of the fields whose
    stored values differ, with the new value only for a switch, a choice from a list or a
    time of day.

    Free text is named, never quoted: it may be long, and a binary field (a logo) or a secret
    would have no business in the log. Empty when nothing changed, so nothing is recorded for
    a form saved as it was (a colour typed in capitals, a ZIP code with a space, ...)."""
    said = []
    for name, was in before.items():
        now = _comparable(getattr(instance, name))
        if now == was:
            continue
        field = instance._meta.get_field(name)
        assert isinstance(field, models.Field), f"{name} is not a column"
        label = str(field.verbose_name)
        if isinstance(field, models.BooleanField):
            label += " on" if now else " off"
        elif field.choices:
            label += f": {dict(field.flatchoices).get(now, now)}"
        elif isinstance(field, models.TimeField) and now is not None:
            label += f": {time_format(now, 'g:i A')}"
        said.append(label)
    return ", ".join(said)


def save_settings(
    form: forms.ModelForm,
    before: dict[str, Any],
    merchant: Merchant,
    by,
    action: str,
    *,
    subject: str = "",
) -> models.Model:
    """Saves a store's settings form (validated, its ``snapshot`` taken before validation) and
    records which fields changed, in one transaction; nothing is recorded when none did.
    ``subject``: what the settings belong to when the store has several (a location)."""
    with transaction.atomic():
        form.instance.merchant = merchant
        saved = form.save()
        changed = changes(before, saved)
        if changed:
            record(merchant, by, action, subject=subject, detail=changed)
    return saved


def _comparable(value: Any) -> Any:
    # PostgreSQL hands binary columns back as memoryview, which never equals the bytes saved.
    return bytes(value) if isinstance(value, memoryview) else value


def two_step_changed(user, action: str, method: str) -> None:
    """Two-step sign-in belongs to the person, so each store they work in hears of it."""
    for merchant in Merchant.objects.filter(memberships__user=user, deleted_at__isnull=True):
        record(merchant, user, action, subject=user.email, detail=method)


def recent(merchant: Merchant, limit: int = RECENT) -> QuerySet[StoreEvent]:
    return StoreEvent.objects.filter(merchant=merchant).order_by("-created_at", "-pk")[:limit]
