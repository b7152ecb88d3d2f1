"""Void labels for a refund (R27): the carrier cancels, the refund is requested and the order
reopens, once, whatever fails in between (R28). The refund reaches the ledger only when
Stamps.com credits it (R41, ``funding.refunds``)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from decimal import Decimal

from django.contrib.auth.models import User
from django.db import transaction
from django.db.models import Sum
from django.utils import timezone

from carriers.stamps import errors
from carriers.stamps.accounts import call
from funding.models import Refund
from funding.refunds import request_refund
from merchants.permissions import Perm, require
from orders.models import Order
from shipments.labels import LabelError, LabelPending
from shipments.models import VOID_WINDOW, Shipment
from shipments.signals import label_voided

# CancelIndicium is sent this many times in one void when no answer comes back.
VOID_ATTEMPTS = 3


def void_refused_reason(shipment: Shipment, now: dt.datetime | None = None) -> str:
    """Why ``shipment`` can't be voided, or "" (R27)."""
    if shipment.status == Shipment.Status.VOIDED:
        return "This label is already voided."
    if shipment.status == Shipment.Status.VOIDING:
        return ""  # a void under way is always finished, whatever the date
    if shipment.status != Shipment.Status.BOUGHT:
        return "Only created labels can be voided."
    if Shipment.objects.filter(return_of=shipment, status__in=Shipment.LIVE).exists():
        return "This label has a return label: void the return label first."
    form = (
        Shipment.objects.filter(pk=shipment.pk, scan_form_entry__isnull=False)
        .values_list(
            "scan_form_entry__scan_form_id",
            "scan_form_entry__scan_form__manifest_id",
            "scan_form_entry__scan_form__ship_date",
        )
        .first()
    )
    if form is not None:
        form_pk, manifest_id, ship_date = form
        return (
            f"This label is on SCAN form {manifest_id or form_pk} of "
            f"{ship_date:%b %-d, %Y}: USPS has been handed it, so it can no longer be "
            "voided. If the package never left, ask Stamps.com support about a refund."
        )
    now = now or timezone.now()
    if now - (shipment.bought_at or shipment.created_at) > VOID_WINDOW:
        created = timezone.localdate(shipment.bought_at or shipment.created_at)
        return (
            "Labels can be voided for a refund only within 28 days of creation; this one was "
            f"created on {created:%b %-d, %Y}."
        )
    return ""


def void_label(shipment: Shipment, *, by: User | None = None) -> Shipment:
    """CancelIndicium, then the refund request and the order back to Awaiting shipment (R14,
    R27, R41: the ledger is credited later, when Stamps.com has); a return label's order
    stays shipped (R46).

    The label is saved as ``voiding`` before the carrier is called: an answer lost after the
    carrier refunded (a timeout, an HTTP 500, a killed worker) must not leave a ``bought``
    label whose postage came back unrecorded. CancelIndicium for a label already voided
    succeeds and refunds nothing more, so a ``voiding`` label is finished by sending it again:
    here (a few times), on the merchant's next attempt or by ``shipments.jobs.sweep_labels``.
    The refund request is written once, with the state, in one transaction (``_record_void``).
    ``by``: the person voiding (checked against their role, recorded on label and refund).
    """
    require(by, shipment.order.merchant if by else None, Perm.LABELS)
    if shipment.status == Shipment.Status.VOIDED:
        return shipment
    reason = void_refused_reason(shipment)
    if reason:
        raise LabelError(reason)
    resumed = shipment.status == Shipment.Status.VOIDING
    if not resumed:
        # One statement, so a SCAN form taking the label at the same moment can't be missed.
        started = (
            Shipment.objects.filter(pk=shipment.pk, status=Shipment.Status.BOUGHT)
            .filter(scan_form_entry__isnull=True)
            .update(status=Shipment.Status.VOIDING, voided_by=by)
        )
        if not started:  # moved on (or put on a SCAN form) a moment ago: judge it again
            again = Shipment.objects.select_related("account").get(pk=shipment.pk)
            return void_label(again, by=by)
    shipment.status = Shipment.Status.VOIDING
    account = shipment.account
    for attempt in range(1, VOID_ATTEMPTS + 1):
        try:
            call(account, lambda c: c.cancel_indicium(stamps_tx_id=shipment.stamps_tx_id))
        except errors.StampsError as exc:
            if not exc.permanent:
                if attempt < VOID_ATTEMPTS:
                    continue  # resending is harmless: the carrier refunds a label once
                raise LabelPending(
                    f"{exc.explanation} The label is being voided: Stamps.com may already have "
                    "refunded it. ShipDesk keeps checking and records the refund once; you can "
                    "also try the void again."
                ) from exc
            # Refused. Only a refusal that speaks about the label itself, or one to the first
            # request ever sent, shows nothing was voided; otherwise an earlier request's
            # outcome is still unknown and the label stays ``voiding`` for the next attempt.
            if isinstance(exc, errors.VoidRefused) or (not resumed and attempt == 1):
                Shipment.objects.filter(pk=shipment.pk, status=Shipment.Status.VOIDING).update(
                    status=Shipment.Status.BOUGHT
                )
                shipment.status = Shipment.Status.BOUGHT
            if isinstance(exc, errors.VoidRefused):
                raise LabelError(f"{exc.fault_text} {exc.what_to_do}".strip()) from exc
            raise LabelError(exc.merchant_message) from exc
        break
    return _record_void(shipment)


def _record_void(shipment: Shipment) -> Shipment:
    """The voided state, its refund request and the order reopened: one transaction (R14).
    ``refunded`` stays 0 until the carrier credits the refund (``record_refund``)."""
    with transaction.atomic():
        locked = (
            # NO KEY UPDATE, as ledger.lock_account: rows pointing at these may still be written.
            Shipment.objects.select_for_update(of=("self", "account"), no_key=True)
            .select_related("account", "voided_by")
            .get(pk=shipment.pk)
        )
        if locked.status == Shipment.Status.VOIDED:
            return locked
        locked.status = Shipment.Status.VOIDED
        locked.voided_at = timezone.now()
        locked.save(update_fields=["status", "voided_at"])
        request_refund(
            locked.account,
            amount=locked.amount,
            reference=locked.integrator_tx_id,
            stamps_tx_id=locked.stamps_tx_id,
            tracking_number=locked.tracking_number,
            printed_on=timezone.localdate(locked.bought_at or locked.created_at),
            description=locked.tracking_number or locked.service,
            by=locked.voided_by,
        )
        if not locked.is_return:  # a voided return label leaves its shipped order alone
            Order.objects.filter(pk=locked.order_id, status=Order.Status.SHIPPED).update(
                status=Order.Status.AWAITING_SHIPMENT, updated_at=timezone.now()
            )
        transaction.on_commit(lambda: label_voided.send(Shipment, shipment=locked))
    return locked


def refund_of(shipment: Shipment) -> Refund | None:
    """The refund a voided label is awaiting or got (R41)."""
    return Refund.objects.filter(
        account_id=shipment.account_id, reference=shipment.integrator_tx_id
    ).first()


def record_refund(sender: object, refund: Refund, **kwargs: object) -> None:
    """funding.signals.refund_settled: the label shows what the carrier credited."""
    Shipment.objects.filter(account_id=refund.account_id, integrator_tx_id=refund.reference).update(
        refunded=refund.approved or 0
    )


def void_many(
    shipments: Iterable[Shipment], *, by: User | None = None
) -> tuple[list[Shipment], list[tuple[Shipment, str]]]:
    """Batch void: each label on its own, so one refusal does not stop the others."""
    voided, refused = [], []
    for shipment in shipments:
        try:
            voided.append(void_label(shipment, by=by))
        except LabelError as exc:
            refused.append((shipment, exc.message))
    return voided, refused


def unsettled_refunds(sender: object, account_id: int, **kwargs: object) -> Decimal:
    """funding.signals.unsettled_credits: a label being voided whose answer was lost may have
    been refunded by the carrier before ShipDesk records its void (R41)."""
    total = Shipment.objects.filter(
        account_id=account_id, status=Shipment.Status.VOIDING
    ).aggregate(total=Sum("amount"))["total"]
    return total or Decimal("0.00")
