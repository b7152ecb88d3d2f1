"""Create (or refresh) the demo merchant. Safe to run any number of times."""

from __future__ import annotations

import random
from datetime import timedelta
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils import timezone

from locations.models import ShipFromLocation
from merchants.confirmation import is_confirmed, mark_confirmed
from merchants.models import Membership, Merchant
from orders.models import Order, OrderItem

DEMO_SLUG = "demo"
DEMO_EMAIL = "demo@shipdesk.test"
DEMO_PASSWORD = "demo-shipdesk"

PRODUCTS = [
    ("MUG-11", "Stoneware mug, 11 oz", Decimal("18.00"), Decimal("14.0")),
    ("TEE-BLK-M", "Organic cotton tee, black, M", Decimal("24.00"), Decimal("6.5")),
    ("CARD-SET", "Letterpress card set", Decimal("12.50"), Decimal("3.0")),
    ("CANDLE-CED", "Cedar soy candle", Decimal("22.00"), Decimal("16.0")),
    ("TOTE-NAT", "Canvas tote, natural", Decimal("19.00"), Decimal("8.0")),
    ("PRINT-A3", "Art print, A3", Decimal("35.00"), Decimal("5.0")),
    ("SOCK-WOOL", "Merino socks", Decimal("16.00"), Decimal("3.5")),
    ("KIT-POUR", "Pour-over coffee kit", Decimal("64.00"), Decimal("38.0")),
]

# (name, street, city, state, postal code, country)
DESTINATIONS = [
    ("Maria Gonzalez", "742 Evergreen Ter", "Springfield", "IL", "62704", "US"),
    ("James Carter", "1600 Amphitheatre Pkwy", "Mountain View", "CA", "94043", "US"),
    ("Aisha Patel", "350 5th Ave", "New York", "NY", "10118", "US"),
    ("Tom Becker", "233 S Wacker Dr", "Chicago", "IL", "60606", "US"),
    ("Linda Nguyen", "1 Microsoft Way", "Redmond", "WA", "98052", "US"),
    ("Carlos Rivera", "2000 Ponce De Leon Blvd", "Coral Gables", "FL", "33134", "US"),
    ("Emily Johnson", "77 Massachusetts Ave", "Cambridge", "MA", "02139", "US"),
    ("Noah Williams", "500 Congress Ave", "Austin", "TX", "78701", "US"),
    ("Grace Kim", "1 Ferry Building", "San Francisco", "CA", "94111", "US"),
    ("Owen Murphy", "400 Broad St", "Seattle", "WA", "98109", "US"),
    ("Chloe Tremblay", "1000 Rue De La Gauchetiere O", "Montreal", "QC", "H3B 4W5", "CA"),
    ("Liam MacDonald", "301 Front St W", "Toronto", "ON", "M5V 2T6", "CA"),
    ("Olivia Smith", "10 Downing St", "London", "", "SW1A 2AA", "GB"),
    ("Lukas Schmidt", "Unter den Linden 77", "Berlin", "", "10117", "DE"),
    ("Yuki Tanaka", "1-1 Chiyoda", "Tokyo", "", "100-8111", "JP"),
    ("Sophie Martin", "5 Avenue Anatole France", "Paris", "", "75007", "FR"),
    ("Jack Wilson", "1 Macquarie St", "Sydney", "NSW", "2000", "AU"),
    # Hong Kong has no postal codes (R19).
    ("Wing Chan", "8 Finance St, Central", "Hong Kong", "", "", "HK"),
    ("SGT Mark Davis", "Unit 2050 Box 4190", "APO", "AP", "96278", "US"),
    ("LT Sarah Brooks", "PSC 1234 Box 5678", "FPO", "AE", "09012", "US"),
]


class Command(BaseCommand):
    help = "Create the demo merchant, its owner, a ship-from location and sample orders."

    def add_arguments(self, parser):
        parser.add_argument("--orders", type=int, default=50, help="How many demo orders.")

    @transaction.atomic
    def handle(self, *args, orders: int = 50, **options):
        User = get_user_model()
        user, created = User.objects.get_or_create(
            username=DEMO_EMAIL, defaults={"email": DEMO_EMAIL, "first_name": "Dana"}
        )
        if created or not user.check_password(DEMO_PASSWORD):
            user.set_password(DEMO_PASSWORD)
            user.save()
        if not is_confirmed(user):
            mark_confirmed(user)  # the demo owner can spend sandbox postage straight away
        merchant, _ = Merchant.objects.get_or_create(
            slug=DEMO_SLUG,
            defaults={"name": "Evergreen Goods Co.", "time_zone": "America/Los_Angeles"},
        )
        Membership.objects.get_or_create(
            merchant=merchant, user=user, defaults={"role": Membership.Role.OWNER}
        )
        ship_from, _ = ShipFromLocation.objects.update_or_create(
            merchant=merchant,
            name="Portland warehouse",
            defaults={
                "contact_name": "Dana Whitfield",
                "company": "Evergreen Goods Co.",
                "street1": "1120 NW Couch St",
                "city": "Portland",
                "state": "OR",
                "postal_code": "97209",
                "country": "US",
                "phone": "+15035550142",
                "time_zone": "America/Los_Angeles",
                "is_default": True,
            },
        )
        made = self.seed_orders(merchant, ship_from, orders)
        for step in self.extra_steps():
            step(merchant, user, self.stdout)
        self.stdout.write(
            self.style.SUCCESS(
                f"Demo merchant '{merchant.name}' ready ({made} new orders). "
                f"Sign in at /accounts/login/ as {DEMO_EMAIL} / {DEMO_PASSWORD}"
            )
        )

    def extra_steps(self):
        """Later features add their demo data here (carrier accounts, rules, ...)."""
        from carriers.demo import seed_demo_carrier
        from orders.demo import seed_demo_rules

        return [seed_demo_carrier, seed_demo_rules]

    def seed_orders(self, merchant: Merchant, ship_from: ShipFromLocation, count: int) -> int:
        rng = random.Random(20261125)  # same demo every time
        now = timezone.now()
        existing = set(Order.objects.for_merchant(merchant).values_list("number", flat=True))
        new_orders, items = [], []
        for i in range(count):
            number = f"EG-{1001 + i}"
            name, street, city, state, postal, country = DESTINATIONS[i % len(DESTINATIONS)]
            picks = rng.sample(PRODUCTS, k=rng.choice([1, 1, 1, 2, 3]))
            lines = [(p, rng.choice([1, 1, 2])) for p in picks]
            if number in existing:
                continue
            order = Order(
                merchant=merchant,
                number=number,
                store=rng.choice(["Evergreen Shopify", "Evergreen Etsy", "Wholesale"]),
                order_date=now - timedelta(hours=rng.randint(1, 24 * 14)),
                status=Order.Status.ON_HOLD if i % 17 == 5 else Order.Status.AWAITING_SHIPMENT,
                recipient_name=name,
                street1=street,
                city=city,
                state=state,
                postal_code=postal,
                country=country,
                residential=i % 4 != 0,
                email=f"{name.split()[-1].lower()}{i}@example.com",
                requested_service=rng.choice(["Standard", "Priority", "Express", ""]),
                total=sum((p[2] * q for p, q in lines), Decimal("0.00")),
                tags="gift" if i % 9 == 0 else "",
                ship_from=ship_from,
            )
            order.weigh_from_items(
                OrderItem(quantity=qty, weight_oz=weight) for (_, _, _, weight), qty in lines
            )
            new_orders.append(order)
            items.append(lines)
        Order.objects.bulk_create(new_orders)
        saved = {
            o.number: o
            for o in Order.objects.for_merchant(merchant).filter(
                number__in=[o.number for o in new_orders]
            )
        }
        OrderItem.objects.bulk_create(
            OrderItem(
                order=saved[order.number],
                sku=sku,
                name=item_name,
                quantity=qty,
                unit_price=price,
                weight_oz=weight,
                customs_description=item_name.split(",")[0],
                hs_code="6912.00" if sku.startswith("MUG") else "",
            )
            for order, lines in zip(new_orders, items, strict=True)
            for (sku, item_name, price, weight), qty in lines
        )
        return len(new_orders)
