"""The Funds pages: thin views over the funding services (purchases, auto-funding) and
``funding.reports``."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib import messages
from django.db.models import Q, QuerySet
from django.http import Http404, HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.http import content_disposition_header
from django_htmx.http import HttpResponseStopPolling, trigger_client_event

from carriers.models import CarrierAccount
from carriers.services import CarrierAccountError
from carriers.stamps.errors import StampsError
from funding import auto_funding as autofunding
from funding import purchases, refunds, reports
from funding.forms import AddFundsForm, AutoFundingForm, LedgerFilterForm
from funding.models import AutoFunding, PostagePurchase, Refund
from merchants.errors import MerchantError
from merchants.exports import SafeWriter
from merchants.paging import keyset_page
from merchants.pdf import pdf_response
from merchants.permissions import Perm
from merchants.tenancy import MerchantRequest, get_owned_or_404, merchant_view, owned

NOTICE_DAYS = 7
REFUNDS_SHOWN = 10
LEDGER_CHANGED = "ledger-changed"


def _accounts(request: MerchantRequest) -> QuerySet[CarrierAccount]:
    return owned(request, CarrierAccount.objects.connected())


def _months(account: CarrierAccount, count: int = 6) -> list[tuple[int, int, dt.date]]:
    """The last ``count`` months with a statement, newest first: none before the month the
    account was connected (there is nothing to state before it)."""
    today = timezone.localdate()
    first = timezone.localdate(account.created_at).replace(day=1) if account.created_at else None
    year, month, out = today.year, today.month, []
    for _ in range(count):
        start = dt.date(year, month, 1)
        if first and start < first:
            break
        out.append((year, month, start))
        year, month = (year - 1, 12) if month == 1 else (year, month - 1)
    return out


def _card(account: CarrierAccount, **extra: Any) -> dict[str, Any]:
    auto = AutoFunding.objects.filter(account=account).first()
    recent = list(PostagePurchase.objects.filter(account=account).order_by("-pk")[:5])
    in_flight = [p for p in recent if p.in_flight]
    since = timezone.now() - dt.timedelta(days=NOTICE_DAYS)
    # R41: refunds of voided labels the carrier has not credited (not in the balance nor the
    # ledger yet), and the ones it credited lately.
    refunds_shown = list(
        Refund.objects.filter(account=account)
        .filter(Q(status=Refund.Status.REQUESTED) | Q(settled_at__gte=since))
        .order_by("-requested_at", "-pk")[:REFUNDS_SHOWN]
    )
    auto_form = extra.pop("auto_form", None) or AutoFundingForm(
        initial={
            "enabled": auto.enabled if auto else False,
            "threshold": auto.threshold if auto else "50.00",
            "amount": auto.amount if auto else "100.00",
            "max_per_day": auto.max_per_day if auto else 3,
        }
    )
    return {
        "account": account,
        "auto": auto,
        "auto_form": auto_form,
        "in_flight": in_flight,
        "latest": recent[0] if recent else None,
        "refunds": refunds_shown,
        "refunds_pending": refunds.pending_total(account),
        "auto_notices": [
            p
            for p in recent
            if p.automatic and p.status == PostagePurchase.Status.SUCCESS and p.created_at >= since
        ],
        "chart": reports.account_chart(account),
        "presets": purchases.PRESET_AMOUNTS,
        "room": purchases.room_to_add(account),
        "months": _months(account),
        **extra,
    }


def _account_response(
    request: MerchantRequest,
    account: CarrierAccount,
    status: int = 200,
    *,
    poll: bool = False,
    **extra: Any,
) -> HttpResponse:
    """The account's card: an htmx fragment, or a page of its own without JavaScript.

    htmx swaps only 2xx answers, so refusals reach it as 200 with the message in the card.
    A poll that finds nothing in flight answers 286, which tells htmx to stop polling.
    """
    # The purchase or sync that just ran wrote the balance through the ledger on its own copy
    # of the row: the card shows what is stored now, not what the view loaded before it.
    account.refresh_from_db()
    card = _card(account, **extra)
    if request.htmx:
        html = render_to_string("funding/funds.html#account-card", {"card": card}, request)
        if poll and not card["in_flight"]:
            # The purchase it waited for has settled: its ledger entry is written now.
            return trigger_client_event(HttpResponseStopPolling(html), LEDGER_CHANGED)
        return HttpResponse(html)
    return render(request, "funding/account.html", {"card": card}, status=status)


@merchant_view(Perm.FUNDS_VIEW)
def funds(request: MerchantRequest) -> HttpResponse:
    accounts = list(_accounts(request))
    form = LedgerFilterForm(request.GET or None, accounts=accounts)
    filters = form.cleaned_data if form.is_valid() else {}
    entries = reports.filtered_ledger(request.merchant, filters)
    # Keyset pages (no COUNT, no OFFSET): the page costs the same at any ledger size.
    page = keyset_page(
        entries, older=request.GET.get("older", ""), newer=request.GET.get("newer", "")
    )
    query = request.GET.copy()
    for key in ("page", "older", "newer"):
        query.pop(key, None)
    context = {
        "cards": [_card(a) for a in accounts],
        "filter_form": form,
        "page": page,
        "query": query.urlencode(),
        "zone": request.merchant.zone,
    }
    if request.htmx and request.htmx.target == "ledger":
        return render(request, "funding/funds.html#ledger", context)
    return render(request, "funding/funds.html", context)


@merchant_view(Perm.FUNDS_VIEW)
def account_card(request: MerchantRequest, account_id: int) -> HttpResponse:
    account = get_owned_or_404(request, CarrierAccount, pk=account_id)
    return _account_response(request, account, poll=True)


def _done(
    request: MerchantRequest, account: CarrierAccount, message: str, level: int = messages.SUCCESS
) -> HttpResponse:
    if request.htmx:
        # Only the card is swapped; the ledger under it fetches itself again on this event,
        # or the purchase (or the refunds a sync found) would be missing from it until a reload.
        response = _account_response(request, account, notice=message, notice_level=level)
        return trigger_client_event(response, LEDGER_CHANGED)
    messages.add_message(request, level, message)
    return redirect(f"{reverse('funding:home')}#account-{account.pk}")


def _failed(
    request: MerchantRequest, account: CarrierAccount, error: MerchantError, **extra: Any
) -> HttpResponse:
    return _account_response(request, account, status=400, error=error, **extra)


@merchant_view(Perm.ADD_FUNDS, read=Perm.FUNDS_VIEW)
def add_funds(request: MerchantRequest, account_id: int) -> HttpResponse:
    account = get_owned_or_404(request, _accounts(request), pk=account_id)
    if request.method != "POST":
        return _account_response(request, account)
    form = AddFundsForm(request.POST)
    if not form.is_valid():
        return _failed(request, account, purchases.FundsError("Enter an amount in dollars."))
    try:
        purchase = purchases.add_funds(account, form.cleaned_data["amount"], by=request.user)
    except purchases.FundsError as exc:
        # The amount stays in the field, ready to send again (after a wait, R44a).
        return _failed(request, account, exc, amount_typed=form.cleaned_data["amount"])
    if purchase.status == PostagePurchase.Status.SUCCESS:
        return _done(request, account, f"${purchase.amount:,.2f} added to {account.nickname}.")
    if purchase.status == PostagePurchase.Status.UNKNOWN:
        return _done(
            request,
            account,
            "Stamps.com didn't confirm the purchase in time. ShipDesk is checking with the same "
            "transaction id, so you will never be charged twice; the balance updates here.",
            messages.WARNING,
        )
    return _done(
        request,
        account,
        f"Stamps.com is processing ${purchase.amount:,.2f}; the balance updates here when "
        "it settles.",
        messages.INFO,
    )


@merchant_view(Perm.CARRIERS, read=Perm.FUNDS_VIEW)
def sync_balance(request: MerchantRequest, account_id: int) -> HttpResponse:
    account = get_owned_or_404(request, _accounts(request), pk=account_id)
    if request.method != "POST":
        return _account_response(request, account)
    try:
        # Refunds Stamps.com credited since the last look are written to the ledger too (R41).
        read = refunds.sync_with_refunds(account) or purchases.read_balance(account)
    except StampsError as exc:
        return _failed(request, account, purchases.FundsError(exc.merchant_message))
    if not read.stored:
        # Stamps.com's figure may already hold what ShipDesk is still recording (R14a).
        return _done(
            request,
            account,
            f"Balance of {account.nickname} checked with Stamps.com. "
            f"{read.under_way[:1].upper()}{read.under_way[1:]}, so the balance shown is "
            "ShipDesk's own until that settles, usually within minutes.",
            messages.INFO,
        )
    return _done(request, account, f"Balance of {account.nickname} refreshed from Stamps.com.")


@merchant_view(Perm.AUTO_FUNDING, read=Perm.FUNDS_VIEW)
def auto_funding(request: MerchantRequest, account_id: int) -> HttpResponse:
    account = get_owned_or_404(request, _accounts(request), pk=account_id)
    if request.method != "POST":
        return _account_response(request, account)
    form = AutoFundingForm(request.POST)
    if not form.is_valid():
        error = purchases.FundsError("Check the auto-funding settings.")
        return _failed(request, account, error, auto_form=form)
    try:
        auto = autofunding.save_auto_funding(account, **form.cleaned_data, by=request.user)
    except (purchases.FundsError, CarrierAccountError) as exc:
        return _failed(request, account, exc, auto_form=form)
    if not auto.enabled:
        return _done(request, account, "Auto-funding is off.")
    message = (
        f"Auto-funding is on: when the balance drops below ${auto.threshold:,.2f}, ShipDesk "
        f"adds ${auto.amount:,.2f} (at most {auto.max_per_day} times a day)."
    )
    if auto.funds_twice:
        message += " Stamps.com's own auto-buy is also on; turn it off so you're not funded twice."
        return _done(request, account, message, messages.WARNING)
    return _done(request, account, message)


@merchant_view(Perm.AUTO_FUNDING, read=Perm.FUNDS_VIEW)
def carrier_auto_buy_off(request: MerchantRequest, account_id: int) -> HttpResponse:
    account = get_owned_or_404(request, _accounts(request), pk=account_id)
    if request.method != "POST":
        return _account_response(request, account)
    try:
        autofunding.turn_off_carrier_auto_buy(account)
    except StampsError as exc:
        return _failed(request, account, purchases.FundsError(exc.merchant_message))
    return _done(request, account, "Stamps.com auto-buy is off; ShipDesk's auto-funding remains.")


class _Echo:
    def write(self, value: str) -> str:
        return value


@merchant_view(Perm.FUNDS_VIEW)
def ledger_csv(request: MerchantRequest) -> StreamingHttpResponse:
    form = LedgerFilterForm(request.GET or None, accounts=_accounts(request))
    filters = form.cleaned_data if form.is_valid() else {}
    entries = reports.filtered_ledger(request.merchant, filters)
    writer = SafeWriter(_Echo())
    rows = reports.csv_rows(entries, request.merchant.zone)
    response = StreamingHttpResponse(
        (writer.writerow(row) for row in rows), content_type="text/csv; charset=utf-8"
    )
    stamp = timezone.localdate().isoformat()
    response["Content-Disposition"] = content_disposition_header(
        True, f"shipdesk-ledger-{stamp}.csv"
    )
    return response


@merchant_view(Perm.FUNDS_VIEW)
def statement(request: MerchantRequest, account_id: int, year: int, month: int) -> HttpResponse:
    account = get_owned_or_404(request, CarrierAccount, pk=account_id)
    period = f"{year:04d}-{month:02d}"
    if not 1 <= month <= 12 or not 2000 <= year <= timezone.localdate().year + 1:
        raise Http404("No such month")
    pdf = reports.statement_pdf(reports.statement(account, year, month))
    name = f"shipdesk-statement-{account.nickname}-{period}.pdf".replace(" ", "-")
    return pdf_response(pdf, name)
