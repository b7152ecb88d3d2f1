from django.contrib import admin, messages
from django.db.models import Model, QuerySet
from django.http import HttpRequest

from carriers.admin import CarrierAccountAdmin
from carriers.models import CarrierAccount, CarrierAccountQuerySet
from carriers.stamps.errors import StampsError
from funding import services
from funding.models import AutoFunding, BalanceDrift, LedgerEntry, PostagePurchase


class ReadOnlyAdmin[M: Model](admin.ModelAdmin[M]):
    """Money records change only through the funding services."""

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: M | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: M | None = None) -> bool:
        return False


@admin.register(LedgerEntry)
class LedgerEntryAdmin(ReadOnlyAdmin[LedgerEntry]):
    list_display = ["created_at", "merchant", "account", "kind", "amount", "balance_after"]
    list_filter = ["kind"]
    search_fields = ["reference", "idempotency_key", "merchant__name", "account__username"]
    date_hierarchy = "created_at"
    list_select_related = ["merchant", "account"]


@admin.register(PostagePurchase)
class PostagePurchaseAdmin(ReadOnlyAdmin[PostagePurchase]):
    list_display = ["created_at", "merchant", "account", "amount", "status", "automatic"]
    list_filter = ["status", "automatic"]
    search_fields = ["integrator_tx_id", "carrier_transaction_id", "merchant__name"]
    date_hierarchy = "created_at"
    list_select_related = ["merchant", "account"]


@admin.register(AutoFunding)
class AutoFundingAdmin(admin.ModelAdmin[AutoFunding]):
    list_display = ["account", "merchant", "enabled", "threshold", "amount", "max_per_day"]
    list_filter = ["enabled", "carrier_auto_buy_enabled"]
    search_fields = ["merchant__name", "account__username"]
    readonly_fields = [
        "merchant",
        "account",
        "armed",
        "drop_seq",
        "last_skip_reason",
        "carrier_auto_buy_enabled",
        "carrier_auto_buy_amount",
        "carrier_auto_buy_trigger",
        "carrier_checked_at",
    ]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False


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
    ]
    list_filter = [("resolved_at", admin.EmptyFieldListFilter)]
    search_fields = ["merchant__name", "account__username"]
    actions = ["accept_carrier_balance"]

    @admin.action(description="Accept the carrier's balance (write an adjustment)")
    def accept_carrier_balance(
        self, request: HttpRequest, queryset: QuerySet[BalanceDrift]
    ) -> None:
        for drift in queryset.filter(resolved_at__isnull=True):
            services.resolve_drift(drift, f"accepted by {request.user}")
        messages.success(request, "Adjustments written.")


# The carrier account's admin, with the action that resyncs its balance into the ledger.
admin.site.unregister(CarrierAccount)


@admin.register(CarrierAccount)
class FundedCarrierAccountAdmin(CarrierAccountAdmin):
    actions = ["resync_balance", *CarrierAccountAdmin.actions]

    @admin.action(description="Resync balance from Stamps.com")
    def resync_balance(self, request: HttpRequest, queryset: CarrierAccountQuerySet) -> None:
        synced = 0
        for account in queryset.connected():
            try:
                services.sync_balance(account)
            except StampsError as exc:
                messages.error(request, f"{account} ({account.username}): {exc.explanation}")
            else:
                synced += 1
        if synced:
            messages.success(request, f"Balance resynced for {synced} account(s).")
