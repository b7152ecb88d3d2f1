"""Buy labels: the money path (R3, R24-R28); ``shipments.voids`` voids them.

``buy_label`` is idempotent. The Shipment row and its IntegratorTxID are committed
*before* CreateIndicium is sent, so whatever happens next (a timeout, a dropped answer after
the carrier committed, a worker killed mid-call) the next attempt for that order finds the row
in ``buying`` and sends the same IntegratorTxID, to which the carrier answers the label it
already made. Only then, in one transaction, the shipment becomes ``bought``, the ledger is
debited (itself idempotent on the IntegratorTxID) and the order is marked shipped.

No database transaction is held while Stamps.com is called.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.contrib.auth.models import User
from django.db import IntegrityError, transaction
from django.db.models import Sum
from django.utils import timezone

from carriers.models import CarrierAccount
from carriers.services import AccountNotUsable, require_usable
from carriers.stamps import errors
from carriers.stamps.accounts import call
from carriers.stamps.types import Address, Customs, CustomsLine, Rate, ReturnLabel
from funding.ledger import debit_for_label
from funding.purchases import open_book
from merchants.errors import Fix, MerchantError
from merchants.permissions import Perm, require
from orders import addresses
from orders.catalog import ContentsType, NonDelivery
from orders.models import Order
from orders.ship_dates import default_ship_date, order_today
from orders.validation import ShipmentInvalid, ensure_shippable, label_messages_allowed
from shipments import label_files, rating
from shipments.models import Batch, BatchItem, Shipment
from shipments.signals import label_bought

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
        ensure_shippable(preview)
    except ShipmentInvalid as exc:
        raise LabelError(
            "Fix the order first: " + " ".join(p.message for p in exc.problems),
            fix=Fix("order-detail", (order.pk,), f"Edit order {order.number}"),
            problems=exc.problems,
        ) from exc


def _reserve(
    order: Order,
    account: CarrierAccount,
    quote: rating.Quote,
    ship_date,
    batch,
    by: User | None = None,
):
    """Commit the shipment with its IntegratorTxID before the carrier is called (R28), and
    the image format asked for, so a retry asks for the same one."""
    rate = quote.rate
    image = label_files.image_for(
        label_files.layout_for(order.merchant, by or (batch.created_by if batch else None))
    )
    try:
        with transaction.atomic():
            return Shipment.objects.create(
                merchant_id=order.merchant_id,
                order=order,
                account=account,
                batch=batch,
                ship_from_id=order.ship_from_id,
                service=rate.service_type,
                service_name=quote.name,
                package_type=rate.package_type or order.package_type,
                weight_oz=order.package_weight_oz,
                length_in=order.length_in,
                width_in=order.width_in,
                height_in=order.height_in,
                add_ons=list(quote.add_on_codes),
                cubic_tier=quote.cubic_tier,
                postage=quote.postage,
                amount=quote.total,
                delivery_days=rate.delivery_days,
                ship_date=ship_date,
                to_name=order.recipient_name,
                to_country=order.country,
                status=Shipment.Status.BUYING,
                bought_by=by,
                image_type=image.image_type,
                paper_size=image.paper_size,
                image_dpi=image.image_dpi,
            )
    except IntegrityError:
        # Another request or worker reserved this order a moment ago: continue with its row.
        live = _live_shipment(order)
        if live is None:
            raise
        return live


def _live_shipment(order: Order) -> Shipment | None:
    """The order's outbound label in flight, bought or being voided (never a return label)."""
    return (
        Shipment.objects.filter(order_id=order.pk, status__in=Shipment.LIVE, return_of__isnull=True)
        .select_related("account")
        .first()
    )


def _fail(shipment: Shipment, reason: str) -> None:
    Shipment.objects.filter(pk=shipment.pk, status=Shipment.Status.BUYING).update(
        status=Shipment.Status.FAILED, failure=reason[:2000]
    )
    shipment.status, shipment.failure = Shipment.Status.FAILED, reason


def _require_open_book(account: CarrierAccount) -> None:
    """The ledger opens with the carrier's balance before the first label is bought (R14)."""
    try:
        open_book(account)
    except errors.StampsError as exc:
        raise LabelError(
            "ShipDesk couldn't read this account's balance at Stamps.com yet, so no label was "
            f"bought. {exc.merchant_message}"
        ) from exc


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

    live = _live_shipment(order)
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
        _require_open_book(account)
        ship_to = addresses.carrier_ship_to(order)
        query = rating.query_for_order(order, live.ship_date)
        try:
            quote = rating.rate_for_service(account, query, live.service)
        except (errors.StampsError, ValueError):
            quote = None
    else:
        # The location's cut-off applies: a label printed after it ships the next day (R31).
        ship_date = ship_date or default_ship_date(order)
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
        _require_open_book(account)
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
        balance = CarrierAccount.objects.values_list("balance", flat=True).get(pk=account.pk)
        account.balance = balance
        if quote.total > balance:
            raise _funds_error(account, quote.total)
        shipment = _reserve(order, account, quote, ship_date, batch, by)

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
    # The carrier's image, kept once (R39); a lost download is fetched again at print time.
    label_files.keep_answer(recorded, indicium.image_data)
    return recorded


def _record(shipment: Shipment, indicium, batch_item_id: int | None = None) -> Shipment:
    """The label, its ledger debit and the order's status: one transaction (R14)."""
    amount = indicium.total  # postage, add-ons and surcharges (R40)
    order_number = shipment.order.number
    with transaction.atomic():
        locked = (
            # The person comes along but is not locked (PostgreSQL can't lock the nullable
            # side of an outer join); the label and its account are, as before.
            Shipment.objects.select_for_update(of=("self", "account"))
            .select_related("account", "bought_by")
            .get(pk=shipment.pk)
        )
        if locked.status == Shipment.Status.BOUGHT:
            return locked
        locked.status = Shipment.Status.BOUGHT
        locked.stamps_tx_id = indicium.stamps_tx_id
        locked.tracking_number = indicium.tracking_number
        locked.label_category = indicium.label_category
        locked.carrier_label_url = indicium.url[:2000]
        locked.carrier_form_url = indicium.form_url[:2000]
        locked.amount = amount if amount is not None else locked.amount
        if indicium.rate is not None:
            locked.postage = indicium.rate.amount
        locked.bought_at = timezone.now()
        locked.failure = ""
        locked.save()
        kind = "Return label" if locked.is_return else "Label"
        debit_for_label(
            locked.account,
            locked.amount,
            reference=locked.integrator_tx_id,
            memo=f"{kind} {locked.tracking_number or locked.service} (order {order_number})",
            control_total=indicium.control_total,
            by=locked.bought_by,
        )
        if locked.is_return:
            # The order shipped long ago; its return label changes nothing about it.
            transaction.on_commit(lambda: label_bought.send(Shipment, shipment=locked))
            return locked
        Order.objects.filter(pk=locked.order_id).update(
            status=Order.Status.SHIPPED, updated_at=timezone.now()
        )
        items = BatchItem.objects.none()
        if batch_item_id is not None:
            items = BatchItem.objects.filter(pk=batch_item_id)
        elif locked.batch_id:
            # A batch's label finished elsewhere (the order page, the sweep): its item says
            # so too, or a resumed run finds the label and leaves the item pending.
            items = BatchItem.objects.filter(batch_id=locked.batch_id, order_id=locked.order_id)
        items.update(status=BatchItem.Status.BOUGHT, reason="", shipment=locked)
        # The customer's "shipped" e-mail and webhooks are sent by the listeners.
        transaction.on_commit(lambda: label_bought.send(Shipment, shipment=locked))
    shipment.order.status = Order.Status.SHIPPED
    return locked


def unsettled_charges(sender: object, account_id: int, **kwargs: object) -> Decimal:
    """funding.signals.unsettled_debits: labels being bought whose answer was lost may have
    been charged by the carrier before their debit reaches the ledger (R28)."""
    total = Shipment.objects.filter(account_id=account_id, status=Shipment.Status.BUYING).aggregate(
        total=Sum("amount")
    )["total"]
    return total or Decimal("0.00")
