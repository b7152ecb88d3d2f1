"""Two-step sign-in by text message through Twilio Verify v2 (issue 19).

Twilio is replaced at its HTTP client only (tests/merchants/twilio_fake.py): the twilio package
builds the real requests, which are compared exactly, and parses Twilio's real answers.
"""

from __future__ import annotations

import html
import logging
import re

import pyotp
import pytest
from django.test import Client
from django.urls import reverse
from twilio.rest import Client as TwilioClient

from merchants import sms, twostep
from merchants.models import Profile, StoreEvent
from tests.factories import PASSWORD, make_member
from tests.merchants.twilio_fake import (
    ACCOUNT_SID,
    AUTH_TOKEN,
    BASE,
    SERVICE_SID,
    FakeVerify,
    Recorded,
)

pytestmark = pytest.mark.django_db

PHONE = "+14155550132"
AUTH = (ACCOUNT_SID, AUTH_TOKEN)


@pytest.fixture
def twilio(settings, monkeypatch) -> FakeVerify:
    settings.TWO_STEP_SMS_BACKEND = "twilio"
    settings.TWILIO_ACCOUNT_SID = ACCOUNT_SID
    settings.TWILIO_AUTH_TOKEN = AUTH_TOKEN
    settings.TWILIO_VERIFY_SERVICE_SID = SERVICE_SID
    http = FakeVerify()
    monkeypatch.setattr(
        sms, "twilio_client", lambda: TwilioClient(ACCOUNT_SID, AUTH_TOKEN, http_client=http)
    )
    return http


def shown(response) -> str:
    """The page as a person reads it (Django escapes apostrophes)."""
    return html.unescape(response.text)


def send(phone: str) -> Recorded:
    return Recorded("POST", f"{BASE}/Verifications", {"To": phone, "Channel": "sms"}, AUTH)


def check(phone: str, code: str) -> Recorded:
    return Recorded("POST", f"{BASE}/VerificationCheck", {"To": phone, "Code": code}, AUTH)


def setup_token(page: str) -> str:
    found = re.search(r'name="setup" value="([^"]+)"', page)
    assert found is not None, "no code form on the page"
    return found.group(1)


def recovery_codes(page: str) -> list[str]:
    return re.findall(r"<li><code>([0-9a-f]{6}-[0-9a-f]{6})</code></li>", page)


def enrol(client: Client, twilio: FakeVerify, typed: str = "(415) 555-0132") -> list[str]:
    url = reverse("two-step-sms")
    page = client.post(url, {"action": "send", "phone": typed})
    assert page.status_code == 200 and "We texted a code to •••-•••-0132" in shown(page)
    done = client.post(
        url, {"action": "confirm", "setup": setup_token(page.text), "code": twilio.code_for(PHONE)}
    )
    assert done.status_code == 200
    return recovery_codes(done.text)


def enter(client: Client, code: str):
    return client.post(reverse("two-step-code"), {"code": code})


def sign_in(email: str) -> tuple[Client, object]:
    client = Client()
    response = client.post(reverse("login"), {"username": email, "password": PASSWORD})
    return client, response


@pytest.fixture
def enrolled(owner_client, twilio) -> list[str]:
    codes = enrol(owner_client, twilio)
    twilio.requests.clear()
    return codes


def test_enrolment_texts_the_typed_number_in_e164_and_needs_its_code(owner_client, owner, twilio):
    url = reverse("two-step-sms")
    page = owner_client.post(url, {"action": "send", "phone": "(415) 555-0132"})
    token = setup_token(page.text)
    wrong = owner_client.post(url, {"action": "confirm", "setup": token, "code": "111111"})
    assert wrong.status_code == 400 and "isn't right" in shown(wrong)
    assert not twostep.is_enabled(owner)
    right = owner_client.post(url, {"action": "confirm", "setup": token, "code": "482913"})
    assert len(recovery_codes(right.text)) == 10
    assert twilio.requests == [send(PHONE), check(PHONE, "111111"), check(PHONE, "482913")]
    profile = Profile.objects.get(user=owner)
    assert profile.sms_phone == PHONE and twostep.is_enabled(owner)
    assert "•••-•••-0132" in owner_client.get(reverse("two-step")).text


def test_a_number_that_cannot_take_a_text_is_refused_before_twilio_hears_of_it(
    owner_client, twilio
):
    url = reverse("two-step-sms")
    landline = owner_client.post(url, {"action": "send", "phone": "+44 20 7946 0958"})
    assert landline.status_code == 400 and "can't receive text messages" in shown(landline)
    assert 'value="+44 20 7946 0958"' in shown(landline)  # the form keeps what was typed
    nonsense = owner_client.post(url, {"action": "send", "phone": "555"})
    assert nonsense.status_code == 400 and "valid phone number" in shown(nonsense)
    assert twilio.requests == []


def test_sign_in_texts_the_code_at_once_and_an_approved_code_signs_in(enrolled, owner, twilio):
    client, response = sign_in(owner.email)
    assert response["Location"] == reverse("two-step-code")
    assert twilio.requests == [send(PHONE)]
    page = client.get(reverse("two-step-code"))
    assert "We texted a code to •••-•••-0132" in shown(page)
    assert client.get("/orders/").status_code == 302  # not signed in yet
    done = client.post(reverse("two-step-code"), {"code": twilio.code_for(PHONE)})
    assert done.status_code == 302
    assert client.get("/orders/").status_code == 200
    assert twilio.requests == [send(PHONE), check(PHONE, "605127")]


def test_a_denied_code_does_not_sign_in(enrolled, owner, twilio):
    client, _ = sign_in(owner.email)
    denied = client.post(reverse("two-step-code"), {"code": "000000"})
    assert denied.status_code == 400 and "isn't right" in shown(denied)
    assert client.get("/orders/").status_code == 302
    assert twilio.requests[-1] == check(PHONE, "000000")


def test_an_expired_code_says_so_and_a_new_text_works(enrolled, owner, twilio):
    client, _ = sign_in(owner.email)
    old = twilio.code_for(PHONE)
    twilio.expire(PHONE)  # Twilio answers 404 for a verification it no longer has
    expired = client.post(reverse("two-step-code"), {"code": old})
    assert expired.status_code == 400 and "expired" in shown(expired)
    client.post(reverse("two-step-code"), {"action": "text"})
    assert twilio.requests[-1] == send(PHONE)
    assert (
        client.post(reverse("two-step-code"), {"code": twilio.code_for(PHONE)}).status_code == 302
    )


def test_wrong_texted_codes_lock_the_person_out_and_twilio_is_no_longer_asked(
    enrolled, owner, twilio, settings
):
    client, _ = sign_in(owner.email)
    right = twilio.code_for(PHONE)
    for _ in range(settings.TWO_STEP_FAILURE_LIMIT):
        assert client.post(reverse("two-step-code"), {"code": "123456"}).status_code == 400
    asked = len(twilio.requests)
    locked = client.post(reverse("two-step-code"), {"code": right})
    assert locked.status_code == 429 and "Too many wrong codes" in shown(locked)
    assert len(twilio.requests) == asked  # the right code was never even checked
    again, _ = sign_in(owner.email)  # a new password sign-in does not reset the count
    assert again.post(reverse("two-step-code"), {"code": right}).status_code == 429
    assert again.get("/orders/").status_code == 302


def test_wrong_codes_while_setting_up_count_toward_the_same_lock_out(
    owner_client, owner, twilio, settings
):
    url = reverse("two-step-sms")
    token = setup_token(owner_client.post(url, {"action": "send", "phone": PHONE}).text)
    for _ in range(settings.TWO_STEP_FAILURE_LIMIT):
        owner_client.post(url, {"action": "confirm", "setup": token, "code": "999999"})
    locked = owner_client.post(url, {"action": "confirm", "setup": token, "code": "482913"})
    assert locked.status_code == 429
    assert not twostep.is_enabled(owner)


def test_twilio_refusing_more_checks_of_one_code_counts_as_a_wrong_try(enrolled, owner, twilio):
    client, _ = sign_in(owner.email)
    twilio.pending[PHONE].checks = 5  # five tries already made elsewhere
    refused = client.post(reverse("two-step-code"), {"code": twilio.code_for(PHONE)})
    assert refused.status_code == 400 and "Too many tries for that texted code" in shown(refused)


def test_twilio_refusing_more_texts_is_explained(enrolled, owner, twilio, settings):
    settings.TWO_STEP_SMS_SEND_LIMIT = 50  # Twilio's own limit (5 an hour) comes first here
    for _ in range(4):
        sign_in(owner.email)
    client, _ = sign_in(owner.email)  # the sixth text this hour
    page = client.get(reverse("two-step-code"))
    assert "Too many codes were sent to this number" in shown(page)
    assert "We texted a code" not in shown(page)


def test_shipdesk_limits_texts_per_person_before_twilio_does(enrolled, owner, twilio, settings):
    settings.TWO_STEP_SMS_SEND_LIMIT = 2
    client, _ = sign_in(owner.email)
    client.post(reverse("two-step-code"), {"action": "text"})
    sent = len(twilio.requests)
    page = client.post(reverse("two-step-code"), {"action": "text"}, follow=True)
    assert "several codes this hour" in shown(page)
    assert len(twilio.requests) == sent == 2


def test_twilio_unreachable_does_not_count_as_a_wrong_code(enrolled, owner, twilio, settings):
    client, _ = sign_in(owner.email)
    twilio.unreachable = True
    for _ in range(settings.TWO_STEP_FAILURE_LIMIT + 1):
        down = client.post(reverse("two-step-code"), {"code": "482913"})
        assert down.status_code == 503 and "couldn't check the code" in shown(down)
    twilio.unreachable = False
    assert (
        client.post(reverse("two-step-code"), {"code": twilio.code_for(PHONE)}).status_code == 302
    )


def test_a_recovery_code_still_signs_in_without_the_phone(enrolled, owner, twilio):
    client, _ = sign_in(owner.email)
    assert client.post(reverse("two-step-code"), {"code": enrolled[3]}).status_code == 302
    assert client.get("/orders/").status_code == 200
    assert twilio.requests == [send(PHONE)]  # a recovery code is ShipDesk's own: no check


def test_with_an_app_too_the_text_waits_to_be_asked_for(owner_client, owner, twilio, settings):
    enrol(owner_client, twilio)
    page = owner_client.get(reverse("two-step")).text
    secret = re.search(r'data-testid="totp-secret">([A-Z2-7]+)<', page).group(1)
    added = owner_client.post(
        reverse("two-step"), {"setup": setup_token(page), "code": pyotp.TOTP(secret).now()}
    )
    assert added.status_code == 302  # the saved recovery codes stay: none shown again
    twilio.requests.clear()
    client, _ = sign_in(owner.email)
    assert twilio.requests == []
    assert "Text me a code at •••-•••-0132" in client.get(reverse("two-step-code")).text
    client.post(reverse("two-step-code"), {"action": "text"})
    assert twilio.requests == [send(PHONE)]
    assert (
        client.post(reverse("two-step-code"), {"code": twilio.code_for(PHONE)}).status_code == 302
    )


def test_turning_it_off_takes_a_texted_code(enrolled, owner, owner_client, twilio):
    page = owner_client.post(reverse("two-step"), {"code": "111111"})
    assert page.status_code == 400 and twostep.is_enabled(owner)
    owner_client.post(reverse("two-step"), {"action": "text"})
    assert twilio.requests[-1] == send(PHONE)
    done = owner_client.post(reverse("two-step"), {"code": twilio.code_for(PHONE)})
    assert done.status_code == 302 and not twostep.is_enabled(owner)
    assert Profile.objects.get(user=owner).sms_phone == ""


def test_the_auth_token_and_the_codes_are_never_logged(owner_client, owner, twilio, caplog):
    caplog.set_level(logging.DEBUG)
    codes = enrol(owner_client, twilio)
    client, _ = sign_in(owner.email)
    client.post(reverse("two-step-code"), {"code": "000000"})
    client.post(reverse("two-step-code"), {"code": twilio.code_for(PHONE)})
    logged = caplog.text
    assert "•••-•••-0132" in logged  # texts are logged, masked
    for secret in (AUTH_TOKEN, "482913", "605127", PHONE, *codes):
        assert secret not in logged


def test_events_record_two_step_sign_in_turned_on_and_off(merchant, enrolled, owner, owner_client):
    on = StoreEvent.objects.get(merchant=merchant, action="two_step_on")
    assert on.actor == owner.email and on.detail == "text messages"
    owner_client.post(reverse("two-step"), {"code": enrolled[0]})
    assert StoreEvent.objects.filter(merchant=merchant, action="two_step_off").exists()


def test_console_backend_shows_the_code_in_development(owner_client, owner, settings):
    settings.TWO_STEP_SMS_BACKEND = "console"
    url = reverse("two-step-sms")
    page = owner_client.post(url, {"action": "send", "phone": "415-555-0132"})
    banner = re.search(r'data-testid="dev-code">(\d{6})<', page.text)
    assert banner is not None and "Development only" in shown(page)
    assert banner.group(1) == sms.ConsoleSms.last_code(PHONE)
    confirm = {"action": "confirm", "setup": setup_token(page.text), "code": banner.group(1)}
    owner_client.post(url, confirm)
    client, _ = sign_in(owner.email)
    code_page = client.get(reverse("two-step-code")).text
    code = re.search(r'data-testid="dev-code">(\d{6})<', code_page).group(1)
    assert client.post(reverse("two-step-code"), {"code": code}).status_code == 302


def test_with_texts_off_only_the_app_is_offered(owner_client, settings):
    settings.TWO_STEP_SMS_BACKEND = "off"
    assert "not available here" in owner_client.get(reverse("two-step")).text
    assert owner_client.get(reverse("two-step-sms")).status_code == 302


def test_a_member_with_texts_satisfies_a_store_that_requires_two_step(
    merchant, owner_client, twilio
):
    shipper = make_member(merchant, "ship@acme.test")
    merchant.require_two_step = True
    merchant.save()
    client = Client()
    client.force_login(shipper)
    assert client.get("/orders/")["Location"] == reverse("two-step")
    enrol(client, twilio)
    assert client.get("/orders/").status_code == 200
