from django import forms
from django.contrib import admin
from django.db.models import Q, QuerySet

from locations.models import ShipFromLocation
from merchants.admin import (
    SEARCH_STORES,
    EstimatedCountPaginator,
    LogAdmin,
    StoreRecordAdmin,
)
from merchants.ids import parse_id
from orders.models import (
    ApiKey,
    AutomationRule,
    CountryServiceAlert,
    ImportJob,
    ImportMapping,
    Order,
    OrderItem,
    OrderRuleChange,
)

# Orders one number can name (each store numbers its own: many have a "1001").
SEARCH_ORDERS = 500


class OrderItemInline(admin.TabularInline):
    model = OrderItem
    extra = 0


class OrderRuleChangeInline(admin.TabularInline):
    model = OrderRuleChange
    extra = 0
    fields = ("rule_name", "field", "old_value", "new_value", "created_at")
    readonly_fields = fields


class OrderAdminForm(forms.ModelForm):
    def clean(self):
        cleaned = super().clean()
        merchant, ship_from = cleaned.get("merchant"), cleaned.get("ship_from")
        # A saved order's store is read-only (StoreRecordAdmin), so not in the form.
        merchant_id = merchant.pk if merchant else self.instance.merchant_id
        # The label would be bought from another store's address (and its time zone).
        if merchant_id and ship_from and ship_from.merchant_id != merchant_id:
            self.add_error(
                "ship_from",
                "This ship-from location belongs to another store: pick one of this order's store.",
            )
        return cleaned


@admin.register(Order)
class OrderAdmin(StoreRecordAdmin):
    form = OrderAdminForm
    list_display = [
        "number",
        "merchant",
        "status",
        "recipient_name",
        "country",
        "total",
        "order_date",
    ]
    # Only filters with fixed choices: a free-text field's (country, store) are listed with
    # SELECT DISTINCT over every order on each page load.
    list_filter = ["status", "service", "dangerous_goods"]
    # Turns the search box on; get_search_results says how each of these is matched.
    search_fields = ["number", "recipient_name", "email", "items__sku"]
    search_help_text = "An order number, recipient, e-mail or item SKU, or part of one."
    # Newest first by id (its index), not by order date: no index leads with the date alone
    # (each starts with the store), so every page sorted every order of every store. For
    # the same reason no date_hierarchy: its year links read the date of every order.
    ordering = ["-pk"]
    # No COUNT(*) of every order beside a search's own count, nor for the unfiltered list
    # on PostgreSQL (see LogAdmin: orders grow with every import).
    show_full_result_count = False
    paginator = EstimatedCountPaginator
    autocomplete_fields = ["merchant"]
    # An id, not a list of every store's locations.
    raw_id_fields = ["ship_from"]
    list_select_related = ["merchant"]
    inlines = [OrderItemInline, OrderRuleChangeInline]

    def get_search_results(
        self, request, queryset: QuerySet[Order], search_term: str
    ) -> tuple[QuerySet[Order], bool]:
        """One sub-select per field, each answered by its own trigram index on PostgreSQL
        (orders/0008), the SKU's in the items table: Django's own search joined the items,
        so an order with three matching items came back three times and the list (and its
        count) needed SELECT DISTINCT over the join. Matched as one phrase, as the order
        list does: "jane doe" finds Jane Doe, not a Jane who bought a "doe" SKU."""
        term = search_term.strip()
        if not term:
            return queryset, False
        orders = Order.objects.all()
        found = (
            orders.filter(number__icontains=term)
            .values("pk")
            .union(
                orders.filter(recipient_name__icontains=term).values("pk"),
                orders.filter(email__icontains=term).values("pk"),
                OrderItem.objects.filter(sku__icontains=term).values("order_id"),
            )
        )
        return queryset.filter(pk__in=found), False


@admin.register(ShipFromLocation)
class ShipFromLocationAdmin(StoreRecordAdmin):
    list_display = ["name", "merchant", "city", "state", "time_zone", "is_default"]
    search_fields = ["name", "merchant__name", "city"]
    autocomplete_fields = ["merchant"]


@admin.register(AutomationRule)
class AutomationRuleAdmin(StoreRecordAdmin):
    list_display = ["name", "merchant", "position", "enabled", "match", "stop_processing"]
    list_filter = ["enabled", "stop_processing", "match"]
    search_fields = ["name", "merchant__name", "merchant__slug"]
    autocomplete_fields = ["merchant"]
    list_select_related = ["merchant"]
    # Written on the automation page, whose form checks each condition and action: JSON
    # typed here is taken as is, and one the rules can't read fails every import.
    readonly_fields = ["conditions", "actions"]


@admin.register(OrderRuleChange)
class OrderRuleChangeAdmin(LogAdmin[OrderRuleChange]):
    list_display = ["order", "rule_name", "field", "old_value", "new_value", "created_at"]
    # Turns the search box on; get_search_results says how each of these is matched.
    search_fields = ["order__number", "rule_name"]
    search_help_text = "A change's id, an order number exactly, or a rule's name or part of it."
    raw_id_fields = ["order", "rule"]
    list_select_related = ["order"]
    ordering = ["-pk"]  # the latest changes first, through the primary key

    def get_search_results(
        self, request, queryset: QuerySet[OrderRuleChange], search_term: str
    ) -> tuple[QuerySet[OrderRuleChange], bool]:
        """The orders and rules are found first, in their own tables (the order number's
        index, the rules' few rows), then the changes through their order's and rule's
        indexes: a LIKE '%term%' on the rule's name, or across the join to the order's
        number, read every change every rule ever made. A deleted rule's changes keep its
        name but are found by their order only."""
        term = search_term.strip()
        if not term:
            return queryset, False
        number = term.removeprefix("#")
        orders = Order.objects.filter(number__in=[number, f"#{number}"])
        rules = AutomationRule.objects.filter(name__icontains=term)
        # Lists, not sub-selects: inside an OR, PostgreSQL checks a sub-select row by row.
        order_ids = list(orders.values_list("pk", flat=True)[:SEARCH_ORDERS])
        rule_ids = list(rules.values_list("pk", flat=True)[:SEARCH_STORES])
        found = Q(order__in=order_ids) | Q(rule__in=rule_ids)
        if (pk := parse_id(term)) is not None:
            found |= Q(pk=pk)
        return queryset.filter(found), False


@admin.register(ImportJob)
class ImportJobAdmin(StoreRecordAdmin):
    list_display = [
        "pk",
        "merchant",
        "source",
        "filename",
        "status",
        "total_rows",
        "created_count",
        "updated_count",
        "error_count",
        "created_at",
    ]
    list_filter = ["status", "source"]
    search_fields = ["filename", "merchant__name", "merchant__slug"]
    autocomplete_fields = ["merchant"]
    raw_id_fields = ["created_by"]
    list_select_related = ["merchant"]
    # The uploaded file holds customers' addresses: don't show it here.
    exclude = ["content"]


@admin.register(ImportMapping)
class ImportMappingAdmin(StoreRecordAdmin):
    list_display = ["merchant", "updated_at"]
    search_fields = ["merchant__name", "merchant__slug"]
    autocomplete_fields = ["merchant"]


@admin.register(ApiKey)
class ApiKeyAdmin(admin.ModelAdmin):
    """Only the recognisable prefix is shown; the hash is never displayed or editable."""

    list_display = ["prefix", "merchant", "created_at", "last_used_at"]
    search_fields = ["prefix", "merchant__name", "merchant__slug"]
    fields = ["merchant", "prefix", "created_at", "last_used_at"]
    readonly_fields = ["merchant", "prefix", "created_at", "last_used_at"]

    def has_add_permission(self, request):
        return False  # keys are created by the merchant in Settings, shown to them once


@admin.register(CountryServiceAlert)
class CountryServiceAlertAdmin(admin.ModelAdmin):
    list_display = ["country", "kind", "services", "active", "starts_on", "ends_on", "updated_at"]
    list_filter = ["active", "kind"]
    search_fields = ["country", "message"]
