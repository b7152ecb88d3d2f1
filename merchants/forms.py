from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.auth import get_user_model, password_validation
from django.db import transaction

from merchants.models import Membership, Merchant, Profile
from merchants.time_zones import zone_choices


class SignupForm(forms.Form):
    company_name = forms.CharField(max_length=120, label="Company name")
    email = forms.EmailField(label="Work e-mail")
    password = forms.CharField(
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "new-password"}),
        help_text=password_validation.password_validators_help_text_html(),
    )
    time_zone = forms.ChoiceField(choices=zone_choices, initial="America/New_York")

    def clean_email(self) -> str:
        email = self.cleaned_data["email"].strip().lower()
        if get_user_model().objects.filter(email__iexact=email).exists():
            raise forms.ValidationError(
                "An account with this e-mail already exists. Sign in, or reset your password."
            )
        return email

    def clean(self):
        cleaned = super().clean()
        password = cleaned.get("password")
        if password:
            user = get_user_model()(
                username=cleaned.get("email", ""), email=cleaned.get("email", "")
            )
            try:
                password_validation.validate_password(password, user)
            except forms.ValidationError as exc:
                self.add_error("password", exc)
        return cleaned

    @transaction.atomic
    def save(self):
        data = self.cleaned_data
        user = get_user_model().objects.create_user(
            username=data["email"], email=data["email"], password=data["password"]
        )
        merchant = Merchant.objects.create(
            name=data["company_name"],
            slug=Merchant.unique_slug_for(data["company_name"]),
            time_zone=data["time_zone"],
        )
        Membership.objects.create(merchant=merchant, user=user, role=Membership.Role.OWNER)
        Profile.objects.create(user=user)  # unconfirmed until the e-mailed link is opened
        return user, merchant


class CompanyForm(forms.ModelForm):
    class Meta:
        model = Merchant
        fields = ["name", "time_zone"]
        labels = {"name": "Company name"}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        zone = self.fields["time_zone"]
        assert isinstance(zone, forms.ChoiceField)
        zone.choices = zone_choices(self.instance.time_zone)
