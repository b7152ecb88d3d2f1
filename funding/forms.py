from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django import forms

from funding.models import LedgerEntry
from funding.services import MAX_AUTO_PER_DAY


class AddFundsForm(forms.Form):
    amount = forms.DecimalField(
        label="Amount (USD)", max_digits=8, decimal_places=2, min_value=Decimal("0.01")
    )


class AutoFundingForm(forms.Form):
    enabled = forms.BooleanField(label="Turn on auto-funding", required=False)
    threshold = forms.DecimalField(
        label="When the balance drops below", max_digits=8, decimal_places=2, min_value=0
    )
    amount = forms.DecimalField(label="Add", max_digits=8, decimal_places=2, min_value=0)
    max_per_day = forms.IntegerField(
        label="At most (times a day)", min_value=1, max_value=MAX_AUTO_PER_DAY
    )


LEDGER_FIRST_DAY = dt.date(2000, 1, 1)
LEDGER_LAST_DAY = dt.date(2100, 12, 31)


class LedgerFilterForm(forms.Form):
    account = forms.TypedChoiceField(required=False, coerce=int, empty_value=None)
    kind = forms.ChoiceField(required=False, choices=[("", "All kinds"), *LedgerEntry.Kind.choices])
    start = forms.DateField(
        label="From", required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    end = forms.DateField(
        label="To", required=False, widget=forms.DateInput(attrs={"type": "date"})
    )

    def clean(self):
        cleaned = super().clean()
        # The database, and the day after the last one, must hold the dates (9999-12-31 + 1
        # day overflows): ledger entries exist from 2000 up to today.
        for name in ("start", "end"):
            day = cleaned.get(name)
            if day and not LEDGER_FIRST_DAY <= day <= LEDGER_LAST_DAY:
                self.add_error(name, "Choose a date between 2000 and 2100.")
        return cleaned

    def __init__(self, *args, accounts=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["account"].choices = [("", "All accounts")] + [
            (a.pk, a.nickname) for a in accounts
        ]
