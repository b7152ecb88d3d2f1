"""Issue 15, point 8: SWSIM's State is for US addresses; an address abroad carries its
province or region in Province. The client sends it there; the sandbox refuses State abroad
(both WSDLs)."""

from __future__ import annotations

from decimal import Decimal

import pytest

from carriers.models import CarrierCall
from carriers.stamps import errors, faults
from carriers.stamps.client import get_client
from carriers.stamps.types import Address, RateRequest

pytestmark = pytest.mark.django_db(transaction=True)

MONTREAL = Address(
    full_name="Marie Tremblay",
    address1="1 Rue Sainte-Catherine",
    city="Montreal",
    state="QC",  # as a store sends it
    postal_code="H2X 1Y4",
    country="CA",
)


@pytest.fixture
def amy(stamps):
    stamps.create_account("amy", "Secret123", balance=Decimal("100.00"))
    return get_client("amy", "Secret123")


def test_the_client_sends_a_province_abroad_and_state_at_home(stamps, amy):
    rates = amy.get_rates(RateRequest(from_zip="11201", to=MONTREAL, weight_lb=1))
    assert {"US-PMI", "US-FCI"} <= {r.service_type for r in rates}
    cleansed = amy.cleanse_address(MONTREAL)
    assert (cleansed.address.province, cleansed.address.state) == ("QC", "QC")
    assert cleansed.address.override_hash


def test_the_sandbox_refuses_state_on_an_address_abroad(stamps):
    from zeep import Client
    from zeep.exceptions import Fault

    from carriers.stamps import transport

    stamps.create_account("amy", "Secret123")
    wsdl, address = transport.endpoints()
    service = Client(wsdl).create_service(
        "{http://stamps.com/xml/namespace/2023/07/swsim/SwsimV135}SwsimV135Soap",
        address or wsdl.removesuffix("?wsdl"),
    )
    credentials = {
        "IntegrationID": "00000000-0000-0000-0000-000000000000",
        "Username": "amy",
        "Password": "Secret123",
    }
    abroad = {"FullName": "Marie Tremblay", "City": "Montreal", "State": "QC",
              "PostalCode": "H2X 1Y4", "Country": "CA"}  # fmt: skip
    with pytest.raises(Fault) as refused:
        service.GetRates(
            Credentials=credentials,
            Rate={"From": {"ZIPCode": "11201"}, "To": abroad, "WeightLb": 1},
        )
    assert refused.value.message == faults.STATE_ABROAD.text
    with pytest.raises(Fault):
        service.CleanseAddress(Credentials=credentials, Address=abroad)
    answer = service.CleanseAddress(
        Credentials=credentials, Address={**abroad, "State": None, "Province": "QC"}
    )
    assert answer.Address.Province == "QC"


def test_the_refusal_is_an_address_error_for_the_merchant(stamps, amy):
    with pytest.raises(errors.AddressValidation):
        amy._call(
            "GetRates",
            Rate={"From": {"ZIPCode": "11201"}, "To": {"State": "QC", "PostalCode": "H2X1Y4",
                  "Country": "CA"}, "WeightLb": 1},
        )  # fmt: skip
    assert CarrierCall.objects.filter(operation="GetRates").exists()
