"""PurchasePostage, SetAutoBuy and the carrier's funding rules (R3, R10-R13)."""

from __future__ import annotations

import uuid
from decimal import Decimal

import pytest
from zeep.exceptions import Fault

from carriers.stamps.sandbox import api

from .conftest import login

pytestmark = pytest.mark.django_db(transaction=True)


def buy(service, token, amount, control="0", tx=None):
    return service.PurchasePostage(
        Authenticator=token,
        PurchaseAmount=Decimal(amount),
        ControlTotal=Decimal(control),
        IntegratorTxID=tx or str(uuid.uuid4()),
    )


def test_purchase_succeeds_and_raises_the_balance(swsim, alice):
    result = buy(swsim, login(swsim), "50.00")
    assert result.PurchaseStatus == "Success"
    assert result.PostageBalance.AvailablePostage == Decimal("150.00")
    assert api.get_balance("alice") == Decimal("150.00")


def test_a_repeated_integrator_tx_id_is_a_second_purchase_R44(swsim, alice):
    """Nothing public says Stamps.com de-duplicates PurchasePostage by IntegratorTxID, so the
    sandbox does not either: re-sending one buys again. That is why ShipDesk sends a purchase
    once and follows it with GetAccountInfo (R44)."""
    first = buy(swsim, login(swsim), "50.00", tx="tx-1")
    again = buy(swsim, first.Authenticator, "50.00", tx="tx-1")
    assert again.TransactionID != first.TransactionID
    assert again.PostageBalance.AvailablePostage == Decimal("200.00")
    assert api.get_balance("alice") == Decimal("200.00")
    assert len(api.purchases("alice")) == 2


def test_minimum_purchase_is_ten_dollars_R10(swsim, alice):
    with pytest.raises(Fault, match=r"at least \$10.00"):
        buy(swsim, login(swsim), "9.99")


def test_balance_cannot_pass_ten_thousand_and_says_how_much_fits_R11(swsim, alice):
    with pytest.raises(Fault, match=r"maximum postage balance of \$10,000.00.*\$9,900.00"):
        buy(swsim, login(swsim), "9900.01")
    assert buy(swsim, login(swsim), "9900.00").PurchaseStatus == "Success"


def test_declined_card_is_rejected_and_balance_unchanged_R12(swsim, alice):
    api.create_account("dee", "secret-1", card_declined=True)
    result = buy(swsim, login(swsim, "dee"), "20.00")
    assert result.PurchaseStatus == "Rejected"
    assert "declined" in result.RejectionReason
    assert api.get_balance("dee") == Decimal("0")


def test_declined_test_amount_is_rejected_R12(swsim, alice):
    result = buy(swsim, login(swsim), "40.02")
    assert result.PurchaseStatus == "Rejected"
    assert api.get_balance("alice") == Decimal("100.00")


def test_pending_amount_settles_after_getaccountinfo_calls(swsim, alice):
    api.set_pending_settlement(calls=2, seconds=3600)
    token = login(swsim)
    result = buy(swsim, token, "20.01")
    assert result.PurchaseStatus == "Pending"
    info = swsim.GetAccountInfo(Authenticator=result.Authenticator)
    assert info.AccountInfo.PostageBalance.AvailablePostage == Decimal("100.00")
    info = swsim.GetAccountInfo(Authenticator=info.Authenticator)
    assert info.AccountInfo.PostageBalance.AvailablePostage == Decimal("120.01")


def test_control_total_must_match(swsim, alice):
    with pytest.raises(Fault, match="Control total mismatch"):
        buy(swsim, login(swsim), "20.00", control="5.00")


def test_unverified_account_cannot_buy_postage_R3(swsim, alice):
    api.create_account("newbie", "secret-1", status="pending_verification")
    with pytest.raises(Fault, match="not completed 2-step verification"):
        buy(swsim, login(swsim, "newbie"), "20.00")


def test_set_auto_buy_is_reported_by_get_account_info_R13(swsim, alice):
    token = login(swsim)
    token = swsim.SetAutoBuy(
        Authenticator=token,
        AutoBuySettings={
            "AutoBuyEnabled": True,
            "PurchaseAmount": Decimal("50"),
            "TriggerAmount": Decimal("20"),
        },
    )
    settings = swsim.GetAccountInfo(Authenticator=token).AccountInfo.AutoBuySettings
    assert settings.AutoBuyEnabled is True
    assert settings.PurchaseAmount == Decimal("50.00")
    assert settings.TriggerAmount == Decimal("20.00")


def test_auto_buy_below_ten_dollars_is_refused(swsim, alice):
    with pytest.raises(Fault, match=r"at least \$10.00"):
        swsim.SetAutoBuy(
            Authenticator=login(swsim),
            AutoBuySettings={"AutoBuyEnabled": True, "PurchaseAmount": 5, "TriggerAmount": 1},
        )
