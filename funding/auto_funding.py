"""Auto-funding (R13): when the balance drops below the merchant's threshold, buy the chosen
amount, at most so many times a day, once per drop, through ``funding.purchases``."""

from __future__ import annotations

import logging
import math
from decimal import Decimal

from django.contrib.auth.models import User
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import ngettext

from carriers import services as carrier_services
from carriers.models import CarrierAccount
from carriers.stamps import accounts as stamps
from carriers.stamps import errors
from funding.ledger import (
    book_is_open,
    lock_account,
    money,
)
from funding.models import ZERO, AutoFunding, PostagePurchase
from funding.purchases import (
    MIN_PURCHASE,
    FundsError,
    StillConfirming,
    in_flight_total,
    open_book,
    reserve_purchase,
    room_to_add,
    submit_purchase,
    sync_balance,
    unconfirmed_purchase,
)
from merchants.errors import Fix
from merchants.models import Merchant
from merchants.permissions import Perm, require

log = logging.getLogger(__name__)

MAX_AUTO_PER_DAY = 24


def times_word(count: int) -> str:
    return ngettext("%(count)d time", "%(count)d times", count) % {"count": count}


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
    by: User | None = None,
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
    """R13's "a day" is the store's day: the worker that checks runs in the server's zone."""
    zone = Merchant.objects.get(pk=account.merchant_id).zone
    start = timezone.localtime(timezone=zone).replace(hour=0, minute=0, second=0, microsecond=0)
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
            if not auto.armed or auto.last_skip_reason:
                if not auto.armed:
                    auto.armed = True
                    auto.drop_seq += 1
                auto.last_skip_reason = ""  # nothing is waiting any more
                auto.save(update_fields=["armed", "drop_seq", "last_skip_reason", "updated_at"])
            return None
        if not auto.armed or not locked.is_usable:
            return None
        pending = unconfirmed_purchase(locked)
        if pending is not None:
            # R44a: no second purchase while one is unconfirmed; still armed, so the check
            # after its follow-up (or the schedule's next pass) buys if it is still needed.
            auto.last_skip_reason = (
                f"Waiting for Stamps.com to confirm a ${pending.amount:,.2f} purchase; "
                "auto-funding checks again once it does."
            )
            auto.save(update_fields=["last_skip_reason", "updated_at"])
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
        super().__init__(message, fix=Fix("funding:home", (), "Add funds"))
        self.missing = missing


def fund_batch(account: CarrierAccount, needed: Decimal, *, key: str) -> list[PostagePurchase]:
    """Make sure ``account`` holds ``needed`` before a batch of labels starts.

    With auto-funding on, the shortfall is bought in the merchant's chosen amount, as many
    times as it takes, within the daily limit (R13), the $10 minimum (R10) and the maximum
    balance (R11); each purchase carries ``key`` and its number as idempotency key, so
    checking the same batch twice never buys twice. One purchase is unconfirmed at a time
    (R44a): each is sent once the one before it is confirmed, and when one is not confirmed
    at once the batch waits for it (``PostageShort``, "try again in a minute"). When that
    cannot cover it (or auto-funding is off) nothing is bought and ``PostageShort`` says
    exactly what is missing.
    """
    needed = money(needed)
    # Before the lock: opening the book may ask the carrier, never inside a transaction.
    open_book(account, FundsError)
    with transaction.atomic():
        locked = lock_account(account)
        # Purchases still being confirmed will arrive: buying for them again would fund twice.
        missing = needed - locked.balance - in_flight_total(locked)
        if missing <= ZERO:
            return []
        pending = unconfirmed_purchase(locked)
        if pending is not None:
            raise StillConfirming(pending)
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
    purchases: list[PostagePurchase] = []
    for n in range(times):
        purchase = reserve_purchase(
            account, auto.amount, automatic=True, idempotency_key=f"{key}:{earlier + n}"
        )
        purchases.append(submit_purchase(purchase))
        if purchase.status != PostagePurchase.Status.SUCCESS:
            break  # the next one waits until this one is confirmed (R44a)
    account.refresh_from_db()
    if account.balance < needed:
        asked = sum((p.amount for p in purchases), ZERO)
        raise PostageShort(
            f"Auto-funding asked Stamps.com for ${asked:,.2f} and it is not "
            f"confirmed yet: “{account.nickname}” has ${account.balance:,.2f} of the "
            f"${needed:,.2f} this batch needs. Try again in a minute.",
            needed - account.balance,
        )
    return purchases
