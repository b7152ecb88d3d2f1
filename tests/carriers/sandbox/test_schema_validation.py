"""Every request is validated against the WSDL's schema before anything is done (issue 15):
hand-made envelopes that zeep would never send get the live service's schema fault."""

from __future__ import annotations

from decimal import Decimal

import pytest
import requests
from lxml import etree

from carriers.stamps import faults
from carriers.stamps.sandbox import api
from carriers.stamps.sandbox.schema import TNS

from .conftest import INTEGRATION_ID

pytestmark = pytest.mark.django_db(transaction=True)

CREDENTIALS = (
    f"<Credentials><IntegrationID>{INTEGRATION_ID}</IntegrationID>"
    "<Username>alice</Username><Password>secret-1</Password></Credentials>"
)
FROM = "<From><ZIPCode>90245</ZIPCode><Country>US</Country></From>"
TO = "<To><ZIPCode>10001</ZIPCode><Country>US</Country></To>"
PIECE = "<WeightLb>1</WeightLb><WeightOz>4</WeightOz><PackageType>Package</PackageType>"


def post(endpoint: str, operation: str, inner: str) -> requests.Response:
    body = (
        '<?xml version="1.0" encoding="utf-8"?>'
        '<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/">'
        f'<soap:Body><{operation} xmlns="{TNS}">{inner}</{operation}></soap:Body>'
        "</soap:Envelope>"
    )
    return requests.post(
        endpoint,
        data=body.encode(),
        headers={"Content-Type": "text/xml; charset=utf-8", "SOAPAction": f'"{TNS}/{operation}"'},
        timeout=5,
    )


def fault_of(response: requests.Response) -> tuple[str, str]:
    root = etree.fromstring(response.content)
    text = root.findtext(".//faultstring")
    code = root.find(".//{http://stamps.com/xml/namespace}sdcerror").get("code")
    return text, code


@pytest.fixture
def alice(transactional_db):
    api.reset()
    return api.create_account("alice", "secret-1", balance=Decimal("100.00"))


def test_the_same_request_in_schema_order_is_answered(endpoint, alice):
    answer = post(endpoint, "GetRates", f"{CREDENTIALS}<Rate>{FROM}{TO}{PIECE}</Rate>")
    assert answer.status_code == 200, answer.text
    assert b"<Rates>" in answer.content


def test_an_out_of_order_request_gets_the_schema_fault(endpoint, alice):
    # RateV46 lists From before To; the live service validates order (issue 15, point 9).
    answer = post(endpoint, "GetRates", f"{CREDENTIALS}<Rate>{TO}{FROM}{PIECE}</Rate>")
    assert answer.status_code == 500
    text, code = fault_of(answer)
    assert text.startswith("Invalid SOAP message due to XML Schema validation failure.")
    assert "'To': This element is not expected. Expected is ( From )" in text
    assert code == faults.SCHEMA.code


def test_credentials_after_the_body_of_the_call_are_out_of_order(endpoint, alice):
    # The Authenticator-or-Credentials choice comes first; after PurchaseAmount it is an order
    # violation, and nothing is bought.
    answer = post(
        endpoint,
        "PurchasePostage",
        f"<PurchaseAmount>20</PurchaseAmount>{CREDENTIALS}<ControlTotal>0</ControlTotal>",
    )
    assert fault_of(answer)[1] == faults.SCHEMA.code
    assert api.purchases("alice") == []
    assert api.get_balance("alice") == Decimal("100.00")


def test_a_missing_required_element_gets_the_schema_fault(endpoint, alice):
    answer = post(endpoint, "PurchasePostage", f"{CREDENTIALS}<PurchaseAmount>20</PurchaseAmount>")
    text, code = fault_of(answer)
    assert text.startswith(faults.SCHEMA.text)
    assert "Missing child element(s). Expected is ( ControlTotal )" in text
    assert code == faults.SCHEMA.code


def test_an_element_the_schema_does_not_know_gets_the_schema_fault(endpoint, alice):
    answer = post(endpoint, "GetRates", f"{CREDENTIALS}<Rate>{FROM}{TO}<Colour>red</Colour></Rate>")
    text, _ = fault_of(answer)
    assert text.startswith(faults.SCHEMA.text)
    assert "'Colour': This element is not expected" in text


def test_a_value_of_the_wrong_type_gets_the_schema_fault(endpoint, alice):
    answer = post(
        endpoint,
        "PurchasePostage",
        f"{CREDENTIALS}<PurchaseAmount>twenty</PurchaseAmount><ControlTotal>0</ControlTotal>",
    )
    text, code = fault_of(answer)
    assert text.startswith(faults.SCHEMA.text)
    assert "'twenty' is not a valid value of the atomic type 'xs:decimal'" in text
    assert api.purchases("alice") == []


def test_lengths_give_the_dotnet_wording_R19(endpoint, alice):
    long_company = "C" * 51
    answer = post(
        endpoint,
        "GetRates",
        f"{CREDENTIALS}<Rate><From><Company>{long_company}</Company><ZIPCode>90245</ZIPCode>"
        f"</From>{TO}{PIECE}</Rate>",
    )
    assert fault_of(answer) == (
        "The actual length is greater than the MaxLength value",
        faults.SCHEMA.code,
    )
    answer = post(
        endpoint,
        "GetRates",
        f"{CREDENTIALS}<Rate>{FROM}<To><ZIPCode>10001</ZIPCode><Country>U</Country></To>"
        f"{PIECE}</Rate>",
    )
    assert fault_of(answer) == (
        "The actual length is less than the MinLength value",
        faults.SCHEMA.code,
    )


def test_an_unknown_enumeration_value_is_not_found_R20(endpoint, alice):
    answer = post(
        endpoint,
        "GetRates",
        f"{CREDENTIALS}<Rate>{FROM}{TO}<WeightLb>1</WeightLb><PackageType>Cubic</PackageType>"
        "</Rate>",
    )
    assert fault_of(answer) == ("Requested value 'Cubic' was not found", faults.UNKNOWN_VALUE.code)
