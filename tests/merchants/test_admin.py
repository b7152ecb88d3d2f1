"""Django admin: every page renders without secrets; support and merchants can't change data."""

from __future__ import annotations

from unittest import mock

import pytest
from cryptography.fernet import Fernet
from django.apps import apps
from django.contrib import admin
from django.core.management import call_command
from django.db import connection
from django.test import Client
from django.utils import timezone

from carriers.models import CarrierAccount, CarrierCall, PhoneVerification
from carriers.stamps import errors
from merchants import crypto
from merchants.models import AuditLog, Merchant
from tests.factories import (
    SUPPORT_WHY,
    admin_search,
    admin_url,
    make_carrier_account,
    make_support_agent,
)
from tests.orders.test_search_plan import admin_search_plans, read_whole
from tests.support_console.test_merchant_page import (
    API_KEY_HASH,
    CARRIER_PASSWORD,
    CONSOLE_CODE,
    fill,
)

pytestmark = pytest.mark.django_db


def raw_column(model, field: str, pk: int) -> str:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {field} FROM {model._meta.db_table} WHERE id = %s", [pk])
        return cursor.fetchone()[0]


def test_no_admin_page_shows_a_secret(admin_client, merchant, superuser):
    account = fill(merchant, n=2)
    admin_client.get("/support/", {"q": "acme", "why": SUPPORT_WHY})  # an audit row to render
    verification = PhoneVerification.objects.filter(account=account).first()
    secrets = [
        CARRIER_PASSWORD,
        CONSOLE_CODE,
        API_KEY_HASH[:-6],
        raw_column(CarrierAccount, "password", account.pk),
        raw_column(PhoneVerification, "console_code", verification.pk),
        superuser.password.split("$")[-1],  # the hash part of the admin's own password
    ]
    rendered = 0
    for model in admin.site._registry:
        pages = [admin_url(model, "changelist")]
        obj = model._default_manager.first()
        if obj is not None:
            pages.append(admin_url(model, "change", obj.pk))
        for url in pages:
            response = admin_client.get(url)
            assert response.status_code == 200, url
            html = response.text
            for secret in secrets:
                assert secret not in html, f"{url} shows a secret"
            rendered += 1
    assert rendered >= 2 * 8


def test_carrier_accounts_are_searchable_and_money_is_read_only(admin_client, merchant):
    account = make_carrier_account(merchant, "Main", username="acme-main-77")
    html = admin_client.get(admin_url(CarrierAccount, "changelist"), {"q": "main-77"}).text
    assert "acme-main-77" in html
    form = admin_client.get(admin_url(CarrierAccount, "change", account.pk)).context["adminform"]
    for field in ("balance", "control_total", "max_balance", "balance_synced_at"):
        assert field in form.readonly_fields
    assert "password" not in form.form.fields


def test_ledger_and_call_log_are_read_only_for_admins(admin_client, merchant):
    fill(merchant)
    from carriers.models import CarrierCall
    from funding.models import LedgerEntry

    for model in (LedgerEntry, CarrierCall, PhoneVerification, AuditLog):
        obj = model._default_manager.first() if model is not AuditLog else None
        if obj is None:
            admin_client.get("/support/")
            obj = AuditLog.objects.first()
        url = admin_url(model, "change", obj.pk)
        assert "_save" not in admin_client.get(url).text, url
        assert admin_client.post(url, {}).status_code == 403, url
        assert admin_client.get(admin_url(model, "add")).status_code == 403
        assert admin_client.post(admin_url(model, "delete", obj.pk)).status_code == 403


def test_the_audit_log_is_view_only_even_for_superusers(admin_client):
    admin_client.get("/support/", {"q": "acme", "why": SUPPORT_WHY})
    entry = AuditLog.objects.get()
    changelist = admin_client.get(admin_url(AuditLog, "changelist")).text
    assert "acme" in changelist and 'value="delete_selected"' not in changelist
    response = admin_client.post(admin_url(AuditLog, "delete", entry.pk), {"post": "yes"})
    assert response.status_code == 403
    assert AuditLog.objects.filter(pk=entry.pk).exists()


# -- who may use the admin -----------------------------------------------------------------


def test_a_merchant_user_cannot_reach_the_admin(owner_client, merchant):
    account = make_carrier_account(merchant)
    for url in ("/admin/", admin_url(CarrierAccount, "change", account.pk)):
        response = owner_client.get(url)
        assert response.status_code in {302, 403}, url
        if response.status_code == 302:
            assert response["Location"].startswith("/admin/login/"), url


def test_a_support_agent_cannot_reach_admin_change_pages(merchant):
    account = make_carrier_account(merchant)
    client = Client()
    client.force_login(make_support_agent())
    assert client.get("/admin/")["Location"].startswith("/admin/login/")
    change = admin_url(CarrierAccount, "change", account.pk)
    assert client.get(change).status_code == 302


def test_a_support_agent_with_staff_status_still_cannot_change_anything(merchant):
    account = make_carrier_account(merchant, "Main", username="before")
    client = Client()
    client.force_login(make_support_agent("staff-agent@shipdesk.test", is_staff=True))
    change = admin_url(CarrierAccount, "change", account.pk)
    assert client.get(change).status_code == 403
    response = client.post(change, {"nickname": "Hacked", "username": "after"})
    assert response.status_code == 403
    assert client.get(admin_url(CarrierAccount, "changelist")).status_code == 403
    assert client.get(admin_url(AuditLog, "changelist")).status_code == 403
    account.refresh_from_db()
    assert account.username == "before"


# -- actions and the re-encryption command -------------------------------------------------


def run_action(client: Client, action: str, *accounts: CarrierAccount):
    return client.post(
        admin_url(CarrierAccount, "changelist"),
        {"action": action, "_selected_action": [a.pk for a in accounts]},
        follow=True,
    )


def test_resync_balance_action_syncs_each_account(admin_client, merchant):
    good = make_carrier_account(merchant, "Good")
    bad = make_carrier_account(merchant, "Bad")

    def fake_sync(account):
        if account.pk == bad.pk:
            raise errors.AuthenticationFailed("Authentication Failed")

    with mock.patch("funding.purchases.sync_balance", autospec=True, side_effect=fake_sync) as sync:
        response = run_action(admin_client, "resync_balance", good, bad)
    assert {c.args[0].pk for c in sync.call_args_list} == {good.pk, bad.pk}
    text = response.text
    assert "Balance resynced for 1 account(s)." in text
    assert "Bad" in text


def test_resend_code_action_sends_only_to_accounts_awaiting_verification(
    admin_client, merchant, settings
):
    settings.SMS_BACKEND = "console"
    waiting = make_carrier_account(
        merchant,
        "New",
        status=CarrierAccount.Status.AWAITING_VERIFICATION,
        phone_number="+14155550132",
    )
    active = make_carrier_account(merchant, "Old", phone_number="+14155550199")
    response = run_action(admin_client, "resend_verification_code", waiting, active)
    assert "Code sent for 1 account(s)." in response.text
    assert PhoneVerification.objects.filter(account=waiting).count() == 1
    assert not PhoneVerification.objects.filter(account=active).exists()


def test_reencrypt_action_rewrites_credentials_with_the_newest_key(
    admin_client, merchant, settings
):
    account = make_carrier_account(merchant, "Main", password=CARRIER_PASSWORD)
    before = raw_column(CarrierAccount, "password", account.pk)
    new = Fernet.generate_key().decode()
    settings.FIELD_ENCRYPTION_KEYS = [new, *settings.FIELD_ENCRYPTION_KEYS]
    response = run_action(admin_client, "reencrypt_credentials", account)
    assert "1 secret(s) re-encrypted." in response.text
    after = raw_column(CarrierAccount, "password", account.pk)
    assert after != before
    settings.FIELD_ENCRYPTION_KEYS = [new]
    assert crypto.decrypt(after) == CARRIER_PASSWORD
    assert CarrierAccount.objects.get(pk=account.pk).password == CARRIER_PASSWORD


def test_reencrypt_secrets_command_rewrites_every_secret(merchant, settings, capsys):
    account = make_carrier_account(merchant, "Main", password=CARRIER_PASSWORD)
    fill(merchant)
    new = Fernet.generate_key().decode()
    settings.FIELD_ENCRYPTION_KEYS = [new, *settings.FIELD_ENCRYPTION_KEYS]
    call_command("reencrypt_secrets")
    accounts = CarrierAccount.objects.exclude(password="").count()
    assert f"carriers.CarrierAccount: {accounts} secret(s)" in capsys.readouterr().out
    settings.FIELD_ENCRYPTION_KEYS = [new]
    assert CarrierAccount.objects.get(pk=account.pk).password == CARRIER_PASSWORD
    assert PhoneVerification.objects.get().console_code == CONSOLE_CODE


def test_an_admin_cannot_erase_a_store_and_its_history(admin_client, merchant):
    # Stores are closed by their owner and kept (front.store_deletion): support needs a
    # store's carrier calls weeks later (here a failed connect, R1: no account was saved),
    # and a hard delete would leave them nobody's.
    call = CarrierCall.objects.create(
        merchant=merchant,
        username="acme-stamps",
        operation="AuthenticateUser",
        started_at=timezone.now(),
        outcome=CarrierCall.Outcome.FAULT,
        fault_text="Authentication Failed",
    )
    response = admin_client.post(admin_url(Merchant, "delete", merchant.pk), {"post": "yes"})
    assert response.status_code == 403
    changelist = admin_client.get(admin_url(Merchant, "changelist")).text
    assert 'value="delete_selected"' not in changelist
    assert Merchant.objects.filter(pk=merchant.pk).exists()
    call.refresh_from_db()
    assert call.merchant_id == merchant.pk


# -- the audit log's search, at any size ---------------------------------------------------


def make_look_up(merchant, **fields) -> AuditLog:
    fields = {
        "actor": "agent@shipdesk.test",
        "action": AuditLog.Action.SEARCH,
        "query": "acme",
        "reason": "ZD-1000: balance question",
        "path": "/support/",
        "merchant": merchant,
        "ip_address": "203.0.113.9",
        **fields,
    }
    return AuditLog.objects.create(**fields)


@pytest.mark.parametrize("by", ["id", "agent", "reason", "query", "address", "store"])
def test_the_audit_log_search_finds_a_look_up(admin_client, merchant, outsider_merchant, by):
    entry = make_look_up(
        merchant,
        actor="nina@shipdesk.test",
        query="9400100000000000004242",
        reason="ZD-4411: where is my refund",
        ip_address="198.51.100.7",
    )
    other = make_look_up(outsider_merchant)
    term = {
        "id": str(entry.pk),
        "agent": "nina@",
        "reason": "ZD-4411",
        "query": "94001000000000000042",
        "address": "198.51.100.7",
        "store": "acme out",
    }[by]
    shown = admin_search(admin_client, AuditLog, term)
    assert entry.pk in shown and other.pk not in shown


@pytest.mark.skipif(connection.vendor != "postgresql", reason="reads PostgreSQL's query plans")
@pytest.mark.parametrize("term", ["acme", "ZD-1000", "203.0.113.9", "12"])
def test_the_audit_log_search_reads_only_through_indexes(admin_client, merchant, term):
    # A LIKE '%term%' on six text columns read every look-up support ever made.
    for i in range(30):
        make_look_up(merchant, reason=f"ZD-{1000 + i}")
    keep = ("audit_", "shipdesk_auditlog_merchant_id")
    for plan in admin_search_plans(admin_client, AuditLog, term, keep):
        assert not read_whole(plan, "shipdesk_auditlog"), plan


@pytest.mark.parametrize("term", ["²", "١٢", "9" * 30])
@pytest.mark.parametrize(
    "model",
    [
        "carriers.CarrierCall",
        "funding.PostagePurchase",
        "shipdesk.AuditLog",
        "orders.OrderRuleChange",
    ],
)
def test_a_log_search_for_digits_that_are_no_id_is_answered_not_a_server_error(
    admin_client, model, term
):
    # "²".isdigit() is true but int("²") fails; thirty digits overflow a bigint.
    assert admin_search(admin_client, apps.get_model(model), term) == set()
