"""Carrier accounts in the Django admin: their money, owner and state belong to the services."""

from __future__ import annotations

from decimal import Decimal
from unittest import mock

import pytest
from django.contrib.auth.models import Permission
from django.db import connection
from django.test import Client
from django.utils import timezone

from carriers.models import CarrierAccount, CarrierCall, PhoneVerification
from funding.models import LedgerEntry
from tests.factories import admin_search, admin_url, make_carrier_account, make_user
from tests.orders.test_search_plan import admin_search_plans, read_whole

pytestmark = pytest.mark.django_db


def test_R3_R14_an_admin_cannot_move_an_account_or_skip_its_verification(
    admin_client, merchant, outsider_merchant
):
    account = make_carrier_account(
        merchant,
        "Main",
        username="acme-main",
        status=CarrierAccount.Status.AWAITING_VERIFICATION,
        balance=Decimal("42.50"),
    )
    LedgerEntry.objects.create(
        merchant=merchant,
        account=account,
        kind=LedgerEntry.Kind.PURCHASE,
        amount=Decimal("42.50"),
        balance_after=Decimal("42.50"),
        idempotency_key="purchase-acme-main",
    )
    response = admin_client.post(
        admin_url(CarrierAccount, "change", account.pk),
        {
            "merchant": outsider_merchant.pk,  # its postage spent by another store
            "username": "someone-else",  # the ledger now against another carrier account
            "status": CarrierAccount.Status.ACTIVE,  # buying before 2-step verification
            "plan": CarrierAccount.Plan.PRO_FREE,
            "carrier": CarrierAccount.Carrier.STAMPS,
            "nickname": "Main postage",
            "phone_number": "+15550000000",
            "verifications-TOTAL_FORMS": "0",
            "verifications-INITIAL_FORMS": "0",
        },
    )
    assert response.status_code == 302
    account.refresh_from_db()
    assert account.nickname == "Main postage"  # what an admin may fix
    assert account.merchant_id == merchant.pk
    assert account.username == "acme-main"
    assert account.status == CarrierAccount.Status.AWAITING_VERIFICATION
    assert account.plan == CarrierAccount.Plan.PERSONAL
    assert account.phone_number == ""


def test_R1_an_admin_cannot_add_or_delete_a_carrier_account(admin_client, merchant):
    account = make_carrier_account(merchant)
    # Connecting authenticates at Stamps.com first (R1); disconnecting keeps the history.
    assert admin_client.get(admin_url(CarrierAccount, "add")).status_code == 403
    response = admin_client.post(admin_url(CarrierAccount, "delete", account.pk), {"post": "yes"})
    assert response.status_code == 403
    changelist = admin_client.get(admin_url(CarrierAccount, "changelist")).text
    assert 'value="delete_selected"' not in changelist
    assert CarrierAccount.objects.filter(pk=account.pk).exists()


def test_staff_who_may_only_view_accounts_cannot_run_their_actions(merchant, settings):
    settings.SMS_BACKEND = "console"
    viewer = make_user("viewer@shipdesk.test")
    viewer.is_staff = True
    viewer.save(update_fields=["is_staff"])
    viewer.user_permissions.add(Permission.objects.get(codename="view_carrieraccount"))
    client = Client()
    client.force_login(viewer)
    account = make_carrier_account(
        merchant,
        "New",
        status=CarrierAccount.Status.AWAITING_VERIFICATION,
        phone_number="+14155550132",
    )
    changelist = admin_url(CarrierAccount, "changelist")
    assert client.get(changelist).status_code == 200
    with mock.patch("funding.purchases.sync_balance", autospec=True) as sync:
        for action in ("resync_balance", "resend_verification_code", "reencrypt_credentials"):
            response = client.post(
                changelist, {"action": action, "_selected_action": [account.pk]}, follow=True
            )
            assert response.status_code == 200
            assert f'value="{action}"' not in response.text  # not offered either
    sync.assert_not_called()  # no carrier call, no balance or ledger change
    assert not PhoneVerification.objects.filter(account=account).exists()  # no text sent


# -- the call log's search, at any size ----------------------------------------------------


def make_call(merchant, account, **fields) -> CarrierCall:
    fields = {
        "merchant": merchant,
        "account": account,
        "username": account.username if account else "",
        "operation": "GetRates",
        "started_at": timezone.now(),
        "outcome": CarrierCall.Outcome.OK,
        **fields,
    }
    return CarrierCall.objects.create(**fields)


@pytest.mark.parametrize("by", ["id", "username", "username in another case", "fault", "store"])
def test_the_call_log_search_finds_a_call(admin_client, merchant, outsider_merchant, by):
    account = make_carrier_account(merchant, "Main", username="Acme-Main")
    call = make_call(merchant, account, outcome=CarrierCall.Outcome.FAULT, fault_code="0x002b0204")
    other = make_call(
        outsider_merchant, make_carrier_account(outsider_merchant, username="bramble-1")
    )
    term = {
        "id": str(call.pk),
        "username": "Acme-Main",
        "username in another case": "acme-main",
        "fault": "0x002b0204",
        "store": "acme out",
    }[by]
    shown = admin_search(admin_client, CarrierCall, term)
    assert call.pk in shown and other.pk not in shown


def test_a_connect_attempts_calls_are_found_by_the_username_typed(admin_client):
    # Authentication failed before any account was saved: no store, no account to go by.
    call = make_call(None, None, username="new-shipper", outcome=CarrierCall.Outcome.FAULT)
    response = admin_client.get(admin_url(CarrierCall, "changelist"), {"q": "new-shipper"})
    assert [obj.pk for obj in response.context["cl"].result_list] == [call.pk]


@pytest.mark.skipif(connection.vendor != "postgresql", reason="reads PostgreSQL's query plans")
@pytest.mark.parametrize("term", ["acme", "0x002b0204", "12"])
def test_the_call_log_search_reads_only_through_indexes(admin_client, merchant, term):
    # A LIKE '%term%' on the fault's text (or across the join to the store's name) read
    # every call ever made: one or more per label bought.
    account = make_carrier_account(merchant, "Main", username="acme-main")
    for i in range(30):
        make_call(merchant, account, fault_code="0x002b0204" if i % 3 else "")
    keep = ("carrier_call_username", "carrier_call_fault_code", "carriers_carriercall_merchant_id")
    for plan in admin_search_plans(admin_client, CarrierCall, term, keep):
        assert not read_whole(plan, "carriers_carriercall"), plan
