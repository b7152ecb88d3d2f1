from __future__ import annotations

from django import forms

from carriers.models import CarrierAccount
from carriers.services import ChosenAccountGone
from endofday.pickups import phone_digits
from endofday.scan_forms import SCAN_FORM_CUTOFF
from endofday.shipping_day import EndOfDayError
from locations.models import EndOfDaySettings, PackageLocation, ShipFromLocation


class EndOfDaySettingsForm(forms.ModelForm):
    class Meta:
        model = EndOfDaySettings
        fields = ["cutoff_time", "auto_scan_form", "pickup_location", "pickup_instructions"]
        widgets = {"cutoff_time": forms.TimeInput(attrs={"type": "time"}, format="%H:%M")}

    def clean(self):
        data = super().clean()
        cutoff = data.get("cutoff_time")
        if data.get("auto_scan_form") and cutoff and cutoff >= SCAN_FORM_CUTOFF:
            # R30: the automatic form must run while the carrier still accepts it.
            self.add_error(
                "cutoff_time", "For an automatic SCAN form, choose a cut-off before 9:00 PM."
            )
        return data


class PickupDetailsForm(forms.Form):
    package_count = forms.IntegerField(label="Number of packages", min_value=1, max_value=999)
    total_weight_lb = forms.IntegerField(label="Total weight (lb)", min_value=1, max_value=9999)
    package_location = forms.ChoiceField(
        label="Where the packages will be", choices=PackageLocation.choices
    )
    instructions = forms.CharField(label="Special instructions", max_length=75, required=False)
    contact_phone = forms.CharField(label="Contact phone", max_length=20)

    def clean_contact_phone(self) -> str:
        phone = self.cleaned_data["contact_phone"]
        # Said beside the field on the first step, not after the merchant confirmed the day
        # (R33) and the carrier call was about to be made.
        try:
            phone_digits(phone)
        except EndOfDayError as exc:
            raise forms.ValidationError(exc.message) from exc
        return phone


class PickupForm(PickupDetailsForm):
    account: forms.ModelChoiceField[CarrierAccount] = forms.ModelChoiceField(
        label="Carrier account",
        queryset=None,
        empty_label=None,
        error_messages={"invalid_choice": ChosenAccountGone.MESSAGE},
    )
    location: forms.ModelChoiceField[ShipFromLocation] = forms.ModelChoiceField(
        label="Ship-from location", queryset=None, empty_label=None
    )
    requested_date = forms.DateField(
        label="Pickup date", widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )

    field_order = ["account", "location", "requested_date"]

    def __init__(self, *args, accounts, locations, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["account"].queryset = accounts
        self.fields["location"].queryset = locations
        self.order_fields(self.field_order)
