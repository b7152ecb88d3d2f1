from __future__ import annotations

import re

from django import forms

from locations.models import ShipFromLocation
from shipments import returns
from tracking import webhooks
from tracking.models import Branding, WebhookEndpoint

COLOR = re.compile(r"^#[0-9a-fA-F]{6}$")
LOGO_TYPES = {"image/png", "image/jpeg", "image/gif"}
LOGO_MAX_BYTES = 200_000


class BrandingForm(forms.ModelForm):
    logo_file = forms.ImageField(
        label="Logo", required=False, help_text="PNG, JPEG or GIF, at most 200 KB."
    )
    remove_logo = forms.BooleanField(label="Remove the logo", required=False)

    class Meta:
        model = Branding
        fields = [
            "display_name",
            "primary_color",
            "accent_color",
            "shipped_subject",
            "shipped_message",
            "out_for_delivery_subject",
            "out_for_delivery_message",
            "delivered_subject",
            "delivered_message",
            "footer",
        ]
        widgets = {
            "primary_color": forms.TextInput(attrs={"type": "color"}),
            "accent_color": forms.TextInput(attrs={"type": "color"}),
            "shipped_message": forms.Textarea(attrs={"rows": 3}),
            "out_for_delivery_message": forms.Textarea(attrs={"rows": 3}),
            "delivered_message": forms.Textarea(attrs={"rows": 3}),
        }

    def _color(self, name: str) -> str:
        value = self.cleaned_data[name]
        if not COLOR.match(value):
            raise forms.ValidationError("Enter a colour as # and six hex digits, e.g. #1f6feb.")
        return value.lower()

    def clean_primary_color(self) -> str:
        return self._color("primary_color")

    def clean_accent_color(self) -> str:
        return self._color("accent_color")

    def clean_logo_file(self):
        upload = self.cleaned_data.get("logo_file")
        if upload is None:
            return None
        if upload.size > LOGO_MAX_BYTES:
            raise forms.ValidationError("The logo must be 200 KB or smaller.")
        kind = getattr(upload, "content_type", "")
        image = getattr(upload, "image", None)
        fmt = (getattr(image, "format", "") or "").lower()
        kind = {"png": "image/png", "jpeg": "image/jpeg", "gif": "image/gif"}.get(fmt, kind)
        if kind not in LOGO_TYPES:
            raise forms.ValidationError("Upload a PNG, JPEG or GIF image.")
        upload.seek(0)
        return kind, upload.read()

    def save(self, commit: bool = True) -> Branding:
        branding = super().save(commit=False)
        logo = self.cleaned_data.get("logo_file")
        if self.cleaned_data.get("remove_logo"):
            branding.logo, branding.logo_type = b"", ""
        elif logo:
            branding.logo_type, branding.logo = logo
        if commit:
            branding.save()
        return branding


class WebhookEndpointForm(forms.ModelForm):
    events = forms.MultipleChoiceField(
        choices=WebhookEndpoint.EVENTS,
        widget=forms.CheckboxSelectMultiple,
        help_text="The events sent to this address.",
    )

    class Meta:
        model = WebhookEndpoint
        fields = ["url", "events"]

    def clean_url(self) -> str:
        url = self.cleaned_data["url"]
        try:
            webhooks.check_url(url)
        except webhooks.EndpointRefused as exc:
            raise forms.ValidationError(str(exc)) from exc
        return url


class ReturnLabelForm(forms.Form):
    """What a return label needs from the merchant (R46); the rest comes from the label."""

    service = forms.ChoiceField(choices=list(returns.RETURN_SERVICES.items()))
    location = forms.ModelChoiceField(
        queryset=ShipFromLocation.objects.none(),
        label="Return to",
        empty_label=None,
        help_text="The store location the parcel comes back to.",
    )
    days = forms.TypedChoiceField(
        coerce=int,
        choices=[(d, f"{d} days") for d in returns.EXPIRY_DAYS],
        label="Valid for",
        help_text="The buyer's download link stops working after that.",
    )
    email_buyer = forms.BooleanField(required=False, label="E-mail the label to the buyer")

    def __init__(self, *args, locations, **kwargs):
        super().__init__(*args, **kwargs)
        location_field = self.fields["location"]
        assert isinstance(location_field, forms.ModelChoiceField)
        location_field.queryset = locations.filter(country="US")
