"""Every label buy and void records who did it, checked against their role (issue 19)."""

from __future__ import annotations

import pytest
from django.urls import reverse
from django.utils import timezone

from funding.models import LedgerEntry
from merchants.permissions import NotAllowed
from shipments import labels, voids
from shipments.models import Shipment
from tests.factories import make_member
from tests.support import credit_refunds

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_buy_and_a_void_record_the_person_on_the_label_and_the_ledger(
    stamps, account, make_shippable, merchant, owner, owner_client
):
    shipper = make_member(merchant, "ship@acme.test", role="shipper")
    order = make_shippable()
    shipment = labels.buy_label(order, account, "US-PM", timezone.localdate(), by=shipper)
    assert shipment.bought_by == shipper
    debit = LedgerEntry.objects.get(kind=LedgerEntry.Kind.LABEL)
    assert debit.by == shipper
    rates = owner_client.get(reverse("shipments:rates", args=[order.pk])).text
    assert "bought by ship@acme.test" in rates  # the order page's label note
    voids.void_label(Shipment.objects.get(pk=shipment.pk), by=owner)
    voided = Shipment.objects.get(pk=shipment.pk)
    assert voided.voided_by == owner
    credit_refunds(stamps)  # R41: the refund reaches the ledger once the carrier credits it
    assert LedgerEntry.objects.get(kind=LedgerEntry.Kind.VOID_REFUND).by == owner

    page = owner_client.get(reverse("shipments:detail", args=[shipment.pk])).text
    assert "ship@acme.test" in page and "by owner@acme.test" in page
    ledger = owner_client.get(reverse("funding:home")).text
    assert "ship@acme.test" in ledger and "owner@acme.test" in ledger


def test_the_services_refuse_a_viewer_whoever_calls_them(stamps, account, make_shippable, merchant):
    viewer = make_member(merchant, "look@acme.test", role="viewer")
    order = make_shippable()
    with pytest.raises(NotAllowed):
        labels.buy_label(order, account, "US-PM", timezone.localdate(), by=viewer)
    assert not Shipment.objects.exists()
    assert stamps.get_balance(account.username) == account.balance
