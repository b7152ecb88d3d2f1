"""CleanseAddress and the cleanse hash of CreateIndicium (R37), over real HTTP, both WSDLs."""

from __future__ import annotations

import dataclasses
import uuid
from decimal import Decimal

import pytest

from carriers.stamps import errors
from carriers.stamps.client import get_client
from carriers.stamps.types import Address, RateRequest

pytestmark = pytest.mark.django_db(transaction=True)

FROM = Address(
    full_name="Pat Shipper", address1="100 Main St", city="Brooklyn", state="NY", zip_code="11201"
)
MISSPELLED = Address(
    full_name="Jane Receiver", address1="2400 N Clrak St", city="Chicgo", zip_code="60614"
)


@pytest.fixture
def amy(stamps):
    stamps.create_account("amy", "Secret123", balance=Decimal("100.00"))
    return get_client("amy", "Secret123")


def _buy(client, to):
    (rate,) = client.get_rates(
        RateRequest(from_zip="11201", to=to, weight_oz=12, service_type="US-GA")
    )
    return client.create_indicium(uuid.uuid4().hex, rate, from_address=FROM, to_address=to)


def test_a_misspelled_street_and_city_are_corrected_with_the_zip4_and_a_hash_R37(amy):
    answer = amy.cleanse_address(MISSPELLED, from_zip="11201")
    assert answer.address_match and answer.city_state_zip_ok
    assert answer.result == "Corrected"
    assert (answer.address.address1, answer.address.city, answer.address.state) == (
        "2400 N CLARK ST",
        "CHICAGO",
        "IL",
    )
    assert len(answer.address.zip_addon) == 4 and answer.address.zip_addon.isdigit()
    assert answer.address.cleanse_hash and answer.address.override_hash


def test_an_ambiguous_street_gets_candidates_and_no_match_R37(amy):
    answer = amy.cleanse_address(
        Address(address1="10 Harvard", city="Allston", state="MA", zip_code="02134")
    )
    assert not answer.address_match and answer.city_state_zip_ok
    assert not answer.address.cleanse_hash
    streets = sorted(c.address1 for c in answer.candidates)
    assert streets == ["10 HARVARD AVE", "10 N HARVARD ST"]
    assert all(c.cleanse_hash for c in answer.candidates)


def test_a_city_state_zip_that_disagree_fail_the_match_R37(amy):
    answer = amy.cleanse_address(
        Address(address1="1 Market St", city="San Francisco", state="NY", zip_code="94105")
    )
    assert not answer.address_match and not answer.city_state_zip_ok
    assert not answer.address.cleanse_hash and answer.address.override_hash


@pytest.mark.parametrize(
    ("city", "state", "zip_code"),
    [("Dulles", "VA", "20166"), ("St Thomas", "VI", "00802"), ("Austin", "TX", "73301")],
)
def test_a_zip_code_whose_prefix_mostly_lies_elsewhere_still_matches_its_state_R37(
    amy, city, state, zip_code
):
    # Prefix 201 was taken for DC's, 008 for Puerto Rico's, 733 for Oklahoma's: a Dulles
    # address typed with VA "disagreed", which the live service would not say.
    answer = amy.cleanse_address(
        Address(address1="1 Saarinen Cir", city=city, state=state, zip_code=zip_code)
    )
    assert answer.address_match and answer.city_state_zip_ok
    assert answer.address.state == state


def test_a_label_needs_the_current_cleanse_hash_or_the_override_hash_R37(stamps, amy):
    with pytest.raises(errors.StampsError, match="does not match Cleanse Hash"):
        _buy(amy, MISSPELLED)  # never cleansed
    cleansed = amy.cleanse_address(MISSPELLED).address
    stale = dataclasses.replace(cleansed, address1="2402 N CLARK ST")  # edited after the check
    with pytest.raises(errors.StampsError, match="does not match Cleanse Hash"):
        _buy(amy, stale)
    assert stamps.indicia("amy") == []
    label = _buy(amy, dataclasses.replace(cleansed, full_name="Jane Receiver"))
    assert label.tracking_number
    unverified = amy.cleanse_address(
        Address(address1="77 Nowhere Rd", city="Chicago", state="IL", zip_code="60614")
    )
    assert not unverified.address_match
    overridden = dataclasses.replace(unverified.address, full_name="Jane Receiver")
    assert _buy(amy, overridden).tracking_number  # OverrideHash: shipped as entered
    assert len(stamps.indicia("amy")) == 2


def test_rates_need_no_cleanse_hash_R37(amy):
    # Public clients rate by ZIP code without cleansing; the sandbox does not ask for a hash.
    rates = amy.get_rates(RateRequest(from_zip="11201", to=MISSPELLED, weight_oz=12))
    assert rates
