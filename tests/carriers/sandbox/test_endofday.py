"""CreateManifest (SCAN forms), pickups and GetURL pages (R9, R30-R33)."""

from __future__ import annotations

import datetime as dt
import uuid
import zoneinfo

import pytest
import requests
from zeep.exceptions import Fault

from carriers.stamps.sandbox import api
from carriers.stamps.sandbox.endofday import next_pickup_day

from .conftest import cleansed, login

pytestmark = pytest.mark.django_db(transaction=True)
LA = zoneinfo.ZoneInfo("America/Los_Angeles")
FROM = {"FullName": "Ada Lovelace", "Address1": "1990 E Grand Ave", "City": "El Segundo",
        "State": "CA", "ZIPCode": "90245"}  # fmt: skip
TO = {"FullName": "Alan Turing", "Address1": "2 Main St", "City": "New York", "State": "NY",
      "ZIPCode": "10001"}  # fmt: skip


def at_la(hour: int, day: dt.date = dt.date(2026, 11, 25)) -> dt.datetime:
    return dt.datetime(day.year, day.month, day.day, hour, 0, tzinfo=LA)


def print_label(service, ship_date):
    rate = {"From": FROM, "To": cleansed(service, TO), "WeightLb": 1, "PackageType": "Package",
            "ServiceType": "US-GA", "ShipDate": ship_date}  # fmt: skip
    return service.CreateIndicium(
        Authenticator=login(service), IntegratorTxID=str(uuid.uuid4()), Rate=rate
    )


def scan_form(service, tx_ids, ship_date, from_address=FROM):
    return service.CreateManifest(
        Authenticator=login(service),
        StampsTxIds={"guid": tx_ids},
        ShipDate=ship_date,
        FromAddress=from_address,
        ImageType="Pdf",
        PrintInstructions=False,
        ManifestType="ScanForm",
    )


def test_scan_form_before_9pm_local_time_R30(swsim, alice):
    api.set_clock(at_la(20))
    label = print_label(swsim, dt.date(2026, 11, 25))
    result = scan_form(swsim, [label.StampsTxID], dt.date(2026, 11, 25))
    manifest = result.EndOfDayManifests.EndOfDayManifest[0]
    assert manifest.ManifestType == "ScanForm" and manifest.ManifestId
    pdf = requests.get(manifest.ManifestUrl, timeout=10)
    assert pdf.headers["Content-Type"] == "application/pdf"
    assert api.indicia("alice")[0].manifest is not None


def test_scan_form_at_9pm_local_time_is_refused_R30(swsim, alice):
    api.set_clock(at_la(20))
    label = print_label(swsim, dt.date(2026, 11, 25))
    api.set_clock(at_la(21))  # 9 PM in El Segundo, though already the 26th in UTC
    with pytest.raises(Fault, match="before 9 PM local time"):
        scan_form(swsim, [label.StampsTxID], dt.date(2026, 11, 25))


def test_time_zone_comes_from_the_ship_from_zip(swsim, alice):
    api.set_clock(at_la(18))  # 9 PM in New York
    label = print_label(swsim, dt.date(2026, 11, 25))
    with pytest.raises(Fault, match="9 PM"):
        scan_form(swsim, [label.StampsTxID], dt.date(2026, 11, 25), {**FROM, "ZIPCode": "10001"})


def local_time(zone: str, hour: int, minute: int) -> dt.datetime:
    return dt.datetime(2026, 11, 25, hour, minute, tzinfo=zoneinfo.ZoneInfo(zone))


@pytest.mark.parametrize(
    ("city", "state", "zip_code", "moment", "refused"),
    [
        # 9:30 PM in Knoxville (Eastern) is 8:30 PM in Nashville.
        ("Knoxville", "TN", "37902", local_time("America/New_York", 21, 30), True),
        # 8:30 PM in Pensacola (Central) is 9:30 PM in Miami.
        ("Pensacola", "FL", "32501", local_time("America/Chicago", 20, 30), False),
        # 8:30 PM in El Paso (Mountain) is 9:30 PM in Dallas.
        ("El Paso", "TX", "79901", local_time("America/Denver", 20, 30), False),
    ],
)
def test_the_9pm_of_a_split_state_is_the_zips_R30_R43(
    swsim, alice, city, state, zip_code, moment, refused
):
    api.set_clock(at_la(12))
    label = print_label(swsim, dt.date(2026, 11, 25))
    api.set_clock(moment)
    from_address = {**FROM, "City": city, "State": state, "ZIPCode": zip_code}
    if refused:
        with pytest.raises(Fault, match="before 9 PM local time"):
            scan_form(swsim, [label.StampsTxID], dt.date(2026, 11, 25), from_address)
    else:
        result = scan_form(swsim, [label.StampsTxID], dt.date(2026, 11, 25), from_address)
        assert result.EndOfDayManifests.EndOfDayManifest[0].ManifestId


def test_past_ship_date_is_already_scanned_R31(swsim, alice):
    api.set_clock(at_la(10))
    label = print_label(swsim, dt.date(2026, 11, 24))
    with pytest.raises(Fault) as exc:
        scan_form(swsim, [label.StampsTxID], dt.date(2026, 11, 24))
    assert exc.value.message == "One or more of these packages have already been scanned by USPS"


def test_a_label_on_a_form_cannot_go_on_another_R31(swsim, alice):
    api.set_clock(at_la(10))
    label = print_label(swsim, dt.date(2026, 11, 25))
    scan_form(swsim, [label.StampsTxID], dt.date(2026, 11, 25))
    with pytest.raises(Fault, match="already been scanned"):
        scan_form(swsim, [label.StampsTxID], dt.date(2026, 11, 25))


def test_buffer_quota_failure_R32(swsim, alice):
    api.set_clock(at_la(10))
    label = print_label(swsim, dt.date(2026, 11, 25))
    with pytest.raises(Fault, match="buffer quota") as exc:
        scan_form(swsim, [label.StampsTxID], dt.date(2026, 11, 25),
                  {**FROM, "Company": "Buffer Quota Test"})  # fmt: skip
    assert exc.value.code == "soap:Server"


@pytest.mark.parametrize(
    ("today", "expected"),
    [
        (dt.date(2026, 11, 5), dt.date(2026, 11, 6)),  # Thursday -> Friday
        (dt.date(2026, 11, 6), dt.date(2026, 11, 7)),  # Friday -> Saturday
        (dt.date(2026, 11, 7), dt.date(2026, 11, 9)),  # Saturday -> Monday
    ],
)
def test_pickups_go_to_the_next_pickup_day_R33(today, expected):
    assert next_pickup_day(today) == expected


def test_schedule_modify_and_cancel_a_pickup_R33(swsim, alice):
    api.set_clock(at_la(10, dt.date(2026, 11, 7)))  # a Saturday
    scheduled = swsim.ScheduleCarrierPickup(
        Authenticator=login(swsim),
        ContactInformation={
            "FirstName": "Ada",
            "LastName": "Lovelace",
            "PhoneNumber": "3105550100",
        },
        Address={
            "Address": "1990 E Grand Ave",
            "City": "El Segundo",
            "State": "CA",
            "ZIP": "90245",
        },
        PackageInformation={"NumberOfPriorityMailPieces": 3, "PackageLocation": "FrontDoor"},
    )
    assert scheduled.PickupDate == "11/09/2026"
    assert scheduled.PickUpDayOfWeek == "Monday"
    assert scheduled.ConfirmationNumber.startswith("WTC")
    modified = swsim.ModifyCarrierPickup(
        Authenticator=scheduled.Authenticator,
        ConfirmationNumber=scheduled.ConfirmationNumber,
        PackageInformation={"NumberOfPriorityMailPieces": 5, "PackageLocation": "BackDoor"},
    )
    assert modified.PickupStatus == "Modified"
    cancelled = swsim.CancelCarrierPickup(
        Authenticator=modified.Authenticator, ConfirmationNumber=scheduled.ConfirmationNumber
    )
    assert cancelled.PickupStatus == "Cancelled"
    assert api.pickups("alice")[0].packages["NumberOfPriorityMailPieces"] == 5
    with pytest.raises(Fault, match="not found"):
        swsim.CancelCarrierPickup(Authenticator=cancelled.Authenticator, ConfirmationNumber="X")


@pytest.mark.parametrize(
    ("url_type", "heading"),
    [("AccountSettingsPage", "Account Settings"), ("OnlineReportsPage", "Online Reports")],
)
def test_get_url_links_to_carrier_like_pages_R9(swsim, alice, url_type, heading):
    result = swsim.GetURL(Authenticator=login(swsim), URLType=url_type, ApplicationContext="")
    page = requests.get(result.URL, timeout=10)
    assert page.status_code == 200
    assert heading in page.text and "alice" in page.text
    assert requests.get(result.URL + "x", timeout=10).status_code == 403
