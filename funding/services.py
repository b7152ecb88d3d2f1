"""Funds: add funds (R10-R12), follow pending purchases, balance sync, reconciliation (R14)
and auto-funding (R13).

Every carrier call goes through ``carriers.stamps.accounts.call`` (R7/R8 health) and is made
*outside* a database transaction: a purchase is first reserved (a ``PostagePurchase`` row with
its IntegratorTxID, committed), then sent, then applied in a second short transaction that
locks the account row and writes the ledger entry. A timeout or a lost answer leaves the row
``unknown``; ``resolve_purchase`` asks again with the same IntegratorTxID, which Stamps.com
treats as the same transaction, so a purchase can never happen twice.
"""

from __future__ import annotations

import logging
import math
from decimal import Decimal

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Q, Sum
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import ngettext

from carriers import services as carrier_services
from carriers.models import CarrierAccount
from carriers.stamps import accounts as stamps
from carriers.stamps import errors
from carriers.stamps.types import Purchase
from funding.ledger import (
    book_is_open,
    ensure_opening_balance,
    ledger_balance,
    lock_account,
    money,
    opening_key,
    record_adjustment,
    record_entry,
)
from funding.models import ZERO, AutoFunding, BalanceDrift, LedgerEntry, PostagePurchase
from merchants.permissions import Perm, require

log = logging.getLogger(__name__)

MIN_PURCHASE = Decimal("10.00")  # R10
PRESET_AMOUNTS = (Decimal("10"), Decimal("25"), Decimal("50"), Decimal("100"), Decimal("250"))
TRUST_AND_SAFETY_PHONE = errors.TRUST_AND_SAFETY_PHONE
MAX_AUTO_PER_DAY = 24


class FundsError(Exception):
    """A purchase or setting ShipDesk refused or Stamps.com rejected, said for the merchant."""

    def __init__(self, message: str, *, help_url: str = "", help_label: str = ""):
        super().__init__(message)
        self.message = message
        self.help_url = help_url
        self.help_label = help_label


class BelowMinimum(FundsError):
    def __init__(self) -> None:
        super().__init__("A postage purchase must be at least $10.00. Enter $10.00 or more.")


class AboveMaximum(FundsError):
    def __init__(self, largest: Decimal, max_balance: Decimal) -> None:
        self.largest = max(largest, ZERO)
        if self.largest >= MIN_PURCHASE:
            hint = f"You can add at most ${self.largest:,.2f} right now."
        else:
            hint = (
                f"You can't add funds right now: at most ${self.largest:,.2f} more fits, "
                "below the $10.00 minimum."
            )
        super().__init__(f"An account can hold at most ${max_balance:,.2f} of postage. {hint}")


class CardDeclined(FundsError):
    """R12: the balance is unchanged; the card is fixed at Stamps.com."""

    def __init__(self, help_url: str = "") -> None:
        super().__init__(
            "The card on file at Stamps.com was declined, so no postage was added and your "
            "balance is unchanged. Update the card in Stamps.com Account Settings, or call "
            f"Stamps.com Trust and Safety at {TRUST_AND_SAFETY_PHONE}.",
            help_url=help_url,
            help_label="Open Stamps.com Account Settings",
        )


# --------------------------------------------------------------------------------------------
# Balance.


def times_word(count: int) -> str:
    return ngettext("%(count)d time", "%(count)d times", count) % {"count": count}


def in_flight_total(account: CarrierAccount) -> Decimal:
    total = PostagePurchase.objects.filter(
        account_id=account.pk, status__in=PostagePurchase.IN_FLIGHT
    ).aggregate(total=Sum("amount"))["total"]
    return total or ZERO


def room_to_add(account: CarrierAccount) -> Decimal:
    """R11: what still fits under the maximum balance, counting purchases not yet settled."""
    return max(account.max_balance - account.balance - in_flight_total(account), ZERO)


def _remember_carrier_auto_buy(account: CarrierAccount, info) -> None:
    AutoFunding.objects.update_or_create(
        account=account,
        defaults={
            "merchant_id": account.merchant_id,
            "carrier_auto_buy_enabled": info.auto_buy.enabled,
            "carrier_auto_buy_amount": money(info.auto_buy.purchase_amount or 0),
            "carrier_auto_buy_trigger": money(info.auto_buy.trigger_amount or 0),
            "carrier_checked_at": timezone.now(),
        },
    )


def sync_balance(account: CarrierAccount):
    """GetAccountInfo: the carrier's balance, control total and auto-buy settings."""
    info = stamps.get_account_info(account)
    with transaction.atomic():
        locked = lock_account(account)
        locked.balance = money(info.balance)
        locked.control_total = money(info.control_total)
        if info.max_balance:
            locked.max_balance = money(info.max_balance)
        locked.balance_synced_at = timezone.now()
        locked.save(update_fields=["balance", "control_total", "max_balance", "balance_synced_at"])
        ensure_opening_balance(locked)
        _remember_carrier_auto_buy(locked, info)
    for field in ("balance", "control_total", "max_balance", "balance_synced_at"):
        setattr(account, field, getattr(locked, field))
    return info


def open_book(account: CarrierAccount) -> None:
    """Before ShipDesk moves money on an account (a label, a purchase), its ledger must hold
    the opening balance, and that is the carrier's word: read it now if it never was. Called
    outside a transaction; raises the carrier's error (``CarrierUnavailable``, ...) when the
    balance can't be read, and then nothing must be bought."""
    if not book_is_open(account):
        sync_balance(account)  # opens the book under the account lock (open_book_locked)


# --------------------------------------------------------------------------------------------
# Add funds.


def validate_amount(account: CarrierAccount, amount: Decimal) -> Decimal:
    amount = money(amount)
    if amount < MIN_PURCHASE:
        raise BelowMinimum()
    room = room_to_add(account)
    if amount > room:
        raise AboveMaximum(room, account.max_balance)
    return amount


def open_book_for_postage(account: CarrierAccount) -> None:
    """``open_book`` for a postage purchase: outside any transaction (the carrier is asked),
    and a failed read refuses the purchase in the merchant's words."""
    try:
        open_book(account)
    except errors.StampsError as exc:
        raise FundsError(
            "ShipDesk couldn't read this account's balance at Stamps.com yet, so no postage "
            f"was bought. {exc.merchant_message}"
        ) from exc


def reserve_purchase(
    account: CarrierAccount,
    amount: Decimal,
    *,
    automatic: bool = False,
    idempotency_key: str | None = None,
    by=None,
) -> PostagePurchase:
    """Check R3/R10/R11 under the account lock and save the purchase (with its
    IntegratorTxID) before Stamps.com is asked."""
    carrier_services.require_usable(account)
    if money(amount) < MIN_PURCHASE:
        raise BelowMinimum()
    open_book_for_postage(account)
    with transaction.atomic():
        locked = lock_account(account)
        carrier_services.require_usable(locked)
        ensure_opening_balance(locked)
        amount = validate_amount(locked, amount)
        return PostagePurchase.objects.create(
            merchant_id=locked.merchant_id,
            account=locked,
            amount=amount,
            automatic=automatic,
            idempotency_key=idempotency_key,
            requested_by=by,
        )


def add_funds(
    account: CarrierAccount, amount: Decimal, *, automatic: bool = False, by=None
) -> PostagePurchase:
    """Buy ``amount`` of postage with the card on file at Stamps.com (R3, R10-R12).

    Returns the purchase: ``success``, or ``pending``/``processing``/``unknown`` (a job
    follows it to the end). Raises ``FundsError`` when nothing was bought. ``by``: the person
    adding funds (checked against their role, recorded on the purchase and its ledger entry).
    """
    require(by, account.merchant if by else None, Perm.ADD_FUNDS)
    try:
        purchase = reserve_purchase(account, amount, automatic=automatic, by=by)
    except carrier_services.AccountNotUsable as exc:
        raise FundsError(exc.message) from exc
    return submit_purchase(purchase)


def _purchase_call(purchase: PostagePurchase) -> Purchase:
    account = purchase.account
    return stamps.call(
        account,
        lambda c: c.purchase_postage(
            purchase.amount, account.control_total, purchase.integrator_tx_id
        ),
    )


def _is_control_total_mismatch(exc: errors.StampsError) -> bool:
    return "control total" in (exc.fault_text or "").lower()


def submit_purchase(purchase: PostagePurchase) -> PostagePurchase:
    """Send (or send again, with the same IntegratorTxID) and record the answer."""
    account = purchase.account
    try:
        try:
            answer = _purchase_call(purchase)
        except errors.StampsError as exc:
            if not _is_control_total_mismatch(exc):
                raise
            # Labels bought elsewhere moved the control total: read it and ask once more
            # (the carrier refused before acting, so the same IntegratorTxID is still unused).
            sync_balance(account)
            answer = _purchase_call(purchase)
    except errors.CarrierUnavailable:
        # The carrier may or may not have bought it: find out later with the same id.
        _set_status(purchase, PostagePurchase.Status.UNKNOWN)
        follow_later(purchase)
        return purchase
    except errors.CardDeclined as exc:
        _reject(purchase, exc.fault_text or "Card declined")
        raise CardDeclined(_account_settings_url(account)) from exc
    except errors.PurchaseLimit as exc:
        _reject(purchase, exc.fault_text)
        if exc.largest_amount is not None or "max" in exc.fault_text.lower():
            largest = exc.largest_amount if exc.largest_amount is not None else ZERO
            raise AboveMaximum(largest, account.max_balance) from exc
        raise BelowMinimum() from exc
    except errors.StampsError as exc:
        _reject(purchase, exc.fault_text or exc.merchant_message)
        raise FundsError(exc.merchant_message) from exc
    return record_answer(purchase, answer)


def record_answer(purchase: PostagePurchase, answer: Purchase) -> PostagePurchase:
    status = answer.status.lower()
    if answer.transaction_id and not purchase.carrier_transaction_id:
        purchase.carrier_transaction_id = str(answer.transaction_id)
    if status == "success":
        apply_success(purchase, control_total=answer.control_total)
    elif status in ("pending", "processing"):
        _set_status(purchase, status)
        follow_later(purchase)
    else:
        _reject(purchase, answer.rejection_reason or answer.status)
    purchase.refresh_from_db()
    return purchase


def apply_success(purchase: PostagePurchase, *, control_total: Decimal | None = None) -> None:
    """The carrier added the postage: one ledger entry, balance moved, in one transaction."""
    with transaction.atomic():
        locked = lock_account(purchase.account_id)
        current = (
            PostagePurchase.objects.select_for_update(of=("self",))
            .select_related("requested_by")
            .get(pk=purchase.pk)
        )
        if current.status == PostagePurchase.Status.SUCCESS:
            return
        kind = LedgerEntry.Kind.AUTO_PURCHASE if current.automatic else LedgerEntry.Kind.PURCHASE
        record_entry(
            locked,
            kind=kind,
            amount=current.amount,
            idempotency_key=f"purchase:{current.integrator_tx_id}",
            reference=current.integrator_tx_id,
            memo="Auto-funding" if current.automatic else "Added funds",
            control_total=control_total,
            by=current.requested_by,
        )
        current.status = PostagePurchase.Status.SUCCESS
        current.settled_at = timezone.now()
        current.carrier_transaction_id = purchase.carrier_transaction_id
        current.save(update_fields=["status", "settled_at", "carrier_transaction_id"])


def _set_status(purchase: PostagePurchase, status: str) -> None:
    purchase.status = status
    PostagePurchase.objects.filter(pk=purchase.pk).exclude(
        status__in=[PostagePurchase.Status.SUCCESS, PostagePurchase.Status.REJECTED]
    ).update(status=status, carrier_transaction_id=purchase.carrier_transaction_id)


def _reject(purchase: PostagePurchase, reason: str) -> None:
    purchase.status = PostagePurchase.Status.REJECTED
    purchase.rejection_reason = reason
    PostagePurchase.objects.filter(pk=purchase.pk).exclude(
        status=PostagePurchase.Status.SUCCESS
    ).update(status=purchase.status, rejection_reason=reason, settled_at=timezone.now())


def _account_settings_url(account: CarrierAccount) -> str:
    """R9/R12: the carrier's page; failing that, ShipDesk's link that asks for it on click."""
    try:
        return carrier_services.carrier_page_url(account, "AccountSettingsPage")
    except (errors.StampsError, carrier_services.CarrierAccountError):
        log.warning("no Account Settings link for %s", account.pk, exc_info=True)
        return reverse(
            "carriers:open-carrier-page",
            kwargs={"pk": account.pk, "url_type": "AccountSettingsPage"},
        )


def follow_later(purchase: PostagePurchase) -> None:
    from django_q.tasks import async_task

    purchase_id = purchase.pk
    transaction.on_commit(
        lambda: async_task(
            "funding.jobs.follow_purchase", purchase_id, task_name=f"purchase-{purchase_id}"
        )
    )


def resolve_purchase(purchase: PostagePurchase) -> PostagePurchase:
    """One check of a purchase not yet settled: GetAccountInfo (the carrier settles pending
    purchases in its own time), then PurchasePostage again with the same IntegratorTxID,
    which answers with that transaction's status rather than buying again."""
    purchase.refresh_from_db()
    if not purchase.in_flight:
        return purchase
    PostagePurchase.objects.filter(pk=purchase.pk).update(checks=purchase.checks + 1)
    try:
        # A sync, not just a read: a purchase that never reached the carrier (a worker died
        # after reserving it) must be sent with today's control total, which labels bought
        # since have moved, or the carrier refuses it with a mismatch on every check.
        sync_balance(purchase.account)
        answer = _purchase_call(purchase)
    except errors.CarrierUnavailable:
        return purchase
    except errors.StampsError as exc:
        if isinstance(exc, errors.CardDeclined):
            _reject(purchase, exc.fault_text or "Card declined")
        elif exc.permanent and not _is_control_total_mismatch(exc):
            _reject(purchase, exc.fault_text or exc.merchant_message)
        return purchase
    status = answer.status.lower()
    if status in ("pending", "processing"):
        _set_status(purchase, status)
        purchase.refresh_from_db()
        return purchase
    if answer.transaction_id:
        purchase.carrier_transaction_id = str(answer.transaction_id)
    if status == "success":
        apply_success(purchase, control_total=answer.control_total)
        sync_balance(purchase.account)
    else:
        _reject(purchase, answer.rejection_reason or answer.status)
    purchase.refresh_from_db()
    return purchase


def poll_seconds() -> float:
    return float(settings.FUNDING_POLL_SECONDS)


# --------------------------------------------------------------------------------------------
# Reconciliation (R14).


def reconcile(account: CarrierAccount) -> BalanceDrift | None:
    """Compare the ledger with the carrier's balance; flag (or clear) drift for support."""
    if PostagePurchase.objects.filter(
        account_id=account.pk, status__in=PostagePurchase.IN_FLIGHT
    ).exists():
        return None  # a purchase between the two books is not drift
    sync_balance(account)
    now = timezone.now()
    with transaction.atomic():
        locked = lock_account(account)
        ours = ledger_balance(locked)
        theirs = locked.balance
        open_drift = BalanceDrift.objects.filter(account=locked, resolved_at__isnull=True).first()
        if ours == theirs:
            if open_drift is not None:
                open_drift.resolved_at = now
                open_drift.resolution = "Balances agree again."
                open_drift.save(update_fields=["resolved_at", "resolution"])
            return None
        if open_drift is not None:
            open_drift.ledger_balance, open_drift.carrier_balance = ours, theirs
            open_drift.difference = theirs - ours
            open_drift.last_seen_at = now
            open_drift.save()
            return open_drift
        log.warning("ledger drift on account %s: ledger %s, carrier %s", locked.pk, ours, theirs)
        return BalanceDrift.objects.create(
            merchant_id=locked.merchant_id,
            account=locked,
            ledger_balance=ours,
            carrier_balance=theirs,
            difference=theirs - ours,
        )


MIN_EXPLANATION = 15


def entries_around(drift: BalanceDrift, *, before: int = 4, after: int = 2) -> list[LedgerEntry]:
    """The account's opening entry and the entries just before and after a drift was first
    seen: where support starts looking for the movement that went astray (one query)."""
    entries = LedgerEntry.objects.filter(account_id=drift.account_id)
    earlier = entries.filter(created_at__lte=drift.detected_at).order_by("-pk")
    later = entries.filter(created_at__gt=drift.detected_at).order_by("pk")
    return list(
        entries.filter(
            Q(pk__in=earlier.values("pk")[:before])
            | Q(pk__in=later.values("pk")[:after])
            | Q(idempotency_key=opening_key(drift.account))
        ).order_by("pk")
    )


def drift_hint(drift: BalanceDrift, around: list[LedgerEntry] | None = None) -> str:
    """A first guess at the cause, in support's words. ``around``: ``entries_around(drift)``
    (which always holds the opening entry when there is one)."""
    around = entries_around(drift) if around is None else around
    if not any(e.idempotency_key == opening_key(drift.account) for e in around):
        return (
            "This ledger has no opening balance: it started with a movement before the "
            "carrier's balance was read, so it is short by the balance the account started with."
        )
    return ""


def resolve_drift(drift: BalanceDrift, explanation: str, *, by) -> LedgerEntry | None:
    """Support accepts the carrier's balance: one adjustment entry closes the gap, saying why
    and who (never silently). The carrier is read again first, so the adjustment is the gap
    of today, not the one seen when the drift was flagged. Returns None when nothing was left
    to adjust (the books agree again)."""
    explanation = " ".join(explanation.split())
    if len(explanation) < MIN_EXPLANATION:
        raise FundsError(
            "Explain the adjustment (what went wrong and how you checked it) in at least "
            f"{MIN_EXPLANATION} characters: it is written in the merchant's ledger."
        )
    if drift.resolved_at is not None:
        raise FundsError("This drift is already resolved.")
    account = drift.account
    if in_flight_total(account):
        raise FundsError(
            "A postage purchase on this account is still being confirmed with Stamps.com; "
            "adjust once it has settled, or the adjustment would count it twice."
        )
    sync_balance(account)
    who = getattr(by, "email", "") or str(by)
    with transaction.atomic():
        locked = lock_account(drift.account_id)
        current = BalanceDrift.objects.select_for_update().get(pk=drift.pk)
        if current.resolved_at is not None:
            raise FundsError("This drift is already resolved.")
        gap = locked.balance - ledger_balance(locked)
        entry = None
        if gap:
            entry = record_adjustment(
                locked,
                gap,
                f"Reconciliation with Stamps.com by {who}: {explanation}"[:300],
                idempotency_key=f"drift:{drift.pk}",
            )
        current.resolved_at = timezone.now()
        current.resolution = (
            f"Adjusted {gap:+.2f} by {who}: {explanation}"
            if entry
            else f"Nothing to adjust (the balances agreed) — {who}: {explanation}"
        )[:300]
        current.resolved_by = by if getattr(by, "pk", None) else None
        current.adjustment = entry
        current.save(update_fields=["resolved_at", "resolution", "resolved_by", "adjustment"])
    log.warning("drift %s on account %s adjusted %s by %s", drift.pk, locked.pk, gap, who)
    return entry


# --------------------------------------------------------------------------------------------
# Auto-funding (R13).


def validate_auto_funding(
    account: CarrierAccount, *, threshold: Decimal, amount: Decimal, max_per_day: int
) -> None:
    if money(amount) < MIN_PURCHASE:
        raise FundsError("The auto-funding amount must be at least $10.00 (the minimum purchase).")
    if money(threshold) <= ZERO:
        raise FundsError("The threshold must be more than $0.00.")
    if money(threshold) + money(amount) > account.max_balance:
        largest = max(account.max_balance - money(threshold), ZERO)
        raise FundsError(
            f"Adding ${money(amount):,.2f} when the balance is just under "
            f"${money(threshold):,.2f} could pass the ${account.max_balance:,.2f} maximum "
            f"balance. With this threshold the amount can be at most ${largest:,.2f}."
        )
    if not 1 <= max_per_day <= MAX_AUTO_PER_DAY:
        raise FundsError(f"Times per day must be between 1 and {MAX_AUTO_PER_DAY}.")


def save_auto_funding(
    account: CarrierAccount,
    *,
    enabled: bool,
    threshold: Decimal,
    amount: Decimal,
    max_per_day: int,
    by=None,
) -> AutoFunding:
    """``by``: the person changing it (checked against their role, shown on the funds page)."""
    require(by, account.merchant if by else None, Perm.AUTO_FUNDING)
    if enabled:
        carrier_services.require_usable(account)
        validate_auto_funding(account, threshold=threshold, amount=amount, max_per_day=max_per_day)
    with transaction.atomic():
        lock_account(account)
        auto, _ = AutoFunding.objects.select_for_update().get_or_create(
            account=account, defaults={"merchant_id": account.merchant_id}
        )
        auto.enabled = enabled
        auto.changed_by = by
        if enabled:
            auto.threshold, auto.amount = money(threshold), money(amount)
            auto.max_per_day = max_per_day
            auto.last_skip_reason = ""
        auto.save()
    if enabled:
        try:
            sync_balance(account)  # read the carrier's own auto-buy to warn (R13)
        except errors.StampsError:
            log.warning("could not read auto-buy for %s", account.pk, exc_info=True)
        auto.refresh_from_db()
        transaction.on_commit(lambda: _schedule_check(account.pk))
    return auto


def _schedule_check(account_id: int) -> None:
    from funding.ledger import schedule_auto_funding_check

    schedule_auto_funding_check(account_id)


def turn_off_carrier_auto_buy(account: CarrierAccount) -> None:
    """SetAutoBuy off, so Stamps.com and ShipDesk don't both fund the account (R13)."""
    stamps.call(account, lambda c: c.set_auto_buy(False))
    sync_balance(account)


def automatic_purchases_today(account: CarrierAccount) -> int:
    start = timezone.localtime().replace(hour=0, minute=0, second=0, microsecond=0)
    return PostagePurchase.objects.filter(
        account_id=account.pk, automatic=True, created_at__gte=start
    ).count()


def check_auto_funding(account: CarrierAccount | int) -> PostagePurchase | None:
    """Buy the chosen amount once per drop below the threshold (R13).

    Called after every label debit (after commit) and on a schedule, possibly by several
    workers at once: the decision is taken under the account's row lock, and the purchase
    carries a unique key per drop, so two checks can never buy twice for one drop.
    """
    pk = account.pk if isinstance(account, CarrierAccount) else account
    if not book_is_open(pk):
        # A purchase needs an open book, and the carrier is not called under the lock below.
        try:
            open_book(CarrierAccount.objects.get(pk=pk))
        except errors.StampsError:
            log.warning("auto-funding check for %s waits for a balance read", pk, exc_info=True)
            return None
    with transaction.atomic():
        locked = lock_account(pk)
        auto = AutoFunding.objects.select_for_update().filter(account=locked).first()
        if auto is None or not auto.enabled:
            return None
        if locked.balance >= auto.threshold:
            if not auto.armed:
                auto.armed = True
                auto.drop_seq += 1
                auto.save(update_fields=["armed", "drop_seq", "updated_at"])
            return None
        if not auto.armed or not locked.is_usable:
            return None
        if automatic_purchases_today(locked) >= auto.max_per_day:
            auto.last_skip_reason = (
                "Daily limit reached: auto-funding already ran "
                f"{times_word(auto.max_per_day)} today."
            )
            auto.save(update_fields=["last_skip_reason", "updated_at"])
            return None
        room = room_to_add(locked)
        if auto.amount > room:
            auto.last_skip_reason = (
                f"${auto.amount:,.2f} would pass the maximum balance; at most ${room:,.2f} fits."
            )
            auto.save(update_fields=["last_skip_reason", "updated_at"])
            return None
        auto.armed = False
        auto.last_skip_reason = ""
        auto.save(update_fields=["armed", "last_skip_reason", "updated_at"])
        try:
            with transaction.atomic():
                purchase = reserve_purchase(
                    locked,
                    auto.amount,
                    automatic=True,
                    idempotency_key=f"auto:{locked.pk}:{auto.drop_seq}",
                )
        except IntegrityError:
            return None  # another worker already bought for this drop
        except FundsError as exc:
            auto.last_skip_reason = exc.message[:300]
            auto.save(update_fields=["last_skip_reason", "updated_at"])
            return None
    try:
        return submit_purchase(purchase)
    except FundsError as exc:
        AutoFunding.objects.filter(pk=auto.pk).update(last_skip_reason=exc.message[:300])
        return purchase


# --------------------------------------------------------------------------------------------
# Postage for a batch: funded before it starts (R10, R11, R13).


class PostageShort(FundsError):
    """A batch needs more postage than the account has and auto-funding cannot cover it."""

    def __init__(self, message: str, missing: Decimal) -> None:
        super().__init__(message, help_url=reverse("funding:home"), help_label="Add funds")
        self.missing = missing


def fund_batch(account: CarrierAccount, needed: Decimal, *, key: str) -> list[PostagePurchase]:
    """Make sure ``account`` holds ``needed`` before a batch of labels starts.

    With auto-funding on, the shortfall is bought in the merchant's chosen amount, as many
    times as it takes, within the daily limit (R13), the $10 minimum (R10) and the maximum
    balance (R11); each purchase carries ``key`` and its number as idempotency key, so
    checking the same batch twice never buys twice. When that cannot cover it (or
    auto-funding is off) nothing is bought and ``PostageShort`` says exactly what is missing.
    """
    needed = money(needed)
    # Before the lock: opening the book may ask the carrier, never inside a transaction.
    open_book_for_postage(account)
    with transaction.atomic():
        locked = lock_account(account)
        # Purchases still being confirmed will arrive: buying for them again would fund twice.
        missing = needed - locked.balance - in_flight_total(locked)
        if missing <= ZERO:
            return []
        have = (
            f"This batch needs about ${needed:,.2f} of postage and “{locked.nickname}” has "
            f"${locked.balance:,.2f}: ${missing:,.2f} is missing."
        )
        auto = AutoFunding.objects.select_for_update().filter(account=locked, enabled=True).first()
        if auto is None:
            raise PostageShort(
                f"{have} Add at least ${max(missing, MIN_PURCHASE):,.2f}, or turn on "
                "auto-funding, then create the batch again.",
                missing,
            )
        # A second look at the same batch numbers its purchases on from the first look's.
        earlier = PostagePurchase.objects.filter(
            account=locked, idempotency_key__startswith=f"{key}:"
        ).count()
        times = math.ceil(missing / auto.amount)  # whole purchases of the chosen amount
        left_today = auto.max_per_day - automatic_purchases_today(locked)
        room = room_to_add(locked)
        refusal = ""
        if times > left_today:
            refusal = (
                f"Auto-funding adds ${auto.amount:,.2f} at most {times_word(auto.max_per_day)} "
                f"a day and can run {max(left_today, 0)} more today; this needs {times}."
            )
        elif times * auto.amount > room:
            refusal = (
                f"Adding {times} × ${auto.amount:,.2f} would pass the "
                f"${locked.max_balance:,.2f} maximum balance; at most ${room:,.2f} fits."
            )
        if refusal:
            raise PostageShort(f"{have} {refusal} Add funds by hand, then try again.", missing)
        purchases = [
            reserve_purchase(
                locked, auto.amount, automatic=True, idempotency_key=f"{key}:{earlier + n}"
            )
            for n in range(times)
        ]
    for purchase in purchases:
        submit_purchase(purchase)
    account.refresh_from_db()
    if account.balance < needed:
        raise PostageShort(
            f"Auto-funding asked Stamps.com for ${times * auto.amount:,.2f} and it is not "
            f"confirmed yet: “{account.nickname}” has ${account.balance:,.2f} of the "
            f"${needed:,.2f} this batch needs. Try again in a minute.",
            needed - account.balance,
        )
    return purchases
