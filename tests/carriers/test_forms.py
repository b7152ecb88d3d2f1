"""Input checks of the connect forms, before anything reaches Stamps.com (R1, R2, R6)."""

from __future__ import annotations

import pytest

from carriers.forms import CodeForm, ExistingAccountForm, NewAccountForm, card_brand, luhn_ok
from carriers.models import CarrierAccount

pytestmark = pytest.mark.django_db

GOOD_NEW = {
    "full_name": "Pat Shipper",
    "company": "Acme Outfitters",
    "street1": "100 Main St",
    "city": "Brooklyn",
    "state": "NY",
    "zip_code": "11201",
    "email": "pat@acme.test",
    "username": "acme-ships",
    "password": "parcel-power-9",
    "nickname": "Free account",
    "card_number": "4111 1111 1111 1111",
    "card_expiry": "12/39",
    "card_cvv": "123",
    "billing_zip": "11201",
}


def test_luhn_and_brand():
    assert luhn_ok("4111111111111111")
    assert not luhn_ok("4111111111111112")
    assert card_brand("4111111111111111") == "Visa"
    assert card_brand("5555555555554444") == "MasterCard"
    assert card_brand("378282246310005") == "AmericanExpress"
    assert card_brand("6011111111111117") == "Discover"


def test_r2_a_good_new_account_form_cleans_the_card(merchant):
    form = NewAccountForm(GOOD_NEW, merchant=merchant)
    assert form.is_valid(), form.errors
    assert form.cleaned_data["card_number"] == "4111111111111111"
    assert form.cleaned_data["card_expiry"].isoformat() == "2039-12-31"


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("card_number", "4111 1111 1111 1112", "isn't valid"),
        # '²' passed str.isdigit() and then failed int() in the Luhn check: a server error.
        ("card_number", "4111 1111 1111 111²", "isn't valid"),
        ("card_number", "4111 1111 1111 1111²", "isn't valid"),
        ("card_number", "４１１１ １１１１ １１１１ １１１１", "isn't valid"),
        ("card_cvv", "١٢٣", "3 or 4 digits"),
        ("billing_zip", "١١٢٠١", "5-digit ZIP"),
        ("zip_code", "١١٢٠١", "5-digit ZIP"),
        ("card_expiry", "01/20", "has expired"),
        ("card_expiry", "13/30", "MM/YY"),
        # Past year 9999 the last day of the month could not be built: a server error.
        ("card_expiry", "12/9999", "Check the expiry year"),
        ("card_expiry", "01/2999", "Check the expiry year"),
        ("card_cvv", "12", "3 or 4 digits"),
        ("billing_zip", "1120", "5-digit ZIP"),
        ("zip_code", "ABCDE", "5-digit ZIP"),
    ],
)
def test_r2_bad_payment_details_are_explained(merchant, field, value, message):
    form = NewAccountForm({**GOOD_NEW, field: value}, merchant=merchant)
    assert not form.is_valid()
    assert message in " ".join(form.errors[field])


@pytest.mark.parametrize(("code", "ok"), [(" 123456 ", True), ("١٢٣٤٥٦", False), ("12345²", False)])
def test_r4_a_verification_code_is_six_digits_0_to_9(code, ok):
    """Other scripts' digits are not what Stamps.com texted: refused here, not spent as a try."""
    form = CodeForm({"code": code})
    assert form.is_valid() is ok
    if not ok:
        assert "6 digits" in " ".join(form.errors["code"])


def test_the_card_number_is_never_rendered_back(merchant):
    form = NewAccountForm({**GOOD_NEW, "card_cvv": "1"}, merchant=merchant)
    assert not form.is_valid()
    html = str(form["card_number"]) + str(form["card_cvv"]) + str(form["password"])
    assert "4111" not in html
    assert "parcel-power" not in html
    assert 'value="Acme Outfitters"' in str(form["company"])


def test_r6_only_one_free_account_per_merchant(merchant):
    CarrierAccount.objects.create(
        merchant=merchant, nickname="Free", username="first", plan=CarrierAccount.Plan.PRO_FREE
    )
    form = NewAccountForm({**GOOD_NEW, "nickname": "Second"}, merchant=merchant)
    assert not form.is_valid()
    assert "Only one free account" in str(form.non_field_errors())


def test_nicknames_are_unique_per_merchant(merchant, outsider_merchant):
    CarrierAccount.objects.create(merchant=merchant, nickname="Main", username="a")
    data = {"username": "b", "password": "pw123456", "nickname": "main"}
    assert not ExistingAccountForm(data, merchant=merchant).is_valid()
    assert ExistingAccountForm(data, merchant=outsider_merchant).is_valid()
