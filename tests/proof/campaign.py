"""The money fault campaign (DESIGN.md section 6, R13, R14, R28): randomized purchases, labels,
voids, auto-fundings, follow-ups and balance syncs against the Stamps.com sandbox, with
injected delays, timeouts, HTTP 500s and answers dropped after the carrier committed. Faults
also hit the WSDL fetch (the parsed WSDL forgotten first) and the very first call of each
account, including accounts connected mid-campaign (issue 20). Labels are bought and voided for
real through ``shipments.labels`` (faults on CreateIndicium and CancelIndicium), and also
simulated at the carrier (balance and control total move, ShipDesk debits its ledger) to
exercise auto-funding at a higher rate. Voids are refund requests the sandbox credits 0-4 s
later (R41), followed by the refund schedule's job while purchases are being followed, and
every operation can get the conversation fault 0x002b0204 (R38), which must never reach the
merchant. ``campaign_checks`` says what must hold afterwards.

``tests/proof/test_fault_campaign.py`` runs a short campaign; ``python -m bench fault_campaign``
runs the long one (with django-q2 workers killed mid-job and mid-batch) on this engine.
"""

from __future__ import annotations

import contextlib
import random
from decimal import Decimal

from tests.proof.campaign_checks import CampaignChecks, Counts

FAULT_KINDS = ("delay", "timeout", "http500", "drop_after_commit", "out_of_sync")
# Seconds from a void to the carrier's credit (R41): some land at once, some while the campaign
# goes on (racing purchase follow-ups and syncs), the rest are waited for by the drain.
REFUND_DELAYS = (0, 1, 2, 4)
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
# The refund follow-up's schedule (R41) and the hourly reconciliation, faults on their calls.
MOVES += ["refunds"] * 2 + ["reconcile"]
BATCH_DEATH_CHANCE = 1 / 3
# Before this share of moves the parsed WSDL is forgotten and its next fetch faulted, so a move
# can fail before any operation is sent (what a process starting while Stamps.com is down sees).
WSDL_FAULT_CHANCE = 0.04
MAX_ACCOUNTS = 8
FIRST_CALLS = ("WSDL", "AuthenticateUser", "GetAccountInfo")


class WorkerDied(Exception):
    """Raised inside an inline batch run to stand for its worker being killed."""


class Campaign(CampaignChecks):
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
        if kind in ("timeout", "out_of_sync"):
            # A timeout costs the client's whole timeout. A conversation fault comes before
            # any work; the client signs the call again once (R38), as it would live.
            times = 1
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
        from funding import purchases

        move = self.rng.choice(self.moves)
        account = self.rng.choice(self.accounts)
        account.refresh_from_db()
        self.counts.operations[move] += 1
        if self.rng.random() < WSDL_FAULT_CHANCE:
            self.fault_the_wsdl()
        try:
            getattr(self, f"do_{move}")(account)
        except purchases.FundsError as exc:
            self.refused(exc.message)
        finally:
            self.api.clear_faults()

    def refused(self, message: str) -> None:
        """What the merchant was told (checked: never a conversation fault, R38)."""
        self.counts.refused += 1
        self.counts.merchant_messages.append(message)

    def do_buy(self, account) -> None:
        from funding import purchases

        self.maybe_fault("PurchasePostage")
        purchases.add_funds(account, Decimal(self.rng.choice(AMOUNTS)))

    def do_label(self, account) -> None:
        """A label bought at the carrier and debited in the ledger, then the auto-funding
        check that follows every debit."""
        from django.db import transaction

        from carriers.stamps import errors
        from funding import auto_funding, ledger, purchases

        cost = Decimal(self.rng.randint(300, 4000)) / 100
        try:
            purchases.open_book(account)  # as buy_label does before CreateIndicium
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
        auto_funding.check_auto_funding(account.pk)

    def do_buy_label(self, account) -> None:
        """A real label through shipments.labels.buy_label (R28), faults on CreateIndicium;
        a failed buy is retried for the same order, as the merchant (or batch) would."""
        from django.utils import timezone

        from funding import auto_funding
        from shipments import labels
        from shipments.models import Shipment

        retry = Shipment.objects.filter(account=account, status=Shipment.Status.BUYING).first()
        order = retry.order if retry is not None else self.new_order(account)
        self.maybe_fault("CreateIndicium")
        try:
            labels.buy_label(order, account, "US-PM", timezone.localdate())
        except labels.LabelError as exc:
            self.refused(exc.message)
        self.maybe_fault("PurchasePostage", chance=0.3)
        auto_funding.check_auto_funding(account.pk)

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
        from funding import auto_funding
        from shipments import batches

        self.resume_batches(account)
        try:
            batch = self.new_batch(account, self.rng.randint(2, 5))
        except batches.BatchError as exc:
            # Refused before anything is bought: the postage the batch needs could not be
            # added yet (a purchase still being confirmed, the carrier down), as the
            # merchant is told.
            self.refused(exc.message)
            return
        self.maybe_fault("CreateIndicium", chance=0.7)
        self.maybe_fault("CreateIndicium", chance=0.4)
        die = self.rng.random() < BATCH_DEATH_CHANCE
        self.run_batch(batch.pk, die_after=1 if die else None)
        self.maybe_fault("PurchasePostage", chance=0.3)
        auto_funding.check_auto_funding(account.pk)

    def do_void_label(self, account) -> None:
        from shipments import labels, voids
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
        self.api.set_refund_delay(self.rng.choice(REFUND_DELAYS))
        self.maybe_fault("CancelIndicium")
        try:
            voids.void_label(shipment)
        except labels.LabelError as exc:
            self.refused(exc.message)

    def do_refunds(self, account) -> None:
        """The refund follow-up's scheduled run (R41)."""
        from funding import jobs

        self.maybe_fault(self.rng.choice(["GetShipmentList", "GetAccountInfo"]))
        jobs.follow_all_refunds()  # a failing account is logged and tried next time

    def do_reconcile(self, account) -> None:
        from carriers.stamps import errors
        from funding import reconciliation

        self.maybe_fault(self.rng.choice(["GetShipmentList", "GetAccountInfo"]))
        with contextlib.suppress(errors.StampsError):
            reconciliation.reconcile(account)

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
        from funding import auto_funding

        self.maybe_fault("PurchasePostage")
        auto_funding.check_auto_funding(account.pk)

    def do_follow(self, account) -> None:
        from funding import purchases
        from funding.models import PostagePurchase

        purchase = (
            PostagePurchase.objects.filter(account=account, status__in=PostagePurchase.IN_FLIGHT)
            .order_by("?")
            .first()
        )
        if purchase is None:
            return
        self.maybe_fault(self.rng.choice(["GetAccountInfo", "PurchasePostage"]))
        purchases.resolve_purchase(purchase)

    def do_sync(self, account) -> None:
        from carriers.stamps import errors
        from funding import purchases

        self.maybe_fault("GetAccountInfo")
        # The page says "couldn't reach Stamps.com"; nothing changed.
        with contextlib.suppress(errors.CarrierUnavailable):
            purchases.sync_balance(account)

    # -- the end ---------------------------------------------------------------------------

    def run(self, rounds: int) -> Counts:
        for _ in range(rounds):
            self.step()
        return self.counts

    def drain(self, attempts: int = 20) -> None:
        """Faults off; follow every purchase, label and void still in flight to its end (the
        sweeps' job)."""
        from funding import jobs as funding_jobs
        from funding import purchases
        from funding.models import PostagePurchase
        from shipments import jobs

        self.api.clear_faults()
        self.resume_batches()
        jobs.sweep_labels(older_than=None)
        for _ in range(attempts):
            left = list(PostagePurchase.objects.filter(status__in=PostagePurchase.IN_FLIGHT))
            if not left:
                break
            for purchase in left:
                purchases.resolve_purchase(purchase)
        self.drain_refunds(attempts)
        self.counts.mismatches.extend(self.stored_balances_agree())
        # The hourly reconciliation reads every account: one connected mid-campaign whose
        # first balance read failed, and that moved no money since, has its book opened
        # there (R45), as it would be within the hour.
        funding_jobs.reconcile_all()

    def drain_refunds(self, attempts: int) -> None:
        """Wait for the carrier's last refund to be due (R41), then follow them all up."""
        import time

        from django.db.models import Max

        from carriers.stamps.sandbox import state
        from carriers.stamps.sandbox.models import Indicium
        from funding import jobs
        from funding.models import Refund

        last = Indicium.objects.filter(refunded_at__isnull=True).aggregate(
            due=Max("refund_due_at")
        )["due"]
        if last is not None:
            time.sleep(max(0.0, (last - state.now()).total_seconds()) + 0.05)
        for _ in range(attempts):
            if not Refund.objects.filter(status=Refund.Status.REQUESTED).exists():
                return
            jobs.follow_all_refunds()


def make_accounts(
    api, merchant, count: int, *, balance: str = "300.00", start: int = 0, campaign=None
):
    """``count`` sandbox accounts holding ``balance``, connected as a just-verified account
    is (ShipDesk has not read the balance yet), each with auto-funding on: turning it on is
    their first carrier call. With a ``campaign``, that first call is often faulted (the
    WSDL fetch, AuthenticateUser or GetAccountInfo)."""
    from carriers.models import CarrierAccount
    from funding import auto_funding

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
            auto_funding.save_auto_funding(
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
