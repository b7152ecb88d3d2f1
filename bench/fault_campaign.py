"""Money under faults (DESIGN.md section 6, R13, R14, R28): a randomized campaign of
purchases, labels, voids, auto-fundings, follow-ups and balance syncs against the Stamps.com
sandbox, with injected delays, timeouts, HTTP 500s and answers dropped after the carrier
committed; in this long mode, also a django-q2 worker killed (SIGKILL) in the middle of
following purchases, and one killed in the middle of a label batch, which is then resumed.
Faults also hit the WSDL fetch (the parsed WSDL forgotten first) and the very first call of
each account, including accounts connected mid-campaign (issue 20). Afterwards, for every
account: the ledger equals the sandbox balance to the cent, no purchase exists twice,
nothing is left in flight; a failed run prints its seed and each bad account's ledger
beside the carrier's transactions.

``tests/proof/test_fault_campaign.py`` runs a short campaign (marked ``slow``) with this
engine; ``python -m bench fault_campaign [--seeds 1,2,3]`` (or ``SEEDS=1,2,3``) runs the
long one once per seed, each on a throwaway database, and reports the mismatches per seed
and in total.
Labels are bought and voided for real through ``shipments.labels`` (faults on CreateIndicium
and CancelIndicium), and also simulated at the carrier (balance and control total move,
ShipDesk debits its ledger) to exercise auto-funding at a higher rate.
"""

from __future__ import annotations

import contextlib
import os
import random
import signal
import subprocess
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from decimal import Decimal

FAULT_KINDS = ("delay", "timeout", "http500", "drop_after_commit")
AMOUNTS = ["10", "25", "50", "100", "20.01", "40.02"]  # 20.01 pends, 40.02 is declined
# Real labels and voids through shipments.labels (buy_label, void_label) beside the simulated
# ones ("label", "void"), which keep the carrier-side arithmetic honest on their own.
MOVES = ["buy"] * 4 + ["label"] * 4 + ["void"] * 2 + ["auto"] * 2 + ["follow"] * 2 + ["sync"]
MOVES += ["buy_label"] * 3 + ["void_label"] * 2
# A label batch of 2-5 orders run by its job (shipments.batches.run_batch), faults on
# CreateIndicium during it; a third of them die after their first label (the worker gone) and
# are resumed later, by a later batch move or the drain, as the merchant's "Resume" does.
MOVES += ["batch"] * 2
# A new account connected mid-campaign, its very first carrier call (the WSDL, authenticating,
# reading its balance) often failing: its ledger must still open with the carrier's balance.
MOVES += ["new_account"]
BATCH_DEATH_CHANCE = 1 / 3
# Before this share of moves the parsed WSDL is forgotten and its next fetch faulted, so a move
# can fail before any operation is sent (what a process starting while Stamps.com is down sees).
WSDL_FAULT_CHANCE = 0.04
MAX_ACCOUNTS = 8
FIRST_CALLS = ("WSDL", "AuthenticateUser", "GetAccountInfo")


class WorkerDied(Exception):
    """Raised inside an inline batch run to stand for its worker being killed."""


@dataclass
class Counts:
    operations: Counter = field(default_factory=Counter)
    faults: Counter = field(default_factory=Counter)
    skipped: int = 0  # labels not bought for want of postage
    refused: int = 0  # FundsError shown to the merchant (declined card, maximum, ...)
    retries: int = 0
    follow_ups: int = 0
    worker_kills: int = 0
    interrupted: int = 0  # purchases left in flight by a killed worker
    batches: int = 0  # label batches created and run
    batch_items: int = 0
    batch_deaths: int = 0  # runs that died mid-batch (inline, or a SIGKILLed worker)
    batch_resumes: int = 0
    batch_labels: int = 0  # batch items that ended with a label
    batch_failed: int = 0  # batch items that ended failed, with a reason
    wsdl_faults: int = 0  # WSDL fetches faulted
    first_call_faults: int = 0  # new accounts whose first carrier call was faulted
    new_accounts: int = 0
    mismatches: list[str] = field(default_factory=list)
    details: list[str] = field(default_factory=list)  # ledgers beside the carrier, on failure
    seed: int | None = None

    def report(self) -> str:
        ops = ", ".join(f"{k} {v}" for k, v in sorted(self.operations.items()))
        faults = ", ".join(f"{k} {v}" for k, v in sorted(self.faults.items()))
        return (
            f"operations: {sum(self.operations.values())} ({ops})\n"
            f"faults injected: {sum(self.faults.values())} ({faults})\n"
            f"retries (client re-sends): {self.retries}; purchase follow-ups: "
            f"{self.follow_ups}; refused with a message: {self.refused}; "
            f"labels skipped for want of postage: {self.skipped}; "
            f"workers killed: {self.worker_kills} (purchases left in flight: "
            f"{self.interrupted})\n"
            f"batches run: {self.batches} ({self.batch_items} items: {self.batch_labels} "
            f"labelled, {self.batch_failed} failed with a reason); batch runs that died "
            f"mid-batch: {self.batch_deaths}, resumed: {self.batch_resumes}\n"
            f"WSDL fetches faulted: {self.wsdl_faults}; accounts connected mid-campaign: "
            f"{self.new_accounts}; first calls of a new account faulted: "
            f"{self.first_call_faults}\n"
            f"mismatches: {len(self.mismatches)}"
            + "".join(f"\n  - {m}" for m in self.mismatches)
            + "".join(f"\n{d}" for d in self.details)
            + (
                f"\nseed {self.seed} failed: replay it with SEED={self.seed}"
                if self.mismatches and self.seed is not None
                else ""
            )
        )


class Campaign:
    """``api`` is carriers.stamps.sandbox.api; ``accounts`` are connected CarrierAccounts
    whose usernames exist at the sandbox."""

    def __init__(self, api, accounts, *, seed: int = 0, timeout_delay: float = 1.2):
        self.moves = list(MOVES)
        self.api = api
        self.accounts = list(accounts)
        self.rng = random.Random(seed)
        self.timeout_delay = timeout_delay
        self.counts = Counts(seed=seed)
        self.seed = seed
        self.labels: list[tuple[int, str, Decimal]] = []  # (account pk, reference, cost)
        # Simulated labels and voids done at the carrier: (account pk, what, reference, amount).
        self.carrier_moves: list[tuple[int, str, str, Decimal]] = []
        self.label_seq = 0
        self.order_seq = 0

    # -- faults ---------------------------------------------------------------------------

    def maybe_fault(self, operation: str, chance: float = 0.5) -> None:
        if self.rng.random() >= chance:
            return
        kind = self.rng.choice(FAULT_KINDS)
        # Up to the client's own retries plus one: sometimes it has to give up and follow up.
        times = self.rng.randint(1, 3)
        delay = self.rng.uniform(0.01, 0.15) if kind == "delay" else self.timeout_delay
        if kind == "timeout":
            times = 1  # each one costs the client's whole timeout
        if operation == "WSDL":
            times = 1  # one fetch per parse; the client does not retry it
        self.api.set_fault(operation, kind, delay=delay, times=times)
        self.counts.faults[kind] += times

    def fault_the_wsdl(self) -> None:
        """Forget the parsed WSDL (and tokens): the next call fetches it, and that fails."""
        from carriers.stamps import client as stamps_client

        stamps_client.reset_wsdl_cache()
        self.maybe_fault("WSDL", chance=1.0)
        self.counts.wsdl_faults += 1

    # -- moves ----------------------------------------------------------------------------

    def step(self) -> None:
        from funding import services

        move = self.rng.choice(self.moves)
        account = self.rng.choice(self.accounts)
        account.refresh_from_db()
        self.counts.operations[move] += 1
        if self.rng.random() < WSDL_FAULT_CHANCE:
            self.fault_the_wsdl()
        try:
            getattr(self, f"do_{move}")(account)
        except services.FundsError:
            self.counts.refused += 1
        finally:
            self.api.clear_faults()

    def do_buy(self, account) -> None:
        from funding import services

        self.maybe_fault("PurchasePostage")
        services.add_funds(account, Decimal(self.rng.choice(AMOUNTS)))

    def do_label(self, account) -> None:
        """A label bought at the carrier and debited in the ledger, then the auto-funding
        check that follows every debit."""
        from django.db import transaction

        from carriers.stamps import errors
        from funding import ledger, services

        cost = Decimal(self.rng.randint(300, 4000)) / 100
        try:
            services.open_book(account)  # as buy_label does before CreateIndicium
        except errors.StampsError:
            self.counts.refused += 1
            return
        carrier_side = self.api.get_account(account.username)
        if carrier_side.balance < cost:
            self.counts.skipped += 1
            return
        carrier_side.balance -= cost
        carrier_side.control_total += cost
        carrier_side.save(update_fields=["balance", "control_total"])
        self.label_seq += 1
        reference = f"L{self.label_seq}"
        self.carrier_moves.append((account.pk, "label", reference, -cost))
        with transaction.atomic():
            ledger.debit_for_label(account, cost, reference)
        self.labels.append((account.pk, reference, cost))
        self.maybe_fault("PurchasePostage", chance=0.3)
        services.check_auto_funding(account.pk)

    def do_buy_label(self, account) -> None:
        """A real label through shipments.labels.buy_label (R28), faults on CreateIndicium;
        a failed buy is retried for the same order, as the merchant (or batch) would."""
        from django.utils import timezone

        from funding import services
        from shipments import labels
        from shipments.models import Shipment

        retry = Shipment.objects.filter(account=account, status=Shipment.Status.BUYING).first()
        order = retry.order if retry is not None else self.new_order(account)
        self.maybe_fault("CreateIndicium")
        try:
            labels.buy_label(order, account, "US-PM", timezone.localdate())
        except labels.LabelError:
            self.counts.refused += 1
        self.maybe_fault("PurchasePostage", chance=0.3)
        services.check_auto_funding(account.pk)

    def new_order(self, account):
        from locations.models import ShipFromLocation
        from tests.factories import make_order, make_ship_from

        ship_from = ShipFromLocation.objects.filter(merchant_id=account.merchant_id).first()
        if ship_from is None:
            ship_from = make_ship_from(account.merchant)
        self.order_seq += 1
        return make_order(account.merchant, f"FC-{account.pk}-{self.order_seq}",
                          ship_from=ship_from, service="US-PM", package_type="Package",
                          weight_lb=0, weight_oz=Decimal(self.rng.randint(2, 15)),
                          confirmation="tracking")  # fmt: skip

    def new_batch(self, account, size: int):
        """A batch of ``size`` new orders through shipments.batches.create_batch, not queued:
        the campaign runs its job itself (``enqueue=True`` queues it for a real worker)."""
        from unittest import mock

        from django.utils import timezone

        from shipments import batches

        orders = [self.new_order(account) for _ in range(size)]
        with mock.patch.object(batches, "enqueue", lambda batch: None):
            batch = batches.create_batch(
                account.merchant, [o.pk for o in orders], account, timezone.localdate()
            )
        self.counts.batches += 1
        self.counts.batch_items += size
        return batch

    def run_batch(self, batch_id: int, *, die_after: int | None = None) -> None:
        """The batch job, inline. ``die_after``: the run stops (as if its worker were killed)
        once that many items are done; the items in flight in its other threads finish."""
        from unittest import mock

        from shipments import batches

        if die_after is None:
            batches.run_batch(batch_id)
            return
        real = batches._buy_item
        done = []

        def buy_then_maybe_die(item, batch):
            result = real(item, batch)
            done.append(item.pk)
            if len(done) >= die_after:
                raise WorkerDied
            return result

        with mock.patch.object(batches, "_buy_item", buy_then_maybe_die):
            try:
                batches.run_batch(batch_id)
            except WorkerDied:
                self.counts.batch_deaths += 1

    def resume_batches(self, account=None) -> None:
        """Every batch whose worker is gone, run again (what "Resume" queues)."""
        import datetime as dt

        from django.utils import timezone

        from shipments import batches
        from shipments.models import Batch

        later = timezone.now() + batches.stale_after() + dt.timedelta(seconds=1)
        left = Batch.objects.exclude(status=Batch.Status.DONE)
        if account is not None:
            left = left.filter(account=account)
        for batch in left.order_by("pk"):
            if batches.is_stale(batch, now=later):  # as it will be once the merchant waited
                self.counts.batch_resumes += 1
                self.run_batch(batch.pk)

    def do_batch(self, account) -> None:
        """A label batch of 2-5 orders, faults on CreateIndicium while its job runs."""
        from funding import services

        self.resume_batches(account)
        batch = self.new_batch(account, self.rng.randint(2, 5))
        self.maybe_fault("CreateIndicium", chance=0.7)
        self.maybe_fault("CreateIndicium", chance=0.4)
        die = self.rng.random() < BATCH_DEATH_CHANCE
        self.run_batch(batch.pk, die_after=1 if die else None)
        self.maybe_fault("PurchasePostage", chance=0.3)
        services.check_auto_funding(account.pk)

    def do_void_label(self, account) -> None:
        from shipments import labels
        from shipments.models import Shipment

        # A void left "voiding" by a lost answer is tried again first, as the merchant would.
        shipment = (
            Shipment.objects.filter(account=account, status=Shipment.Status.VOIDING).first()
            or Shipment.objects.filter(account=account, status=Shipment.Status.BOUGHT)
            .order_by("?")
            .first()
        )
        if shipment is None:
            return
        self.maybe_fault("CancelIndicium")
        try:
            labels.void_label(shipment)
        except labels.LabelError:
            self.counts.refused += 1

    def do_void(self, account) -> None:
        from django.db import transaction

        from funding import ledger

        mine = [i for i, (pk, _, _) in enumerate(self.labels) if pk == account.pk]
        if not mine:
            return
        _, reference, cost = self.labels.pop(self.rng.choice(mine))
        carrier_side = self.api.get_account(account.username)
        carrier_side.balance += cost
        carrier_side.save(update_fields=["balance"])
        self.carrier_moves.append((account.pk, "void", reference, cost))
        with transaction.atomic():
            ledger.refund_for_void(account, cost, reference)

    def do_new_account(self, account) -> None:
        """Connect one more account (of the same store), its first call faulted."""
        if len(self.accounts) >= MAX_ACCOUNTS:
            return
        [new] = make_accounts(
            self.api, account.merchant, 1, start=len(self.accounts), campaign=self
        )
        self.accounts.append(new)
        self.counts.new_accounts += 1

    def do_auto(self, account) -> None:
        from funding import services

        self.maybe_fault("PurchasePostage")
        services.check_auto_funding(account.pk)

    def do_follow(self, account) -> None:
        from funding import services
        from funding.models import PostagePurchase

        purchase = (
            PostagePurchase.objects.filter(account=account, status__in=PostagePurchase.IN_FLIGHT)
            .order_by("?")
            .first()
        )
        if purchase is None:
            return
        self.maybe_fault(self.rng.choice(["GetAccountInfo", "PurchasePostage"]))
        services.resolve_purchase(purchase)

    def do_sync(self, account) -> None:
        from carriers.stamps import errors
        from funding import services

        self.maybe_fault("GetAccountInfo")
        # The page says "couldn't reach Stamps.com"; nothing changed.
        with contextlib.suppress(errors.CarrierUnavailable):
            services.sync_balance(account)

    # -- the end ---------------------------------------------------------------------------

    def run(self, rounds: int) -> Counts:
        for _ in range(rounds):
            self.step()
        return self.counts

    def drain(self, attempts: int = 20) -> None:
        """Faults off; follow every purchase, label and void still in flight to its end (the
        sweeps' job)."""
        from funding import services
        from funding.models import PostagePurchase
        from shipments import jobs

        self.api.clear_faults()
        self.resume_batches()
        jobs.sweep_labels(older_than=None)
        for _ in range(attempts):
            left = list(PostagePurchase.objects.filter(status__in=PostagePurchase.IN_FLIGHT))
            if not left:
                return
            for purchase in left:
                services.resolve_purchase(purchase)

    def verify(self) -> list[str]:
        from carriers.models import CarrierCall
        from funding.models import PostagePurchase

        self.drain()
        problems = self.counts.mismatches
        self.counts.retries = CarrierCall.objects.filter(attempt__gt=1).count()
        self.counts.follow_ups = sum(PostagePurchase.objects.values_list("checks", flat=True))
        from shipments.models import Shipment

        buying = Shipment.objects.filter(status=Shipment.Status.BUYING).count()
        if buying:
            problems.append(f"{buying} label(s) still buying")
        voiding = Shipment.objects.filter(status=Shipment.Status.VOIDING).count()
        if voiding:
            problems.append(f"{voiding} label(s) still voiding")
        problems.extend(self.verify_batches())
        for p in PostagePurchase.objects.filter(status__in=PostagePurchase.IN_FLIGHT):
            last = CarrierCall.objects.filter(account=p.account_id).order_by("-pk").first()
            problems.append(
                f"purchase {p.integrator_tx_id} still {p.status} after {p.checks} checks "
                f"(last call: {last.operation if last else '-'} {last.outcome if last else ''} "
                f"{last.fault_text[:120] if last else ''})"
            )
        for account in self.accounts:
            before = len(problems)
            self.check_account(account, problems)
            if len(problems) > before:
                self.counts.details.append(
                    ledger_beside_carrier(self.api, account, self.carrier_moves)
                )
        return problems

    def check_account(self, account, problems: list[str]) -> None:
        from carriers.stamps.sandbox.models import Purchase
        from funding import ledger, services
        from funding.models import PostagePurchase
        from shipments.models import Shipment

        account.refresh_from_db()
        carrier = self.api.get_balance(account.username)
        ours = ledger.ledger_balance(account)
        if ours != carrier:
            problems.append(f"{account.username}: ledger {ours} != carrier {carrier}")
        if services.reconcile(account) is not None:
            problems.append(f"{account.username}: reconcile reports drift")
        at_carrier = Counter(p.integrator_tx_id for p in self.api.purchases(account.username))
        twice = [tx for tx, n in at_carrier.items() if n > 1]
        if twice:
            problems.append(f"{account.username}: purchased twice: {twice}")
        settled = {p.integrator_tx_id for p in self.api.purchases(account.username)
                   if p.status == Purchase.SUCCESS}  # fmt: skip
        recorded = set(
            PostagePurchase.objects.filter(account=account, status="success").values_list(
                "integrator_tx_id", flat=True
            )
        )
        if settled != recorded:
            problems.append(
                f"{account.username}: carrier-only {sorted(settled - recorded)}, "
                f"ShipDesk-only {sorted(recorded - settled)}"
            )
        made = Counter(i.integrator_tx_id for i in self.api.indicia(account.username))
        if any(n > 1 for n in made.values()):
            problems.append(f"{account.username}: a label was created twice")
        ours = Counter(
            Shipment.objects.filter(account=account, status__in=["bought", "voided"]).values_list(
                "order_id", flat=True
            )
        )
        labelled = set(made)
        recorded_labels = set(
            Shipment.objects.filter(account=account, status__in=["bought", "voided"]).values_list(
                "integrator_tx_id", flat=True
            )
        )
        if labelled != recorded_labels:
            problems.append(
                f"{account.username}: labels at the carrier only "
                f"{sorted(labelled - recorded_labels)}, in ShipDesk only "
                f"{sorted(recorded_labels - labelled)}"
            )
        del ours
        autos = PostagePurchase.objects.filter(account=account, automatic=True)
        keys = Counter(autos.values_list("idempotency_key", flat=True))
        if any(n > 1 for n in keys.values()):
            problems.append(f"{account.username}: auto-funding bought twice for one drop")

    def verify_batches(self) -> list[str]:
        """Every batch done, each item bought (with its label) or failed (with a reason and
        no label of the batch for its order); every order shipped with one label or awaiting
        shipment with none."""
        from orders.models import Order
        from shipments.models import Batch, BatchItem, Shipment

        problems = []
        for batch in Batch.objects.exclude(status=Batch.Status.DONE):
            problems.append(f"batch {batch.pk} still {batch.status} after {batch.runs} runs")
        items = BatchItem.objects.select_related("shipment")
        self.counts.batch_labels = items.filter(status=BatchItem.Status.BOUGHT).count()
        self.counts.batch_failed = items.filter(status=BatchItem.Status.FAILED).count()
        labelled = set(
            Shipment.objects.filter(batch__isnull=False, status__in=["bought", "voided"])
            .values_list("batch_id", "order_id")
        )  # fmt: skip
        for item in items:
            where = f"batch {item.batch_id} item for order {item.order_id}"
            if item.status == BatchItem.Status.PENDING:
                problems.append(f"{where} still pending")
            elif item.status == BatchItem.Status.BOUGHT:
                if item.shipment is None or item.shipment.status not in ("bought", "voided"):
                    status = item.shipment.status if item.shipment else "no label"
                    problems.append(f"{where} bought, but its label is {status}")
            elif not item.reason:
                problems.append(f"{where} failed without a reason")
            elif (item.batch_id, item.order_id) in labelled:
                problems.append(f"{where} failed, but the batch bought its label")
        bought = Counter(
            Shipment.objects.filter(status=Shipment.Status.BOUGHT).values_list(
                "order_id", flat=True
            )
        )
        if any(n > 1 for n in bought.values()):
            problems.append("an order has two live labels")
        for order in Order.objects.filter(number__startswith="FC-"):
            if order.status == Order.Status.SHIPPED and not bought[order.pk]:
                problems.append(f"order {order.number} shipped without a label")
            elif order.status == Order.Status.AWAITING_SHIPMENT and bought[order.pk]:
                problems.append(f"order {order.number} awaiting shipment with a label")
            elif order.status not in (Order.Status.SHIPPED, Order.Status.AWAITING_SHIPMENT):
                problems.append(f"order {order.number} is {order.status}")
        return problems


def make_accounts(
    api, merchant, count: int, *, balance: str = "300.00", start: int = 0, campaign=None
):
    """``count`` sandbox accounts holding ``balance``, connected as a just-verified account
    is (ShipDesk has not read the balance yet), each with auto-funding on: turning it on is
    their first carrier call. With a ``campaign``, that first call is often faulted (the
    WSDL fetch, AuthenticateUser or GetAccountInfo)."""
    from carriers.models import CarrierAccount
    from funding import services

    api.set_pending_settlement(calls=1, seconds=600)
    accounts = []
    for i in range(start, start + count):
        username = f"campaign-{i}"
        api.create_account(username, "Campaign1234", balance=Decimal(balance))
        account = CarrierAccount.objects.create(
            merchant=merchant,
            nickname=f"Campaign {i}",
            username=username,
            password="Campaign1234",
            status=CarrierAccount.Status.ACTIVE,
            is_default=i == 0,
        )
        if campaign is not None and campaign.rng.random() < 0.6:
            first = campaign.rng.choice(FIRST_CALLS)
            if first == "WSDL":
                campaign.fault_the_wsdl()
            else:
                campaign.maybe_fault(first, chance=1.0)
            campaign.counts.first_call_faults += 1
        try:
            services.save_auto_funding(
                account,
                enabled=True,
                threshold=Decimal("100"),
                amount=Decimal(["50", "100", "200"][i % 3]),
                max_per_day=24,
            )
        finally:
            api.clear_faults()
        accounts.append(account)
    return accounts


def ledger_beside_carrier(api, account, carrier_moves=()) -> str:
    """An account's ledger next to what the carrier did, for a failed run's report."""
    from funding.models import LedgerEntry

    lines = [f"  {account.username}: ledger (oldest first)"]
    for e in LedgerEntry.objects.filter(account=account).order_by("pk"):
        lines.append(
            f"    #{e.pk} {e.kind:<13} {e.amount:>9} -> {e.balance_after:>9}  "
            f"{e.reference or e.memo}"
        )
    lines.append(
        f"  {account.username}: at the carrier (balance {api.get_balance(account.username)})"
    )
    for p in api.purchases(account.username):
        lines.append(
            f"    purchase {p.integrator_tx_id} {p.amount:>9} {p.status}"
            f"{' auto-buy' if p.auto_buy else ''} -> {p.balance_after}"
        )
    for i in api.indicia(account.username):
        lines.append(
            f"    label {i.integrator_tx_id} {-(i.postage + i.add_ons_total):>9} -> "
            f"{i.balance_after}{' voided' if i.voided_at else ''}"
        )
    for pk, what, reference, amount in carrier_moves:
        if pk == account.pk:
            lines.append(f"    simulated {what} {reference} {amount:>9}")
    return "\n".join(lines)


# -- the long mode: python -m bench fault_campaign -------------------------------------------

# python -m bench fault_campaign [--seeds 1,2,3]  (or SEEDS=1,2,3, or SEED=1): one campaign per
# seed, each on a fresh database, then the mismatches per seed and in total.
ROUNDS = int(os.environ.get("FAULT_CAMPAIGN_ROUNDS", "2000"))
KILLS = int(os.environ.get("FAULT_CAMPAIGN_KILLS", "3"))


def _kill_a_worker_mid_job(api, accounts, counts: Counts, env: dict[str, str]) -> None:
    """Purchases handed to a real qcluster whose answers are slow; SIGKILL the cluster while
    it is inside the call, so the jobs die half-way. The sweep must finish them later."""
    from django_q.tasks import async_task

    from funding import services
    from funding.models import PostagePurchase

    purchases = []
    for account in accounts:
        account.refresh_from_db()
        try:
            purchases.append(services.reserve_purchase(account, Decimal("10")))
        except services.FundsError:
            continue
    # Slow answers, some committed then dropped: the worker dies holding them.
    api.set_fault("PurchasePostage", "delay", delay=1.5, times=len(purchases))
    counts.faults["delay"] += len(purchases)
    for purchase in purchases:
        async_task("funding.jobs.follow_purchase", purchase.pk, task_name=f"kill-{purchase.pk}")
    worker = subprocess.Popen(
        [sys.executable, "manage.py", "qcluster"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        # Killed once the carrier has seen a purchase (the slow call is under way).
        if (
            any(api.purchases(a.username) for a in accounts)
            or PostagePurchase.objects.filter(
                pk__in=[p.pk for p in purchases], checks__gt=0
            ).exists()
        ):
            break
        time.sleep(0.1)
    time.sleep(0.5)
    os.killpg(worker.pid, signal.SIGKILL)
    worker.wait()
    counts.worker_kills += 1
    counts.interrupted += PostagePurchase.objects.filter(
        pk__in=[p.pk for p in purchases], status__in=PostagePurchase.IN_FLIGHT
    ).count()
    counts.operations["worker job"] += len(purchases)
    api.clear_faults()


def _start_worker(env: dict[str, str]) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "manage.py", "qcluster"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )


def _kill_a_worker_mid_batch(campaign: Campaign, env: dict[str, str]) -> None:
    """A label batch queued for a real qcluster, slow labels and a fault on CreateIndicium;
    SIGKILL the cluster once the batch has its first label, then resume it as the merchant
    does ("Resume" once the batch is stale) and let a new cluster finish it."""
    import datetime as dt

    from django.utils import timezone

    from shipments import batches
    from shipments.models import Batch, BatchItem

    api, counts = campaign.api, campaign.counts
    account = campaign.rng.choice(campaign.accounts)
    account.refresh_from_db()
    size = campaign.rng.randint(3, 5)
    batch = campaign.new_batch(account, size)
    campaign.maybe_fault("CreateIndicium", chance=1.0)  # first in line, then slow answers
    api.set_fault("CreateIndicium", "delay", delay=0.8, times=size)
    counts.faults["delay"] += size
    batches.enqueue(batch)
    worker = _start_worker(env)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if batch.items.exclude(status=BatchItem.Status.PENDING).exists():
            break
        time.sleep(0.1)
    os.killpg(worker.pid, signal.SIGKILL)
    worker.wait()
    counts.worker_kills += 1
    batch.refresh_from_db()
    if batch.finished:
        return  # it won the race: nothing to resume
    counts.batch_deaths += 1
    api.clear_faults()
    stale = timezone.now() - batches.stale_after() - dt.timedelta(seconds=1)
    Batch.objects.filter(pk=batch.pk).update(heartbeat_at=stale)  # the merchant waited
    batch.refresh_from_db()
    if not batches.resume(batch):
        campaign.counts.mismatches.append(f"batch {batch.pk} could not be resumed")
        return
    counts.batch_resumes += 1
    worker = _start_worker(env)
    try:
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline and not Batch.objects.get(pk=batch.pk).finished:
            time.sleep(0.2)
    finally:
        os.killpg(worker.pid, signal.SIGTERM)
        try:
            worker.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(worker.pid, signal.SIGKILL)
            worker.wait()


def seeds_from(argv: list[str], environ) -> list[int]:
    """``--seeds 1,2,3`` (or ``--seeds=1,2,3``), else ``SEEDS=1,2,3``, else ``SEED`` (one),
    else 2026."""
    raw = ""
    for i, arg in enumerate(argv):
        if arg == "--seeds" and i + 1 < len(argv):
            raw = argv[i + 1]
        elif arg.startswith("--seeds="):
            raw = arg.split("=", 1)[1]
    raw = raw or environ.get("SEEDS", "") or environ.get("SEED", "") or "2026"
    return [int(part) for part in raw.replace(" ", ",").split(",") if part.strip()]


def main() -> int:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "shipdesk.settings")
    import django

    django.setup()
    import logging

    # The injected HTTP 500s would otherwise print a traceback each.
    logging.getLogger("django.request").setLevel(logging.CRITICAL)
    seeds = seeds_from(sys.argv[1:], os.environ)
    results: list[tuple[int, int, float]] = []
    for seed in seeds:
        print(f"-- seed {seed}: {ROUNDS} rounds, {KILLS} worker kill(s) --", flush=True)
        started = time.perf_counter()
        counts = run_one(seed)
        results.append((seed, len(counts.mismatches), time.perf_counter() - started))
    total = sum(n for _, n, _ in results)
    print(f"seeds run: {len(results)}; mismatches per seed:")
    for seed, n, elapsed in results:
        print(f"  seed {seed}: {n} mismatch(es) ({elapsed:.0f} s)")
    print(f"total mismatches: {total}")
    return 1 if total else 0


def run_one(seed: int) -> Counts:
    """One campaign on its own throwaway database and sandbox server."""
    from django.conf import settings
    from django.core.handlers.wsgi import WSGIHandler
    from django.db import connection

    from bench.stamps_client import _serve, _TimedApp

    settings.STAMPS_SANDBOX = True
    settings.DEBUG = False
    settings.STAMPS_TIMEOUT = 1
    settings.STAMPS_RETRY_BACKOFF_MS = 0
    tmp = tempfile.TemporaryDirectory()
    if connection.vendor == "sqlite":
        connection.settings_dict["TEST"]["NAME"] = os.path.join(tmp.name, "fault_campaign.sqlite3")
    else:
        connection.settings_dict["TEST"]["NAME"] = "bench_fault_campaign"
    old_name = connection.settings_dict["NAME"]
    poll_seconds = settings.FUNDING_POLL_SECONDS
    connection.creation.create_test_db(verbosity=0, autoclobber=True)
    server = None
    try:
        from carriers.stamps import client as stamps_client
        from carriers.stamps.sandbox import api
        from funding import jobs
        from tests.factories import make_merchant
        from tests.support import ROOT

        server = _serve(_TimedApp(WSGIHandler()))
        url = f"http://127.0.0.1:{server.server_port}/sandbox/stamps/swsim.asmx"
        settings.STAMPS_SANDBOX_URL = url
        stamps_client.reset_wsdl_cache()
        api.reset()
        merchant = make_merchant("Campaign Goods", owner_email="campaign@bench.test")
        campaign = Campaign(api, [], seed=seed)
        campaign.accounts = make_accounts(api, merchant, 4, campaign=campaign)
        accounts = campaign.accounts
        s = connection.settings_dict
        db_url = (
            f"sqlite:///{s['NAME']}"
            if connection.vendor == "sqlite"
            else f"postgres://{s.get('USER') or ''}@{s.get('HOST') or '127.0.0.1'}"
            f":{s.get('PORT') or 5432}/{s['NAME']}"
        )
        env = {
            **os.environ,
            "DATABASE_URL": db_url,
            "STAMPS_SANDBOX_URL": url,
            "STAMPS_TIMEOUT": "1",
            "STAMPS_RETRY_BACKOFF_MS": "0",
            "Q_WORKERS": "1",
            "STAMPS_SANDBOX": "1",
            "LABEL_BATCH_THREADS": "2",
        }
        os.chdir(ROOT)
        started = time.perf_counter()
        per_leg = max(1, ROUNDS // (KILLS + 1))
        for leg in range(KILLS + 1):
            campaign.run(per_leg)
            if leg < KILLS:
                _kill_a_worker_mid_job(api, accounts, campaign.counts, env)
                _kill_a_worker_mid_batch(campaign, env)
        # What the periodic sweep does for jobs that died with their worker.
        settings.FUNDING_POLL_SECONDS = 0
        jobs.sweep_purchases()
        campaign.verify()
        elapsed = time.perf_counter() - started
        print(campaign.counts.report())
        print(f"{elapsed:.1f} s, {len(campaign.accounts)} accounts", flush=True)
        return campaign.counts
    finally:
        settings.FUNDING_POLL_SECONDS = poll_seconds
        if server is not None:
            server.shutdown()
        connection.creation.destroy_test_db(old_name, verbosity=0)
        tmp.cleanup()


if __name__ == "__main__":
    sys.exit(main())
