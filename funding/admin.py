from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db import models
from django.db.models import Model, Q, QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import URLPattern, path, reverse
from django.utils.html import format_html

from carriers.admin import CarrierAccountAdmin
from carriers.models import CarrierAccount, CarrierAccountQuerySet
from carriers.stamps.errors import StampsError
from funding import purchases, reconciliation
from funding.models import (
    AutoFunding,
    BalanceCheck,
    BalanceDrift,
    LedgerEntry,
    PostagePurchase,
)
from merchants.admin import SEARCH_STORES, LogAdmin, stores_matching
from merchants.ids import parse_id
from merchants.models import Merchant
from merchants.tenancy import staff_view


class AdjustmentForm(forms.Form):
    explanation = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=250,
        help_text="What went wrong and how you checked it. Written in the merchant's ledger.",
    )


class ReadOnlyAdmin[M: Model](admin.ModelAdmin[M]):
    """Money records change only through the funding services."""

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: M | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: M | None = None) -> bool:
        return False


@admin.register(LedgerEntry)
class LedgerEntryAdmin(ReadOnlyAdmin[LedgerEntry], LogAdmin[LedgerEntry]):
    list_display = ["created_at", "merchant", "account", "kind", "amount", "balance_after"]
    # By date with fixed choices, not date_hierarchy (see LogAdmin).
    list_filter = ["kind", ("created_at", admin.DateFieldListFilter)]
    # Turns the search box on; get_search_results says how each of these is matched.
    search_fields = ["reference", "idempotency_key", "merchant__name", "account__username"]
    search_help_text = (
        "A reference or key exactly, a store's name or part of it, or a carrier username."
    )
    list_select_related = ["merchant", "account"]

    def get_search_results(
        self, request: HttpRequest, queryset: QuerySet[LedgerEntry], search_term: str
    ) -> tuple[QuerySet[LedgerEntry], bool]:
        """Every condition one of the ledger's indexes answers: the ledger holds a row per
        label ever bought, and a LIKE '%term%' on it (or across a join to the store's name)
        reads all of them. Stores and accounts are found first, in their small tables."""
        term = search_term.strip()
        if not term:
            return queryset, False
        merchants = Merchant.objects.filter(name__icontains=term).values_list("pk", flat=True)
        accounts = CarrierAccount.objects.filter(username__iexact=term).values_list("pk", flat=True)
        found = queryset.filter(
            Q(reference=term)
            | Q(idempotency_key=term)
            | Q(merchant__in=list(merchants[:SEARCH_STORES]))
            | Q(account__in=list(accounts[:SEARCH_STORES]))
        )
        return found, False


@admin.register(PostagePurchase)
class PostagePurchaseAdmin(ReadOnlyAdmin[PostagePurchase], LogAdmin[PostagePurchase]):
    list_display = ["created_at", "merchant", "account", "amount", "status", "automatic"]
    list_filter = ["status", "automatic", ("created_at", admin.DateFieldListFilter)]
    # Turns the search box on; get_search_results says how each of these is matched.
    search_fields = ["integrator_tx_id", "carrier_transaction_id", "merchant__name"]
    search_help_text = (
        "A purchase's id, its IntegratorTxID or the carrier's transaction id exactly, a store's "
        "name or part of it, or a carrier username."
    )
    list_select_related = ["merchant", "account"]

    def get_search_results(
        self, request: HttpRequest, queryset: QuerySet[PostagePurchase], search_term: str
    ) -> tuple[QuerySet[PostagePurchase], bool]:
        """Each condition answered by an index (the ids' own, funding/0009 for the carrier's,
        the store's and the account's): a LIKE '%term%' on the ids, or across the join to
        the store's name, read every purchase ever made. Ids are matched whole, as copied."""
        term = search_term.strip()
        if not term:
            return queryset, False
        accounts = CarrierAccount.objects.filter(username__iexact=term).values_list("pk", flat=True)
        found = (
            Q(integrator_tx_id=term)
            | Q(carrier_transaction_id=term)
            | Q(merchant__in=stores_matching(term))
            | Q(account__in=list(accounts[:SEARCH_STORES]))
        )
        if (pk := parse_id(term)) is not None:
            found |= Q(pk=pk)
        return queryset.filter(found), False


@admin.register(AutoFunding)
class AutoFundingAdmin(ReadOnlyAdmin[AutoFunding]):
    """Merchants set it on the funds page, through save_auto_funding: its checks (minimum
    purchase, maximum balance, a verified account) and who changed it have no place here."""

    list_display = ["account", "merchant", "enabled", "threshold", "amount", "max_per_day"]
    list_filter = ["enabled", "carrier_auto_buy_enabled"]
    search_fields = ["merchant__name", "account__username"]


@admin.register(BalanceCheck)
class BalanceCheckAdmin(ReadOnlyAdmin[BalanceCheck]):
    """Reconciliation's latest word per account; the longest waits first."""

    list_display = [
        "account",
        "merchant",
        "compared_at",
        "waiting_since",
        "runs_waited",
        "waiting_for",
    ]
    list_filter = [("waiting_since", admin.EmptyFieldListFilter)]
    search_fields = ["merchant__name", "account__username", "account__nickname"]
    list_select_related = ["account", "merchant"]
    ordering = [models.F("waiting_since").asc(nulls_last=True), "account_id"]


@admin.register(BalanceDrift)
class BalanceDriftAdmin(ReadOnlyAdmin[BalanceDrift]):
    list_display = [
        "detected_at",
        "merchant",
        "account",
        "ledger_balance",
        "carrier_balance",
        "difference",
        "resolved_at",
        "adjust_link",
    ]
    list_filter = [("resolved_at", admin.EmptyFieldListFilter)]
    search_fields = ["merchant__name", "account__username"]
    readonly_fields = ["adjustment", "resolved_by"]

    def get_urls(self) -> list[URLPattern]:
        urls = [
            path(
                "<int:pk>/adjust/",
                # Support staff (or superusers), in the admin, with the adjustment permission.
                self.admin_site.admin_view(staff_view("Support")(self.adjust_view)),
                name="funding_balancedrift_adjust",
            )
        ]
        return urls + super().get_urls()

    @admin.display(description="Adjustment")
    def adjust_link(self, drift: BalanceDrift) -> str:
        if drift.resolved_at is not None:
            return drift.resolution
        url = reverse("admin:funding_balancedrift_adjust", args=[drift.pk])
        return format_html('<a href="{}">Review and adjust…</a>', url)

    def has_adjust_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("funding.post_adjustment")

    def adjust_view(self, request: HttpRequest, pk: int) -> HttpResponse:
        """Accept the carrier's balance with an explanation: one adjustment entry in the
        ledger (its memo says why and who), the drift resolved, a line in the admin history."""
        if not self.has_adjust_permission(request):
            raise PermissionDenied
        drift = get_object_or_404(BalanceDrift.objects.select_related("account"), pk=pk)
        form = AdjustmentForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            try:
                entry = reconciliation.resolve_drift(
                    drift, form.cleaned_data["explanation"], by=request.user
                )
            except purchases.FundsError as exc:
                form.add_error("explanation", exc.message)
            except StampsError as exc:
                form.add_error(None, f"Stamps.com couldn't be read: {exc.merchant_message}")
            else:
                drift.refresh_from_db()
                self.log_change(request, drift, drift.resolution)
                done = f"adjustment {entry.amount:+.2f} posted" if entry else "nothing to adjust"
                messages.success(request, f"Drift resolved: {done}.")
                return redirect("admin:funding_balancedrift_changelist")
        entries = reconciliation.entries_around(drift)
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": f"Adjust the ledger of {drift.account}",
            "drift": drift,
            "hint": reconciliation.drift_hint(drift, entries),
            "entries": entries,
            "form": form,
        }
        return TemplateResponse(request, "admin/funding/balancedrift/adjust.html", context)


# The carrier account's admin, with the action that resyncs its balance into the ledger.
admin.site.unregister(CarrierAccount)


@admin.register(CarrierAccount)
class FundedCarrierAccountAdmin(CarrierAccountAdmin):
    actions = ["resync_balance", *CarrierAccountAdmin.actions]

    @admin.action(description="Resync balance from Stamps.com", permissions=["change"])
    def resync_balance(self, request: HttpRequest, queryset: CarrierAccountQuerySet) -> None:
        synced = 0
        for account in queryset.connected():
            try:
                purchases.sync_balance(account)
            except StampsError as exc:
                messages.error(request, f"{account} ({account.username}): {exc.explanation}")
            else:
                synced += 1
        if synced:
            messages.success(request, f"Balance resynced for {synced} account(s).")
