"""Auto-funding (R13): when the balance drops below the merchant's threshold, buy the chosen
amount, at most so many times a day, once per drop, through ``funding.purchases``."""

from __future__ import annotations

import logging
from decimal import Decimal

from django.db import IntegrityError, transaction
from django.utils import timezone

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
    open_book,
    reserve_purchase,
    room_to_add,
    submit_purchase,
    sync_balance,
)

log = logging.getLogger(__name__)

MAX_AUTO_PER_DAY = 24


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
) -> AutoFunding:
    if enabled:
        carrier_services.require_usable(account)
        validate_auto_funding(account, threshold=threshold, amount=amount, max_per_day=max_per_day)
    with transaction.atomic():
        lock_account(account)
        auto, _ = AutoFunding.objects.select_for_update().get_or_create(
            account=account, defaults={"merchant_id": account.merchant_id}
        )
        auto.enabled = enabled
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
                f"Daily limit reached: auto-funding already ran {auto.max_per_day} time(s) today."
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
