"""R30-R33 with frozen clocks in several time zones; no carrier calls."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.db import IntegrityError, transaction

from endofday import pickups, scan_forms, shipping_day
from endofday.models import Pickup, ScanForm, ScanFormLabel
from locations.models import EndOfDaySettings
from locations.shipping_day import ship_date_for
from shipments.models import Shipment
from tests.endofday.conftest import FRI, MON, SAT, SUN, THAT_WEEK, THU, utc
from tests.endofday.factories import make_pickup
from tests.factories import make_carrier_account, make_ship_from

pytestmark = [pytest.mark.django_db, pytest.mark.clock(THAT_WEEK)]


# --- R33: pickups one day ahead, Monday to Saturday ---------------------------------------


def test_r33_the_next_pickup_day_is_tomorrow_and_never_a_sunday():
    assert pickups.next_pickup_day(THU) == FRI
    assert pickups.next_pickup_day(FRI) == SAT
    assert pickups.next_pickup_day(SAT) == MON  # R33: Saturday -> Monday
    assert pickups.next_pickup_day(SUN) == MON


def test_r33_a_request_on_the_5th_for_the_7th_is_moved_to_the_6th_and_says_so(place):
    ny = place("America/New_York")
    day = pickups.pickup_day_for(ny, SAT, now=utc(2026, 11, 5, 15))
    assert (day.today, day.requested, day.date, day.moved) == (THU, SAT, FRI, True)
    assert "Thursday, November 5 for Saturday, November 7" in day.note
    assert "scheduled for Friday, November 6" in day.note
    assert pickups.pickup_day_for(ny, FRI, now=utc(2026, 11, 5, 15)).note == ""


def test_r33_the_pickup_day_follows_the_locations_calendar_not_utc(place):
    honolulu, ny = place("Pacific/Honolulu"), place("America/New_York")
    moment = utc(2026, 11, 7, 6)  # Sat 1am in New York, still Fri 8pm in Honolulu
    assert pickups.pickup_day_for(honolulu, now=moment).date == SAT
    assert pickups.pickup_day_for(ny, now=moment).date == MON


def test_r33_pickups_can_change_until_2am_central_on_the_pickup_day(merchant):
    pickup = make_pickup(merchant, pickup_date=FRI)
    assert pickups.can_change(pickup, now=utc(2026, 11, 6, 7, 59))  # 1:59 AM CST
    assert not pickups.can_change(pickup, now=utc(2026, 11, 6, 8, 0))
    with pytest.raises(shipping_day.EndOfDayError, match="2 AM Central"):
        pickups.cancel_pickup(pickup, now=utc(2026, 11, 6, 9))
    pickup.status = Pickup.Status.CANCELLED
    assert not pickups.can_change(pickup, now=utc(2026, 11, 5, 12))


def test_upcoming_and_past_pickups_are_told_apart_by_the_locations_day(merchant):
    tomorrow = make_pickup(merchant, "U1", pickup_date=FRI)
    yesterday = make_pickup(merchant, "U2", pickup_date=dt.date(2026, 11, 4))
    cancelled = make_pickup(merchant, "U3", pickup_date=FRI, status=Pickup.Status.CANCELLED)
    upcoming, past = pickups.split_pickups(
        [tomorrow, yesterday, cancelled], now=utc(2026, 11, 5, 15)
    )
    assert upcoming == [tomorrow]
    assert set(past) == {yesterday, cancelled}


def test_a_pickup_is_prefilled_from_the_labels_waiting_at_the_location(place, label, merchant):
    ny, la = place("America/New_York"), place("America/Los_Angeles")
    account = make_carrier_account(merchant)
    label(account, ny, THU)
    label(account, ny, FRI)  # printed after the cut-off: goes out tomorrow too
    label(account, ny, dt.date(2026, 11, 4))  # yesterday's went already
    label(account, ny, THU, status=Shipment.Status.VOIDED)
    label(account, la, THU)
    ny.phone = "+1 (718) 555-0100"
    prefill = pickups.pickup_prefill(ny, now=utc(2026, 11, 5, 15))
    assert prefill["package_count"] == 2
    assert prefill["total_weight_lb"] == 3  # 40 oz
    assert prefill["requested_date"] == FRI
    assert pickups.phone_digits(prefill["contact_phone"]) == "7185550100"


# --- the shipping cut-off of each location ------------------------------------------------


def test_labels_after_the_locations_cut_off_get_the_next_ship_date(place):
    la = place("America/Los_Angeles")
    EndOfDaySettings.objects.create(merchant=la.merchant, location=la, cutoff_time=dt.time(16, 30))
    assert ship_date_for(la, now=utc(2026, 11, 6, 0, 29)) == THU  # Thu 4:29 PM
    assert ship_date_for(la, now=utc(2026, 11, 6, 0, 30)) == FRI  # Thu 4:30 PM
    assert ship_date_for(la, now=utc(2026, 11, 8, 1)) == MON  # Sat 5 PM -> Monday


def test_the_default_cut_off_is_5pm_local(place):
    ny = place("America/New_York")
    assert ship_date_for(ny, now=utc(2026, 11, 5, 21, 59)) == THU
    assert ship_date_for(ny, now=utc(2026, 11, 5, 22, 0)) == FRI


# --- R30: SCAN forms before 9pm local time ------------------------------------------------


@pytest.mark.parametrize(
    ("time_zone", "moment", "refused"),
    [
        ("America/New_York", utc(2026, 11, 6, 1, 59), False),  # 8:59 PM EST
        ("America/New_York", utc(2026, 11, 6, 2, 0), True),  # 9:00 PM EST
        ("America/Los_Angeles", utc(2026, 11, 6, 4, 59), False),
        ("America/Los_Angeles", utc(2026, 11, 6, 5, 0), True),
        ("America/New_York", utc(2026, 11, 6, 5, 0), False),  # midnight: a new day
        # 7 AM in UTC, yet already 9 PM in Honolulu.
        ("Pacific/Honolulu", utc(2026, 11, 6, 7, 0), True),
    ],
)
def test_r30_scan_forms_are_refused_from_9pm_local_time(place, time_zone, moment, refused):
    location = place(time_zone)
    reason = scan_forms.scan_form_refusal(location, now=moment)
    assert bool(reason) is refused
    if refused:
        assert "9pm local time" in reason and "tomorrow" in reason


# Split states: the 9 pm and the cut-off are the ZIP code's, an hour from the state's usual zone.
SPLIT_STATES = {
    "Knoxville": ("TN", "37902"),  # Eastern, where Tennessee is mostly Central
    "Pensacola": ("FL", "32501"),  # Central, where Florida is mostly Eastern
    "Gary": ("IN", "46402"),  # Central, where Indiana is mostly Eastern
    "El Paso": ("TX", "79901"),  # Mountain, where Texas is mostly Central
}


def split_state_location(merchant, city: str):
    state, zip_code = SPLIT_STATES[city]
    return make_ship_from(merchant, name=city, city=city, state=state, postal_code=zip_code)


@pytest.mark.parametrize(
    ("city", "moment", "refused"),
    [
        ("Knoxville", utc(2026, 11, 6, 2, 30), True),  # 9:30 PM EST (8:30 PM in Nashville)
        ("Pensacola", utc(2026, 11, 6, 2, 30), False),  # 8:30 PM CST (9:30 PM in Miami)
        ("Gary", utc(2026, 11, 6, 2, 30), False),  # 8:30 PM CST (9:30 PM in Indianapolis)
        ("El Paso", utc(2026, 11, 6, 3, 30), False),  # 8:30 PM MST (9:30 PM in Dallas)
    ],
)
def test_r30_r43_a_split_state_location_closes_at_9pm_on_its_zips_clock(
    merchant, city, moment, refused
):
    location = split_state_location(merchant, city)
    assert bool(scan_forms.scan_form_refusal(location, now=moment)) is refused


@pytest.mark.parametrize(
    ("city", "moment", "ship_date"),
    [
        ("Knoxville", utc(2026, 11, 5, 22, 30), FRI),  # 5:30 PM EST: past the 5 PM cut-off
        ("Pensacola", utc(2026, 11, 5, 22, 30), THU),  # 4:30 PM CST
        ("Gary", utc(2026, 11, 5, 22, 30), THU),  # 4:30 PM CST
        ("El Paso", utc(2026, 11, 5, 23, 30), THU),  # 4:30 PM MST
    ],
)
def test_r43_a_split_state_location_takes_the_next_day_after_its_own_cut_off(
    merchant, city, moment, ship_date
):
    location = split_state_location(merchant, city)
    assert ship_date_for(location, now=moment) == ship_date


def test_r30_a_late_scan_form_is_refused_before_calling_the_carrier(place, label, merchant):
    honolulu = place("Pacific/Honolulu")
    account = make_carrier_account(merchant, username="nowhere")  # any call would fail
    label(account, honolulu, THU)
    late = time_machine.travel(utc(2026, 11, 6, 7, 30), tick=False)  # 9:30 PM Thu in Honolulu
    with late, pytest.raises(shipping_day.EndOfDayError, match="before 9pm local time"):
        scan_forms.create_scan_form(account, honolulu)
    assert not ScanForm.objects.exists()


@pytest.mark.clock("2026-11-06T07:30:00+00:00")  # signed in at the moment the page is read
def test_r30_the_page_says_why_and_disables_the_button(place, label, merchant, owner_client):
    honolulu = place("Pacific/Honolulu", is_default=True)
    account = make_carrier_account(merchant, is_default=True)
    label(account, honolulu, THU)
    with time_machine.travel(utc(2026, 11, 6, 7, 30), tick=False):
        page = owner_client.get("/shipments/scan-forms/").text
        response = owner_client.post(
            "/shipments/scan-forms/", {"account": account.pk, "location": honolulu.pk}
        )
    assert "before 9pm local time" in page and "disabled" in page
    assert "before 9pm local time" in response.text
    assert not ScanForm.objects.exists()


# --- R31: today's labels only, each on one form -------------------------------------------


def test_r31_only_todays_open_labels_of_that_account_and_location_are_eligible(
    place, label, merchant
):
    ny, la = place("America/New_York"), place("America/Los_Angeles")
    account, other = make_carrier_account(merchant), make_carrier_account(merchant, "Other")
    today = label(account, ny, THU)
    label(account, ny, dt.date(2026, 11, 4))
    label(account, ny, FRI)
    label(account, ny, THU, status=Shipment.Status.VOIDED)
    label(account, ny, THU, tracking_number="")  # First-Class letter: nothing to scan
    label(other, ny, THU)
    label(account, la, THU)
    on_form = label(account, ny, THU)
    form = ScanForm.objects.create(merchant=merchant, account=account, location=ny, ship_date=THU)
    ScanFormLabel.objects.create(scan_form=form, shipment=on_form)
    eligible = scan_forms.eligible_labels(account, ny, now=utc(2026, 11, 5, 15))
    assert list(eligible) == [today]


def test_r31_a_label_cannot_be_on_two_scan_forms(place, label, merchant):
    ny = place("America/New_York")
    account = make_carrier_account(merchant)
    shipment = label(account, ny, THU)
    first, second = (
        ScanForm.objects.create(merchant=merchant, account=account, location=ny, ship_date=THU)
        for _ in range(2)
    )
    ScanFormLabel.objects.create(scan_form=first, shipment=shipment)
    with pytest.raises(IntegrityError), transaction.atomic():
        ScanFormLabel.objects.create(scan_form=second, shipment=shipment)


def test_r31_choosing_yesterdays_label_explains_and_points_to_the_cut_off(place, label, merchant):
    ny = place("America/New_York")
    account = make_carrier_account(merchant)
    old = label(account, ny, dt.date(2026, 11, 4))
    thursday = time_machine.travel(utc(2026, 11, 5, 15), tick=False)
    with thursday, pytest.raises(shipping_day.EndOfDayError) as caught:
        scan_forms.create_scan_form(account, ny, [old.pk])
    assert "ship date Nov 4" in caught.value.message
    assert caught.value.fix.url == "/shipments/end-of-day/"
    assert not ScanForm.objects.exists()


def test_labels_of_another_merchant_are_never_put_on_a_form(
    place, label, merchant, outsider_merchant
):
    ny = place("America/New_York")
    account = make_carrier_account(merchant)
    theirs = make_carrier_account(outsider_merchant)
    with pytest.raises(shipping_day.EndOfDayError, match="another store"):
        scan_forms.create_scan_form(theirs, ny)
    foreign = label(account, ny, THU, merchant=outsider_merchant)
    thursday = time_machine.travel(utc(2026, 11, 5, 15), tick=False)
    with thursday, pytest.raises(shipping_day.EndOfDayError, match="No labels"):
        scan_forms.create_scan_form(account, ny, [foreign.pk])


# --- the automatic SCAN form --------------------------------------------------------------


def test_the_automatic_scan_form_runs_once_after_each_locations_cut_off_and_before_9pm(
    place, label, merchant, monkeypatch
):
    la, ny = place("America/Los_Angeles"), place("America/New_York")
    account = make_carrier_account(merchant)
    for location in (la, ny):
        EndOfDaySettings.objects.create(
            merchant=merchant, location=location, cutoff_time=dt.time(18), auto_scan_form=True
        )
        label(account, location, THU)
    runs = []
    monkeypatch.setattr(
        scan_forms, "create_scan_form", lambda a, loc, **kw: runs.append((a, loc, kw)) or loc
    )
    scan_forms.run_automatic_scan_forms(now=utc(2026, 11, 5, 23, 30))  # 6:30 PM NY, 3:30 PM LA
    assert [(a, loc) for a, loc, _ in runs] == [(account, ny)]
    assert runs[0][2]["automatic"] is True
    scan_forms.run_automatic_scan_forms(now=utc(2026, 11, 6, 0, 30))  # once a day
    assert len(runs) == 1
    scan_forms.run_automatic_scan_forms(now=utc(2026, 11, 6, 5, 0))  # 9 PM in LA: too late
    assert len(runs) == 1
    scan_forms.run_automatic_scan_forms(now=utc(2026, 11, 6, 3, 0))  # 7 PM in LA
    assert [loc for _, loc, _ in runs] == [ny, la]


def test_an_automatic_scan_form_needs_a_cut_off_before_9pm(place, owner_client):
    ny = place("America/New_York")
    response = owner_client.post(
        f"/shipments/end-of-day/{ny.pk}/",
        {
            f"loc{ny.pk}-cutoff_time": "21:30",
            f"loc{ny.pk}-auto_scan_form": "on",
            f"loc{ny.pk}-pickup_location": "FrontDoor",
        },
    )
    assert "before 9:00 PM" in response.text
    response = owner_client.post(
        f"/shipments/end-of-day/{ny.pk}/",
        {
            f"loc{ny.pk}-cutoff_time": "18:15",
            f"loc{ny.pk}-auto_scan_form": "on",
            f"loc{ny.pk}-pickup_location": "MailRoom",
        },
    )
    assert response.status_code == 302
    saved = EndOfDaySettings.objects.get(location=ny)
    assert (saved.cutoff_time, saved.auto_scan_form) == (dt.time(18, 15), True)
