from __future__ import annotations

from decimal import Decimal

from django import forms

from carriers.services import ChosenAccountGone
from orders.catalog import MAX_FORM_WEIGHT_LB, Confirmation, PackageType
from orders.countries import COUNTRIES
from shipments.models import ShippingSettings

CUBIC = "Cubic"  # R20: not a Stamps.com package type; steered to Package + dimensions


class RateCalculatorForm(forms.Form):
    from_zip = forms.CharField(label="From ZIP", max_length=10)
    country = forms.ChoiceField(label="To country", choices=[], initial="US")
    to_zip = forms.CharField(label="To ZIP / postal code", max_length=15, required=False)
    package_type = forms.ChoiceField(
        choices=[*PackageType.choices, (CUBIC, "Cubic (Priority Mail)")],
        initial=PackageType.PACKAGE,
    )
    # Bounds well above anything USPS takes (70 lb, 130 in length + girth): the carrier
    # explains those limits; these only keep absurd numbers (1e400) out of the arithmetic.
    weight_lb = forms.IntegerField(
        label="Weight (lb)",
        min_value=0,
        max_value=MAX_FORM_WEIGHT_LB,
        initial=0,
        required=False,
    )
    weight_oz = forms.DecimalField(
        label="Weight (oz)",
        min_value=0,
        max_value=2400,
        max_digits=6,
        decimal_places=1,
        initial=0,
        required=False,
    )
    length = forms.DecimalField(
        label="Length (in)", min_value=0, max_value=200, max_digits=6, required=False
    )
    width = forms.DecimalField(
        label="Width (in)", min_value=0, max_value=200, max_digits=6, required=False
    )
    height = forms.DecimalField(
        label="Height (in)", min_value=0, max_value=200, max_digits=6, required=False
    )
    confirmation = forms.ChoiceField(choices=Confirmation.choices, initial=Confirmation.TRACKING)
    insurance = forms.DecimalField(
        label="Insured value ($)",
        min_value=0,
        max_value=100_000,
        max_digits=9,
        decimal_places=2,
        required=False,
    )
    account = forms.TypedChoiceField(
        coerce=int,
        required=False,
        label="Account",
        error_messages={"invalid_choice": ChosenAccountGone.MESSAGE},
    )

    def __init__(self, *args, accounts=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["country"].choices = list(COUNTRIES.items())
        self.fields["account"].choices = [(a.pk, a.nickname) for a in accounts]
        self.notes: list[str] = []

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("package_type") == CUBIC:
            # R20: there is no "Cubic" at Stamps.com; cubic prices come from Package + dims.
            cleaned["package_type"] = PackageType.PACKAGE
            self.notes.append(
                "Stamps.com has no “Cubic” package type: ShipDesk rates it as Package with "
                "its dimensions, and Priority Mail uses the cubic price when it is lower."
            )
            if not (cleaned.get("length") and cleaned.get("width") and cleaned.get("height")):
                self.add_error("length", "Cubic prices need length, width and height.")
        weight = Decimal(cleaned.get("weight_lb") or 0) * 16 + (cleaned.get("weight_oz") or 0)
        cleaned["total_oz"] = weight
        if cleaned.get("country", "US") == "US" and not (cleaned.get("to_zip") or "").strip():
            self.add_error("to_zip", "Enter the destination ZIP code.")
        return cleaned


class ShipDateField(forms.DateField):
    widget = forms.DateInput(attrs={"type": "date"})


class BuyForm(forms.Form):
    service = forms.CharField(max_length=12)
    ship_date = ShipDateField(required=False)
    # Kept as sent: any account named, even a malformed id, is the merchant's choice and is
    # refused as no longer connected (carriers.services.chosen_account), never replaced.
    account = forms.CharField(required=False)


class BatchForm(forms.Form):
    """Blank ship date: each batch takes its location's next shipping day (R43), which the
    service works out in the location's own time zone, never the server's."""

    ship_date = ShipDateField(required=False)


class ShippingSettingsForm(forms.ModelForm):
    class Meta:
        model = ShippingSettings
        fields = [
            "notify_customers",
            "share_fci_tracking",
            "layout",
            "packing_slip",
            "slips",
            "sort_order",
        ]
