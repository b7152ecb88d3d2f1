"""Customer e-mail branding in the store's activity log: who changed it and which parts, the
logo named but never its bytes, and nothing for a save that changed nothing."""

from __future__ import annotations

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from PIL import Image

from tests.support import activity_table, store_log
from tracking.forms import BrandingForm
from tracking.models import Branding

pytestmark = pytest.mark.django_db


def png(colour: str = "#ff0000") -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (4, 4), colour).save(out, "PNG")
    return out.getvalue()


def defaults() -> dict[str, str]:
    form = BrandingForm(instance=Branding())
    return {name: value for name, value in form.initial.items() if value}


def test_a_branding_change_names_what_changed_and_who(store_admin_client, owner_client, merchant):
    data = defaults() | {"display_name": "Acme Shop", "shipped_subject": "On its way!"}
    data["logo_file"] = SimpleUploadedFile("logo.png", png(), content_type="image/png")
    assert store_admin_client.post(reverse("tracking:branding"), data).status_code == 302
    assert store_log(merchant) == [
        (
            "ops@acme.test",
            "branding_changed",
            "",
            "store name shown to customers, shipped subject, logo",
        )
    ]
    table = activity_table(owner_client)
    assert "Changed the customer e-mail branding" in table and "ops@acme.test" in table
    assert "store name shown to customers, shipped subject, logo" in table
    assert "On its way!" not in table  # the wording itself stays on the branding page


def test_removing_the_logo_is_logged_and_its_bytes_never_are(store_admin_client, merchant):
    logo = png("#00ff00")
    Branding.objects.create(merchant=merchant, logo=logo, logo_type="image/png")
    store_admin_client.post(reverse("tracking:branding"), defaults() | {"remove_logo": "on"})
    assert store_log(merchant) == [("ops@acme.test", "branding_changed", "", "logo")]


def test_saving_the_branding_unchanged_or_refused_logs_nothing(store_admin_client, merchant):
    Branding.objects.create(merchant=merchant, display_name="Acme Shop", logo=png())
    same = defaults() | {"display_name": "Acme Shop", "primary_color": "#1F6FEB"}
    same["logo_file"] = SimpleUploadedFile("logo.png", png(), content_type="image/png")
    assert store_admin_client.post(reverse("tracking:branding"), same).status_code == 302
    # No logo to remove: ticking "Remove the logo" on a store without one changes nothing.
    Branding.objects.filter(merchant=merchant).update(logo=b"", logo_type="")
    store_admin_client.post(
        reverse("tracking:branding"),
        defaults() | {"display_name": "Acme Shop", "remove_logo": "on"},
    )
    refused = defaults() | {"display_name": "Other", "primary_color": "blue"}
    response = store_admin_client.post(reverse("tracking:branding"), refused)
    assert response.status_code == 200 and "six hex digits" in response.text
    assert store_log(merchant) == []
