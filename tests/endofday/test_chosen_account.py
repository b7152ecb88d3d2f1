"""End of day on the account the merchant chose, or not at all: a SCAN form or a pickup for
an account that is no longer connected (disconnected in another tab) or was never the store's
(a forged id) is refused in the merchant's words, never made for the store's default."""

from __future__ import annotations

import pytest

from carriers import services
from endofday.models import Pickup, ScanForm
from tests.endofday.conftest import THAT_WEEK
from tests.factories import make_carrier_account
from tests.support import WEEKDAY_MORNING

pytestmark = pytest.mark.django_db(transaction=True)

GONE = (
    "The Stamps.com account you chose is no longer connected. Choose another account and try again."
)
SCAN_FORMS = "/shipments/scan-forms/"


@pytest.fixture
def ny(place):
    return place("America/New_York", is_default=True, phone="718-555-0100")


@pytest.fixture
def second(sandbox_account, account, ny, bought_label, owner):
    """Labels bought on it today, then disconnected in another tab."""
    second = sandbox_account("eod-second", balance="100.00", plan="personal")
    bought_label(second, ny)
    services.disconnect(second, owner)
    return second


@pytest.fixture
def foreign(sandbox_account, account, outsider_merchant):
    return sandbox_account("bramble-eod", balance="100.00", for_merchant=outsider_merchant)


@pytest.fixture(params=["disconnected", "another store's"])
def unusable(request):
    return request.getfixturevalue("second" if request.param == "disconnected" else "foreign")


@pytest.mark.clock(WEEKDAY_MORNING)
@pytest.mark.parametrize("htmx", [False, True], ids=["page", "htmx"])
@pytest.mark.parametrize("scope", ["all", "selected"])
def test_a_scan_form_for_a_chosen_account_no_longer_connected_is_not_made_for_the_default(
    stamps, account, unusable, ny, bought_label, owner_client, scope, htmx
):
    on_default = bought_label(account, ny)
    data = {"account": unusable.pk, "location": ny.pk, "scope": scope}
    if scope == "selected":
        data["shipment"] = [on_default.pk]
    headers = {"HX-Request": "true"} if htmx else {}
    response = owner_client.post(SCAN_FORMS, data, headers=headers)
    assert response.status_code == 200 and GONE in response.text
    assert 'data-testid="eod-error"' in response.text
    assert not ScanForm.objects.exists() and not stamps.manifests("eod-pro")
    # The form asks for another account; the location chosen is kept.
    assert response.context["account"] is None and response.context["location"] == ny
    assert "Choose an account" in response.text and "eligible-labels" not in response.text


@pytest.mark.clock(WEEKDAY_MORNING)
def test_a_scan_form_with_no_account_named_closes_the_defaults_labels(
    stamps, account, second, ny, bought_label, owner_client
):
    on_default = bought_label(account, ny)
    response = owner_client.post(SCAN_FORMS, {"location": ny.pk, "scope": "all"})
    form = ScanForm.objects.get()
    assert response["Location"] == f"{SCAN_FORMS}{form.pk}/"
    assert form.account == account
    assert [item.shipment_id for item in form.items.all()] == [on_default.pk]


def test_the_scan_form_page_for_a_chosen_account_no_longer_connected_asks_for_another(
    stamps, account, unusable, ny, owner_client
):
    page = owner_client.get(SCAN_FORMS, {"account": unusable.pk, "location": ny.pk})
    assert page.status_code == 200 and GONE in page.text
    assert page.context["account"] is None and page.context["eligible"] == []


@pytest.mark.clock(THAT_WEEK)
@pytest.mark.parametrize("which", ["disconnected", "another store's"])
def test_a_pickup_for_a_chosen_account_no_longer_connected_is_refused_in_its_words(
    merchant, outsider_merchant, owner, ny, owner_client, which
):
    make_carrier_account(merchant)
    if which == "disconnected":
        gone = make_carrier_account(merchant, "Second postage")
        services.disconnect(gone, owner)
    else:
        gone = make_carrier_account(outsider_merchant)
    data = {
        "account": gone.pk,
        "location": ny.pk,
        "requested_date": "2026-11-05",
        "package_count": 2,
        "total_weight_lb": 3,
        "package_location": "FrontDoor",
        "contact_phone": "(718) 555-0100",
    }
    response = owner_client.post("/shipments/pickups/", {**data, "confirm": "1"})
    assert response.status_code == 200
    assert response.context["form"].errors["account"] == [GONE]
    assert GONE in response.text and "2026-11-05" in response.text  # what was typed is kept
    assert not Pickup.objects.exists()


@pytest.mark.clock(WEEKDAY_MORNING)
def test_a_scan_form_for_a_chosen_location_deleted_since_is_not_made_for_the_default(
    stamps, account, ny, place, bought_label, owner_client
):
    bought_label(account, ny)
    deleted = place("America/Los_Angeles")
    deleted_pk = deleted.pk
    deleted.delete()
    data = {"account": account.pk, "location": deleted_pk, "scope": "all"}
    response = owner_client.post(SCAN_FORMS, data)
    assert response.status_code == 200
    assert "The ship-from location you chose no longer exists." in response.text
    assert not ScanForm.objects.exists() and not stamps.manifests("eod-pro")
    assert response.context["account"] == account and response.context["location"] is None
    assert "Choose a location" in response.text and "eligible-labels" not in response.text
