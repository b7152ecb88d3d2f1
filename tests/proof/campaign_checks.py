"""What a fault campaign must end with, for every account: the ledger equals the carrier's
balance to the cent, and so does the stored balance (R14a), no purchase or label exists
twice, nothing is left in flight, every batch is done; and how a failed run reports (its
seed, each bad account's ledger beside the carrier's transactions)."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any


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
    refunds_credited: int = 0  # refunds of voided labels the carrier credited later (R41)
    merchant_messages: list[str] = field(default_factory=list)
    mismatches: list[str] = field(default_factory=list)
    details: list[str] = field(default_factory=list)  # ledgers beside the carrier, on failure
    seed: int | None = None

    @property
    def conversation_faults_shown(self) -> int:
        from carriers.stamps import errors

        said = errors.AuthenticatorExpired.explanation
        return sum(said in m or "out-of-sync" in m for m in self.merchant_messages)

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
            f"refunds credited after the void: {self.refunds_credited}; conversation faults "
            f"shown to the merchant: {self.conversation_faults_shown}\n"
            f"mismatches: {len(self.mismatches)}"
            + "".join(f"\n  - {m}" for m in self.mismatches)
            + "".join(f"\n{d}" for d in self.details)
            + (
                f"\nseed {self.seed} failed: replay it with SEED={self.seed}"
                if self.mismatches and self.seed is not None
                else ""
            )
        )


class CampaignChecks:
    """The checks of ``Campaign`` (``tests.proof.campaign``), run after its moves."""

    api: Any
    accounts: list[Any]
    counts: Counts
    carrier_moves: list[tuple[int, str, str, Decimal]]

    def drain(self, attempts: int = 20) -> None:
        raise NotImplementedError

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
        problems.extend(self.verify_refunds())
        if self.counts.conversation_faults_shown:
            problems.append(
                f"{self.counts.conversation_faults_shown} conversation fault(s) reached the "
                "merchant (R38)"
            )
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
        from funding import ledger, reconciliation
        from funding.models import PostagePurchase
        from shipments.models import Shipment

        account.refresh_from_db()
        carrier = self.api.get_balance(account.username)
        ours = ledger.ledger_balance(account)
        if ours != carrier:
            problems.append(f"{account.username}: ledger {ours} != carrier {carrier}")
        if reconciliation.reconcile(account) is not None:
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
        autos = PostagePurchase.objects.filter(account=account, automatic=True)
        keys = Counter(autos.values_list("idempotency_key", flat=True))
        if any(n > 1 for n in keys.values()):
            problems.append(f"{account.username}: auto-funding bought twice for one drop")

    def stored_balances_agree(self) -> list[str]:
        """R14a: the stored balance (the funds page's figure, auto-funding's threshold, R11, a
        label's pre-check) counted every movement once, so with nothing left in flight it
        equals the ledger. Checked by the drain before its reconciliation, whose fresh read of
        the carrier's balance would hide a movement counted twice in between."""
        from funding import ledger

        problems = []
        for account in self.accounts:
            account.refresh_from_db()
            if not ledger.book_is_open(account):
                continue  # never read: its first read opens the book with it
            ours = ledger.ledger_balance(account)
            if account.balance != ours:
                problems.append(
                    f"{account.username}: stored balance {account.balance} != ledger {ours}"
                )
        return problems

    def verify_refunds(self) -> list[str]:
        """R41: every voided label's refund requested once and, once the carrier credited it,
        in the ledger exactly once."""
        from collections import Counter as Tally

        from carriers.stamps.sandbox.models import Indicium
        from funding.models import LedgerEntry, Refund
        from shipments.models import Shipment

        problems = []
        refunds = list(Refund.objects.all())
        self.counts.refunds_credited = sum(r.status == Refund.Status.REFUNDED for r in refunds)
        waiting = [r.reference for r in refunds if r.pending]
        if waiting:
            problems.append(f"refunds still awaited after the drain: {waiting}")
        voided = set(
            Shipment.objects.filter(status=Shipment.Status.VOIDED).values_list(
                "account_id", "integrator_tx_id"
            )
        )
        requested = Tally((r.account_id, r.reference) for r in refunds)
        if set(requested) != voided or any(n > 1 for n in requested.values()):
            problems.append("voided labels and refund requests differ")
        credited = {str(i.stamps_tx_id) for i in Indicium.objects.filter(refunded_at__isnull=False)}
        ours = {r.stamps_tx_id for r in refunds if r.status == Refund.Status.REFUNDED}
        if ours != credited:
            problems.append(
                f"refunds credited at the carrier only {sorted(credited - ours)}, "
                f"in ShipDesk only {sorted(ours - credited)}"
            )
        entries = Tally(
            LedgerEntry.objects.filter(kind=LedgerEntry.Kind.VOID_REFUND).values_list(
                "idempotency_key", flat=True
            )
        )
        if any(n > 1 for n in entries.values()):
            problems.append("a refund was written to the ledger twice")
        return problems

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
            f"    label {i.integrator_tx_id} {-i.total:>9} -> {i.balance_after}"
            f"{' voided' if i.voided_at else ''}{' refunded' if i.refunded_at else ''}"
        )
    from funding.models import PostagePurchase

    for p in PostagePurchase.objects.filter(account=account).order_by("pk"):
        lines.append(
            f"    ShipDesk purchase {p.integrator_tx_id} {p.amount:>9} {p.status} after "
            f"{p.checks} checks {p.rejection_reason[:80]}"
        )
    for pk, what, reference, amount in carrier_moves:
        if pk == account.pk:
            lines.append(f"    simulated {what} {reference} {amount:>9}")
    return "\n".join(lines)
