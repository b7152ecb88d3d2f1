"""2-step verification of new Stamps.com accounts: R2 (phone first) and R4 (limits)."""

from __future__ import annotations

import json
import threading
from datetime import timedelta

import pytest
import time_machine
from django.db import close_old_connections
from django.utils import timezone
from twilio.http import HttpClient
from twilio.http.response import Response

from carriers import verification as v
from carriers.models import CarrierAccount, PhoneVerification

pytestmark = pytest.mark.django_db

PHONE = "(415) 555-0132"


@pytest.fixture
def account(merchant):
    return CarrierAccount.objects.create(
        merchant=merchant,
        nickname="New account",
        username="acme-new",
        status=CarrierAccount.Status.AWAITING_VERIFICATION,
        plan=CarrierAccount.Plan.PRO_FREE,
    )


def console_code(account) -> str:
    verification = v.current_verification(account)
    assert verification is not None, "no code was sent"
    return str(verification.console_code)


def test_r2_phone_is_parsed_and_shown_in_national_format():
    phone = v.parse_phone("+1 415-555-0132")
    assert phone.e164 == "+14155550132"
    assert phone.national == "(415) 555-0132"
    assert phone.digits10 == "4155550132"


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ("", "Enter a phone number"),
        ("555-01", "isn't a valid phone number"),
        ("+44 20 7946 0958", "US mobile number"),
    ],
)
def test_r2_an_invalid_phone_is_refused_before_any_sms(account, raw, message):
    with pytest.raises(v.InvalidPhoneNumber, match=message):
        v.send_code(account, raw)
    assert not PhoneVerification.objects.exists()


def test_the_right_code_verifies(account):
    v.send_code(account, PHONE)
    v.check_code(account, console_code(account))
    assert v.current_verification(account).verified_at is not None


def test_codes_are_stored_encrypted_never_in_clear(account):
    from django.db import connection

    v.send_code(account, PHONE)
    code = console_code(account)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT console_code FROM {PhoneVerification._meta.db_table}")
        assert code not in cursor.fetchone()[0]


def test_r4_code_expires_after_ten_minutes(account):
    v.send_code(account, PHONE)
    code = console_code(account)
    with (
        time_machine.travel(timezone.now() + timedelta(minutes=10, seconds=1)),
        pytest.raises(v.CodeExpired, match="expired"),
    ):
        v.check_code(account, code)


def test_r4_five_wrong_tries_lock_the_code_even_the_right_one(account):
    v.send_code(account, PHONE)
    code = console_code(account)
    wrong = "000000" if code != "000000" else "111111"
    for tries_left in (4, 3, 2, 1):
        with pytest.raises(v.WrongCode) as exc:
            v.check_code(account, wrong)
        assert exc.value.tries_left == tries_left
    with pytest.raises(v.CodeLocked):
        v.check_code(account, wrong)
    with pytest.raises(v.CodeLocked):
        v.check_code(account, code)


def test_r4_one_send_per_30_seconds_then_resend_allowed(account):
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        v.send_code(account, PHONE)
        with pytest.raises(v.SendTooSoon) as exc:
            v.send_code(account, PHONE)
        assert exc.value.seconds == 30
        assert v.seconds_until_resend(account) == 30
    with time_machine.travel(start + timedelta(seconds=31), tick=False):
        v.send_code(account, PHONE)
    assert PhoneVerification.objects.count() == 2


def test_r4_at_most_five_sends_per_hour_per_phone_number(account, outsider_merchant):
    start = timezone.now()
    for i in range(5):
        with time_machine.travel(start + timedelta(minutes=i), tick=False):
            v.send_code(account, PHONE)
    # The limit is per phone number, whichever merchant asks.
    other = CarrierAccount.objects.create(
        merchant=outsider_merchant, nickname="x", username="other", status="awaiting_verification"
    )
    with (
        time_machine.travel(start + timedelta(minutes=6), tick=False),
        pytest.raises(v.TooManySends, match="55 minutes"),
    ):
        v.send_code(other, PHONE)
    with time_machine.travel(start + timedelta(minutes=61), tick=False):
        v.send_code(other, PHONE)


def test_a_new_code_replaces_a_locked_one(account):
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        v.send_code(account, PHONE)
        for _ in range(5):
            with pytest.raises((v.WrongCode, v.CodeLocked)):
                v.check_code(account, "999999" if console_code(account) != "999999" else "1")
    with time_machine.travel(start + timedelta(seconds=40), tick=False):
        v.send_code(account, PHONE)
        v.check_code(account, console_code(account))


@pytest.mark.django_db(transaction=True)
def test_r4_parallel_guessing_cannot_exceed_five_tries(account):
    v.send_code(account, PHONE)
    code = console_code(account)
    guesses = [f"{n:06d}" for n in range(20) if f"{n:06d}" != code][:12]
    outcomes: list[str] = []
    barrier = threading.Barrier(len(guesses))

    def guess(g: str) -> None:
        barrier.wait()
        try:
            v.check_code(account, g)
            outcomes.append("verified")
        except v.VerificationError as exc:
            outcomes.append(type(exc).__name__)
        finally:
            close_old_connections()

    threads = [threading.Thread(target=guess, args=(g,)) for g in guesses]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert "verified" not in outcomes
    assert outcomes.count("WrongCode") == 4
    assert v.current_verification(account).failed_attempts == 5
    with pytest.raises(v.CodeLocked):
        v.check_code(account, code)


class FakeTwilioHttp(HttpClient):
    """Twilio's HTTP edge: records each request, answers like the Verify v2 API."""

    def __init__(self, approve_code: str):
        super().__init__(None, is_async=False)
        self.approve_code = approve_code
        self.requests: list[tuple[str, str, dict]] = []

    def request(self, method, uri, params=None, data=None, headers=None, auth=None, **kw):
        self.requests.append((method, uri, dict(data or {})))
        if uri.endswith("/Verifications"):
            body = {"sid": "VE" + "1" * 32, "status": "pending", "to": data["To"]}
        else:
            ok = data["Code"] == self.approve_code
            body = {"sid": "VE" + "1" * 32, "status": "approved" if ok else "pending"}
        return Response(201 if uri.endswith("/Verifications") else 200, json.dumps(body))


@pytest.fixture
def fake_twilio(settings, monkeypatch):
    from twilio.rest import Client

    settings.TWILIO_ACCOUNT_SID = "AC" + "a" * 32
    settings.TWILIO_AUTH_TOKEN = "secret-token"
    settings.TWILIO_VERIFY_SERVICE_SID = "VA" + "b" * 32
    http = FakeTwilioHttp(approve_code="482913")
    monkeypatch.setattr(
        v,
        "twilio_client",
        lambda: Client(settings.TWILIO_ACCOUNT_SID, settings.TWILIO_AUTH_TOKEN, http_client=http),
    )
    return http


def test_twilio_backend_makes_the_exact_verify_v2_requests(account, fake_twilio):
    backend = v.TwilioBackend()
    v.send_code(account, PHONE, backend=backend)
    with pytest.raises(v.WrongCode):
        v.check_code(account, "111111", backend=backend)
    v.check_code(account, "482913", backend=backend)
    base = "https://verify.twilio.com/v2/Services/VA" + "b" * 32
    assert fake_twilio.requests == [
        ("POST", f"{base}/Verifications", {"To": "+14155550132", "Channel": "sms"}),
        ("POST", f"{base}/VerificationCheck", {"To": "+14155550132", "Code": "111111"}),
        ("POST", f"{base}/VerificationCheck", {"To": "+14155550132", "Code": "482913"}),
    ]
    stored = PhoneVerification.objects.get()
    assert stored.backend == "twilio"
    assert stored.console_code == ""  # Twilio keeps the code; ShipDesk stores none
