"""CreateIndicium's return options, as strict as the sandbox can be about them (R46):
a Rate.PrintLayout "Return..." makes a return label, ReturnLabelExpirationDays sets how long
it is valid, ReturnTo (when sent) must be a whole address."""

from __future__ import annotations

import datetime as dt
import uuid

import pytest
from django.utils import timezone
from zeep.exceptions import Fault

from carriers.stamps.sandbox import api

from .conftest import cleansed, login

pytestmark = pytest.mark.django_db(transaction=True)

BUYER = {"FullName": "Alan Turing", "Address1": "2 Main St", "City": "New York", "State": "NY",
         "ZIPCode": "10001", "Country": "US"}  # fmt: skip
STORE = {"FullName": "Ada Lovelace", "Address1": "1990 E Grand Ave", "City": "El Segundo",
         "State": "CA", "ZIPCode": "90245", "Country": "US"}  # fmt: skip


def return_label(service, *, layout="Return", buyer=BUYER, store=STORE, service_type="US-GA",
                 **extra):  # fmt: skip
    to = cleansed(service, store)  # R37: the store's address is the To, and it is cleansed
    rate = {"From": buyer, "To": to, "WeightLb": 1, "PackageType": "Package",
            "ServiceType": service_type, "PrintLayout": layout}  # fmt: skip
    return service.CreateIndicium(
        Authenticator=login(service), IntegratorTxID=str(uuid.uuid4()), Rate=rate, **extra
    )


def refused(call) -> str:
    with pytest.raises(Fault) as caught:
        call()
    return caught.value.message


def test_a_return_label_runs_from_the_buyer_to_the_store_and_expires_R46(swsim, alice):
    answer = return_label(swsim, ReturnLabelExpirationDays=14)
    assert answer.Rate.PrintLayout == "Return"
    assert len(answer.TrackingNumber) == 22
    (indicium,) = api.indicia("alice")
    assert indicium.rate["From"]["Address1"] == "2 Main St"
    assert indicium.rate["To"]["ZIPCode"] == "90245"
    assert indicium.return_expires_on == timezone.localdate() + dt.timedelta(days=14)
    assert indicium.total > 0  # prepaid: charged now, like any label


def test_without_expiration_days_a_return_label_gets_the_default_R46(swsim, alice):
    return_label(swsim)
    (indicium,) = api.indicia("alice")
    assert indicium.return_expires_on == timezone.localdate() + dt.timedelta(days=30)


@pytest.mark.parametrize("days", [0, -3, 366])
def test_expiration_days_out_of_range_are_refused_R46(swsim, alice, days):
    message = refused(lambda: return_label(swsim, ReturnLabelExpirationDays=days))
    assert "ReturnLabelExpirationDays must be from 1 to 365" in message
    assert api.indicia("alice") == []


def test_expiration_days_on_an_ordinary_label_are_ignored(swsim, alice):
    """Public clients send ReturnLabelExpirationDays on every label; only the layout counts."""
    answer = return_label(swsim, layout="Normal", ReturnLabelExpirationDays=1)
    assert answer.TrackingNumber
    (indicium,) = api.indicia("alice")
    assert indicium.return_expires_on is None


def test_unknown_return_layouts_are_refused_R46(swsim, alice):
    message = refused(lambda: return_label(swsim, layout="ReturnCN22"))
    assert "is not a return label layout" in message


def test_return_labels_are_domestic_only_R46(swsim, alice):
    abroad = {**BUYER, "Country": "CA", "State": "QC", "ZIPCode": "", "PostalCode": "H2X 1Y4"}
    assert "domestic" in refused(lambda: return_label(swsim, buyer=abroad))
    military = {**BUYER, "City": "APO", "State": "AE", "ZIPCode": "09001"}
    assert "domestic" in refused(lambda: return_label(swsim, buyer=military))


def test_return_labels_need_the_buyers_whole_address_R46(swsim, alice):
    message = refused(lambda: return_label(swsim, buyer={"ZIPCode": "10001"}))
    assert "sender's full name and address" in message


def test_return_labels_only_on_return_services_R46(swsim, alice):
    message = refused(lambda: return_label(swsim, service_type="US-MM"))
    assert "Media Mail is not offered for return labels" in message


def test_the_store_address_must_be_cleansed_like_any_to_address_R37(swsim, alice):
    rate = {"From": BUYER, "To": STORE, "WeightLb": 1, "PackageType": "Package",
            "ServiceType": "US-GA", "PrintLayout": "Return"}  # fmt: skip
    message = refused(
        lambda: swsim.CreateIndicium(
            Authenticator=login(swsim), IntegratorTxID=str(uuid.uuid4()), Rate=rate
        )
    )
    assert "Cleanse Hash" in message


def test_an_incomplete_return_to_is_refused_R46(swsim, alice):
    message = refused(lambda: return_label(swsim, ReturnTo={"FullName": "Ada Lovelace"}))
    assert "ReturnTo address is incomplete" in message
    return_label(swsim, ReturnTo=BUYER)
    (indicium,) = api.indicia("alice")
    assert indicium.return_to["Address1"] == "2 Main St"
