"""US states and Canadian provinces: the choices offered and the names understood.

The lists come from django-localflavor (kept up to date by the Django community, with the
territories, the freely associated states and the APO/FPO/DPO "states" USPS uses, and the
common spellings people type: "Ill.", "Calif", "PEI"). ShipDesk adds only the grouping shown
in the select and accent folding ("Québec").

Every place an address is typed (ship-from locations, an order's ship-to, new orders, CSV and
JSON import) stores the two-letter code the carrier expects; a US or Canadian state it cannot
recognise is refused in a form and flagged on an imported order, never sent to Stamps.com,
which answers such an address with a vague field error.
"""

from __future__ import annotations

import unicodedata

from django import forms
from localflavor.ca.ca_provinces import PROVINCE_CHOICES, PROVINCES_NORMALIZED
from localflavor.us.us_states import (
    ARMED_FORCES_STATES,
    COFA_STATES,
    STATES_NORMALIZED,
    US_STATES,
    US_TERRITORIES,
)

from merchants.widgets import QuickSelect

US_GROUPS = (
    ("States", tuple(US_STATES)),
    ("US territories", tuple(US_TERRITORIES)),
    ("Military mail (APO/FPO/DPO)", tuple(ARMED_FORCES_STATES)),
    ("Freely associated states", tuple(COFA_STATES)),
)
CA_GROUPS = (("Canada", tuple(PROVINCE_CHOICES)),)
NAMES = {
    "US": {code: str(name) for _, group in US_GROUPS for code, name in group},
    "CA": {code: str(name) for code, name in PROVINCE_CHOICES},
}
NOUNS = {"US": ("state", "US state"), "CA": ("province", "Canadian province")}


def _fold(text: str) -> str:
    """Lower case, no accents, no dots, single spaces: "Québec" and "quebec", "N. Dak."."""
    plain = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return " ".join(plain.replace(".", " ").lower().split())


def _aliases(country: str) -> dict[str, str]:
    table = STATES_NORMALIZED if country == "US" else PROVINCES_NORMALIZED
    found = {_fold(alias): code for alias, code in table.items()}
    found |= {_fold(name): code for code, name in NAMES[country].items()}
    return found | {code.lower(): code for code in NAMES[country]}


ALIASES = {country: _aliases(country) for country in NAMES}


def has_regions(country: str) -> bool:
    """Countries whose state or province is checked against a list."""
    return country in NAMES


def region_code(country: str, text: str) -> str | None:
    """The code for a state or province typed as a code or a name ("Illinois" -> "IL"),
    None when it is not one of the country's. Other countries' regions are not checked."""
    text = (text or "").strip()
    if not has_regions(country):
        return text
    return ALIASES[country].get(_fold(text))


def region_problem(country: str, text: str) -> str:
    """What is wrong with a US or Canadian state or province, in the merchant's words
    ("" when nothing is)."""
    if not has_regions(country) or not (text or "").strip():
        return ""
    if region_code(country, text) is not None:
        return ""
    noun, full = NOUNS[country]
    other = "CA" if country == "US" else "US"
    if region_code(other, text) is not None:
        where = "Canada" if country == "CA" else "the United States"
        return (
            f"“{text}” is not a {full}, and the country is {where}: choose the {noun}, or "
            "correct the country."
        )
    return f"“{text}” is not a {full}: choose the {noun} from the list or type its name."


class RegionSelect(QuickSelect):
    """A select whose choices are grouped; it also shows a value that is not among them (an
    old address typed before the check existed) rather than silently picking another."""

    def optgroups(self, name, value, attrs=None):
        groups = super().optgroups(name, value, attrs)
        known = {str(option["value"]) for _, options, _ in groups for option in options}
        stray = [v for v in value if v and v not in known]
        if stray:
            option = self.create_option(name, stray[0], stray[0], True, 0)
            groups.insert(1, (None, [option], 0))
        return groups


class RegionField(forms.ChoiceField):
    """A US state (with DC, territories and APO/FPO/DPO) or Canadian province, chosen from a
    list; a posted name ("illinois", "Ontario") is accepted and stored as its code."""

    widget = RegionSelect

    def __init__(self, *, countries: tuple[str, ...] = ("US",), **kwargs) -> None:
        self.countries = countries
        groups: list = [("", "Choose…")]
        for country in countries:
            groups += [(label, list(options)) for label, options in _groups(country)]
        kwargs.setdefault("label", "State" if countries == ("US",) else "State or province")
        super().__init__(choices=groups, **kwargs)

    def to_python(self, value) -> str:
        text = super().to_python(value)
        for country in self.countries:
            code = region_code(country, text)
            if code:
                return code
        return text

    def validate(self, value) -> None:
        if len(self.countries) > 1:
            # Which list applies depends on the country posted with it: settle_region judges.
            forms.Field.validate(self, value)
            return
        if value and not self.valid_value(value):
            raise forms.ValidationError(region_problem(self.countries[0], value))
        super().validate(value)


def settle_region(form: forms.Form, country: str) -> None:
    """For a form with a ``state`` RegionField (and an optional ``region`` text for other
    countries): leave the state's code in cleaned_data for the US and Canada, and the typed
    region elsewhere, or add the error the merchant needs to fix it."""
    data = form.cleaned_data
    typed = (data.pop("region", "") or "").strip()
    if "state" in form.errors:
        return
    chosen = data.get("state", "")
    if has_regions(country):
        text = chosen or typed
        noun = NOUNS[country][0]
        if not text:
            form.add_error("state", f"Choose the {noun}.")
            return
        code = region_code(country, text)
        if code is None:
            # Named as typed ("Ontario"), not as the field understood it ("ON").
            typed_state = str(form.data.get(form.add_prefix("state"), "")).strip()
            form.add_error("state", region_problem(country, typed_state or text))
            return
        data["state"] = code
        return
    if chosen and any(region_code(c, chosen) for c in NAMES):
        form.add_error(
            "state",
            f"“{chosen}” is a US state or Canadian province, but the address is not in the US "
            "or Canada: correct the country, or clear the state and type the region instead.",
        )
        return
    data["state"] = typed or chosen


def _groups(country: str):
    return US_GROUPS if country == "US" else CA_GROUPS
