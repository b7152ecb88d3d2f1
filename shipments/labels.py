"""Buy labels: the money path (R3, R24-R28); ``shipments.voids`` voids them.

``buy_label`` is idempotent. The Shipment row and its IntegratorTxID are committed
*before* CreateIndicium is sent, so whatever happens next (a timeout, a dropped answer after
the carrier committed, a worker killed mid-call) the next attempt for that order finds the row
in ``buying`` and sends the same IntegratorTxID, to which the carrier answers the label it
already made. Only then, in one transaction, the shipment becomes ``bought``, the ledger is
debited (itself idempotent on the IntegratorTxID) and the order is marked shipped.

No database transaction is held while Stamps.com is called.

What the buyer waits for is kept to a few statements (``make bench``: label_cost; the budget
is pinned by tests/shipments/test_label_query_budget.py): one read of everything the checks
need (``_facts``), the reservation's INSERT, then one transaction of a claim UPDATE, the
ledger's two statements and the order's UPDATE. Everything else that follows a purchase (the
carrier's image, the call log, tracking, the customer's e-mail, webhooks, auto-funding) is
one queued job, ``after_purchase``.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass
from decimal import Decimal

from django.conf import settings
from django.contrib.auth.models import User
from django.db import IntegrityError, connection, transaction
from django.db.models import Sum
from django.utils import timezone

from carriers.models import CarrierAccount
from carriers.services import AccountNotUsable, require_usable
from carriers.stamps import calllog, errors, limits
from carriers.stamps.accounts import call
from carriers.stamps.types import (
    Address,
    Customs,
    CustomsLine,
    Indicium,
    LabelImage,
    Rate,
    ReturnLabel,
)
from funding.ledger import debit_for_label, fresh_label_debit, money
from funding.models import LedgerEntry
from funding.purchases import open_book
from locations.models import DEFAULT_CUTOFF, EndOfDaySettings, ShipFromLocation
from merchants.errors import Fix, MerchantError
from merchants.permissions import Perm, require
from merchants.rows import insert_row, prepared_cursor, run_together, update_row, update_statement
from orders import addresses
from orders.catalog import ContentsType, NonDelivery
from orders.models import Order
from orders.ship_dates import default_ship_date, order_today
from orders.validation import ShipmentInvalid, ensure_shippable, label_messages_allowed
from shipments import label_files, rating
from shipments.models import (
    Batch,
    BatchItem,
    PrintLayout,
    Shipment,
    ShippingSettings,
    UserPrintPreference,
)
from shipments.signals import label_bought

log = logging.getLogger(__name__)

CONTENT_TYPES: dict[str, str] = {
    ContentsType.MERCHANDISE: "Merchandise",
    ContentsType.DOCUMENTS: "Document",
    ContentsType.GIFT: "Gift",
    ContentsType.SAMPLE: "Commercial Sample",
    ContentsType.RETURNED_GOODS: "Returned Goods",
    ContentsType.HUMANITARIAN: "Humanitarian Donation",
    ContentsType.OTHER: "Other",
}


class LabelError(MerchantError):
    """A label could not be bought or voided; ``message`` says what to do."""

    def __init__(self, message: str, *, fix: Fix | None = None, problems=()):
        super().__init__(message, fix=fix)
        self.problems = list(problems)


class LabelPending(LabelError):
    """Stamps.com did not answer: the label may or may not exist. Retrying is safe (R28)."""


# Stamps.com accepts ship dates up to a week ahead; the pages offer the same range.
MAX_DAYS_AHEAD = 7


def latest_ship_date(today: dt.date) -> dt.date:
    return today + dt.timedelta(days=MAX_DAYS_AHEAD)


def _funds_error(account: CarrierAccount, needed: Decimal | None) -> LabelError:
    need = f" This label costs ${needed:,.2f};" if needed is not None else ""
    return LabelError(
        f"Not enough postage on “{account.nickname}”.{need} the balance is "
        f"${account.balance:,.2f}. Add funds, or turn on auto-funding, then try again.",
        fix=Fix("funding:home", (), "Add funds"),
    )


NON_DELIVERY: dict[str, str] = {NonDelivery.RETURN: "Return", NonDelivery.ABANDON: "Abandon"}


def references_for(order: Order) -> list[str]:
    """The order's label messages, printed on the label as Reference1-3 (R17: not on
    international labels, nor First-Class letters)."""
    return order.label_messages if label_messages_allowed(order) else []


def customs_for(order: Order) -> Customs | None:
    if not (order.is_international or order.is_military):
        return None
    lines = tuple(
        CustomsLine(
            description=(item.customs_description or item.name)[:60],
            quantity=float(item.quantity),
            value=(item.unit_price * item.quantity).quantize(Decimal("0.01")),
            weight_oz=float(item.weight_oz * item.quantity) or 1.0,
            hs_tariff_number=item.hs_code,
            country_of_origin=item.origin_country,
            sku=item.sku,
        )
        for item in order.items.all()
    )
    return Customs(
        content_type=CONTENT_TYPES.get(order.customs_contents_type, "Merchandise"),
        lines=lines,
        signer=order.ship_from.contact_name if order.ship_from else "",
        invoice_number=order.number[:30],
    )


def _validate(order: Order, service: str) -> None:
    preview = Order(**{f.attname: getattr(order, f.attname) for f in Order._meta.concrete_fields})
    preview.service = service
    preview._state.fields_cache = dict(order._state.fields_cache)
    try:
        ensure_shippable(preview, alerts=False)  # R23 alerts warn, never block
    except ShipmentInvalid as exc:
        raise LabelError(
            "Fix the order first: " + " ".join(p.message for p in exc.problems),
            fix=Fix("order-detail", (order.pk,), f"Edit order {order.number}"),
            problems=exc.problems,
        ) from exc


@dataclass(frozen=True)
class _Facts:
    """What a purchase reads before it calls the carrier, in one query (``_facts``)."""

    live_id: int | None  # the order's label in flight, bought or being voided
    balance: Decimal
    book_open: bool  # the ledger holds its opening balance (R14)
    layout: str  # the buyer's print layout: the image the carrier is asked for (R39)
    cutoff: dt.time  # the ship-from location's cut-off (R31)


def _facts(order: Order, account: CarrierAccount, layout_user_id: int | None) -> _Facts:
    """One round trip for everything the purchase reads before it calls the carrier.

    Plain SQL: built with the ORM (annotated subqueries) this one statement cost more
    than 2 ms of Python a label, as much as everything else ShipDesk reads and writes for
    it (``make bench``: label_cost). The ORM spelling of each part is beside it: the live
    label is ``_live``, the layout ``label_files.layout_for``, the cut-off
    ``locations.shipping_day.settings_for``, the open book ``funding.ledger.book_is_open``."""
    t = {
        model: model._meta.db_table
        for model in (Shipment, LedgerEntry, UserPrintPreference, ShippingSettings)
    }
    cutoffs = EndOfDaySettings._meta.db_table
    live = ", ".join(["%s"] * len(Shipment.LIVE))
    own_layout = "NULL"
    params: list[int | str | None] = [order.pk, *Shipment.LIVE]
    if layout_user_id is not None:
        own_layout = (
            f"(SELECT layout FROM {t[UserPrintPreference]} WHERE merchant_id = %s "
            "AND user_id = %s AND layout <> '' LIMIT 1)"
        )
        params += [order.merchant_id, layout_user_id]
    params += [order.merchant_id, PrintLayout.LABEL_4X6, order.ship_from_id, account.pk]
    sql = (
        f"SELECT (SELECT id FROM {t[Shipment]} WHERE order_id = %s "
        f"AND return_of_id IS NULL AND status IN ({live}) LIMIT 1), "
        "balance, "
        f"EXISTS (SELECT 1 FROM {t[LedgerEntry]} WHERE account_id = a.id), "
        f"COALESCE({own_layout}, "
        f"(SELECT layout FROM {t[ShippingSettings]} WHERE merchant_id = %s LIMIT 1), %s), "
        f"(SELECT cutoff_time FROM {cutoffs} WHERE location_id = %s LIMIT 1) "
        f"FROM {CarrierAccount._meta.db_table} a WHERE a.id = %s"
    )
    with prepared_cursor() as cursor:
        cursor.execute(sql, params)
        live_id, balance, book_open, layout, cutoff = cursor.fetchone()
    cutoff_field = EndOfDaySettings._meta.get_field("cutoff_time")
    return _Facts(
        live_id=live_id,
        balance=money(balance),  # SQLite answers a float
        book_open=bool(book_open),
        layout=layout,
        cutoff=cutoff_field.to_python(cutoff) if cutoff is not None else DEFAULT_CUTOFF,
    )


def reserve(
    order: Order,
    account: CarrierAccount,
    quote: rating.Quote,
    ship_date: dt.date,
    *,
    parcel: Order | Shipment,
    to_name: str,
    to_country: str,
    by: User | None = None,
    batch: Batch | None = None,
    image: LabelImage | None = None,
    return_of: Shipment | None = None,
    return_to: ShipFromLocation | None = None,
    return_days: int | None = None,
) -> Shipment:
    """Commit the label's row with its IntegratorTxID before the carrier is called (R28),
    and the image format asked for, so a retry asks for the same one; every label, outbound
    or return (``return_of``, ``return_to``, ``return_days``: R46), is reserved here.

    ``parcel``: the order (an outbound label) or the label it returns (its package turned
    around). One INSERT, committed by itself; inside a caller's transaction, in a savepoint
    so that the conflict below leaves that transaction usable. Plain SQL (merchants.rows),
    as the claim and the order's status in ``_record_in_transaction``: the ORM's compiler
    cost as much CPU as the database's work on every label."""
    rate = quote.rate
    weight = parcel.package_weight_oz if isinstance(parcel, Order) else parcel.weight_oz
    fields = {
        "merchant_id": order.merchant_id,
        "order": order,
        "account": account,
        "batch": batch,
        "ship_from_id": None if return_of else order.ship_from_id,
        "service": rate.service_type,
        "service_name": quote.name,
        "package_type": rate.package_type or parcel.package_type,
        "weight_oz": weight,
        "length_in": parcel.length_in,
        "width_in": parcel.width_in,
        "height_in": parcel.height_in,
        "add_ons": list(quote.add_on_codes),
        "cubic_tier": None if return_of else quote.cubic_tier,
        "postage": quote.postage,
        "amount": quote.total,
        "delivery_days": rate.delivery_days,
        "ship_date": ship_date,
        "to_name": to_name,
        "to_country": to_country,
        "status": Shipment.Status.BUYING,
        "bought_by": by,
        "return_of": return_of,
        "return_to": return_to,
        "return_expires_on": (
            ship_date + dt.timedelta(days=return_days) if return_days is not None else None
        ),
    }
    if image is not None:
        fields.update(
            image_type=image.image_type, paper_size=image.paper_size, image_dpi=image.image_dpi
        )
    shipment = Shipment(**fields)
    try:
        if connection.in_atomic_block:
            with transaction.atomic():
                insert_row(shipment)
        else:
            insert_row(shipment)
        return shipment
    except IntegrityError:
        # Another request or worker reserved this label a moment ago: continue with its row.
        live = (
            _live(order).select_related("account").first()
            if return_of is None
            else Shipment.objects.filter(return_of=return_of, status__in=Shipment.LIVE)
            .select_related("account", "order", "return_to")
            .first()
        )
        if live is None:
            raise
        return live


def _live(order: Order):
    """The order's outbound label in flight, bought or being voided (never a return label)."""
    return Shipment.objects.filter(
        order_id=order.pk, status__in=Shipment.LIVE, return_of__isnull=True
    )


def _live_shipment(order: Order) -> Shipment | None:
    return _live(order).select_related("account").first()


def _fail(shipment: Shipment, reason: str) -> None:
    Shipment.objects.filter(pk=shipment.pk, status=Shipment.Status.BUYING).update(
        status=Shipment.Status.FAILED, failure=reason[:2000]
    )
    shipment.status, shipment.failure = Shipment.Status.FAILED, reason


def buy_label(
    order: Order,
    account: CarrierAccount,
    service: str,
    ship_date: dt.date | None = None,
    *,
    batch: Batch | None = None,
    batch_item_id: int | None = None,
    by: User | None = None,
) -> Shipment:
    """Buy ``service`` for ``order`` on ``account``; see the module docstring (R3, R28).

    ``batch_item_id``: the batch item marked bought in the same transaction as the label.

    Raises ``LabelError`` (or ``LabelPending``) with the merchant's fix.
    ``by``: the person buying, recorded on the label and its debit; checked against their
    role here unless the label belongs to a batch (checked when the batch was created).
    """
    if batch is None:
        require(by, order.merchant if by else None, Perm.BUY_LABELS)
    if account.merchant_id != order.merchant_id:
        raise LabelError("That carrier account belongs to another store.")
    try:
        require_usable(account)  # R3
    except AccountNotUsable as exc:
        raise LabelError(exc.message, fix=exc.fix) from exc
    # The purchase's carrier calls are logged together, by its follow-up job (or at the end
    # when it stops short): one insert instead of one per call. Its calls (GetRates, then
    # CreateIndicium) come one after the other and share one of the account's call slots.
    # A rate it asks for itself is kept for a retry only if the label is not bought.
    with (
        calllog.deferred(),
        limits.one_slot(account.username),
        rating.cached_unless_bought(),
    ):
        return _buy(order, account, service, ship_date, batch, batch_item_id, by)


def _buy(
    order: Order,
    account: CarrierAccount,
    service: str,
    ship_date: dt.date | None,
    batch: Batch | None,
    batch_item_id: int | None,
    by: User | None,
) -> Shipment:
    # The format is the buyer's, or for a batch the format of whoever started it.
    facts = _facts(order, account, by.pk if by else (batch.created_by_id if batch else None))
    live = _live_shipment(order) if facts.live_id is not None else None
    if live is not None and live.status == Shipment.Status.VOIDING:
        raise LabelError(
            f"Order {order.number}'s label is being voided; ShipDesk is confirming the refund "
            "with Stamps.com. Buy a new label once it shows as voided.",
            fix=Fix("shipments:detail", (live.pk,), "Open the label"),
        )
    if live is not None and live.status == Shipment.Status.BOUGHT:
        if batch is not None and live.batch_id == batch.pk:
            return live  # a resumed batch finds the label it already recorded
        raise LabelError(
            f"Order {order.number} already has a label ({live.tracking_number or live.service}). "
            "Void it first to buy another.",
            fix=Fix("shipments:detail", (live.pk,), "Open the label"),
        )

    if live is not None:
        # R28: a purchase was started and never recorded: finish it with the same
        # IntegratorTxID (and the same account, service and date), whatever was asked now.
        shipment = live
        account = live.account
        open_book(account, LabelError, what="label")  # R14
        ship_to = addresses.carrier_ship_to(order)
        query = rating.query_for_order(order, live.ship_date)
        try:
            quote = rating.rate_for_service(account, query, live.service)
        except (errors.StampsError, ValueError):
            quote = None
    else:
        # The location's cut-off applies: a label printed after it ships the next day (R31).
        ship_date = ship_date or default_ship_date(order, cutoff=facts.cutoff)
        today = order_today(order)
        if ship_date < today:
            raise LabelError("The ship date must be today or a later day.")
        if ship_date > latest_ship_date(today):
            raise LabelError(
                f"The ship date can be at most {MAX_DAYS_AHEAD} days ahead "
                f"(until {latest_ship_date(today):%b %-d, %Y})."
            )
        if not order.is_open:
            raise LabelError(f"Order {order.number} is {order.get_status_display().lower()}.")
        _validate(order, service)
        # Only now, with nothing left to refuse locally, may the carrier be asked (R14).
        if not facts.book_open:
            open_book(account, LabelError, what="label")  # R14
        try:
            ship_to = addresses.require_buyable(order, account)  # R37b
        except addresses.AddressNotVerified as exc:
            raise LabelError(
                exc.message, fix=Fix("order-detail", (order.pk,), "Open the order")
            ) from exc
        query = rating.query_for_order(order, ship_date)
        try:
            quote = rating.rate_for_service(account, query, service)
        except errors.StampsError as exc:
            raise LabelError(exc.merchant_message) from exc
        except ValueError as exc:
            raise LabelError(str(exc)) from exc
        # Read with the facts, a moment ago; the carrier refuses a label the balance can't
        # pay for anyway (InsufficientFunds, below), this saves it the call.
        account.balance = facts.balance
        if quote.total > facts.balance:
            raise _funds_error(account, quote.total)
        shipment = reserve(
            order,
            account,
            quote,
            ship_date,
            parcel=order,
            to_name=order.recipient_name,
            to_country=order.country,
            by=by,
            batch=batch,
            image=label_files.image_for(facts.layout),
        )

    rate = quote.rate if quote is not None else None
    if rate is None:
        raise LabelPending(
            "Stamps.com did not answer about the label being bought. Try again: ShipDesk "
            "finishes the same purchase and never buys twice."
        )
    ship_from = order.ship_from
    assert ship_from is not None  # ensure_shippable refuses an order without one
    return send_purchase(
        shipment,
        rate,
        from_address=rating.from_address(ship_from),
        to_address=ship_to,
        customs=customs_for(order),
        batch_item_id=batch_item_id,
    )


def send_purchase(
    shipment: Shipment,
    rate: Rate,
    *,
    from_address: Address,
    to_address: Address,
    customs: Customs | None = None,
    return_label: ReturnLabel | None = None,
    batch_item_id: int | None = None,
) -> Shipment:
    """CreateIndicium for a reserved shipment (its IntegratorTxID committed), then the label,
    its debit and its order in one transaction; every label is bought through here (R14, R28).

    Raises ``LabelPending`` when the answer was lost (retrying finishes the same purchase)
    and ``LabelError`` when the carrier refused (the shipment is then failed)."""
    account = shipment.account
    order = shipment.order
    order_number = order.number
    try:
        try:
            indicium = call(
                account,
                lambda c: c.create_indicium(
                    shipment.integrator_tx_id,
                    rate,
                    from_address=from_address,
                    to_address=to_address,
                    add_ons=shipment.add_ons,
                    customs=customs,
                    image=label_files.bought_image(shipment),
                    references=[order_number[:40]] if return_label else references_for(order),
                    non_delivery=NON_DELIVERY.get(order.non_delivery, "Return"),
                    memo=("Return of order " if return_label else "Order ") + order_number,
                    return_label=return_label,
                ),
            )
        finally:
            # The purchase's last carrier call is done, answered or not: recording the label
            # needs no carrier, so the slot it kept goes to the next call now.
            limits.give_back()
    except errors.InsufficientFunds as exc:
        _fail(shipment, exc.merchant_message)
        raise _funds_error(account, shipment.amount) from exc
    except errors.StampsError as exc:
        if not exc.permanent:
            raise LabelPending(
                f"{exc.explanation} The label may or may not have been created: try again — "
                "ShipDesk finishes the same purchase and never buys twice."
            ) from exc
        _fail(shipment, exc.merchant_message)
        raise LabelError(exc.merchant_message) from exc
    recorded = _record(shipment, indicium, batch_item_id)
    if indicium.image_data:
        # The answer carried the image itself (ReturnImageData): kept now, nothing to fetch.
        label_files.keep_answer(recorded, indicium.image_data)
    return recorded


def _record(shipment: Shipment, indicium, batch_item_id: int | None = None) -> Shipment:
    """The label, its ledger debit and the order's status: one transaction (R14), sent to
    PostgreSQL in one round trip when it can be (``_record_in_one_round_trip``).

    Whoever moves the label out of ``buying`` records it, once: the conditional UPDATE is
    the claim (on PostgreSQL it waits for a concurrent claim's row lock, then finds the
    label bought). What follows the purchase but is not money (the carrier's image, the
    tracking listeners, the auto-funding check) is queued as one job (``after_purchase``)."""
    amount = indicium.total if indicium.total is not None else shipment.amount  # R40
    recorded = {
        "status": Shipment.Status.BOUGHT,
        "stamps_tx_id": indicium.stamps_tx_id,
        "tracking_number": indicium.tracking_number,
        "label_category": indicium.label_category,
        "carrier_label_url": indicium.url[:2000],
        "carrier_form_url": indicium.form_url[:2000],
        "amount": amount,
        "postage": indicium.rate.amount if indicium.rate is not None else shipment.postage,
        "bought_at": timezone.now(),
        "failure": "",
    }
    # The purchase's carrier calls go with the follow-up job, or are written here should
    # the transaction not commit.
    bought = _Bought(
        shipment,
        recorded,
        indicium,
        shipment.order.number,
        batch_item_id,
        calls=calllog.take_deferred(),
    )
    try:
        try:
            if _one_round_trip_possible():
                return _record_in_one_round_trip(bought)
            return _record_in_transaction(bought, fresh=True)
        except IntegrityError:
            # The quick debit's guess was wrong (ledger.record_entry ``fresh``): nothing was
            # written; the same transaction again, with the ledger's careful path.
            return _record_in_transaction(bought, fresh=False)
    except BaseException:
        calllog.record_many(bought.calls)
        raise


@dataclass(frozen=True)
class _Bought:
    """A label the carrier sold, and what recording it writes (``_record``)."""

    shipment: Shipment
    recorded: dict  # the label's row: its columns once bought
    indicium: Indicium
    order_number: str
    batch_item_id: int | None
    calls: list[dict]  # the purchase's carrier calls, logged by the follow-up job


def _debit_memo(shipment: Shipment, tracking_number: str, order_number: str) -> str:
    kind = "Return label" if shipment.is_return else "Label"
    return f"{kind} {tracking_number or shipment.service} (order {order_number})"


def _one_round_trip_possible() -> bool:
    """Whether ``_record_in_one_round_trip`` may record the label: on PostgreSQL, outside
    any transaction (the claim's setting would outlive the label in a caller's), with a
    broker that is not the database (whose job row must be written in the label's own
    transaction, ``queue_with_commit``)."""
    from django_q.conf import Conf

    return (
        connection.vendor == "postgresql"
        and not connection.in_atomic_block
        and not (Conf.ORM and not Conf.SYNC)
    )


# Set by the claim, for the statements sent with it (``_record_in_one_round_trip``).
_CLAIMED = "current_setting('shipdesk.label_claimed', true) = '1'"


def _record_in_one_round_trip(bought: _Bought) -> Shipment:
    """``_record_in_transaction``'s statements sent to PostgreSQL together, prepared
    (``merchants.rows.run_together``): one round trip instead of six (BEGIN, four
    statements, COMMIT), and none of them parsed or planned again once the connection has
    run it a few times (``make bench``: label_cost).

    PostgreSQL runs them as one transaction, all or nothing (an error in any of them, such
    as the quick debit's wrong guess, writes none, and ``IntegrityError`` sends ``_record``
    to the careful path), and at READ COMMITTED each statement with its own snapshot: the
    debit reads the running balance after its statement locked the account, as in the
    transaction. The claim comes first and says whether it took the label in a setting
    local to that transaction (``set_config``, read by ``_CLAIMED``); every other statement
    writes only if it did."""
    shipment, recorded, calls = bought.shipment, bought.recorded, bought.calls
    claim, claim_params = update_statement(
        Shipment,
        recorded,
        pk=shipment.pk,
        only_if={"status": [Shipment.Status.BUYING, Shipment.Status.FAILED]},
    )
    statements = [
        (
            f"WITH claimed AS ({claim} RETURNING 1) SELECT set_config("
            "'shipdesk.label_claimed', (SELECT count(*) FROM claimed)::text, true)",
            claim_params,
        )
    ]
    debit = fresh_label_debit(
        shipment.account,
        recorded["amount"],
        shipment.integrator_tx_id,
        memo=_debit_memo(shipment, recorded["tracking_number"], bought.order_number),
        control_total=bought.indicium.control_total,
        by=shipment.bought_by,
        only_if=_CLAIMED,
    )
    statements += [debit.move, debit.append]
    if not shipment.is_return:
        statements.append(
            update_statement(
                Order,
                {"status": Order.Status.SHIPPED, "updated_at": timezone.now()},
                pk=shipment.order_id,
                also=_CLAIMED,
            )
        )
        items = _batch_items_of(shipment, bought.batch_item_id)
        if items is not None:
            statements.append(
                update_statement(
                    BatchItem,
                    {"status": BatchItem.Status.BOUGHT, "reason": "", "shipment_id": shipment.pk},
                    only_if=items,
                    also=_CLAIMED,
                )
            )
    answers = run_together(statements)
    if answers[0][0][0] != "1":  # the claim: another recorder took the label
        calllog.record_many(calls)
        return Shipment.objects.select_related("account", "order").get(pk=shipment.pk)
    for name, value in recorded.items():
        setattr(shipment, name, value)
    debit.written(answers[2][0])  # [1]: the balance moved; [2]: the entry written
    if not shipment.is_return:
        shipment.order.status = Order.Status.SHIPPED
    _queue_follow_up(shipment, calls)
    return shipment


def _batch_items_of(shipment: Shipment, batch_item_id: int | None) -> dict[str, list] | None:
    """The batch item a label recorded marks bought (as ``update_statement``'s ``only_if``):
    the one being bought, or for a batch's label finished elsewhere (the order page, the
    sweep) its order's item, so that a resumed run finds the label and does not leave the
    item pending."""
    if batch_item_id is not None:
        return {"id": [batch_item_id]}
    if shipment.batch_id:
        return {"batch_id": [shipment.batch_id], "order_id": [shipment.order_id]}
    return None


def _queue_follow_up(shipment: Shipment, calls: list[dict]) -> None:
    queue_with_commit(
        "shipments.labels.after_purchase",
        shipment.pk,
        calls,
        task_name=f"bought-{shipment.pk}",
        cluster=settings.Q_SHORT_CLUSTER,
    )


def _record_in_transaction(bought: _Bought, *, fresh: bool) -> Shipment:
    shipment, recorded, calls = bought.shipment, bought.recorded, bought.calls
    with transaction.atomic():
        # Only from "buying" (or "failed", should a lost answer come back after all).
        claimed = update_row(
            Shipment,
            shipment.pk,
            recorded,
            only_if={"status": [Shipment.Status.BUYING, Shipment.Status.FAILED]},
        )
        if not claimed:
            calllog.record_many(calls)
            return Shipment.objects.select_related("account", "order").get(pk=shipment.pk)
        for name, value in recorded.items():
            setattr(shipment, name, value)
        debit_for_label(
            shipment.account,
            recorded["amount"],
            reference=shipment.integrator_tx_id,
            memo=_debit_memo(shipment, shipment.tracking_number, bought.order_number),
            control_total=bought.indicium.control_total,
            by=shipment.bought_by,
            check_auto_funding=False,  # after_purchase checks it
            # This transaction claimed the label, so its debit is new; the book was open
            # before the carrier was asked (open_book) and never closes.
            fresh=fresh,
        )
        if not shipment.is_return:
            # A return label changes nothing about its order, which shipped long ago.
            update_row(
                Order,
                shipment.order_id,
                {"status": Order.Status.SHIPPED, "updated_at": timezone.now()},
            )
            shipment.order.status = Order.Status.SHIPPED
            items = _batch_items_of(shipment, bought.batch_item_id)
            if items is not None:
                BatchItem.objects.filter(**{f"{k}__in": v for k, v in items.items()}).update(
                    status=BatchItem.Status.BOUGHT, reason="", shipment=shipment
                )
        _queue_follow_up(shipment, calls)
    return shipment


def queue_with_commit(func: str, *args, **options) -> None:
    """Queue a job that must run only once the caller's transaction commits.

    With the database as the broker the job's row is written in that transaction itself:
    it exists exactly when the label does, and queuing it after the commit would make the
    broker close and reopen the connection (django-q2 does, outside a transaction). With
    Redis, or jobs run inline (tests), it is queued on commit."""
    from django_q.conf import Conf
    from django_q.tasks import async_task

    options.setdefault("broker", _broker(options.get("cluster")))
    if Conf.ORM and not Conf.SYNC and connection.in_atomic_block:
        async_task(func, *args, **options)
    else:
        transaction.on_commit(lambda: async_task(func, *args, **options))


_brokers: dict[str | None, object] = {}


def _broker(cluster: str | None):
    """One django-q2 broker per queue for the process: ``async_task`` makes a new one each
    time, and with Redis that is a new connection (a TCP handshake) for every label."""
    from django_q.brokers import get_broker

    found = _brokers.get(cluster)
    if found is None:
        found = _brokers.setdefault(cluster, get_broker(cluster))
    return found


def after_purchase(shipment_id: int, calls: list[dict] | None = None) -> None:
    """The job that follows a label bought, off the buyer's wait: the purchase's carrier
    calls logged (``calls``, one insert), the carrier's image kept (R39; a print that comes
    first fetches it itself), then the listeners of ``label_bought`` (tracking, the
    customer's e-mail, webhooks), then auto-funding (R13). Each step is safe to repeat; one
    failing does not stop the next. Done, it sets the label's ``followed_up_at``.

    Durable, at least once: with Redis as the broker a job held by a dying worker is gone,
    so ``jobs.sweep_follow_ups`` runs the steps again (``follow_up``) for a bought label
    whose ``followed_up_at`` is still empty a while after its purchase. A worker killed
    half-way through the steps therefore repeats them: tracking is registered once and the
    customer's e-mail sent once (one per label and kind), but a webhook may be emitted
    twice (receivers tell by the label's id). The carrier call records travel in the job's
    own arguments and are best-effort: a lost job loses them, and the sweep says so in the
    log (the calls themselves are in the carrier's records and the ledger)."""
    if calls:
        calllog.record_many(calls)  # never raises: a lost record is logged instead
    _follow_up(shipment_id, again=False)


def follow_up(shipment_ids: list[int]) -> int:
    """The follow-up of labels whose ``after_purchase`` job was lost (``jobs.sweep_follow_ups``):
    each one still not followed up when its turn comes; returns how many."""
    return sum(_follow_up(pk, again=True) for pk in shipment_ids)


def _follow_up(shipment_id: int, *, again: bool) -> bool:
    bought = Shipment.objects.filter(pk=shipment_id, status=Shipment.Status.BOUGHT)
    if again:
        # Another pass (the original job, only late; an overlapping sweep) did it meanwhile.
        bought = bought.filter(followed_up_at__isnull=True)
    shipment = bought.select_related("account", "order", "merchant").first()
    if shipment is None:
        return False  # voided meanwhile, never recorded, or followed up already
    from funding.jobs import check_auto_funding

    # The job must not fail half-way: django-q2 could run it again and the listeners (an
    # e-mail, webhooks) would go out twice. A step that fails is logged; the image is
    # fetched again at print time and the schedule's auto-funding pass comes round.
    steps = (
        ("image", lambda: label_files.keep_images(shipment)),
        ("listeners", lambda: label_bought.send(Shipment, shipment=shipment)),
        ("auto-funding", lambda: check_auto_funding(shipment.account_id)),
    )
    for name, step in steps:
        try:
            step()
        except Exception:
            log.exception("after label %s: the %s step failed", shipment.pk, name)
    Shipment.objects.filter(pk=shipment.pk, followed_up_at__isnull=True).update(
        followed_up_at=timezone.now()
    )
    return True


def unsettled_charges(sender: object, account_id: int, **kwargs: object) -> Decimal:
    """funding.signals.unsettled_debits: labels being bought whose answer was lost may have
    been charged by the carrier before their debit reaches the ledger (R28)."""
    total = Shipment.objects.filter(account_id=account_id, status=Shipment.Status.BUYING).aggregate(
        total=Sum("amount")
    )["total"]
    return total or Decimal("0.00")
