"""Support search: one query string, tried against every registered kind of record.

A kind is one entry in ``KINDS``. A kind whose model doesn't exist yet (tracking numbers
before labels land) stays registered and reports itself unavailable, so it switches on by
itself when the model appears.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import phonenumbers
from django.db.models import Q

from carriers.models import CarrierAccount, PhoneVerification
from locations.models import ShipFromLocation
from merchants.models import Membership, Merchant
from orders.models import Order
from shipments.models import Shipment

LIMIT = 25  # per kind: a support search is a look-up, not a report
MIN_LENGTH = 2


@dataclass(frozen=True)
class Hit:
    merchant_id: int
    merchant_name: str
    title: str
    detail: str = ""


@dataclass(frozen=True)
class SearchKind:
    key: str
    label: str
    find: Callable[[str], list[Hit]]
    available: Callable[[], bool] = field(default=lambda: True)


@dataclass
class KindResult:
    kind: SearchKind
    hits: list[Hit]

    @property
    def truncated(self) -> bool:
        return len(self.hits) >= LIMIT


def _merchants(q: str) -> list[Hit]:
    rows = Merchant.objects.filter(Q(name__icontains=q) | Q(slug__iexact=q)).order_by("name")
    return [Hit(m.pk, m.name, m.name, m.slug) for m in rows[:LIMIT]]


def _member_emails(q: str) -> list[Hit]:
    rows = (
        Membership.objects.filter(user__email__icontains=q)
        .select_related("user", "merchant")
        .order_by("user__email", "merchant__name")
    )
    return [
        Hit(m.merchant_id, m.merchant.name, m.user.email, m.get_role_display())
        for m in rows[:LIMIT]
    ]


def _carrier_accounts(q: str) -> list[Hit]:
    rows = (
        CarrierAccount.objects.filter(Q(username__icontains=q) | Q(nickname__icontains=q))
        .select_related("merchant")
        .only("nickname", "username", "status", "merchant__name")
        .order_by("username", "pk")
    )
    return [
        Hit(a.merchant_id, a.merchant.name, f"{a.username} ({a.nickname})", a.get_status_display())
        for a in rows[:LIMIT]
    ]


def _order_numbers(q: str) -> list[Hit]:
    numbers = {q, q.lstrip("#")}
    rows = (
        Order.objects.filter(number__in=numbers)
        .select_related("merchant")
        .only("number", "status", "recipient_name", "merchant__name")
        .order_by("merchant__name")
    )
    return [
        Hit(o.merchant_id, o.merchant.name, f"Order {o.number}", o.get_status_display())
        for o in rows[:LIMIT]
    ]


def _tracking_numbers(q: str) -> list[Hit]:
    compact = q.replace(" ", "")
    rows = (
        Shipment.objects.filter(tracking_number__in={q, compact})
        .select_related("merchant")
        .order_by("-pk")
    )
    return [
        Hit(row.merchant_id, row.merchant.name, row.tracking_number, str(row))
        for row in rows[:LIMIT]
    ]


def normalise_phone(q: str) -> str | None:
    """E.164 for anything that reads as a phone number (US numbers may omit +1)."""
    if sum(ch.isdigit() for ch in q) < 7:
        return None
    try:
        number = phonenumbers.parse(q, "US")
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_possible_number(number):
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def _phone_numbers(q: str) -> list[Hit]:
    e164 = normalise_phone(q)
    if e164 is None:
        return []
    national = phonenumbers.format_number(
        phonenumbers.parse(e164), phonenumbers.PhoneNumberFormat.NATIONAL
    )
    hits: dict[tuple[int, str], Hit] = {}
    accounts = (
        CarrierAccount.objects.filter(phone_number=e164)
        .select_related("merchant")
        .only("nickname", "phone_number", "merchant__name")
    )
    for a in accounts[:LIMIT]:
        hits[(a.merchant_id, "account")] = Hit(
            a.merchant_id, a.merchant.name, e164, f"2-step phone of {a.nickname}"
        )
    sends = (
        PhoneVerification.objects.filter(phone_number=e164)
        .values("merchant_id", "merchant__name")
        .distinct()
        .order_by("merchant__name")
    )
    for v in sends[:LIMIT]:
        hits.setdefault(
            (v["merchant_id"], "account"),
            Hit(v["merchant_id"], v["merchant__name"], e164, "Verification codes sent"),
        )
    # Ship-from phones are typed freely, so match the common spellings of the number.
    digits = e164.lstrip("+")
    spellings = {e164, national, digits, digits[-10:], national.replace(" ", "")}
    locations = (
        ShipFromLocation.objects.filter(phone__in=spellings)
        .select_related("merchant")
        .only("name", "phone", "merchant__name")
    )
    for loc in locations[:LIMIT]:
        hits.setdefault(
            (loc.merchant_id, f"loc{loc.pk}"),
            Hit(loc.merchant_id, loc.merchant.name, loc.phone, f"Ship-from {loc.name}"),
        )
    return list(hits.values())[:LIMIT]


KINDS: list[SearchKind] = [
    SearchKind("merchant", "Merchants", _merchants),
    SearchKind("email", "Member e-mail", _member_emails),
    SearchKind("carrier", "Carrier accounts", _carrier_accounts),
    SearchKind("order", "Orders", _order_numbers),
    SearchKind("tracking", "Tracking numbers", _tracking_numbers),
    SearchKind("phone", "Phone numbers", _phone_numbers),
]


def search(query: str) -> list[KindResult]:
    """Every available kind's matches for ``query``, in registry order, empty kinds left out."""
    q = " ".join(query.split())
    if len(q) < MIN_LENGTH:
        return []
    results = []
    for kind in KINDS:
        if not kind.available():
            continue
        hits = kind.find(q)
        if hits:
            results.append(KindResult(kind, hits))
    return results
