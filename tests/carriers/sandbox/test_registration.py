"""RegisterAccount and phone verification (R2, R3, R4 carrier side)."""

from __future__ import annotations

import datetime as dt

import pytest
from zeep.exceptions import Fault

from carriers.stamps.sandbox import api

from .conftest import INTEGRATION_ID, login

pytestmark = pytest.mark.django_db(transaction=True)


def register(service, username="fresh-user", card="4111111111111111"):
    return service.RegisterAccount(
        IntegrationID=INTEGRATION_ID,
        UserName=username,
        Password="secret-1",
        PhysicalAddress={
            "FullName": "Fresh User",
            "Address1": "1 Main St",
            "City": "Austin",
            "State": "TX",
            "ZIPCode": "78701",
        },
        MachineInfo={"IPAddress": "127.0.0.1"},
        Email="fresh@example.test",
        AccountType="HomeBasedBusiness",
        CreditCard={
            "CreditCardType": "Visa",
            "AccountNumber": card,
            "ExpirationDate": dt.datetime(2030, 1, 31),
        },
    )


def test_register_then_verify_by_sms_activates_the_account(swsim, alice):
    result = register(swsim)
    assert result.RegistrationStatus == "Success"
    token = login(swsim, "fresh-user")
    info = swsim.GetAccountInfo(Authenticator=token)
    assert info.AccountStatus == "PendingVerification"
    token = swsim.StartAccountVerification(
        Authenticator=info.Authenticator, PhoneNumber="5125550123", PhoneVerificationOption="SMS"
    )
    code = api.last_verification_code("+1 (512) 555-0123")
    assert code and len(code) == 6
    token = swsim.FinishAccountVerification(Authenticator=token, PhoneVerificationCode=code)
    assert swsim.GetAccountInfo(Authenticator=token).AccountStatus == "Active"


def test_taken_username_fails_with_a_suggestion(swsim, alice):
    result = register(swsim, username="alice")
    assert result.RegistrationStatus == "Fail"
    assert result.SuggestedUserName == "alice1"


def test_wrong_code_counts_and_five_tries_lock_it_R4(swsim, alice):
    register(swsim)
    token = swsim.StartAccountVerification(
        Authenticator=login(swsim, "fresh-user"),
        PhoneNumber="5125550123",
        PhoneVerificationOption="SMS",
    )
    for _ in range(5):
        with pytest.raises(Fault, match="incorrect"):
            swsim.FinishAccountVerification(Authenticator=token, PhoneVerificationCode="000000x")
    with pytest.raises(Fault, match="Too many incorrect"):
        swsim.FinishAccountVerification(
            Authenticator=token, PhoneVerificationCode=api.last_verification_code("5125550123")
        )


def test_declined_test_card_number_makes_purchases_rejected(swsim, alice):
    register(swsim, card="4000000000000002")
    assert api.get_account("fresh-user").card_declined is True


def test_short_password_fails_the_schema(swsim, alice):
    with pytest.raises(Fault, match="MinLength"):
        swsim.RegisterAccount(
            IntegrationID=INTEGRATION_ID,
            UserName="x-user",
            Password="abc",
            PhysicalAddress={"ZIPCode": "78701"},
            MachineInfo={"IPAddress": "127.0.0.1"},
            Email="x@example.test",
            AccountType="Individual",
            CreditCard={"CreditCardType": "Visa", "ExpirationDate": dt.datetime(2030, 1, 1)},
        )
