"""R14: a drift reconciliation finds leads somewhere: support sees it with the ledger entries
around it, and an admin closes it with an explained adjustment, recorded in the admin
history, never silently (issue 20)."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.contrib.admin.models import LogEntry
from django.test import Client
from django.urls import reverse

from funding import purchases, reconciliation
from funding.ledger import ledger_balance
from funding.models import BalanceDrift, LedgerEntry
from tests.factories import SUPPORT_WHY, make_support_agent, make_user

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def drifted(sandbox_account, sandbox):
    """An account whose carrier balance moved outside ShipDesk (a label bought elsewhere)."""
    account = sandbox_account("acme-drift", balance="300.00")
    purchases.sync_balance(account)  # opens the book at 300.00
    carrier_side = sandbox.get_account("acme-drift")
    carrier_side.balance -= Decimal("12.34")
    carrier_side.save(update_fields=["balance"])
    drift = reconciliation.reconcile(account)
    assert drift is not None and drift.difference == Decimal("-12.34")
    return account, drift


def test_support_sees_an_open_drift_with_the_ledger_entries_around_it(drifted, merchant):
    agent = Client()
    agent.force_login(make_support_agent())
    page = agent.get(
        reverse("support:merchant", args=[merchant.pk]), {"why": SUPPORT_WHY}
    ).content.decode()
    assert "Ledger vs. carrier balance" in page
    assert "-$12.34" in page
    assert "Opening balance at Stamps.com" in page  # the entries around the drift
    assert "explained adjustment" in page


def test_an_admin_adjustment_needs_an_explanation_and_says_who_and_why(drifted, sandbox):
    account, drift = drifted
    admin = make_user("admin@shipdesk.test")
    admin.is_staff = admin.is_superuser = True
    admin.save()
    client = Client()
    client.force_login(admin)
    url = reverse("admin:funding_balancedrift_adjust", args=[drift.pk])

    form = client.get(url)
    assert form.status_code == 200
    assert "Opening balance at Stamps.com" in form.content.decode()

    too_short = client.post(url, {"explanation": "fix"})
    assert too_short.status_code == 200
    assert "Explain the adjustment" in too_short.content.decode()
    assert not LedgerEntry.objects.filter(account=account, memo__contains="Reconciliation")
    assert BalanceDrift.objects.get(pk=drift.pk).resolved_at is None

    why = "Label bought directly on stamps.com, confirmed in its online reports."
    done = client.post(url, {"explanation": why})
    assert done.status_code == 302
    drift.refresh_from_db()
    assert drift.resolved_at is not None and drift.resolved_by == admin
    assert drift.adjustment.amount == Decimal("-12.34")
    assert "admin@shipdesk.test" in drift.adjustment.memo and why in drift.adjustment.memo
    assert ledger_balance(account) == sandbox.get_balance("acme-drift")
    assert LogEntry.objects.filter(object_id=str(drift.pk), change_message__contains=why)
    assert reconciliation.reconcile(account) is None

    # Posting again writes nothing more.
    client.post(url, {"explanation": why})
    assert LedgerEntry.objects.filter(account=account, kind="adjustment").count() == 2


def test_support_staff_without_the_permission_cannot_adjust(drifted):
    _, drift = drifted
    client = Client()
    client.force_login(make_support_agent(is_staff=True))
    response = client.post(
        reverse("admin:funding_balancedrift_adjust", args=[drift.pk]),
        {"explanation": "Trying to adjust without the permission."},
    )
    assert response.status_code == 403
    assert BalanceDrift.objects.get(pk=drift.pk).resolved_at is None
