"""Injected failures: delay, timeout, HTTP 500, commit-then-drop and SOAP faults."""

from __future__ import annotations

import time
import uuid
from decimal import Decimal

import pytest
import requests
import zeep
from zeep.exceptions import Fault, TransportError
from zeep.transports import Transport

from carriers.stamps.sandbox import api

from .conftest import NS, login

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def service(sandbox_client, endpoint):
    return sandbox_client.create_service(f"{NS}SwsimV135Soap", endpoint)


def test_delay_slows_the_answer_but_it_arrives(service, alice):
    token = login(service)
    api.set_fault("GetAccountInfo", "delay", delay=0.4)
    started = time.monotonic()
    assert service.GetAccountInfo(Authenticator=token).AccountInfo
    assert time.monotonic() - started >= 0.4


def test_timeout_outlasts_the_client_and_does_nothing(endpoint, alice):
    client = zeep.Client(f"{endpoint}?wsdl", transport=Transport(timeout=5, operation_timeout=0.3))
    service = client.create_service(f"{NS}SwsimV135Soap", endpoint)
    token = login(service)
    api.set_fault("PurchasePostage", "timeout", delay=0.8)
    with pytest.raises(requests.exceptions.Timeout):
        service.PurchasePostage(
            Authenticator=token, PurchaseAmount=20, ControlTotal=0, IntegratorTxID="t-1"
        )
    time.sleep(0.6)
    assert api.get_balance("alice") == Decimal("100.00")


def test_http500_does_nothing(service, alice):
    token = login(service)
    api.set_fault("PurchasePostage", "http500")
    with pytest.raises(TransportError) as exc:
        service.PurchasePostage(
            Authenticator=token, PurchaseAmount=20, ControlTotal=0, IntegratorTxID="t-1"
        )
    assert exc.value.status_code == 500
    assert api.get_balance("alice") == Decimal("100.00")


def test_drop_after_commit_does_the_work_and_a_retry_returns_it(service, alice):
    token = login(service)
    api.set_fault("PurchasePostage", "drop_after_commit")
    with pytest.raises(TransportError):
        service.PurchasePostage(
            Authenticator=token, PurchaseAmount=20, ControlTotal=0, IntegratorTxID="t-1"
        )
    assert api.get_balance("alice") == Decimal("120.00")
    again = service.PurchasePostage(
        Authenticator=token, PurchaseAmount=20, ControlTotal=0, IntegratorTxID="t-1"
    )
    assert again.PurchaseStatus == "Success"
    assert api.get_balance("alice") == Decimal("120.00")
    assert len(api.purchases("alice")) == 1


def test_drop_after_commit_on_labels_then_retry_gets_the_same_label(service, alice):
    token = login(service)
    rate = {
        "From": {"ZIPCode": "90245"},
        "To": {"ZIPCode": "10001"},
        "WeightLb": 1,
        "ServiceType": "US-GA",
    }
    api.set_fault("CreateIndicium", "drop_after_commit")
    with pytest.raises(TransportError):
        service.CreateIndicium(Authenticator=token, IntegratorTxID="L-1", Rate=rate)
    result = service.CreateIndicium(Authenticator=token, IntegratorTxID="L-1", Rate=rate)
    assert [i.tracking_number for i in api.indicia("alice")] == [result.TrackingNumber]


def test_faults_count_down_and_clear(service, alice):
    token = login(service)
    api.set_fault("GetAccountInfo", "http500", times=2)
    for _ in range(2):
        with pytest.raises(TransportError):
            service.GetAccountInfo(Authenticator=token)
    assert service.GetAccountInfo(Authenticator=token)
    api.set_fault("GetAccountInfo", "http500", times=0)
    with pytest.raises(TransportError):
        service.GetAccountInfo(Authenticator=token)
    api.clear_faults()
    assert service.GetAccountInfo(Authenticator=token)


def test_soap_fault_injection_uses_the_given_wording(service, alice):
    api.set_fault("GetRates", "soap_fault", message="Service temporarily unavailable")
    with pytest.raises(Fault, match="^Service temporarily unavailable$"):
        service.GetRates(
            Authenticator=login(service),
            Rate={"From": {"ZIPCode": "90245"}, "To": {"ZIPCode": "10001"}, "WeightLb": 1},
        )


def test_unknown_fault_kind_or_operation_is_an_error(alice):
    with pytest.raises(ValueError):
        api.set_fault("GetRates", "explode")
    with pytest.raises(ValueError):
        api.set_fault("CreateScanForm", "http500")


def test_unknown_soap_action_is_a_fault(endpoint, alice):
    body = (
        '<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/"><soap:Body>'
        '<Nope xmlns="http://stamps.com/xml/namespace/2023/07/swsim/SwsimV135"/>'
        "</soap:Body></soap:Envelope>"
    )
    response = requests.post(
        endpoint,
        data=body,
        headers={
            "Content-Type": "text/xml",
            "SOAPAction": '"http://stamps.com/xml/namespace/2023/07/swsim/SwsimV135/Nope"',
        },
        timeout=5,
    )
    assert response.status_code == 500
    assert "did not recognize the value of HTTP Header SOAPAction" in response.text
    assert str(uuid.uuid4())  # the endpoint stays up
    assert requests.get(f"{endpoint}?wsdl", timeout=5).status_code == 200


def test_a_soap_fault_is_logged_as_an_expected_refusal_not_as_a_server_error(
    service, alice, caplog
):
    with caplog.at_level("INFO"), pytest.raises(Fault):
        login(service, password="wrong-password")
    errors = [r for r in caplog.records if r.levelname in ("ERROR", "CRITICAL")]
    assert errors == [], [r.getMessage() for r in errors]
    assert not any("Internal Server Error" in r.getMessage() for r in caplog.records)
    faults = [r for r in caplog.records if r.getMessage().startswith("SOAP fault")]
    assert faults and faults[0].levelname == "INFO"
