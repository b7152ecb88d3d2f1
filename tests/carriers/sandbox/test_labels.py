"""CreateIndicium, CancelIndicium, TrackShipment, CleanseAddress and label PDFs."""

from __future__ import annotations

import datetime as dt
import shutil
import subprocess
import uuid
from decimal import Decimal

import pytest
import requests
from django.utils import timezone
from zeep.exceptions import Fault

from carriers.stamps.sandbox import api
from carriers.stamps.sandbox.rates import cubic_tier

from .conftest import DOMESTIC_RATE, cleansed, login

pytestmark = pytest.mark.django_db(transaction=True)

FROM = {"FullName": "Ada Lovelace", "Address1": "1990 E Grand Ave", "City": "El Segundo",
        "State": "CA", "ZIPCode": "90245", "Country": "US"}  # fmt: skip
TO = {"FullName": "Alan Turing", "Address1": "2 Main St", "City": "New York", "State": "NY",
      "ZIPCode": "10001", "Country": "US"}  # fmt: skip
CUSTOMS = {
    "ContentType": "Merchandise",
    "CustomsLines": {"CustomsLine": [{"Description": "T-shirt", "Quantity": 1, "Value": 20}]},
}


def label(service, token, **rate):
    to = cleansed(service, rate.pop("To", TO))  # R37, on its own account: ``token`` stays good
    full = {"From": FROM, "To": to, "WeightLb": 1, "WeightOz": 0, "PackageType": "Package",
            "ServiceType": "US-GA", **rate}  # fmt: skip
    extra = {"Customs": rate.pop("customs")} if "customs" in rate else {}
    full.pop("customs", None)
    return service.CreateIndicium(
        Authenticator=token, IntegratorTxID=str(uuid.uuid4()), Rate=full, **extra
    )


@pytest.mark.parametrize(
    ("service", "prefix"), [("US-GA", "9400"), ("US-PM", "9205"), ("US-XM", "9270")]
)
def test_tracking_numbers_are_22_digit_impb_by_service(swsim, alice, service, prefix):
    result = label(swsim, login(swsim), ServiceType=service)
    assert len(result.TrackingNumber) == 22 and result.TrackingNumber.isdigit()
    assert result.TrackingNumber.startswith(prefix)
    assert result.labelCategory == "Domestic"


def test_label_charges_postage_plus_add_ons_and_reports_the_balance(swsim, alice):
    result = label(swsim, login(swsim), AddOns={"AddOnV20": [{"AddOnType": "US-A-SC"}]})
    charged = result.Rate.Amount + Decimal("3.65")
    assert result.PostageBalance.AvailablePostage == Decimal("100.00") - charged
    assert result.PostageBalance.ControlTotal == charged
    assert api.get_balance("alice") == Decimal("100.00") - charged


def test_repeated_integrator_tx_id_returns_the_same_label_R28(swsim, alice):
    to = cleansed(swsim, TO)
    token = login(swsim)
    rate = {"From": FROM, "To": to, "WeightLb": 1, "PackageType": "Package", "ServiceType": "US-GA"}
    first = swsim.CreateIndicium(Authenticator=token, IntegratorTxID="order-1", Rate=rate)
    again = swsim.CreateIndicium(
        Authenticator=first.Authenticator, IntegratorTxID="order-1", Rate=rate
    )
    assert again.StampsTxID == first.StampsTxID
    assert again.TrackingNumber == first.TrackingNumber
    assert len(api.indicia("alice")) == 1
    assert api.get_balance("alice") == Decimal("100.00") - first.Rate.Amount


def test_first_class_flats_have_no_tracking_number_R26(swsim, alice):
    result = label(
        swsim, login(swsim), ServiceType="US-FC", PackageType="Large Envelope or Flat", WeightLb=0,
        WeightOz=3,
    )  # fmt: skip
    assert not result.TrackingNumber


def test_international_services_get_gap_labels_R24(swsim, alice):
    to = {"FullName": "Grace Hopper", "Address1": "1 Rue", "City": "Paris", "PostalCode": "75001",
          "Country": "FR"}  # fmt: skip
    result = label(swsim, login(swsim), To=to, ServiceType="US-PMI", customs=CUSTOMS)
    assert result.labelCategory == "GlobalAdvantageProgram"
    assert result.TrackingNumber.startswith("9205")


def test_international_names_need_two_words_R18(swsim, alice):
    to = {"FullName": "Grace Hopper", "Address1": "1 Rue", "City": "Paris", "PostalCode": "75001",
          "Country": "FR"}  # fmt: skip
    with pytest.raises(Fault) as exc:
        label(swsim, login(swsim), From={**FROM, "FullName": "Ada"}, To=to,
              ServiceType="US-PMI", customs=CUSTOMS)  # fmt: skip
    assert exc.value.message == (
        "Ship From Name must contain at least two words. Each word must be at least two "
        "characters long, separated by a space."
    )


def test_international_without_postal_code_fails_the_schema_R19(swsim, alice):
    to = {"FullName": "Kofi Annan", "Address1": "1 Rd", "City": "Accra", "Country": "GH"}
    with pytest.raises(Fault, match="^The actual length is less than the MinLength value$"):
        swsim.GetRates(Authenticator=login(swsim), Rate={**DOMESTIC_RATE, "To": to})
    rates = swsim.GetRates(
        Authenticator=login(swsim), Rate={**DOMESTIC_RATE, "To": {**to, "PostalCode": "00000"}}
    ).Rates.Rate
    assert {"US-FCI", "US-PMI", "US-EMI", "SC-GPE"} <= {r.ServiceType for r in rates}


def test_signature_is_not_offered_internationally_R16(swsim, alice):
    to = {"FullName": "Grace Hopper", "PostalCode": "K1A0B1", "Country": "CA"}
    with pytest.raises(Fault, match="US-A-SC is not available"):
        label(swsim, login(swsim), To=to, ServiceType="US-PMI", customs=CUSTOMS,
              AddOns={"AddOnV20": [{"AddOnType": "US-A-SC"}]})  # fmt: skip


def test_fci_flats_are_documents_only_R21(swsim, alice):
    to = {"FullName": "Grace Hopper", "PostalCode": "75001", "Country": "FR"}
    with pytest.raises(Fault, match="documents only"):
        label(swsim, login(swsim), To=to, ServiceType="US-FCI",
              PackageType="Large Envelope or Flat", WeightLb=0, WeightOz=4,
              customs=CUSTOMS)  # fmt: skip


def test_insufficient_funds(swsim, alice):
    api.create_account("broke", "secret-1", balance=Decimal("1.00"))
    with pytest.raises(Fault, match="Insufficient funds"):
        label(swsim, login(swsim, "broke"))


def test_unverified_account_cannot_print_R3(swsim, alice):
    api.create_account("newbie", "secret-1", status="pending_verification", balance=50)
    with pytest.raises(Fault, match="2-step verification"):
        label(swsim, login(swsim, "newbie"))


def test_carrier_auto_buy_tops_up_after_a_label_R13(swsim, alice):
    api.create_account(
        "auto", "secret-1", balance=Decimal("12.00"),
        auto_buy={"enabled": True, "purchase_amount": "50", "trigger_amount": "10"},
    )  # fmt: skip
    result = label(swsim, login(swsim, "auto"))
    assert api.get_balance("auto") == Decimal("62.00") - result.Rate.Amount
    assert [p.auto_buy for p in api.purchases("auto")] == [True]


def test_void_within_28_days_refunds_when_usps_approves_R27_R41(swsim, alice):
    api.set_refund_delay(3600)
    result = label(swsim, login(swsim))
    swsim.CancelIndicium(
        Authenticator=result.Authenticator,
        _value_1=[{"StampsTxIDs": {"guid": [result.StampsTxID]}}],
    )
    paid = Decimal("100.00") - result.Rate.Amount
    assert api.get_balance("alice") == paid  # a refund request: not credited yet
    token = login(swsim)  # voiding again is harmless and refunds nothing more
    swsim.CancelIndicium(
        Authenticator=token, _value_1=[{"TrackingNumbers": {"string": [result.TrackingNumber]}}]
    )
    assert api.get_balance("alice") == paid
    api.set_clock(timezone.now() + dt.timedelta(seconds=3601))
    assert api.get_balance("alice") == Decimal("100.00")
    swsim.CancelIndicium(
        Authenticator=login(swsim),
        _value_1=[{"TrackingNumbers": {"string": [result.TrackingNumber]}}],
    )
    assert api.get_balance("alice") == Decimal("100.00")


def test_void_after_28_days_is_refused_R27(swsim, alice):
    result = label(swsim, login(swsim))
    api.set_clock(timezone.now() + dt.timedelta(days=29))
    with pytest.raises(Fault, match="within 28 days"):
        swsim.CancelIndicium(
            Authenticator=login(swsim),
            _value_1=[{"TrackingNumbers": {"string": [result.TrackingNumber]}}],
        )
    assert api.get_balance("alice") == Decimal("100.00") - result.Rate.Amount


def test_track_shipment_shows_events_newest_first(swsim, alice):
    result = label(swsim, login(swsim), ServiceType="US-PM")
    api.set_clock(timezone.now() + dt.timedelta(days=5))
    tracked = swsim.TrackShipment(Authenticator=login(swsim), TrackingNumber=result.TrackingNumber)
    kinds = [e.TrackingEventType for e in tracked.TrackingEvents.TrackingEvent]
    assert kinds[0] == "Delivered" and kinds[-1] == "ShippingLabelCreated"
    assert tracked.DestinationInfo.DestinationZip == "10001"


def test_cleanse_address_matches_and_hashes(swsim, alice):
    result = swsim.CleanseAddress(
        Authenticator=login(swsim),
        Address={"FullName": "Alan Turing", "Address1": "2 main st", "City": "new york",
                 "State": "NY", "ZIPCode": "10001"},
    )  # fmt: skip
    assert result.AddressMatch is True and result.CityStateZipOK is True
    assert result.Address.CleanseHash
    assert result.Address.City == "NEW YORK"
    bad = swsim.CleanseAddress(
        Authenticator=result.Authenticator, Address={"Address1": "1 Nowhere", "ZIPCode": "10001",
                                                     "State": "CA"}
    )  # fmt: skip
    assert bad.AddressMatch is False


def test_cubic_tier_follows_the_rounding_rule_R35():
    assert cubic_tier(6.125, 5.875, 6.375) == Decimal("0.2")
    assert cubic_tier(12, 12, 6) == Decimal("0.5")
    assert cubic_tier(12, 12, 7) is None


def test_priority_mail_uses_cubic_price_when_lower_R35(swsim, alice):
    rate = {**DOMESTIC_RATE, "ServiceType": "US-PM", "Length": 6.125, "Width": 5.875,
            "Height": 6.375, "WeightLb": 5}  # fmt: skip
    pro = swsim.GetRates(Authenticator=login(swsim), Rate=rate).Rates.Rate[0]
    assert pro.CubicPricing is True
    api.create_account("paula", "secret-1", plan="personal")
    personal = swsim.GetRates(Authenticator=login(swsim, "paula"), Rate=rate).Rates.Rate[0]
    assert personal.CubicPricing is False
    assert personal.Amount > pro.Amount  # R5: retail for personal accounts


def test_hazmat_is_offered_only_where_the_service_supports_it_R15(swsim, alice):
    rates = swsim.GetRates(Authenticator=login(swsim), Rate=DOMESTIC_RATE).Rates.Rate
    with_hazmat = {
        r.ServiceType for r in rates if any(a.AddOnType == "US-A-HM" for a in r.AddOns.AddOnV20)
    }
    assert with_hazmat == {"US-GA", "US-PM", "US-XM"}


def test_label_pdf_is_4x6_with_a_readable_barcode_and_no_price_R25(swsim, alice, tmp_path):
    result = label(swsim, login(swsim), ServiceType="US-PM")
    response = requests.get(result.URL, timeout=10)
    assert response.headers["Content-Type"] == "application/pdf"
    pdf = tmp_path / "label.pdf"
    pdf.write_bytes(response.content)
    if not (shutil.which("pdftotext") and shutil.which("pdftoppm") and shutil.which("zbarimg")):
        pytest.skip("poppler-utils and zbar-tools are needed to read the PDF")
    info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True).stdout
    assert "288 x 432 pts" in info  # 4 x 6 inches
    text = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True).stdout
    assert f"{result.Rate.Amount}" not in text and "$" not in text
    assert "business days" not in text  # R25: no transit time on Priority Mail
    subprocess.run(["pdftoppm", "-r", "200", "-png", str(pdf), str(tmp_path / "p")], check=True)
    decoded = subprocess.run(
        ["zbarimg", "-q", "--raw", str(next(tmp_path.glob("p*.png")))],
        capture_output=True, text=True,
    ).stdout  # fmt: skip
    assert result.TrackingNumber in decoded
