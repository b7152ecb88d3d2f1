"""Two-step sign-in with an authenticator app (issue 19), under a frozen clock."""

from __future__ import annotations

import datetime as dt
import re

import pyotp
import pytest
import time_machine
from django.db import connection
from django.test import Client
from django.urls import reverse

from merchants import twostep
from merchants.models import Profile
from tests.factories import PASSWORD, make_member

pytestmark = pytest.mark.django_db

T0 = dt.datetime(2026, 6, 10, 14, 0, 5, tzinfo=dt.UTC)  # 5 s into a 30-second step


def at(seconds: float):
    return time_machine.travel(T0 + dt.timedelta(seconds=seconds), tick=False)


def turn_on(client: Client) -> tuple[str, list[str]]:
    page = client.get(reverse("two-step")).text
    shown = re.search(r'data-testid="totp-secret">([A-Z2-7]+)<', page)
    form = re.search(r'name="setup" value="([^"]+)"', page)
    assert shown is not None and form is not None, "the set-up page shows no key"
    secret, setup = shown.group(1), form.group(1)
    wrong = client.post(reverse("two-step"), {"setup": setup, "code": "000000"})
    assert wrong.status_code == 400 and "isn" in wrong.text
    done = client.post(reverse("two-step"), {"setup": setup, "code": pyotp.TOTP(secret).at(T0)})
    codes = re.findall(r"<li><code>([0-9a-f]{6}-[0-9a-f]{6})</code></li>", done.text)
    return secret, codes


def sign_in(email: str) -> tuple[Client, object]:
    client = Client()
    response = client.post(reverse("login"), {"username": email, "password": PASSWORD})
    return client, response


@pytest.fixture
def enrolled(owner, owner_client):
    with at(0):
        secret, codes = turn_on(owner_client)
    return secret, codes


def test_turning_it_on_stores_the_key_encrypted_and_shows_ten_recovery_codes(enrolled, owner):
    secret, codes = enrolled
    assert len(codes) == 10 and len(set(codes)) == 10
    assert twostep.is_enabled(owner)
    with connection.cursor() as cursor:
        cursor.execute("SELECT totp_secret FROM shipdesk_profile WHERE user_id = %s", [owner.pk])
        raw = cursor.fetchone()[0]
    assert secret not in raw and Profile.objects.get(user=owner).totp_secret == secret
    assert all(code not in str(Profile.objects.get(user=owner).recovery_codes) for code in codes)


def test_the_password_alone_no_longer_signs_in(enrolled, owner):
    secret, _ = enrolled
    with at(60):
        client, response = sign_in(owner.email)
        assert response.status_code == 302 and response["Location"] == reverse("two-step-code")
        assert client.get("/orders/").status_code == 302  # not signed in yet
        done = client.post(
            reverse("two-step-code"), {"code": pyotp.TOTP(secret).at(T0 + dt.timedelta(seconds=60))}
        )
        assert done.status_code == 302
        assert client.get("/orders/").status_code == 200


def test_a_code_works_once_and_only_near_its_time(enrolled, owner):
    secret, _ = enrolled
    totp = pyotp.TOTP(secret)
    with at(120):
        client, _ = sign_in(owner.email)
        previous_step = totp.at(T0 + dt.timedelta(seconds=90))  # clock drift of one step
        assert client.post(reverse("two-step-code"), {"code": previous_step}).status_code == 302
        again, _ = sign_in(owner.email)
        replay = again.post(reverse("two-step-code"), {"code": previous_step})
        assert replay.status_code == 400  # already used
        stale = again.post(
            reverse("two-step-code"), {"code": totp.at(T0 + dt.timedelta(seconds=30))}
        )
        assert stale.status_code == 400  # three steps old


def test_five_wrong_codes_lock_the_person_out_even_with_the_right_one(enrolled, owner, settings):
    secret, _ = enrolled
    with at(200):
        client, _ = sign_in(owner.email)
        for _ in range(settings.TWO_STEP_FAILURE_LIMIT):
            assert client.post(reverse("two-step-code"), {"code": "123456"}).status_code == 400
        right = pyotp.TOTP(secret).at(T0 + dt.timedelta(seconds=200))
        locked = client.post(reverse("two-step-code"), {"code": right})
        assert locked.status_code == 429 and "Too many wrong codes" in locked.text
        # A fresh password sign-in doesn't reset the count: it is per person.
        fresh, _ = sign_in(owner.email)
        assert fresh.post(reverse("two-step-code"), {"code": right}).status_code == 429
        assert fresh.get("/orders/").status_code == 302


def test_a_recovery_code_works_once(enrolled, owner):
    _, codes = enrolled
    with at(300):
        client, _ = sign_in(owner.email)
        assert client.post(reverse("two-step-code"), {"code": codes[0].upper()}).status_code == 302
        other, _ = sign_in(owner.email)
        assert other.post(reverse("two-step-code"), {"code": codes[0]}).status_code == 400
    assert twostep.recovery_codes_left(owner) == 9


def test_the_code_page_expires(enrolled, owner, settings):
    secret, _ = enrolled
    with at(400):
        client, _ = sign_in(owner.email)
    later = 400 + settings.TWO_STEP_PENDING_SECONDS + 1
    with at(later):
        code = pyotp.TOTP(secret).at(T0 + dt.timedelta(seconds=later))
        response = client.post(reverse("two-step-code"), {"code": code})
        assert response.status_code == 302 and response["Location"] == reverse("login")
        assert client.get("/orders/").status_code == 302


def test_turning_it_off_needs_a_current_code(enrolled, owner, owner_client):
    secret, _ = enrolled
    with at(500):
        assert owner_client.post(reverse("two-step"), {"code": "111111"}).status_code == 400
        assert twostep.is_enabled(owner)
        code = pyotp.TOTP(secret).at(T0 + dt.timedelta(seconds=500))
        assert owner_client.post(reverse("two-step"), {"code": code}).status_code == 302
    assert not twostep.is_enabled(owner)


def test_an_owner_can_require_it_for_every_member(merchant, owner_client, enrolled):
    shipper = make_member(merchant, "ship@acme.test", role="shipper")
    response = owner_client.post(reverse("members:require-two-step"), {"require": "on"})
    assert response.status_code == 302
    merchant.refresh_from_db()
    assert merchant.require_two_step
    client = Client()
    client.force_login(shipper)
    response = client.get("/orders/")
    assert response.status_code == 302 and response["Location"] == reverse("two-step")
    assert client.get(reverse("two-step")).status_code == 200
    assert owner_client.get("/orders/").status_code == 200  # the owner has it on


def test_an_owner_without_it_cannot_require_it(merchant, owner_client):
    response = owner_client.post(
        reverse("members:require-two-step"), {"require": "on"}, follow=True
    )
    assert "for yourself first" in response.text
    merchant.refresh_from_db()
    assert not merchant.require_two_step


@pytest.mark.parametrize(
    ("next_url", "lands_on"),
    [("/orders/?status=open", "/orders/?status=open"), ("0", "/"), ("https://evil.test/", "/")],
)
def test_after_the_code_the_person_lands_where_they_were_going_on_this_site_only(
    enrolled, owner, next_url, lands_on
):
    secret, _ = enrolled
    with at(60):
        client = Client()
        client.post(
            f"{reverse('login')}?next={next_url}",
            {"username": owner.email, "password": PASSWORD, "next": next_url},
        )
        done = client.post(
            reverse("two-step-code"), {"code": pyotp.TOTP(secret).at(T0 + dt.timedelta(seconds=60))}
        )
    # "0" is no path: it was taken for a URL name, and signing in ended on a server error.
    assert done.status_code == 302 and done["Location"] == lands_on


def test_an_htmx_panel_sends_a_member_without_it_to_set_it_up_as_a_whole_page(merchant, order):
    # A plain redirect would be followed inside the panel: the set-up page squeezed into it.
    merchant.require_two_step = True
    merchant.save(update_fields=["require_two_step"])
    client = Client()
    client.force_login(make_member(merchant, "ship@acme.test", role="shipper"))
    response = client.get(
        reverse("tracking:order-panel", args=[order.pk]), headers={"HX-Request": "true"}
    )
    assert response.status_code == 200
    assert response["HX-Redirect"] == reverse("two-step")


def test_a_signed_out_htmx_request_signs_in_as_a_whole_page_and_comes_back_to_the_page(order):
    response = Client().get(
        reverse("tracking:order-panel", args=[order.pk]),
        headers={"HX-Request": "true", "HX-Current-URL": f"http://testserver/orders/{order.pk}/"},
    )
    assert response["HX-Redirect"] == f"{reverse('login')}?next=/orders/{order.pk}/"
