"""Which account pays (carriers.services.chosen_account): the one named, or, only when none
is named, the store's default. A named account that is not among the store's connected
accounts is refused, never swapped for another."""

from __future__ import annotations

import pytest

from carriers import services
from carriers.models import CarrierAccount
from tests.factories import make_carrier_account

pytestmark = pytest.mark.django_db


def connected(merchant) -> list[CarrierAccount]:
    return list(CarrierAccount.objects.for_merchant(merchant).connected())


def test_the_named_account_is_chosen_even_when_it_is_not_the_default(merchant):
    make_carrier_account(merchant, "Main", is_default=True)
    second = make_carrier_account(merchant, "Second")
    assert services.chosen_account(connected(merchant), str(second.pk)) == second
    assert services.chosen_account(connected(merchant), second.pk) == second


def test_a_named_account_that_cannot_ship_is_still_the_one_chosen(merchant):
    """Its own refusal (R3, R7, R8) says what to do; another account must not pay instead."""
    make_carrier_account(merchant, "Main", is_default=True)
    stale = make_carrier_account(merchant, "Stale", status=CarrierAccount.Status.NEEDS_REAUTH)
    assert services.chosen_account(connected(merchant), stale.pk) == stale


def test_a_disconnected_account_named_is_refused(merchant, owner):
    make_carrier_account(merchant, "Main", is_default=True)
    second = make_carrier_account(merchant, "Second")
    services.disconnect(second, owner)
    with pytest.raises(services.ChosenAccountGone) as caught:
        services.chosen_account(connected(merchant), second.pk)
    assert caught.value.message == (
        "The Stamps.com account you chose is no longer connected. "
        "Choose another account and try again."
    )


@pytest.mark.parametrize("wanted", ["abc", "-1", "1.5", "²", "9" * 30])
def test_a_named_account_that_is_no_id_is_refused(merchant, wanted):
    make_carrier_account(merchant, "Main", is_default=True)
    with pytest.raises(services.ChosenAccountGone):
        services.chosen_account(connected(merchant), wanted)


def test_another_stores_account_is_refused_with_the_same_words(merchant, outsider_merchant):
    make_carrier_account(merchant, "Main", is_default=True)
    theirs = make_carrier_account(outsider_merchant, "Theirs", is_default=True)
    with pytest.raises(services.ChosenAccountGone) as caught:
        services.chosen_account(connected(merchant), theirs.pk)
    assert caught.value.message == services.ChosenAccountGone.MESSAGE
    assert "Theirs" not in caught.value.message


@pytest.mark.parametrize("wanted", [None, "", "  "])
def test_with_no_account_named_the_default_pays(merchant, wanted):
    make_carrier_account(merchant, "Another")
    main = make_carrier_account(merchant, "Main", is_default=True)
    assert services.chosen_account(connected(merchant), wanted) == main


def test_with_no_account_named_a_default_that_cannot_ship_gives_way_to_one_that_can(merchant):
    make_carrier_account(
        merchant, "Main", is_default=True, status=CarrierAccount.Status.NEEDS_REAUTH
    )
    active = make_carrier_account(merchant, "Active")
    assert services.chosen_account(connected(merchant), None) == active


def test_with_no_account_connected_there_is_none(merchant):
    assert services.chosen_account([], None) is None
    with pytest.raises(services.ChosenAccountGone):
        services.chosen_account([], "1")
