"""The ship-from location form: a US address whose ZIP code and state agree (R43)."""

from __future__ import annotations

from typing import Any

from django import forms

from carriers.stamps.zones import state_for_zip
from locations.models import ShipFromLocation
from locations.regions import NAMES, RegionField
from merchants.ids import ascii_digits


class ShipFromLocationForm(forms.ModelForm):
    # Ship-from locations are in the US: the carrier's pickups and SCAN forms refuse anything
    # but a state code, so it is chosen from the list (a typed name is understood too).
    state = RegionField(countries=("US",))

    class Meta:
        model = ShipFromLocation
        fields = [
            "name",
            "contact_name",
            "company",
            "street1",
            "street2",
            "city",
            "state",
            "postal_code",
            "phone",
        ]
        help_texts = {
            "contact_name": "First and last name: international and military labels need both.",
            "postal_code": "Its time zone (for the 9pm SCAN form deadline, the shipping cut-off "
            "and pickups) is the ZIP code's, as Stamps.com judges it.",
        }

    def clean_contact_name(self) -> str:
        name = self.cleaned_data["contact_name"].strip()
        words = name.split()
        if len(words) < 2 or any(len(w) < 2 for w in words):
            raise forms.ValidationError(
                "Enter a first and last name, each at least two letters: USPS needs both on "
                "international and military labels."
            )
        return name

    def clean_postal_code(self) -> str:
        value = self.cleaned_data["postal_code"].strip()
        digits = value.replace("-", "")
        if not (ascii_digits(digits) and len(digits) in (5, 9)):
            raise forms.ValidationError("Enter a 5-digit ZIP code, like 97209.")
        return value

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or self.cleaned_data
        state, zip_code = cleaned.get("state", ""), cleaned.get("postal_code", "")
        # The ZIP sets the location's time zone (R43) and goes on every label's return address:
        # a typo in either would go unnoticed until a SCAN form missed its 9 pm.
        zip_state = state_for_zip(zip_code) if state and zip_code else None
        if zip_state and zip_state != state:
            states = NAMES["US"]
            self.add_error(
                "postal_code",
                f"ZIP code {zip_code[:5]} is in {states.get(zip_state, zip_state)}, not "
                f"{states.get(state, state)}: check the ZIP code or the state.",
            )
        return cleaned
