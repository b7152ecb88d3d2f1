"""Inspect, reset or seed the Stamps.com sandbox, or move its clock (tracking timelines):
manage.py stamps_sandbox [show|reset|seed|advance --hours N|realtime]."""

from __future__ import annotations

import datetime as dt

from django.core.management.base import BaseCommand

from carriers.stamps.sandbox import api, state
from carriers.stamps.sandbox.models import Account, Fault
from carriers.stamps.sandbox.seed import PASSWORD, seed


class Command(BaseCommand):
    help = "Inspect (show), empty (reset) or create the documented test accounts (seed)."

    def add_arguments(self, parser):
        parser.add_argument(
            "action",
            nargs="?",
            default="show",
            choices=["show", "reset", "seed", "advance", "realtime"],
        )
        parser.add_argument(
            "--keep",
            action="store_true",
            help="seed: create only the missing accounts, keeping the others as they are "
            "(what `make run` does on every start)",
        )
        parser.add_argument("--hours", type=float, default=24, help="for advance")

    def handle(self, *args, action: str, keep: bool = False, **options):
        if action == "advance":
            moment = state.now() + dt.timedelta(hours=options["hours"])
            api.set_clock(moment)
            self.stdout.write(f"Sandbox clock: {moment.isoformat(timespec='minutes')}")
        elif action == "realtime":
            api.set_clock(None)
            self.stdout.write("Sandbox clock: real time")
        elif action == "reset":
            api.reset()
            self.stdout.write("Sandbox state erased.")
        elif action == "seed":
            for account in seed(keep=keep):
                self.stdout.write(f"seeded {account.username}")
            self.stdout.write(f"Password for every seeded account: {PASSWORD}")
        for account in Account.objects.order_by("username"):
            self.stdout.write(
                f"{account.username:24} {account.status:22} {account.plan:9} "
                f"balance ${account.balance:>9} control ${account.control_total:>9} "
                f"labels {account.indicia.count():>4} purchases {account.purchases.count():>4}"
            )
        for fault in Fault.objects.order_by("pk"):
            left = "always" if fault.remaining is None else f"{fault.remaining} left"
            self.stdout.write(f"fault: {fault.operation} {fault.kind} delay={fault.delay} {left}")
