"""Buying postage (R10-R12) and keeping the balance: add funds, follow purchases the carrier
has not settled, sync the balance.

Every carrier call goes through ``carriers.stamps.accounts.call`` (R7/R8 health) and is made
*outside* a database transaction: a purchase is first reserved (a ``PostagePurchase`` row with
its IntegratorTxID, committed), then sent, then applied in a second short transaction that
locks the account row and writes the ledger entry. A timeout or a lost answer leaves the row
``unknown``; ``resolve_purchase`` follows it through the carrier's balance and never sends it
again (R44). An account has at most one purchase not yet confirmed (R44a), so the balance
always says which purchase landed.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, replace
from decimal import Decimal

from django.conf import settings
from django.contrib.auth.models import User
from django.db import IntegrityError, transaction
from django.db.models import Sum
from django.utils import timezone
from django.utils.formats import date_format

from carriers import services as carrier_services
from carriers.models import CarrierAccount
from carriers.stamps import accounts as stamps
from carriers.stamps import errors
from carriers.stamps.types import AccountInfo, Purchase
from funding.ledger import (
    book_is_open,
    ensure_opening_balance,
    ledger_balance,
    lock_account,
    money,
    record_entry,
)
from funding.models import ZERO, AutoFunding, LedgerEntry, PostagePurchase, Refund
from funding.signals import unsettled_credits, unsettled_debits
from merchants.errors import MerchantError
from merchants.permissions import Perm, require

log = logging.getLogger(__name__)

MIN_PURCHASE = Decimal("10.00")  # R10
PRESET_AMOUNTS = (Decimal("10"), Decimal("25"), Decimal("50"), Decimal("100"), Decimal("250"))
TRUST_AND_SAFETY_PHONE = errors.TRUST_AND_SAFETY_PHONE


class FundsError(MerchantError):
    """A purchase or setting ShipDesk refused or Stamps.com rejected, said for the merchant."""


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


class StillConfirming(FundsError):
    """R44a: a purchase on the account is not confirmed yet, so no other one is sent."""

    def __init__(self, pending: PostagePurchase) -> None:
        self.pending = pending
        super().__init__(
            f"A ${pending.amount:,.2f} purchase from {_when(pending)} is still being confirmed "
            "by Stamps.com; ShipDesk will add it as soon as Stamps.com confirms. Try again in "
            "a minute."
        )


def _when(purchase: PostagePurchase) -> str:
    """When the purchase was made, in the store's time zone: its time, and its date too
    when that was not today."""
    zone = purchase.account.merchant.zone
    made = timezone.localtime(purchase.created_at, zone)
    if made.date() == timezone.localtime(timezone.now(), zone).date():
        return date_format(made, "g:i A")
    return date_format(made, "M j, g:i A")


def card_declined(account: CarrierAccount) -> FundsError:
    """R12 (the carrier's ``errors.CardDeclined``, said for the funds page): the balance is
    unchanged; the card is fixed in the carrier's Account Settings."""
    return FundsError(
        "The card on file at Stamps.com was declined, so no postage was added and your "
        "balance is unchanged. Update the card in Stamps.com Account Settings, or call "
        f"Stamps.com Trust and Safety at {TRUST_AND_SAFETY_PHONE}.",
        fix=carrier_services.carrier_page_fix(
            account, "AccountSettingsPage", "Open Stamps.com Account Settings"
        ),
    )


# --------------------------------------------------------------------------------------------
# Balance.


def unconfirmed_purchase(account: CarrierAccount | int) -> PostagePurchase | None:
    """The account's purchase not yet confirmed by Stamps.com (R44a: at most one)."""
    pk = account.pk if isinstance(account, CarrierAccount) else account
    return (
        PostagePurchase.objects.filter(account_id=pk, status__in=PostagePurchase.IN_FLIGHT)
        .select_related("account__merchant")
        .first()
    )


def in_flight_total(account: CarrierAccount) -> Decimal:
    total = PostagePurchase.objects.filter(
        account_id=account.pk, status__in=PostagePurchase.IN_FLIGHT
    ).aggregate(total=Sum("amount"))["total"]
    return total or ZERO


def room_to_add(account: CarrierAccount) -> Decimal:
    """R11: what still fits under the maximum balance, counting purchases not yet settled."""
    return max(account.max_balance - account.balance - in_flight_total(account), ZERO)


def _remember_carrier_auto_buy(account: CarrierAccount, info: AccountInfo) -> None:
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


# What the carrier's balance may already hold and the ledger not yet, in the words of a log line
# or of support's refusal (``under_way``).
PURCHASE_UNDER_WAY = "a postage purchase is being confirmed with Stamps.com"
LABEL_BEING_BOUGHT = "a label is being bought"
LABEL_BEING_VOIDED = "a label is being voided"
REFUND_AWAITED = "a refund of a voided label is awaited"
LEDGER_MOVED = "a movement was recorded while the balance was read"


def under_way(account: CarrierAccount | int, *, refunds_followed: bool = False) -> str:
    """What ShipDesk has between the two books on ``account``: a movement the carrier's
    balance may already hold while the ledger does not yet, so that balance can't be taken
    as the account's, nor compared with the ledger. "" when there is none.

    A purchase not confirmed (R44), a label being bought whose charge is not recorded yet
    (R28) or being voided whose refund may already be credited (the apps above answer
    ``unsettled_debits`` and ``unsettled_credits``), and a refund awaited, which the carrier
    credits at its own pace (R41). ``refunds_followed``: the caller asked the carrier about
    those refunds right after its read (``refunds.sync_with_refunds``), so the read holds
    exactly the ones in the ledger."""
    pk = account.pk if isinstance(account, CarrierAccount) else account
    if PostagePurchase.objects.filter(account_id=pk, status__in=PostagePurchase.IN_FLIGHT).exists():
        return PURCHASE_UNDER_WAY
    if any(amount for _, amount in unsettled_debits.send(CarrierAccount, account_id=pk)):
        return LABEL_BEING_BOUGHT
    if any(amount for _, amount in unsettled_credits.send(CarrierAccount, account_id=pk)):
        return LABEL_BEING_VOIDED
    if (
        not refunds_followed
        and Refund.objects.filter(account_id=pk, status=Refund.Status.REQUESTED).exists()
    ):
        return REFUND_AWAITED
    return ""


def _newest_entry(account_id: int) -> int | None:
    return (
        LedgerEntry.objects.filter(account_id=account_id)
        .order_by("-pk")
        .values_list("pk", flat=True)
        .first()
    )


@dataclass(frozen=True)
class BalanceRead:
    """One GetAccountInfo (``info``) and whether its balance became the account's.

    ``stored``: ``CarrierAccount.balance`` was set to the carrier's figure, because nothing
    was between the two books (``under_way``) and the ledger did not move while it was read
    (``last_entry``, its newest entry just before the call, is still the newest): the figure
    holds exactly the movements the ledger holds, so the two can be compared, and from then
    on they move together. Otherwise ``under_way`` says what was, and the stored balance kept
    ShipDesk's own running figure."""

    info: AccountInfo
    last_entry: int | None
    stored: bool
    under_way: str = ""


def _between(locked: CarrierAccount, last_entry: int | None, *, refunds_followed: bool) -> str:
    """Under the account's lock: why a balance read after ``last_entry`` can't be stored."""
    busy = under_way(locked, refunds_followed=refunds_followed)
    if not busy and _newest_entry(locked.pk) != last_entry:
        busy = LEDGER_MOVED
    return busy


def read_balance(account: CarrierAccount) -> BalanceRead:
    """GetAccountInfo: the carrier's balance, control total and auto-buy settings.

    The stored balance (``CarrierAccount.balance``: the funds page's figure, what auto-funding
    (R13), the maximum (R11) and a label's pre-check read) moves with every ledger entry
    (``record_entry``) and takes the carrier's figure only when nothing is between the books
    (``BalanceRead.stored``). A figure read while a movement is between them already holds
    it, and the entry that records the movement moves the balance once more: "Refresh
    balance" pressed while $25 was being added to $50 showed $100, and pressed while a label
    was being bought lowered the balance by the label twice (which could set off
    auto-funding). So then the running figure is kept: the last agreed balance moved by every
    entry since, right whatever the carrier is doing at that moment.

    Settling it when the entry is written instead (moving the balance or not, or setting it
    from the ledger) cannot be made right: the entry can't know whether a read it never saw
    already held it, and a balance set from the ledger would hide what moved at Stamps.com
    outside ShipDesk (a label bought on its site), which the merchant should see and
    reconciliation flags. The decision is taken under the account's row lock, which every
    ledger entry and every purchase reservation takes too; a label's reservation (a void's
    "voiding") is committed before Stamps.com is called, so a charge (a refund) the read may
    hold is always seen here: as under way, or once recorded as the ledger having moved.

    A book not open yet always takes the figure: it opens with it (R45), and nothing moves
    before it opens."""
    last_entry = _newest_entry(account.pk)
    info = stamps.get_account_info(account)
    with transaction.atomic():
        locked = lock_account(account)
        busy = ""
        if book_is_open(locked):
            busy = _between(locked, last_entry, refunds_followed=False)
        if not busy:
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
    if busy:
        log.info("balance of account %s read but not stored: %s", account.pk, busy)
    return BalanceRead(info, last_entry, stored=not busy, under_way=busy)


def store_read(account: CarrierAccount, read: BalanceRead) -> BalanceRead:
    """``read`` once the refunds awaited were asked about right after it and none had landed
    (``refunds.sync_with_refunds``): stored now if nothing else was between the books."""
    if read.stored:
        return read
    with transaction.atomic():
        locked = lock_account(account)
        busy = _between(locked, read.last_entry, refunds_followed=True)
        if busy:
            return replace(read, under_way=busy)
        locked.balance = money(read.info.balance)
        locked.save(update_fields=["balance"])
    account.balance = locked.balance
    return replace(read, stored=True, under_way="")


def sync_balance(account: CarrierAccount) -> AccountInfo:
    """GetAccountInfo: the carrier's balance, control total and auto-buy settings; the
    balance stored only when nothing was between the books (``read_balance``)."""
    return read_balance(account).info


def open_book(
    account: CarrierAccount,
    refuse: type[MerchantError] | None = None,
    *,
    what: str = "postage",
) -> None:
    """Before ShipDesk moves money on an account (a label, a purchase), its ledger must hold
    the opening balance, and that is the carrier's word: read it now if it never was (the
    ledger's ``open_book_locked`` opens it under the account lock). Called outside a
    transaction. When the balance can't be read nothing may be bought: the carrier's error
    (``CarrierUnavailable``, ...) is raised, or with ``refuse`` that merchant error, saying
    in the merchant's words that no ``what`` was bought."""
    if book_is_open(account):
        return
    try:
        sync_balance(account)
    except errors.StampsError as exc:
        if refuse is None:
            raise
        raise refuse(
            f"ShipDesk couldn't read this account's balance at Stamps.com yet, so no {what} "
            f"was bought. {exc.merchant_message}"
        ) from exc


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


def reserve_purchase(
    account: CarrierAccount,
    amount: Decimal,
    *,
    automatic: bool = False,
    idempotency_key: str | None = None,
    by: User | None = None,
) -> PostagePurchase:
    """Check R3/R10/R11/R44a under the account lock and save the purchase (with its
    IntegratorTxID) before Stamps.com is asked. ``StillConfirming`` when another purchase on
    the account is not confirmed yet: the lock and the table's constraint hold that across
    processes, so two purchases can never be unconfirmed at once."""
    carrier_services.require_usable(account)
    if money(amount) < MIN_PURCHASE:
        raise BelowMinimum()
    open_book(account, FundsError)
    with transaction.atomic():
        locked = lock_account(account)
        carrier_services.require_usable(locked)
        ensure_opening_balance(locked)
        pending = unconfirmed_purchase(locked)
        if pending is not None:
            raise StillConfirming(pending)
        amount = validate_amount(locked, amount)
        try:
            with transaction.atomic():
                return PostagePurchase.objects.create(
                    merchant_id=locked.merchant_id,
                    account=locked,
                    amount=amount,
                    automatic=automatic,
                    idempotency_key=idempotency_key,
                    requested_by=by,
                )
        except IntegrityError:
            # Only where the row lock does not serialize (it does on PostgreSQL, and SQLite
            # writes one transaction at a time): the constraint caught the second purchase.
            pending = unconfirmed_purchase(locked)
            if pending is None:
                raise  # another constraint (an auto-funding drop's key)
            raise StillConfirming(pending) from None


def add_funds(
    account: CarrierAccount,
    amount: Decimal,
    *,
    automatic: bool = False,
    by: User | None = None,
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


# Labels bought at the same moment by other web threads and workers move the control total
# between ShipDesk's read and its purchase; each refusal costs two quick calls.
CONTROL_TOTAL_ATTEMPTS = 20


def _purchase_with_current_control_total(purchase: PostagePurchase) -> Purchase:
    """PurchasePostage; when labels bought elsewhere moved the control total, read it again
    and ask again. The carrier refused before acting, so nothing was bought and this is not
    the re-sending R44 forbids (a purchase whose outcome is unknown is never sent again)."""
    for attempt in range(1, CONTROL_TOTAL_ATTEMPTS + 1):
        try:
            return _purchase_call(purchase)
        except errors.StampsError as exc:
            if not _is_control_total_mismatch(exc) or attempt == CONTROL_TOTAL_ATTEMPTS:
                raise
            sync_balance(purchase.account)
    raise AssertionError("unreachable")


def submit_purchase(purchase: PostagePurchase) -> PostagePurchase:
    """Send (or send again, with the same IntegratorTxID) and record the answer."""
    account = purchase.account
    try:
        answer = _purchase_with_current_control_total(purchase)
    except errors.CarrierUnavailable:
        # The carrier may or may not have bought it: find out later with the same id.
        _set_status(purchase, PostagePurchase.Status.UNKNOWN)
        follow_later(purchase)
        return purchase
    except errors.CardDeclined as exc:
        _reject(purchase, exc.fault_text or "Card declined")
        raise card_declined(account) from exc
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
    """The carrier added the postage: one ledger entry, balance moved, in one transaction.

    The stored balance never holds the purchase before this entry: no read is stored while
    it is unconfirmed (``read_balance``), so moving the balance here counts it exactly once
    (reading it in and adding it again showed $45.02 for $25.01)."""
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


def follow_later(purchase: PostagePurchase) -> None:
    from django_q.tasks import async_task

    purchase_id = purchase.pk
    transaction.on_commit(
        lambda: async_task(
            "funding.jobs.follow_purchase",
            purchase_id,
            task_name=f"purchase-{purchase_id}",
            cluster=settings.Q_SHORT_CLUSTER,
        )
    )


NOT_BOUGHT = (
    "Stamps.com has no record of this purchase (its balance never showed it), so nothing was "
    "charged. Add the funds again if you still need them."
)


def resolve_purchase(purchase: PostagePurchase) -> PostagePurchase:
    """One check of a purchase not yet settled (R44): GetAccountInfo, never PurchasePostage
    again. Nothing public says Stamps.com de-duplicates a repeated IntegratorTxID, so a
    re-sent purchase could be bought twice. The carrier's balance says whether it landed:
    see ``settle_from_balance``."""
    purchase.refresh_from_db()
    if not purchase.in_flight:
        return purchase
    PostagePurchase.objects.filter(pk=purchase.pk).update(checks=purchase.checks + 1)
    account = purchase.account
    from funding.refunds import sync_with_refunds

    try:
        # With every refund the balance holds in the ledger: an unbooked refund would look
        # like this purchase landing (R41).
        read = sync_with_refunds(account)
    except errors.StampsError:
        return purchase  # unreachable or refused (stamps.call flags the account): next check
    if read is None:
        return purchase  # refunds were landing while it looked: next check
    settle_from_balance(account, read, purchase)
    purchase.refresh_from_db()
    return purchase


def settle_from_balance(
    account: CarrierAccount, read: BalanceRead, followed: PostagePurchase
) -> None:
    """Settle ``followed``, the account's one unconfirmed purchase (R44a), from the carrier's
    balance as ``read`` (with the refunds it holds in the ledger).

    The gap between the carrier's balance and the ledger's is postage bought but not yet
    recorded, and with one purchase unconfirmed at most it can only be that one. A label
    bought at the carrier whose debit is not yet in the ledger makes the gap smaller (the
    purchase waits one more check, never settles wrongly); a void's refund is in the ledger
    before the balance is read (``refunds.sync_with_refunds``). A purchase the carrier never
    answered (sent into a timeout, or left "sending" by a dead worker) that the gap does not
    show was not bought; one the carrier answered Pending or Processing is waited for, and so
    is one a label charged in the meantime could hide (``unsettled_debits``); a refund
    credited for a void ShipDesk has not recorded yet is never taken for the purchase
    (``unsettled_credits``). The gap is taken only beside the ledger the balance was read
    with: an entry written since (a label recorded, a refund credited) may or may not be in
    that balance, so the purchase waits for the next check."""
    balance, control_total = money(read.info.balance), money(read.info.control_total)
    with transaction.atomic():
        locked = lock_account(account)
        purchase = PostagePurchase.objects.select_for_update().get(pk=followed.pk)
        if not purchase.in_flight:
            return
        if _newest_entry(locked.pk) != read.last_entry:
            return
        gap = balance - ledger_balance(locked)
        # Labels the carrier may have charged without ShipDesk knowing yet make the gap
        # smaller than the postage bought: a lost purchase is not given up while they could
        # explain the difference.
        debits = unsettled_debits.send(CarrierAccount, account_id=locked.pk)
        uncertain = sum((Decimal(amount) for _, amount in debits if amount), ZERO)
        # Refunds the carrier may have credited for voids whose answer was lost make it
        # larger: the purchase is settled only from what they cannot explain.
        credits = unsettled_credits.send(CarrierAccount, account_id=locked.pk)
        unsure_credit = sum((Decimal(amount) for _, amount in credits if amount), ZERO)
        if purchase.amount <= gap - unsure_credit:
            apply_success(purchase, control_total=control_total)
        elif (
            purchase.status in (PostagePurchase.Status.SENDING, PostagePurchase.Status.UNKNOWN)
            and purchase.amount > gap + uncertain
        ):
            _reject(purchase, NOT_BOUGHT)


def poll_seconds() -> float:
    return float(settings.FUNDING_POLL_SECONDS)
