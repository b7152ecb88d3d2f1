"""Fault wording -> error classes, with the merchant-facing help from RULES.md."""

from __future__ import annotations

from decimal import Decimal

import pytest

from carriers.stamps import errors


@pytest.mark.parametrize(
    ("text", "code", "cls"),
    [
        ("Authentication Failed", "", errors.AuthenticationFailed),
        ("The username or password entered is not correct.", "", errors.AuthenticationFailed),
        # Token faults whatever the wording (ShipWorks' IsStaleAuthenticator): not R7, not R8.
        ("", "002b0202", errors.AuthenticatorExpired),
        ("Authentication Failed", "0x002B0204", errors.AuthenticatorExpired),
        ("Account is set to a closed plan", "", errors.ClosedPlan),
        (
            "Invalid authenticator: the conversation token has expired or is unknown.",
            "",
            errors.AuthenticatorExpired,
        ),
        ("Conversation out-of-sync.", "", errors.AuthenticatorExpired),
        (
            "This account has not completed 2-step verification. Verify the phone number.",
            "",
            errors.AccountNotVerified,
        ),
        ("Requested value 'Cubic' was not found", "00500001", errors.InvalidPackageType),
        ("Requested value 'US-ZZ' was not found", "00500001", errors.SchemaValidation),
        (
            "Ship From Name must contain at least two words. Each word must be at least two "
            "characters long, separated by a space.",
            "",
            errors.AddressValidation,
        ),
        ("The actual length is less than the MinLength value", "", errors.SchemaValidation),
        (
            "One or more of these packages have already been scanned by USPS",
            "",
            errors.ScanFormAlreadyScanned,
        ),
        ("Exceeded buffer quota while creating the manifest", "", errors.ScanFormFailure),
        ("Your credit card was declined.", "", errors.CardDeclined),
        ("Insufficient funds", "", errors.InsufficientFunds),
        ("Something nobody has seen before", "", errors.CarrierFault),
        ("", "002b0203", errors.AuthenticatorExpired),
        ("", "002b0102", errors.ClosedPlan),
    ],
)
def test_faults_map_to_errors_by_wording_or_code(text, code, cls):
    error = errors.error_from_fault(text, detail_code=code, operation="GetRates")
    assert type(error) is cls
    assert error.fault_text == text
    assert error.operation == "GetRates"
    assert error.explanation and error.what_to_do


def test_authentication_failed_is_final_and_gives_support_phone_R7():
    error = errors.error_from_fault("Authentication Failed")
    assert error.permanent
    assert "1-855-889-7867" in error.merchant_message
    assert "Update password" in error.what_to_do


def test_expired_token_is_temporary():
    assert not errors.error_from_fault("Invalid authenticator").permanent


def test_closed_plan_explains_how_to_reconnect_R8():
    error = errors.error_from_fault("Account is set to a closed plan")
    assert "closed" in error.explanation
    assert "Reconnect" in error.what_to_do


def test_card_declined_points_to_account_settings_and_trust_and_safety_R12():
    error = errors.error_from_fault("Card declined")
    assert error.help_url_type == "AccountSettingsPage"
    assert "Account Settings" in error.what_to_do
    assert "(866) 634-4708" in error.what_to_do
    assert "unchanged" in error.explanation


def test_purchase_over_the_maximum_balance_says_the_largest_amount_R11():
    error = errors.error_from_fault(
        "This purchase would exceed the maximum postage balance of $10,000.00. "
        "You can purchase up to $250.00."
    )
    assert isinstance(error, errors.PurchaseLimit)
    assert error.largest_amount == Decimal("250.00")
    assert "$250.00" in error.what_to_do


def test_purchase_below_the_minimum_R10():
    error = errors.error_from_fault("The minimum purchase is $10.00.")
    assert isinstance(error, errors.PurchaseLimit)
    assert "$10.00" in error.explanation


def test_cubic_package_type_steers_to_package_on_priority_mail_R20():
    error = errors.error_from_fault("Requested value 'Cubic' was not found")
    assert "Package" in error.what_to_do and "Priority Mail" in error.what_to_do


def test_international_names_R18_and_missing_postal_code_R19():
    assert "two characters" in errors.AddressValidation().explanation
    assert "00000" in errors.SchemaValidation().what_to_do


def test_scan_form_failures_R31_R32():
    scanned = errors.error_from_fault(
        "One or more of these packages have already been scanned by USPS"
    )
    assert "cut-off" in scanned.what_to_do
    quota = errors.error_from_fault("buffer quota exceeded")
    assert quota.help_url_type == "OnlineReportsPage"
    assert "directly in Stamps.com" in quota.what_to_do


def test_not_verified_gives_security_support_R3():
    error = errors.error_from_fault("", detail_code="002b0210")
    assert isinstance(error, errors.AccountNotVerified)
    assert "866-634-4708" in error.what_to_do


def test_carrier_unavailable_is_temporary():
    assert not errors.CarrierUnavailable("timeout").permanent


def test_the_fault_table_and_the_client_mapping_stay_in_step():
    """Every entry of carriers/stamps/faults.py maps (by its code and its wording) to the error
    class it names, and every code the sandbox answers is in the table."""
    import re
    from pathlib import Path

    from carriers.stamps import faults

    for fault in faults.TABLE.values():
        cls = getattr(errors, fault.error)
        assert type(errors.error_from_fault("", detail_code=fault.code)) is cls, fault
        by_words = errors.error_from_fault(fault.text, detail_code=fault.code)
        assert type(by_words) is cls, fault
    sandbox = Path(faults.__file__).parent / "sandbox"
    used = {
        code
        for path in sandbox.glob("*.py")
        for code in re.findall(r"\"(00[0-9a-f]{6})\"", path.read_text())
    }
    used.discard("00000000")  # SandboxFault's default, never raised as such
    assert used and used <= set(faults.TABLE), sorted(used - set(faults.TABLE))


def test_a_changed_password_flags_the_account_R7():
    error = errors.error_from_fault(
        "The username or password entered is not correct.", detail_code="002b0101"
    )
    assert isinstance(error, errors.AuthenticationFailed) and error.permanent
