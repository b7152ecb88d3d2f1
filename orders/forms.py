from __future__ import annotations

import copy

from django import forms

from locations.models import ShipFromLocation
from locations.regions import RegionField, settle_region
from merchants.widgets import QuickSelect
from orders import validation
from orders.catalog import Confirmation
from orders.countries import COUNTRIES, country_code
from orders.models import Order

PACKAGE_FIELDS = [
    "ship_from",
    "service",
    "package_type",
    "weight_lb",
    "weight_oz",
    "length_in",
    "width_in",
    "height_in",
    "confirmation",
    "insurance_amount",
    "dangerous_goods",
    "non_machinable",
    "hold_for_pickup",
    "saturday_delivery",
    "label_message_1",
    "label_message_2",
    "label_message_3",
    "prepay_duties_canada",
    "customs_contents_type",
    "non_delivery",
]
ITEM_KEYS = ("sku", "item_name", "quantity", "unit_price", "item_weight_oz")
OPTION_FLAGS = ["dangerous_goods", "non_machinable", "hold_for_pickup", "saturday_delivery"]


class OrderShippingForm(forms.ModelForm):
    """Package, service and Other Shipping Options of one order.

    What is offered depends on the service and destination being chosen, so availability is
    worked out from the submitted values, and a choice they don't allow is refused with the fix.
    """

    class Meta:
        model = Order
        fields = PACKAGE_FIELDS

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["ship_from"].queryset = ShipFromLocation.objects.for_merchant(
            self.instance.merchant
        )
        self.fields["service"].required = False
        # Shown only for international and military mail: absent means unchanged.
        for name in ("customs_contents_type", "non_delivery"):
            self.fields[name].required = False
        for name in ("weight_oz", "weight_lb", "insurance_amount"):
            self.fields[name].widget.attrs["min"] = 0
        for field in self.fields.values():
            if getattr(field.widget, "input_type", "") in ("text", "number"):
                # The order page saves on every change and swaps the panel: a box the merchant
                # may be typing in meanwhile is kept as it is, or the letters typed while the
                # save was on its way would be lost.
                field.widget.attrs["hx-preserve"] = "true"
        if self.instance.is_international and self.instance.confirmation not in (
            Confirmation.SIGNATURE,
            Confirmation.ADULT_SIGNATURE,
        ):
            # R16: don't offer what USPS won't do abroad.
            self.fields["confirmation"].choices = [
                c for c in Confirmation.choices if c[0] in (Confirmation.NONE, "tracking")
            ]

    def clean_service(self):
        # The rate list is the one control for the service: a post without it (the package
        # form itself) leaves the order's service as it is instead of clearing it.
        if "service" not in self.data:
            return self.instance.service
        return self.cleaned_data["service"]

    def clean_customs_contents_type(self):
        return self.cleaned_data["customs_contents_type"] or self.instance.customs_contents_type

    def clean_non_delivery(self):
        return self.cleaned_data["non_delivery"] or self.instance.non_delivery

    def preview(self) -> Order:
        """The order as it would be with the submitted (valid) values."""
        order = copy.copy(self.instance)
        for name, value in getattr(self, "cleaned_data", {}).items():
            setattr(order, name, value)
        return order

    @property
    def available(self) -> dict[str, bool]:
        return validation.available_options(self.preview())

    def clean(self):
        cleaned = super().clean()
        if not self.instance.is_open:
            raise forms.ValidationError(
                f"This order is {self.instance.get_status_display().lower()}, so its package and "
                "options can't change."
            )
        order = self.preview()
        for problem in validation.option_problems(order):
            self.add_error(problem.field if problem.field in self.fields else None, problem.message)
        return cleaned

    def visible_flags(self) -> list[forms.BoundField]:
        available = self.available
        preview = self.preview()
        # A refused choice stays on screen with its error, so the merchant sees why.
        return [
            self[name]
            for name in OPTION_FLAGS
            if available[name] or getattr(preview, name, False) or self.errors.get(name)
        ]


def region_text_field() -> forms.CharField:
    return forms.CharField(
        label="Region (outside the US and Canada)",
        max_length=30,
        required=False,
        help_text="A county, prefecture or state elsewhere; leave empty if the address has none.",
    )


class ShipToForm(forms.ModelForm):
    """The ship-to address of an open order. The state is chosen from the US and Canadian
    lists (a typed name is understood); other countries' regions are typed. A changed
    address is no longer the one Stamps.com checked, so the next rate view checks it again."""

    state = RegionField(countries=("US", "CA"), required=False)
    region = region_text_field()
    country = forms.ChoiceField(choices=list(COUNTRIES.items()), widget=QuickSelect)

    class Meta:
        model = Order
        fields = [
            "recipient_name",
            "company",
            "street1",
            "street2",
            "city",
            "state",
            "postal_code",
            "country",
            "residential",
            "phone",
            "email",
        ]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if not self.is_bound and self.instance.country not in ("US", "CA"):
            # Another country's region is shown in the text box, not as a stray choice.
            self.initial["region"], self.initial["state"] = self.instance.state, ""

    def clean(self):
        cleaned = super().clean()
        if not self.instance.is_open:
            raise forms.ValidationError(
                f"This order is {self.instance.get_status_display().lower()}, so its address "
                "can't change."
            )
        settle_region(self, cleaned.get("country", ""))
        return cleaned


class NewOrderForm(forms.Form):
    """A manual order with one item; saved through the import pipeline so it is checked the
    same way and automation rules run as it enters Awaiting Shipment (R36)."""

    order_number = forms.CharField(max_length=60)
    store = forms.CharField(max_length=80, required=False, initial="Manual")
    recipient_name = forms.CharField(max_length=100)
    company = forms.CharField(max_length=100, required=False)
    street1 = forms.CharField(label="Address 1", max_length=100)
    street2 = forms.CharField(label="Address 2", max_length=100, required=False)
    city = forms.CharField(max_length=60)
    state = RegionField(countries=("US", "CA"), required=False)
    region = region_text_field()
    postal_code = forms.CharField(max_length=15, required=False)
    country = forms.CharField(max_length=60, initial="US", help_text="Code or English name")
    email = forms.EmailField(required=False)
    phone = forms.CharField(max_length=30, required=False)
    sku = forms.CharField(label="SKU", max_length=60, required=False)
    item_name = forms.CharField(max_length=200, required=False)
    quantity = forms.IntegerField(min_value=1, initial=1)
    unit_price = forms.DecimalField(min_value=0, max_digits=10, decimal_places=2, initial=0)
    item_weight_oz = forms.DecimalField(
        label="Item weight (oz)", min_value=0, max_digits=8, decimal_places=2, initial=0
    )

    def __init__(self, *args, merchant, **kwargs):
        super().__init__(*args, **kwargs)
        self.merchant = merchant

    def clean_order_number(self):
        number = self.cleaned_data["order_number"].strip()
        if Order.objects.for_merchant(self.merchant).filter(number=number).exists():
            raise forms.ValidationError(f"Order {number} already exists: use another number.")
        return number

    def clean(self):
        cleaned = super().clean()
        country = country_code(cleaned.get("country", ""))
        if country is None:
            # An unknown country is the import's to explain (it names the fix); the state
            # can only be judged against a known one.
            cleaned.pop("region", None)
        else:
            settle_region(self, country)
        return cleaned

    def as_api_order(self) -> dict:
        data = {k: v for k, v in self.cleaned_data.items() if v not in (None, "")}
        item = {k: str(data.pop(k)) for k in ITEM_KEYS if k in data}
        return data | {"items": [item] if item.get("sku") or item.get("item_name") else []}
