"""The HTTP under the SOAP calls (carriers.stamps.transport): what a failed connection is
called, the headers sent, and the environment's proxy honoured."""

from __future__ import annotations

import socket
from decimal import Decimal

import pytest

from carriers.models import CarrierCall
from carriers.stamps import errors, transport
from carriers.stamps.client import get_client

pytestmark = pytest.mark.django_db(transaction=True)


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_a_refused_connection_is_a_connection_failure_not_a_timeout(stamps, settings):
    stamps.create_account("amy", "Secret123", balance=Decimal("50.00"))
    dead = f"http://127.0.0.1:{_closed_port()}/sandbox/stamps/swsim.asmx"
    client = get_client("amy", "Secret123", timeout=2, address=dead)
    with pytest.raises(errors.CarrierUnavailable) as caught:
        client.get_account_info()
    assert caught.value.fault_code == "connection"
    assert not caught.value.permanent
    faults = set(CarrierCall.objects.values_list("outcome", "fault_code"))
    assert faults == {("transport", "connection")}


def test_an_answer_later_than_the_timeout_is_a_timeout(stamps):
    stamps.create_account("amy", "Secret123", balance=Decimal("50.00"))
    stamps.set_fault("GetAccountInfo", "timeout", delay=1.0, times=0)
    client = get_client("amy", "Secret123", timeout=0.4)
    with pytest.raises(errors.CarrierUnavailable) as caught:
        client.get_account_info()
    assert caught.value.fault_code == "timeout"


def test_calls_say_who_is_calling_and_which_operation(stamps, live_server):
    stamps.create_account("amy", "Secret123", balance=Decimal("50.00"))
    seen: list[dict[str, str]] = []
    original = transport.Transport.post

    def spy(self, address, message, headers):
        answer = original(self, address, message, headers)
        seen.append(dict(headers))
        return answer

    transport.Transport.post = spy
    try:
        assert get_client("amy", "Secret123").get_account_info().balance == Decimal("50.00")
    finally:
        transport.Transport.post = original
    assert seen and all("GetAccountInfo" in h.get("SOAPAction", "") for h in seen)


def test_the_environments_proxy_is_used_unless_the_host_is_bypassed(monkeypatch):
    monkeypatch.setenv("HTTPS_PROXY", "http://proxy.example:3128")
    monkeypatch.setenv("NO_PROXY", "swsim.stamps.internal")
    wire = transport.Transport()
    proxied = wire._pool_for("https://swsim.stamps.com/swsim/swsimv135.asmx")
    direct = wire._pool_for("https://swsim.stamps.internal/swsim/swsimv135.asmx")
    plain = wire._pool_for("http://127.0.0.1:8000/sandbox/stamps/swsim.asmx")
    assert getattr(proxied, "proxy", None) is not None
    assert proxied.proxy.host == "proxy.example"
    assert getattr(direct, "proxy", None) is None
    assert getattr(plain, "proxy", None) is None
    # One pool per host, reused by every call.
    assert wire._pool_for("https://swsim.stamps.com/other") is proxied


def test_forgetting_the_wsdl_hangs_up_its_connections(stamps):
    # A kept-alive connection holds a thread of the server at the other end: forgetting the
    # WSDL (tests that change endpoints) must close it, not leave it to the collector.
    stamps.create_account("amy", "Secret123", balance=Decimal("50.00"))
    get_client("amy", "Secret123").get_account_info()
    wsdl, address = transport.endpoints()
    wire = transport.wsdl_client(wsdl).transport
    pool = wire._pool_for(address).connection_from_url(address)
    kept = [conn for conn in pool.pool.queue if conn is not None]
    assert kept and all(conn.sock is not None for conn in kept)
    transport.forget_wsdls()
    assert all(conn.sock is None for conn in kept)
