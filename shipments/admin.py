from django.contrib import admin

from carriers.admin import ViewOnlyAdmin
from merchants.admin import LogAdmin, StoreRecordAdmin
from orders.catalog import Service
from orders.models import Order
from shipments.models import Batch, BatchItem, Shipment, ShippingSettings


class ServiceFilter(admin.SimpleListFilter):
    """The services ShipDesk sells, by name: listing the ones found in the table instead
    (Django's default for a field without choices) reads every label on each page load."""

    title = "service"
    parameter_name = "service"

    def lookups(self, request, model_admin):
        return Service.choices

    def queryset(self, request, queryset):
        return queryset.filter(service=self.value()) if self.value() else queryset


@admin.register(Shipment)
class ShipmentAdmin(ViewOnlyAdmin, LogAdmin[Shipment]):
    """A label is bought, voided and refunded only through the services, each with its
    ledger entry in one transaction (R14): an edit or a delete here would leave the ledger
    saying one thing and the label another."""

    list_display = ["tracking_number", "service", "merchant", "order", "amount", "status"]
    # By date with fixed choices, not date_hierarchy (see LogAdmin).
    list_filter = ["status", ServiceFilter, ("created_at", admin.DateFieldListFilter)]
    # Turns the search box on; get_search_results says how each of these is matched.
    search_fields = ["tracking_number", "integrator_tx_id", "stamps_tx_id", "order__number"]
    search_help_text = "A tracking or order number (or part of one), or a transaction id exactly."
    list_select_related = ["merchant", "order"]

    def get_search_results(self, request, queryset, search_term):
        """One sub-select per field, each answered by its own index (the tracking and order
        numbers' trigram indexes on PostgreSQL, the transaction ids' exact ones): asked as
        one OR across the join to the order, no index can answer it and every label ever
        bought is read. Transaction ids are matched whole, as they are copied."""
        term = search_term.strip()
        if not term:
            return queryset, False
        labels = Shipment.objects.all()
        orders = Order.objects.filter(number__icontains=term).values("pk")
        found = (
            labels.filter(tracking_number__icontains=term)
            .values("pk")
            .union(
                labels.filter(integrator_tx_id=term).values("pk"),
                labels.filter(stamps_tx_id=term).values("pk"),
                labels.filter(order__in=orders).values("pk"),
            )
        )
        return queryset.filter(pk__in=found), False


class BatchItemInline(admin.TabularInline):
    model = BatchItem
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(Batch)
class BatchAdmin(ViewOnlyAdmin):
    """The batch worker buys a label for each item: an item added here (any store's order)
    or a status set back to queued would buy labels nobody asked for."""

    list_display = ["pk", "merchant", "status", "total", "ship_date", "created_at"]
    list_filter = ["status"]
    inlines = [BatchItemInline]


@admin.register(ShippingSettings)
class ShippingSettingsAdmin(StoreRecordAdmin):
    list_display = ["merchant", "notify_customers", "share_fci_tracking", "layout"]
    search_fields = ["merchant__name"]
    autocomplete_fields = ["merchant"]  # a search, not a list of every store
