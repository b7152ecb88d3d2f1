"""AuthenticateUser, GetAccountInfo and GetRates round-trip through zeep (both WSDLs)."""

from __future__ import annotations

from decimal import Decimal

import pytest
from zeep.exceptions import Fault

from carriers.stamps.sandbox import api

from .conftest import DOMESTIC_RATE, credentials, login

pytestmark = pytest.mark.django_db(transaction=True)


def test_authenticate_user_hands_out_an_authenticator(swsim, alice):
    result = swsim.AuthenticateUser(Credentials=credentials())
    assert len(result.Authenticator) > 20
    assert result.PasswordExpired is False


def test_wrong_password_is_authentication_failed(swsim, alice):
    with pytest.raises(Fault) as exc:
        swsim.AuthenticateUser(Credentials=credentials(password="wrong"))
    # The live wording, as ShipWorks recognises it (carriers/stamps/faults.py).
    assert exc.value.message == "The username or password entered is not correct."


def test_changed_password_fails_with_old_password_and_ends_sessions_R7(swsim, alice):
    token = login(swsim)
    api.change_password("alice", "new-secret")
    with pytest.raises(Fault, match="expired"):
        swsim.GetAccountInfo(Authenticator=token)
    with pytest.raises(Fault, match="^The username or password entered is not correct.$"):
        login(swsim)
    assert login(swsim, password="new-secret")


def test_closed_account_is_refused_with_closed_plan_R8(swsim, alice):
    token = login(swsim)
    api.close_account("alice")
    with pytest.raises(Fault, match="^Account is set to a closed plan$"):
        swsim.GetAccountInfo(Authenticator=token)
    with pytest.raises(Fault, match="^Account is set to a closed plan$"):
        login(swsim)


def test_every_response_hands_back_a_fresh_authenticator(swsim, alice):
    first = login(swsim)
    second = swsim.GetAccountInfo(Authenticator=first).Authenticator
    assert second and second != first
    assert swsim.GetAccountInfo(Authenticator=second).Authenticator not in (first, second)


def test_expired_authenticators_must_reauthenticate(swsim, alice):
    token = login(swsim)
    api.expire_authenticators()
    with pytest.raises(Fault, match="expired") as exc:
        swsim.GetAccountInfo(Authenticator=token)
    # 0x002b0202 is "expired" in ShipWorks' list of stale-conversation codes.
    assert exc.value.detail.find(".//{*}sdcerror").get("code") == "002b0202"
    assert swsim.GetAccountInfo(Authenticator=login(swsim)).AccountInfo


def test_token_ttl_is_configurable(swsim, alice):
    api.set_token_ttl(0)
    token = login(swsim)
    with pytest.raises(Fault, match="expired"):
        swsim.GetAccountInfo(Authenticator=token)


def test_credentials_work_instead_of_an_authenticator(swsim, alice):
    info = swsim.GetAccountInfo(Credentials=credentials())
    assert info.AccountInfo.Username == "alice"


def test_get_account_info_reports_balance_limits_and_capabilities(swsim, alice):
    info = swsim.GetAccountInfo(Authenticator=login(swsim))
    account = info.AccountInfo
    assert account.PostageBalance.AvailablePostage == Decimal("100.00")
    assert account.PostageBalance.ControlTotal == Decimal("0.00")
    assert account.MaxPostageBalance == Decimal("10000.00")
    assert account.Capabilities.CanPrintCubic is True
    assert account.Capabilities.CanPrintGP is True
    assert account.AutoBuySettings.AutoBuyEnabled is False
    assert info.AccountStatus == "Active"


def test_personal_account_has_no_cubic_or_globalpost_R5(swsim, alice):
    api.create_account("paula", "secret-1", plan="personal")
    info = swsim.GetAccountInfo(Authenticator=login(swsim, "paula"))
    assert info.AccountInfo.Capabilities.CanPrintCubic is False
    assert info.AccountInfo.Capabilities.CanPrintGP is False
    assert info.AccountInfo.RatesetType == "Retail"


def test_get_rates_lists_domestic_services(swsim, alice):
    rates = swsim.GetRates(Authenticator=login(swsim), Rate=DOMESTIC_RATE).Rates.Rate
    by_service = {r.ServiceType: r for r in rates}
    assert {"US-GA", "US-PM", "US-XM", "US-MM"} <= set(by_service)
    assert all(r.Amount > 0 and r.DeliverDays for r in rates)
    assert by_service["US-PM"].Zone == by_service["US-GA"].Zone > 1
    addons = {a.AddOnType for a in by_service["US-GA"].AddOns.AddOnV20}
    assert {"US-A-HM", "US-A-SC", "US-A-ASR", "US-A-INS"} <= addons


def test_cubic_package_type_does_not_exist_R20(swsim, alice):
    with pytest.raises(Fault) as exc:
        swsim.GetRates(Authenticator=login(swsim), Rate={**DOMESTIC_RATE, "PackageType": "Cubic"})
    assert exc.value.message == "Requested value 'Cubic' was not found"
