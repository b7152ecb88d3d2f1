"""R14: the ledger is append-only and written only inside the caller's transaction."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.db import transaction
from django.utils import timezone

from carriers.models import CarrierAccount
from funding import ledger
from funding.models import AppendOnlyError, LedgerEntry


@pytest.fixture
def account(merchant):
    return CarrierAccount.objects.create(
        merchant=merchant,
        nickname="Main",
        username="acme",
        balance=Decimal("50.00"),
        balance_synced_at=timezone.now(),  # read from the carrier: the book can open
    )


def _entry(account, amount="10.00", key="k1"):
    with transaction.atomic():
        return ledger.record_entry(
            account, kind=LedgerEntry.Kind.ADJUSTMENT, amount=Decimal(amount), idempotency_key=key
        )


def test_R14_ledger_entries_cannot_be_changed_or_deleted(account):
    entry = _entry(account)
    entry.memo = "edited"
    with pytest.raises(AppendOnlyError):
        entry.save()
    with pytest.raises(AppendOnlyError):
        entry.delete()
    with pytest.raises(AppendOnlyError):
        LedgerEntry.objects.filter(pk=entry.pk).update(memo="x")
    with pytest.raises(AppendOnlyError):
        LedgerEntry.objects.all().delete()
    assert LedgerEntry.objects.get(pk=entry.pk).memo == ""


def test_R14_record_entry_refuses_to_run_outside_a_transaction(account):
    with pytest.raises(ledger.LedgerError):
        ledger.record_entry(
            account, kind=LedgerEntry.Kind.ADJUSTMENT, amount=Decimal("1"), idempotency_key="x"
        )


def test_R14_label_debit_and_void_refund_keep_a_running_balance(
    account, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks() as callbacks, transaction.atomic():
        ledger.ensure_opening_balance(account)
        debit = ledger.debit_for_label(account, Decimal("7.25"), "label-1")
        again = ledger.debit_for_label(account, Decimal("7.25"), "label-1")
        refund = ledger.refund_for_void(account, Decimal("7.25"), "label-1")
    assert again.pk == debit.pk  # one entry per label, however often it is called
    assert debit.amount == Decimal("-7.25") and debit.balance_after == Decimal("42.75")
    assert refund.balance_after == Decimal("50.00")
    assert len(callbacks) == 2  # auto-funding is checked after each debit commits (R13)
    account.refresh_from_db()
    assert account.balance == Decimal("50.00")
    assert ledger.ledger_balance(account) == Decimal("50.00")


def test_R14_a_rolled_back_label_leaves_no_ledger_entry(account):
    with pytest.raises(RuntimeError), transaction.atomic():
        ledger.debit_for_label(account, Decimal("5.00"), "label-2")
        raise RuntimeError("label save failed")
    assert not LedgerEntry.objects.exists()
    account.refresh_from_db()
    assert account.balance == Decimal("50.00")
