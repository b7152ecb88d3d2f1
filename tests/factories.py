"""Small, explicit builders for test data (no factory library needed yet)."""

from __future__ import annotations

from decimal import Decimal

from django.contrib.auth import get_user_model
from django.urls import reverse
from django.utils import timezone

from locations.models import ShipFromLocation
from merchants.confirmation import mark_confirmed
from merchants.models import Membership, Merchant
from orders.models import AutomationRule, ImportJob, Order, OrderItem

PASSWORD = "correct-horse-battery-staple"


def make_user(email: str, *, confirmed: bool = True):
    """A person who signed up; confirmed (opened the e-mailed link) unless told otherwise."""
    user = get_user_model().objects.create_user(username=email, email=email, password=PASSWORD)
    if confirmed:
        mark_confirmed(user)
    return user


def confirmation_link(email: str) -> str:
    """The confirmation link in the last e-mail sent to ``email`` (locmem outbox)."""
    import re

    from django.core import mail

    body = next(m.body for m in reversed(mail.outbox) if email in m.to)
    link = re.search(r"https?://\S+/accounts/confirm/\S+/", str(body))
    assert link is not None, f"no confirmation link in {body!r}"
    return link.group(0)


def make_merchant(name: str, owner_email: str, time_zone: str = "America/New_York") -> Merchant:
    merchant = Merchant.objects.create(
        name=name, slug=Merchant.unique_slug_for(name), time_zone=time_zone
    )
    Membership.objects.create(
        merchant=merchant, user=make_user(owner_email), role=Membership.Role.OWNER
    )
    return merchant


def make_member(merchant: Merchant, email: str, role: str = Membership.Role.SHIPPER):
    user = get_user_model().objects.filter(email=email).first() or make_user(email)
    Membership.objects.create(merchant=merchant, user=user, role=role)
    return user


def make_ship_from(merchant: Merchant, **overrides) -> ShipFromLocation:
    fields = {
        "name": "Main warehouse",
        "contact_name": "Pat Shipper",
        "street1": "100 Main St",
        "city": "Brooklyn",
        "state": "NY",
        "postal_code": "11201",
        "phone": "+17185550100",
        "time_zone": "America/New_York",
        "is_default": True,
    }
    fields.update(overrides)
    return ShipFromLocation.objects.create(merchant=merchant, **fields)


def make_order(merchant: Merchant, number: str, items: int = 1, **overrides) -> Order:
    fields = {
        "order_date": timezone.now(),
        "recipient_name": "Jane Receiver",
        "street1": "1 Market St",
        "city": "San Francisco",
        "state": "CA",
        "postal_code": "94105",
        "country": "US",
        "total": Decimal("25.00"),
    }
    fields.update(overrides)
    order = Order.objects.create(merchant=merchant, number=number, **fields)
    for i in range(items):
        OrderItem.objects.create(
            order=order, sku=f"SKU-{i}", name=f"Item {i}", quantity=1, unit_price=Decimal("25.00")
        )
    return order


def make_rule(merchant: Merchant, name: str = "Rule", **fields) -> AutomationRule:
    fields.setdefault("actions", {"add_tag": "ruled"})
    position = AutomationRule.objects.for_merchant(merchant).count() + 1
    return AutomationRule.objects.create(
        merchant=merchant, name=name, position=fields.pop("position", position), **fields
    )


def make_import_job(merchant: Merchant, status: str = "done", **fields) -> ImportJob:
    fields.setdefault("content", "Ref,Who\n1,Jane Doe\n")
    return ImportJob.objects.create(merchant=merchant, status=status, filename="t.csv", **fields)


def make_carrier_account(merchant: Merchant, nickname: str | None = None, **overrides):
    from carriers.models import CarrierAccount

    if nickname is None:
        # "Main postage", then "Main postage 2"...: pages that build many objects for one
        # store (the layout walk) get one account each.
        taken = CarrierAccount.objects.filter(merchant=merchant).count()
        nickname = "Main postage" if not taken else f"Main postage {taken + 1}"
    fields = {
        "username": f"{merchant.slug}-{nickname}".lower().replace(" ", "-"),
        "password": "carrier-pass-1",
        "status": CarrierAccount.Status.ACTIVE,
        # Connected accounts have had their balance read (connect_existing does), so their
        # ledger can open (R14).
        "balance_synced_at": timezone.now(),
    }
    fields.update(overrides)
    return CarrierAccount.objects.create(merchant=merchant, nickname=nickname, **fields)


# What a support agent types into the console's "Why" box: every look-up needs one.
SUPPORT_WHY = "Ticket 4711: label not refunded"


def make_support_agent(email: str = "agent@shipdesk.test", *, is_staff: bool = False):
    """A user in the `Support` group (created by a data migration; re-made after a flush)."""
    from django.contrib.auth.models import Group, Permission

    group, created = Group.objects.get_or_create(name="Support")
    if created:
        group.permissions.add(Permission.objects.get(codename="use_support_console"))
    user = make_user(email)
    user.is_staff = is_staff
    user.save(update_fields=["is_staff"])
    user.groups.add(group)
    return user


def admin_url(model, view: str, *args) -> str:
    """The Django admin's ``view`` page (changelist, add, change, delete) of ``model``."""
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_{view}", args=args)


def admin_search(client, model, term: str) -> set[int]:
    """The ids the admin's change list of ``model`` shows for a search of ``term``."""
    response = client.get(admin_url(model, "changelist"), {"q": term})
    assert response.status_code == 200
    return {obj.pk for obj in response.context["cl"].result_list}
