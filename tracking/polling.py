"""Follow labels with TrackShipment: store each carrier event once, keep the shipment's
delivery status, and poll less often as a parcel ages (never after delivery, return, void
or 60 days).

One poll reads the due parcels in chunks; the queries of a chunk do not grow with its size
(the parcels, the events they already have, then one write of the chunk's new events, the
moved labels' status and every parcel's next check). Each TrackShipment is still one call,
logged as every carrier call is (SWSIM has no batch tracking).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
from collections import defaultdict
from collections.abc import Iterable

from django.db import connections, router, transaction
from django.utils import timezone

from carriers.models import CarrierAccount
from carriers.stamps import calllog, errors
from carriers.stamps.accounts import record_health
from carriers.stamps.client import StampsClient, client_for
from carriers.stamps.types import Tracking
from shipments.models import DeliveryStatus, Shipment
from tracking.models import Parcel, TrackingEvent

log = logging.getLogger(__name__)

MAX_AGE = dt.timedelta(days=60)
CHUNK = 200
# Held by a poll while it works on a chunk, so an overlapping poll leaves those parcels alone.
LEASE = dt.timedelta(minutes=10)

FINAL = {DeliveryStatus.DELIVERED, DeliveryStatus.RETURNED}

# SWSIM TrackingEventType -> what the merchant and the customer are told. Types not listed
# are movements inside the network: in transit.
EVENT_STATUS: dict[str, str] = {
    "ShippingLabelCreated": DeliveryStatus.PRE_TRANSIT,
    "ElectronicNotification": DeliveryStatus.PRE_TRANSIT,
    "ManifestAcknowledgement": DeliveryStatus.PRE_TRANSIT,
    "OutForDelivery": DeliveryStatus.OUT_FOR_DELIVERY,
    "Delivered": DeliveryStatus.DELIVERED,
    "PickedUp": DeliveryStatus.DELIVERED,
    "PickedUpByAgent": DeliveryStatus.DELIVERED,
    "ReturnToSender": DeliveryStatus.RETURNED,
    "ReturnToSender_NotPickedUp": DeliveryStatus.RETURNED,
    "ReturnedOtherReason": DeliveryStatus.RETURNED,
}
PROBLEMS = (
    "AttemptedNoticeLeft Refused Undeliverable NoSuchNumber InsufficientAddress "
    "MovedNoForwarding ForwardingExpired AddresseeUnknown Vacant Unclaimed Deceased Missent "
    "Mis_shipped DeadLetter DeadMail_DisposedByPostOffice DeadMail_SentToRecoveryCenter "
    "AvailableForPickup BusinessClosed DeliveryStatusNotUpdated"
)
for _problem in PROBLEMS.split():  # noqa: SIM118
    EVENT_STATUS[_problem] = DeliveryStatus.EXCEPTION


def status_of(event_type: str) -> str:
    return EVENT_STATUS.get(event_type, DeliveryStatus.IN_TRANSIT)


def check_interval(age: dt.timedelta, status: str) -> dt.timedelta:
    """How long until the next TrackShipment: often while things happen, rarely later."""
    if status == DeliveryStatus.OUT_FOR_DELIVERY:
        return dt.timedelta(minutes=30)
    if age < dt.timedelta(days=2):
        return dt.timedelta(hours=1)
    if age < dt.timedelta(days=7):
        return dt.timedelta(hours=3)
    if age < dt.timedelta(days=30):
        return dt.timedelta(hours=12)
    return dt.timedelta(days=1)


def event_key(e) -> str:
    """The carrier's event identity: the same scan read twice has the same key."""
    raw = "|".join(
        [
            e.timestamp.astimezone(dt.UTC).isoformat() if e.timestamp else "",
            e.event_type,
            e.event,
            e.zip_code,
        ]
    )
    return hashlib.sha256(raw.encode()).hexdigest()[:40]


def start_tracking(shipment: Shipment) -> Parcel | None:
    """A parcel for a bought label with a tracking number (idempotent)."""
    if not shipment.tracking_number or shipment.status != Shipment.Status.BOUGHT:
        return None
    parcel, created = Parcel.objects.get_or_create(
        shipment=shipment,
        defaults={"merchant_id": shipment.merchant_id, "next_check_at": timezone.now()},
    )
    if created:
        Shipment.objects.filter(pk=shipment.pk, delivery_status="").update(
            delivery_status=DeliveryStatus.PRE_TRANSIT
        )
    return parcel


def stop_tracking(shipment: Shipment, reason: str) -> None:
    Parcel.objects.filter(shipment=shipment).update(next_check_at=None, stopped=reason)


def adopt_untracked(now: dt.datetime) -> int:
    """Parcels for bought labels that have none (bought before tracking was on, or whose
    signal was lost): one query to find them, one to create them."""
    missing = Shipment.objects.filter(
        status=Shipment.Status.BOUGHT,
        parcel__isnull=True,
        bought_at__gte=now - MAX_AGE,
    ).exclude(tracking_number="")
    rows = [
        Parcel(merchant_id=merchant_id, shipment_id=pk, next_check_at=now)
        for pk, merchant_id in missing.values_list("pk", "merchant_id")[:5000]
    ]
    Parcel.objects.bulk_create(rows, ignore_conflicts=True)
    return len(rows)


def read_answer(
    parcel: Parcel, tracking: Tracking, known: set[str], now: dt.datetime
) -> tuple[list[TrackingEvent], dt.datetime | None]:
    """The events of one answer not stored yet (unsaved), oldest first, and the newest scan's
    time; the parcel takes the answer's expected delivery, destination and, when something
    is new, the latest status. ``poll_parcels`` writes a chunk's events at once."""
    new = []
    for e in tracking.events:
        if e.timestamp is None:
            continue
        key = event_key(e)
        if key in known:
            continue
        known.add(key)
        new.append(
            TrackingEvent(
                parcel=parcel,
                key=key,
                occurred_at=e.timestamp,
                status=status_of(e.event_type),
                event_type=e.event_type[:60],
                description=(e.event or e.event_type)[:200],
                city=e.city[:60],
                state=e.state[:30],
                zip_code=e.zip_code[:12],
                country=e.country[:2],
                signed_by=e.signed_by[:60],
                recorded_at=now,
            )
        )
    parcel.expected_delivery = tracking.expected_delivery or parcel.expected_delivery
    dest = tracking.destination or {}
    parcel.destination = ", ".join(
        p for p in (dest.get("City", "").title(), dest.get("State")) if p
    )
    if not new:
        return [], None
    newest_known = max(
        (e.timestamp for e in tracking.events if e.timestamp is not None), default=None
    )
    parcel.status = next(
        status_of(e.event_type) for e in tracking.events if e.timestamp == newest_known
    )
    return sorted(new, key=lambda ev: ev.occurred_at), newest_known


def _schedule(parcel: Parcel, bought_at: dt.datetime, now: dt.datetime) -> None:
    age = now - bought_at
    if parcel.status in FINAL:
        parcel.next_check_at = None
        parcel.stopped = parcel.status
    elif age >= MAX_AGE:
        parcel.next_check_at = None
        parcel.stopped = Parcel.Stop.TOO_OLD
    else:
        parcel.next_check_at = now + check_interval(age, parcel.status)


def save_rows(rows: list, fields: list[str]) -> None:
    """``fields`` of each row, by primary key, as one batched statement (executemany).

    Not ``bulk_update``: its CASE WHEN expression per field and row cost about 5 ms a parcel
    (``make bench``: tracking_poll), as much as everything else ShipDesk does in a poll."""
    if not rows:
        return
    model = type(rows[0])
    meta = model._meta
    connection = connections[router.db_for_write(model)]
    columns = [meta.get_field(name) for name in fields]
    quote = connection.ops.quote_name
    sql = (
        f"UPDATE {quote(meta.db_table)} SET "
        + ", ".join(f"{quote(c.column)} = %s" for c in columns)
        + f" WHERE {quote(meta.pk.column)} = %s"
    )
    params = [
        [c.get_db_prep_save(getattr(row, c.attname), connection) for c in columns] + [row.pk]
        for row in rows
    ]
    with connection.cursor() as cursor:
        cursor.executemany(sql, params)


SAVED = ["status", "next_check_at", "stopped", "checks", "last_checked_at", "last_error"]


def poll_parcels(parcels: Iterable[Parcel], now: dt.datetime | None = None) -> dict:
    """TrackShipment for each parcel, store what is new, schedule the next look."""
    from tracking import notifications, webhooks

    now = now or timezone.now()
    parcels = list(parcels)
    known: dict[int, set[str]] = defaultdict(set)
    for parcel_id, key in TrackingEvent.objects.filter(
        parcel_id__in=[p.pk for p in parcels]
    ).values_list("parcel_id", "key"):
        known[parcel_id].add(key)
    clients: dict[int, StampsClient] = {}
    counts = {"polled": 0, "moved": 0, "failed": 0}
    changed: list[tuple[Parcel, list[str]]] = []
    events: list[TrackingEvent] = []
    moved: list[Shipment] = []
    # The chunk's carrier calls are logged in one insert, not one each.
    with calllog.deferred():
        for parcel in parcels:
            shipment = parcel.shipment
            account: CarrierAccount = shipment.account
            parcel.checks += 1
            parcel.last_checked_at = now
            try:
                client = clients.get(account.pk) or clients.setdefault(
                    account.pk, client_for(account)
                )
                tracking = client.track_shipment(tracking_number=shipment.tracking_number)
            except errors.StampsError as exc:
                record_health(account, exc)
                counts["failed"] += 1
                parcel.last_error = exc.explanation[:300]
                parcel.next_check_at = now + dt.timedelta(hours=1)
                continue
            parcel.last_error = ""
            counts["polled"] += 1
            new, newest = read_answer(parcel, tracking, known[parcel.pk], now)
            _schedule(parcel, shipment.bought_at or shipment.created_at, now)
            if new:
                counts["moved"] += 1
                events.extend(new)
                shipment.delivery_status, shipment.last_scan_at = parcel.status, newest
                moved.append(shipment)
                changed.append((parcel, [ev.status for ev in new]))
    # One write for the whole chunk: the queries of a poll do not grow with its parcels.
    with transaction.atomic():
        TrackingEvent.objects.bulk_create(events, ignore_conflicts=True)
        save_rows(moved, ["delivery_status", "last_scan_at"])
        save_rows(parcels, SAVED + ["expected_delivery", "destination"])
    listening = webhooks.merchants_listening({p.merchant_id for p, _ in changed})
    for parcel, entered in changed:
        notifications.parcel_moved(parcel, entered)
        if parcel.merchant_id in listening:
            webhooks.emit_tracking(parcel)
    return counts


def poll_due(now: dt.datetime | None = None, limit: int | None = None) -> dict:
    """The scheduled job: every parcel whose next check is due, a chunk at a time."""
    now = now or timezone.now()
    adopt_untracked(now)
    totals = {"polled": 0, "moved": 0, "failed": 0}
    done = 0
    while limit is None or done < limit:
        size = CHUNK if limit is None else min(CHUNK, limit - done)
        due = list(
            Parcel.objects.filter(next_check_at__lte=now)
            .select_related("shipment", "shipment__account")
            .order_by("next_check_at")[:size]
        )
        if not due:
            break
        Parcel.objects.filter(pk__in=[p.pk for p in due]).update(next_check_at=now + LEASE)
        counts = poll_parcels(due, now)
        for k, v in counts.items():
            totals[k] += v
        done += len(due)
    return totals


def refresh(shipment: Shipment) -> Parcel | None:
    """Look now, whatever the schedule (the merchant's "Refresh tracking")."""
    parcel = start_tracking(shipment)
    if parcel is None:
        return None
    parcel = Parcel.objects.select_related("shipment", "shipment__account").get(pk=parcel.pk)
    if parcel.stopped in (Parcel.Stop.VOIDED,):
        return parcel
    poll_parcels([parcel])
    return parcel
