"""Connecting Stamps.com accounts through the pages, against the sandbox (R1-R9)."""

from __future__ import annotations

import logging

import pytest
from django.db import connection
from django.urls import reverse

from carriers import services
from carriers.models import CarrierAccount, CarrierCall
from carriers.stamps import errors
from carriers.stamps.sandbox import api as sandbox_api
from tests.carriers.test_forms import GOOD_NEW

pytestmark = pytest.mark.django_db(transaction=True)

PASSWORD = "ship-it-2026"


def connect(client, **data):
    payload = {"username": "acme-post", "password": PASSWORD, "nickname": "Main postage"}
    payload.update(data)
    return client.post(reverse("carriers:connect-existing"), payload, follow=True)


def test_choice_page_leads_to_either_flow(owner_client, sandbox):
    page = owner_client.get(reverse("carriers:connect")).text
    assert "Set up a new Stamps.com account" in page
    assert "I already have a Stamps.com account" in page
    r = owner_client.post(reverse("carriers:connect"), {"choice": "existing"})
    assert r["Location"] == reverse("carriers:connect-existing")
    r = owner_client.post(reverse("carriers:connect"), {"choice": "new"})
    assert r["Location"] == reverse("carriers:connect-new")


def test_r1_existing_account_is_saved_only_after_stamps_accepts_it(owner_client, merchant, sandbox):
    sandbox.create_account("acme-post", PASSWORD, balance="42.50", plan="personal")
    response = connect(owner_client)
    assert "Connected “Main postage”" in response.text
    account = CarrierAccount.objects.get(merchant=merchant)
    assert account.status == "active"
    assert account.is_default
    assert str(account.balance) == "42.50"
    assert account.password == PASSWORD
    from funding.ledger import ledger_balance

    assert ledger_balance(account) == account.balance  # R14: the ledger opens at the carrier's


def test_r1_wrong_password_keeps_username_and_nickname_but_not_the_password(
    owner_client, merchant, sandbox
):
    sandbox.create_account("acme-post", PASSWORD)
    response = connect(owner_client, password="not-the-password")
    assert response.status_code == 200
    assert "did not accept this username and password" in response.text
    # It points to what is on this page, not to an "Update password" button that is not.
    assert "Update password" not in response.text and "Check both" in response.text
    assert 'value="acme-post"' in response.text
    assert 'value="Main postage"' in response.text
    assert "not-the-password" not in response.text
    assert not CarrierAccount.objects.exists()


def test_carrier_down_while_connecting_saves_nothing(owner_client, sandbox):
    sandbox.create_account("acme-post", PASSWORD)
    sandbox.set_fault("AuthenticateUser", "http500", times=0)
    response = connect(owner_client)
    assert "did not answer" in response.text or "unavailable" in response.text.lower()
    assert not CarrierAccount.objects.exists()


def test_passwords_never_reach_the_database_logs_or_pages(owner_client, sandbox, caplog):
    sandbox.create_account("acme-post", PASSWORD)
    with caplog.at_level(logging.DEBUG):
        connect(owner_client)
        page = owner_client.get(reverse("carriers:list")).text
    account = CarrierAccount.objects.get()
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT * FROM {CarrierAccount._meta.db_table}")
        row = " ".join(str(v) for v in cursor.fetchone())
    calls = " ".join(f"{c.request_summary} {c.fault_text}" for c in CarrierCall.objects.all())
    assert PASSWORD not in row
    assert PASSWORD not in page
    assert PASSWORD not in caplog.text
    assert PASSWORD not in calls
    assert account.password == PASSWORD


def new_account(owner_client):
    return owner_client.post(reverse("carriers:connect-new"), GOOD_NEW, follow=True)


@pytest.fixture
def console_sms(settings):
    settings.SMS_BACKEND = "console"


def code_on_page(html: str) -> str:
    import re

    return re.search(r'class="dev-code">(\d{6})<', html).group(1)


def test_r2_new_account_then_phone_then_code_then_active(
    owner_client, merchant, sandbox, console_sms
):
    response = new_account(owner_client)
    assert "Verify your phone" in response.text
    account = CarrierAccount.objects.get(merchant=merchant)
    assert account.status == "awaiting_verification"
    assert account.plan == "pro"
    assert (account.card_brand, account.card_last4) == ("Visa", "1111")
    assert sandbox.get_account("acme-ships").status == "pending_verification"

    verify_url = reverse("carriers:verify", args=[account.pk])
    response = owner_client.post(verify_url, {"phone": "415 555 0132"}, follow=True)
    assert "We texted a 6-digit code to (415) 555-0132" in response.text
    code = code_on_page(response.text)
    response = owner_client.post(verify_url, {"code": code}, follow=True)
    assert "is verified" in response.text
    account.refresh_from_db()
    assert account.status == "active"
    assert sandbox.get_account("acme-ships").status == "active"


def test_r2_the_card_never_leaves_for_anywhere_but_the_carrier(owner_client, sandbox):
    new_account(owner_client)
    row = CarrierAccount.objects.values().get()
    assert "4111111111111111" not in " ".join(str(v) for v in row.values())
    calls = " ".join(c.request_summary for c in CarrierCall.objects.all())
    assert "4111111111111111" not in calls


def test_r2_wrong_code_then_right_code(owner_client, sandbox, console_sms):
    new_account(owner_client)
    account = CarrierAccount.objects.get()
    verify_url = reverse("carriers:verify", args=[account.pk])
    code = code_on_page(owner_client.post(verify_url, {"phone": "4155550132"}, follow=True).text)
    wrong = "000000" if code != "000000" else "111111"
    response = owner_client.post(verify_url, {"code": wrong})
    assert "That code isn" in response.text and "4 tries left" in response.text
    owner_client.post(verify_url, {"code": code})
    account.refresh_from_db()
    assert account.status == "active"


def test_r2_carrier_backend_lets_stamps_send_and_check_the_code(owner_client, sandbox, settings):
    settings.SMS_BACKEND = "carrier"
    new_account(owner_client)
    account = CarrierAccount.objects.get()
    verify_url = reverse("carriers:verify", args=[account.pk])
    response = owner_client.post(verify_url, {"phone": "4155550132"}, follow=True)
    assert "dev-code" not in response.text  # the carrier keeps its code
    carrier_code = sandbox.last_verification_code("4155550132")
    owner_client.post(verify_url, {"code": carrier_code})
    account.refresh_from_db()
    assert account.status == "active"


def test_r3_unverified_account_cannot_be_used_even_by_direct_calls(merchant, sandbox):
    account = CarrierAccount.objects.create(
        merchant=merchant, nickname="New", username="x", status="awaiting_verification"
    )
    with pytest.raises(services.AccountNotUsable, match="866-634-4708"):
        services.require_usable(account)


def test_r3_posting_a_code_for_an_account_with_no_code_sent_changes_nothing(
    owner_client, merchant, sandbox
):
    new_account(owner_client)
    account = CarrierAccount.objects.get()
    response = owner_client.post(reverse("carriers:verify", args=[account.pk]), {"code": "123456"})
    assert "Send a new code first" in response.text
    account.refresh_from_db()
    assert account.status == "awaiting_verification"


def test_r6_a_second_free_account_is_refused(owner_client, sandbox):
    new_account(owner_client)
    response = owner_client.post(
        reverse("carriers:connect-new"), {**GOOD_NEW, "username": "acme-two", "nickname": "B"}
    )
    assert "Only one free account" in response.text
    assert CarrierAccount.objects.count() == 1


def test_r7_changed_password_marks_account_and_update_password_restores_it(
    owner_client, merchant, sandbox
):
    sandbox.create_account("acme-post", PASSWORD)
    connect(owner_client)
    account = CarrierAccount.objects.get()
    sandbox.change_password("acme-post", "brand-new-pass")
    from carriers.stamps import accounts

    with pytest.raises(errors.AuthenticationFailed):
        accounts.get_account_info(account)
    account.refresh_from_db()
    assert account.status == "needs_reauth"
    page = owner_client.get(reverse("home")).text
    assert "Update password" in page and "1-855-889-7867" in page

    url = reverse("carriers:update-password", args=[account.pk])
    response = owner_client.post(url, {"password": "still-wrong"})
    assert "did not accept this password either" in response.text
    assert "“Update password” button" not in response.text
    owner_client.post(url, {"password": "brand-new-pass"})
    account.refresh_from_db()
    assert account.status == "active"
    assert account.password == "brand-new-pass"
    assert CarrierAccount.objects.count() == 1  # same row: history kept


def test_r8_closed_plan_marks_account_closed_with_explanation(owner_client, sandbox):
    sandbox.create_account("acme-post", PASSWORD)
    connect(owner_client)
    account = CarrierAccount.objects.get()
    sandbox.close_account("acme-post")
    from carriers.stamps import accounts

    with pytest.raises(errors.ClosedPlan):
        accounts.get_account_info(account)
    account.refresh_from_db()
    assert account.status == "closed"
    assert "closed plan" in owner_client.get(reverse("carriers:list")).text


def test_r9_settings_popup_links_open_the_carrier_pages(owner_client, sandbox):
    sandbox.create_account("acme-post", PASSWORD)
    connect(owner_client)
    account = CarrierAccount.objects.get()
    popup = owner_client.get(
        reverse("carriers:settings-popup", args=[account.pk]), headers={"HX-Request": "true"}
    ).text
    assert "<html" not in popup  # the htmx fragment only
    assert 'target="_blank"' in popup
    for url_type in ("AccountSettingsPage", "OnlineReportsPage"):
        r = owner_client.get(reverse("carriers:open-carrier-page", args=[account.pk, url_type]))
        assert r.status_code == 302
        assert "/sandbox/stamps/" in r["Location"]


def test_default_and_disconnect_keep_history(owner_client, merchant, sandbox):
    sandbox.create_account("acme-post", PASSWORD)
    sandbox.create_account("acme-two", PASSWORD)
    connect(owner_client)
    connect(owner_client, username="acme-two", nickname="Second")
    first, second = CarrierAccount.objects.order_by("pk")
    assert first.is_default and not second.is_default
    owner_client.post(reverse("carriers:make-default", args=[second.pk]))
    first.refresh_from_db()
    second.refresh_from_db()
    assert second.is_default and not first.is_default
    owner_client.post(reverse("carriers:disconnect", args=[second.pk]))
    second.refresh_from_db()
    assert second.status == "disconnected" and second.password == ""
    assert "Second" in owner_client.get(reverse("carriers:list")).text  # in history
    # The nickname is free again for a new connection.
    connect(owner_client, username="acme-two", nickname="Second")
    assert CarrierAccount.objects.filter(nickname="Second").count() == 2


def test_sandbox_api_is_the_one_used(sandbox):
    assert sandbox is sandbox_api
