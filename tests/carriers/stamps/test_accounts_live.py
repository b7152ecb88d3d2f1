"""Sign-in, registration, verification, balance, purchases and auto-buy against the sandbox
over real HTTP (both WSDLs: see the ``stamps`` fixture)."""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal

import pytest

from carriers.models import CarrierCall
from carriers.stamps import errors
from carriers.stamps.client import client_for, get_client
from carriers.stamps.types import Address, CreditCard
from tests.factories import make_merchant

pytestmark = pytest.mark.django_db(transaction=True)


def ops():
    return [(c.operation, c.outcome) for c in CarrierCall.objects.order_by("started_at", "pk")]


def tx() -> str:
    return uuid.uuid4().hex


def test_authenticate_with_good_credentials(stamps):
    stamps.create_account("amy", "Secret123")
    result = get_client("amy", "Secret123").authenticate()
    assert result.password_expired is False
    assert ops() == [("AuthenticateUser", "ok")]


def test_wrong_password_is_final_and_never_logged_R1_R7(stamps):
    stamps.create_account("amy", "Secret123")
    with pytest.raises(errors.AuthenticationFailed) as exc_info:
        get_client("amy", "wrong-one").authenticate()
    assert exc_info.value.permanent
    assert "1-855-889-7867" in exc_info.value.merchant_message
    call = CarrierCall.objects.get()
    assert (call.operation, call.outcome, call.attempt) == ("AuthenticateUser", "fault", 1)
    assert call.fault_text == "The username or password entered is not correct."
    assert "wrong-one" not in call.request_summary
    assert "1-855-889-7867" in call.merchant_message


def test_password_changed_at_stamps_fails_with_authentication_failed_R7(stamps):
    stamps.create_account("amy", "Secret123")
    client = get_client("amy", "Secret123")
    client.get_account_info()
    stamps.change_password("amy", "NewSecret9")
    with pytest.raises(errors.AuthenticationFailed):
        client.get_account_info()
    # Refused once, final: no retry, no loop.
    assert ops() == [("GetAccountInfo", "ok"), ("GetAccountInfo", "fault")]


def test_closed_plan_R8(stamps):
    stamps.create_account("amy", "Secret123")
    client = get_client("amy", "Secret123")
    client.get_account_info()
    stamps.close_account("amy")
    with pytest.raises(errors.ClosedPlan) as exc_info:
        client.get_account_info()
    assert exc_info.value.permanent
    with pytest.raises(errors.ClosedPlan):
        get_client("amy", "Secret123").authenticate()


def test_every_call_is_signed_with_credentials_and_the_password_is_never_logged_R38(stamps):
    stamps.create_account("amy", "Secret123")
    client = get_client("amy", "Secret123")
    for _ in range(3):
        client.get_account_info()
    # No sign-in round trip and no conversation to keep: each call stands alone.
    assert ops() == [("GetAccountInfo", "ok")] * 3
    summary = CarrierCall.objects.filter(operation="GetAccountInfo").last().request_summary
    assert "Credentials" in summary and "***" in summary
    assert "Secret123" not in summary


def test_account_info_reads_balance_limits_auto_buy_and_capabilities(stamps):
    stamps.create_account(
        "amy",
        "Secret123",
        balance=Decimal("55.10"),
        plan="pro",
        auto_buy={"enabled": True, "purchase_amount": "50", "trigger_amount": "20"},
    )
    info = get_client("amy", "Secret123").get_account_info()
    assert info.balance == Decimal("55.10")
    assert info.max_balance == Decimal("10000.00")
    assert isinstance(info.control_total, Decimal)
    assert info.auto_buy.enabled
    assert info.auto_buy.purchase_amount == Decimal("50.00")
    assert info.auto_buy.trigger_amount == Decimal("20.00")
    # R5: the free Pro account gets cubic pricing and GlobalPost.
    assert info.capabilities.can_print_cubic and info.capabilities.can_print_gp


def test_set_auto_buy_is_read_back(stamps):
    stamps.create_account("amy", "Secret123")
    client = get_client("amy", "Secret123")
    client.set_auto_buy(True, Decimal("100.00"), Decimal("25.00"))
    auto = client.get_account_info().auto_buy
    assert (auto.enabled, auto.purchase_amount, auto.trigger_amount) == (
        True,
        Decimal("100.00"),
        Decimal("25.00"),
    )
    client.set_auto_buy(False)
    assert client.get_account_info().auto_buy.enabled is False


def test_purchase_postage_adds_funds(stamps):
    stamps.create_account("amy", "Secret123", balance=Decimal("5.00"))
    client = get_client("amy", "Secret123")
    info = client.get_account_info()
    purchase = client.purchase_postage(Decimal("25.00"), info.control_total, tx())
    assert purchase.succeeded
    assert purchase.balance == Decimal("30.00")
    assert stamps.get_balance("amy") == Decimal("30.00")


def test_purchase_below_ten_dollars_is_refused_R10(stamps):
    stamps.create_account("amy", "Secret123")
    client = get_client("amy", "Secret123")
    info = client.get_account_info()
    with pytest.raises(errors.PurchaseLimit) as exc_info:
        client.purchase_postage(Decimal("9.99"), info.control_total, tx())
    assert "$10.00" in exc_info.value.explanation
    assert stamps.purchases("amy") == []


def test_purchase_over_the_maximum_balance_says_how_much_can_be_added_R11(stamps):
    stamps.create_account("amy", "Secret123", balance=Decimal("9900.00"))
    client = get_client("amy", "Secret123")
    info = client.get_account_info()
    with pytest.raises(errors.PurchaseLimit) as exc_info:
        client.purchase_postage(Decimal("200.00"), info.control_total, tx())
    assert exc_info.value.largest_amount == Decimal("100.00")
    assert "$100.00" in exc_info.value.what_to_do
    assert stamps.get_balance("amy") == Decimal("9900.00")


def test_declined_card_leaves_the_balance_unchanged_R12(stamps):
    stamps.create_account("amy", "Secret123", balance=Decimal("5.00"), card_declined=True)
    client = get_client("amy", "Secret123")
    info = client.get_account_info()
    with pytest.raises(errors.CardDeclined) as exc_info:
        client.purchase_postage(Decimal("50.00"), info.control_total, tx())
    error = exc_info.value
    assert error.purchase.status == "Rejected"
    assert error.help_url_type == "AccountSettingsPage"
    assert "(866) 634-4708" in error.merchant_message
    assert stamps.get_balance("amy") == Decimal("5.00")
    assert CarrierCall.objects.filter(operation="PurchasePostage").get().outcome == "fault"


def test_pending_purchase_settles_and_shows_in_account_info(stamps):
    stamps.create_account("amy", "Secret123")
    stamps.set_pending_settlement(calls=1, seconds=3600)
    client = get_client("amy", "Secret123")
    info = client.get_account_info()
    purchase = client.purchase_postage(Decimal("20.01"), info.control_total, tx())
    assert purchase.pending
    balances = [client.get_account_info().balance for _ in range(3)]
    assert balances[-1] == Decimal("20.01")


def test_stale_control_total_buys_nothing(stamps):
    stamps.create_account("amy", "Secret123")
    client = get_client("amy", "Secret123")
    info = client.get_account_info()
    with pytest.raises(errors.ControlTotalMismatch):
        client.purchase_postage(Decimal("10.00"), info.control_total + 1, tx())
    assert stamps.purchases("amy") == []


def test_a_repeated_purchase_buys_again_so_shipdesk_never_repeats_one_R44(stamps):
    stamps.create_account("amy", "Secret123")
    client = get_client("amy", "Secret123")
    info = client.get_account_info()
    tx_id = tx()
    first = client.purchase_postage(Decimal("10.00"), info.control_total, tx_id)
    again = client.purchase_postage(Decimal("10.00"), info.control_total, tx_id)
    # Nothing public says Stamps.com de-duplicates IntegratorTxID for purchases (sandbox
    # README): the strict sandbox buys twice, which is why a purchase is never re-sent.
    assert first.transaction_id != again.transaction_id
    assert len(stamps.purchases("amy")) == 2


def test_register_verify_then_fund_a_new_account_R2_R3(stamps):
    registration = get_client().register_account(
        username="newshop",
        password="Sandbox123",
        email="owner@newshop.test",
        physical_address=Address(
            full_name="Nina Owner",
            address1="12 Elm St",
            city="Austin",
            state="TX",
            zip_code="78701",
            phone="5125550100",
        ),
        credit_card=CreditCard("Visa", "4111111111111111", dt.date(2030, 1, 31), cvn="123"),
    )
    assert registration.ok
    call = CarrierCall.objects.get(operation="RegisterAccount")
    assert "4111111111111111" not in call.request_summary
    assert "Sandbox123" not in call.request_summary

    client = get_client("newshop", "Sandbox123")
    info = client.get_account_info()
    # R3: no funds before 2-step verification.
    with pytest.raises(errors.AccountNotVerified) as exc_info:
        client.purchase_postage(Decimal("10.00"), info.control_total, tx())
    assert "866-634-4708" in exc_info.value.what_to_do

    client.start_account_verification("+1 512-555-0100")
    code = stamps.last_verification_code("5125550100")
    wrong = "000000" if code != "000000" else "111111"
    with pytest.raises(errors.VerificationFailed):
        client.finish_account_verification(wrong)
    client.finish_account_verification(code)
    assert code not in "".join(CarrierCall.objects.values_list("request_summary", flat=True))
    assert client.purchase_postage(Decimal("10.00"), info.control_total, tx()).succeeded


def test_finish_without_a_started_verification_gets_the_live_fault_R42(stamps):
    stamps.create_account("newshop", "Sandbox123", status="pending_verification")
    client = get_client("newshop", "Sandbox123")
    # Any six digits used to pass; the live service knows no code it did not send.
    with pytest.raises(errors.StampsError, match="StartAccountVerification first") as exc_info:
        client.finish_account_verification("123456")
    assert exc_info.value.fault_code == "002b0223"
    assert stamps.get_account("newshop").status == "pending_verification"


def test_the_partner_code_verifies_only_with_the_phone_header_R42(stamps, settings):
    stamps.create_account("newshop", "Sandbox123", status="pending_verification")
    client = get_client("newshop", "Sandbox123")
    partner_code = settings.STAMPS_SANDBOX_PARTNER_CODE
    with pytest.raises(errors.StampsError):  # the partner code without the header: no
        client.finish_account_verification(partner_code)
    with pytest.raises(errors.VerificationFailed):  # the header with another code: no
        client.finish_account_verification("123456", partner_phone="5125550100")
    assert stamps.get_account("newshop").status == "pending_verification"
    client.finish_account_verification(partner_code, partner_phone="5125550100")
    account = stamps.get_account("newshop")
    assert (account.status, account.phone) == ("active", "5125550100")
    assert partner_code not in "".join(
        CarrierCall.objects.values_list("request_summary", flat=True)
    )


def test_calls_of_a_saved_account_are_logged_against_it(stamps):
    from carriers.models import CarrierAccount

    merchant = make_merchant("Acme", owner_email="owner@acme.test")
    stamps.create_account("acme", "Secret123")
    account = CarrierAccount.objects.create(
        merchant=merchant, nickname="Main", username="acme", password="Secret123"
    )
    account.refresh_from_db()
    client_for(account).get_account_info()
    calls = CarrierCall.objects.all()
    assert {(c.merchant_id, c.account_id, c.username) for c in calls} == {
        (merchant.pk, account.pk, "acme")
    }
    assert all(c.duration_ms >= 0 and c.started_at for c in calls)
