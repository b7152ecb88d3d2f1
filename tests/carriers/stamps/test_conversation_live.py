"""R38: SWSIM keeps one conversation per account. The sandbox refuses a superseded or expired
Authenticator with the live codes; ShipDesk signs every call with Credentials, so no call
depends on another and several processes and threads share one account without a single
conversation fault."""

from __future__ import annotations

import subprocess
import sys
import threading
import uuid
from decimal import Decimal

import pytest

from carriers.models import CarrierCall
from carriers.stamps import errors, faults, transport
from carriers.stamps.client import get_client
from tests.support import ROOT, child_env

pytestmark = pytest.mark.django_db(transaction=True)


def _swsim():
    """The raw zeep proxy the client uses, to speak to the sandbox as an old-style client."""
    client = get_client("amy", "Secret123")
    return client._service, client


def _fault_of(call) -> errors.StampsError:
    try:
        call()
    except transport.EXCHANGE_ERRORS as exc:
        return transport.error_for("GetAccountInfo", exc, 5)
    raise AssertionError("the call was not refused")


def test_R38_a_superseded_authenticator_gets_conversation_out_of_sync(stamps):
    stamps.create_account("amy", "Secret123")
    swsim, client = _swsim()
    first = swsim.AuthenticateUser(Credentials=client._credentials())["Authenticator"]
    second = swsim.GetAccountInfo(Authenticator=first)["Authenticator"]
    assert second and second != first

    error = _fault_of(lambda: swsim.GetAccountInfo(Authenticator=first))
    assert error.fault_code == faults.CONVERSATION_OUT_OF_SYNC.code == "002b0204"
    assert "out-of-sync" in error.fault_text
    # A token fault, never mistaken for a wrong password or a closed account.
    assert isinstance(error, errors.AuthenticatorExpired) and not error.permanent
    # The newest one still works.
    assert swsim.GetAccountInfo(Authenticator=second)["Authenticator"]


def test_R38_an_expired_or_unknown_authenticator_gets_the_live_codes(stamps):
    stamps.create_account("amy", "Secret123")
    swsim, client = _swsim()
    token = swsim.AuthenticateUser(Credentials=client._credentials())["Authenticator"]
    stamps.expire_authenticators()
    expired = _fault_of(lambda: swsim.GetAccountInfo(Authenticator=token))
    assert (expired.fault_code, type(expired)) == ("002b0202", errors.AuthenticatorExpired)
    unknown = _fault_of(lambda: swsim.GetAccountInfo(Authenticator="no-such-token"))
    assert (unknown.fault_code, type(unknown)) == ("002b0201", errors.AuthenticatorExpired)


def test_R38_expired_authenticators_do_not_matter_to_shipdesk(stamps):
    stamps.create_account("amy", "Secret123", balance=Decimal("12.00"))
    client = get_client("amy", "Secret123")
    client.get_account_info()
    stamps.expire_authenticators()
    stamps.set_token_ttl(0)
    assert client.get_account_info().balance == Decimal("12.00")
    assert [(c.operation, c.outcome) for c in CarrierCall.objects.order_by("pk")] == [
        ("GetAccountInfo", "ok"),
        ("GetAccountInfo", "ok"),
    ]


HAMMER = """
import sys, django
django.setup()
from decimal import Decimal
from carriers.stamps.client import get_client
from carriers.stamps import errors
tag, rounds = sys.argv[1], int(sys.argv[2])
client = get_client("amy", "Secret123")
for n in range(rounds):
    try:
        if n % 3 == 2:
            info = client.get_account_info()
            client.purchase_postage(Decimal("10.00"), info.control_total, f"{tag}-{n}")
        else:
            client.get_account_info()
    except errors.ControlTotalMismatch:
        pass  # another process bought postage in between: nothing was bought, fine
    except errors.StampsError as exc:
        print(type(exc).__name__, exc.fault_code, exc.fault_text, flush=True)
        sys.exit(1)
"""


def test_R38_four_processes_and_eight_threads_on_one_account_never_meet_a_conversation_fault(
    stamps, settings
):
    stamps.create_account("amy", "Secret123", balance=Decimal("100.00"))
    env = child_env(STAMPS_SANDBOX="1", STAMPS_SANDBOX_URL=settings.STAMPS_SANDBOX_URL)
    env["STAMPS_WSDL_URL"] = settings.STAMPS_WSDL_URL
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", HAMMER, f"p{i}", "9"],
            cwd=ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        for i in range(4)
    ]
    failures: list[str] = []

    def thread_work(i: int) -> None:
        client = get_client("amy", "Secret123")
        for _ in range(6):
            try:
                client.get_account_info()
            except errors.StampsError as exc:
                failures.append(f"{type(exc).__name__} {exc.fault_code}")

    threads = [threading.Thread(target=thread_work, args=(i,)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    outputs = [p.communicate(timeout=120)[0] for p in procs]
    assert failures == []
    assert [p.returncode for p in procs] == [0, 0, 0, 0], outputs
    calls = CarrierCall.objects.filter(operation="GetAccountInfo")
    assert calls.filter(outcome="ok").count() >= 8 * 6 + 4 * 6
    assert not CarrierCall.objects.filter(fault_code__in=sorted(faults.STALE_CONVERSATION)).exists()
    # Every purchase that went through was bought once: balance = opening + purchases.
    bought = sum(p.amount for p in stamps.purchases("amy") if p.status == "Success")
    assert stamps.get_balance("amy") == Decimal("100.00") + bought
    assert len({p.integrator_tx_id for p in stamps.purchases("amy")}) == len(
        stamps.purchases("amy")
    )


def test_a_wrong_password_has_the_live_wording_and_flags_the_account_R7(stamps):
    stamps.create_account("amy", "Secret123")
    with pytest.raises(errors.AuthenticationFailed) as exc_info:
        get_client("amy", "wrong-" + uuid.uuid4().hex[:6]).get_account_info()
    assert exc_info.value.fault_text == faults.BAD_CREDENTIALS.text
    assert exc_info.value.fault_text == "The username or password entered is not correct."
