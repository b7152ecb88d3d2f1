from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms
from django.utils import timezone

from carriers.models import CarrierAccount
from merchants.ids import ascii_digits
from merchants.models import Merchant

# The furthest a card's expiry can be: issuers print up to about 10 years ahead.
CARD_YEARS_AHEAD = 20

US_STATES = [
    "AL",
    "AK",
    "AZ",
    "AR",
    "CA",
    "CO",
    "CT",
    "DE",
    "DC",
    "FL",
    "GA",
    "HI",
    "ID",
    "IL",
    "IN",
    "IA",
    "KS",
    "KY",
    "LA",
    "ME",
    "MD",
    "MA",
    "MI",
    "MN",
    "MS",
    "MO",
    "MT",
    "NE",
    "NV",
    "NH",
    "NJ",
    "NM",
    "NY",
    "NC",
    "ND",
    "OH",
    "OK",
    "OR",
    "PA",
    "RI",
    "SC",
    "SD",
    "TN",
    "TX",
    "UT",
    "VT",
    "VA",
    "WA",
    "WV",
    "WI",
    "WY",
    "PR",
    "GU",
    "VI",
    "AS",
    "MP",
]


class ConnectChoiceForm(forms.Form):
    choice = forms.ChoiceField(
        choices=[
            ("new", "Set up a new Stamps.com account"),
            ("existing", "I already have a Stamps.com account"),
        ],
        widget=forms.RadioSelect,
        error_messages={"required": "Choose whether to create an account or connect yours."},
    )


class NicknameMixin:
    merchant: Merchant  # set by the form's __init__
    cleaned_data: dict[str, Any]

    def clean_nickname(self) -> str:
        nickname = self.cleaned_data["nickname"].strip()
        taken = (
            CarrierAccount.objects.for_merchant(self.merchant)
            .connected()
            .filter(nickname__iexact=nickname)
        )
        if taken.exists():
            raise forms.ValidationError(
                "You already have a carrier account with this nickname. Pick another one."
            )
        return nickname


class ExistingAccountForm(NicknameMixin, forms.Form):
    """R1: Username, Password, Account Nickname."""

    username = forms.CharField(max_length=40, label="Stamps.com username")
    password = forms.CharField(
        max_length=20,
        label="Stamps.com password",
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "off"}),
    )
    nickname = forms.CharField(
        max_length=60,
        label="Account nickname",
        help_text="How this account is named in ShipDesk, e.g. “Main warehouse postage”.",
    )

    def __init__(self, *args, merchant, **kwargs):
        super().__init__(*args, **kwargs)
        self.merchant = merchant


def luhn_ok(number: str) -> bool:
    total = 0
    for i, ch in enumerate(reversed(number)):
        d = int(ch)
        if i % 2:
            d = d * 2 - 9 if d > 4 else d * 2
        total += d
    return total % 10 == 0


def card_brand(number: str) -> str:
    if number.startswith("4"):
        return "Visa"
    if number[:2] in {"51", "52", "53", "54", "55"} or "2221" <= number[:4] <= "2720":
        return "MasterCard"
    if number[:2] in {"34", "37"}:
        return "AmericanExpress"
    if number.startswith(("6011", "65")) or "644" <= number[:3] <= "649":
        return "Discover"
    return ""


class NoEchoTextInput(forms.TextInput):
    """A text input that never sends its value back to the browser (card numbers)."""

    def format_value(self, value):
        return None


class NewAccountForm(NicknameMixin, forms.Form):
    """R2: billing details and payment details, then Create Free Account."""

    full_name = forms.CharField(max_length=50, label="Full name")
    company = forms.CharField(max_length=50, required=False)
    street1 = forms.CharField(max_length=50, label="Address")
    street2 = forms.CharField(max_length=50, required=False, label="Address line 2")
    city = forms.CharField(max_length=30)
    state = forms.ChoiceField(choices=[("", "Choose…")] + [(s, s) for s in US_STATES])
    zip_code = forms.RegexField(
        regex=r"^[0-9]{5}(-[0-9]{4})?$",
        label="ZIP code",
        error_messages={"invalid": "Enter a 5-digit ZIP code, like 97209."},
    )
    email = forms.EmailField(label="E-mail")
    username = forms.RegexField(
        regex=r"^[A-Za-z0-9._-]{4,40}$",
        label="Choose a Stamps.com username",
        error_messages={"invalid": "Use 4 to 40 letters, digits, dots, dashes or underscores."},
    )
    password = forms.CharField(
        min_length=8,
        max_length=20,
        label="Choose a Stamps.com password",
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "new-password"}),
        help_text="8 to 20 characters.",
    )
    nickname = forms.CharField(max_length=60, label="Account nickname", initial="Stamps.com")
    card_number = forms.CharField(
        max_length=23,
        label="Card number",
        widget=NoEchoTextInput(attrs={"autocomplete": "cc-number", "inputmode": "numeric"}),
    )
    card_expiry = forms.RegexField(
        regex=r"^\s*(0[1-9]|1[0-2])\s*/\s*([0-9]{2}|[0-9]{4})\s*$",
        label="Expiry (MM/YY)",
        widget=forms.TextInput(attrs={"autocomplete": "cc-exp", "placeholder": "MM/YY"}),
        error_messages={"invalid": "Enter the expiry date as MM/YY, like 08/29."},
    )
    card_cvv = forms.RegexField(
        regex=r"^[0-9]{3,4}$",
        label="Security code",
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "cc-csc"}),
        error_messages={"invalid": "The security code is the 3 or 4 digits on your card."},
    )
    billing_zip = forms.RegexField(
        regex=r"^[0-9]{5}(-[0-9]{4})?$",
        label="Billing ZIP code",
        error_messages={"invalid": "Enter the 5-digit ZIP code of the card's billing address."},
    )

    def __init__(self, *args, merchant, **kwargs):
        super().__init__(*args, **kwargs)
        self.merchant = merchant

    def clean_card_number(self) -> str:
        # Spaces and dashes as printed on the card; otherwise 0-9 only.
        digits = self.cleaned_data["card_number"].replace(" ", "").replace("-", "")
        if not (ascii_digits(digits) and 13 <= len(digits) <= 19 and luhn_ok(digits)):
            raise forms.ValidationError("This card number isn't valid. Check the digits.")
        if not card_brand(digits):
            raise forms.ValidationError(
                "Use a Visa, MasterCard, American Express or Discover card."
            )
        return digits

    def clean_card_expiry(self) -> dt.date:
        raw = self.cleaned_data["card_expiry"].replace(" ", "")
        month, year = raw.split("/")
        year_n = int(year) + (2000 if len(year) == 2 else 0)
        today = timezone.localdate()
        if (year_n, int(month)) < (today.year, today.month):
            raise forms.ValidationError("This card has expired. Use a card with a future date.")
        if year_n > today.year + CARD_YEARS_AHEAD:
            # No card runs that long: a typo (12/9999 was a server error, past year 9999).
            raise forms.ValidationError("Check the expiry year: enter it as MM/YY, like 08/29.")
        # Cards are valid through the last day of their expiry month.
        next_month = dt.date(year_n + int(month) // 12, int(month) % 12 + 1, 1)
        return next_month - dt.timedelta(days=1)

    def clean(self):
        cleaned = super().clean()
        from carriers.services import has_free_account

        if has_free_account(self.merchant):
            raise forms.ValidationError(
                "Your store already has its free Stamps.com account. Only one free account "
                "is allowed per store; connect another existing account instead."
            )
        return cleaned


class PhoneForm(forms.Form):
    phone = forms.CharField(
        max_length=30,
        label="Mobile phone number",
        widget=forms.TextInput(attrs={"autocomplete": "tel", "inputmode": "tel"}),
    )


class CodeForm(forms.Form):
    code = forms.RegexField(
        regex=r"^\s*[0-9]{6}\s*$",
        label="Verification code",
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "inputmode": "numeric", "maxlength": 6}
        ),
        error_messages={"invalid": "The code is the 6 digits in the text message."},
    )


class UpdatePasswordForm(forms.Form):
    password = forms.CharField(
        max_length=20,
        label="New Stamps.com password",
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "off"}),
    )
