from django.contrib import admin

from shipments.models import Batch, BatchItem, Shipment, ShippingSettings

MONEY = ["postage", "amount", "refunded"]


@admin.register(Shipment)
class ShipmentAdmin(admin.ModelAdmin):
    list_display = ["tracking_number", "service", "merchant", "order", "amount", "status"]
    list_filter = ["status", "service", "label_category"]
    search_fields = ["tracking_number", "integrator_tx_id", "stamps_tx_id", "order__number"]
    list_select_related = ["merchant", "order"]
    raw_id_fields = ["order", "account", "batch"]
    date_hierarchy = "created_at"
    # Money moved with the ledger (R14): corrections are ledger adjustments, not edits here.
    readonly_fields = [*MONEY, "integrator_tx_id", "stamps_tx_id", "tracking_number"]


class BatchItemInline(admin.TabularInline):
    model = BatchItem
    raw_id_fields = ["order", "shipment"]
    extra = 0


@admin.register(Batch)
class BatchAdmin(admin.ModelAdmin):
    list_display = ["pk", "merchant", "status", "total", "ship_date", "created_at"]
    list_filter = ["status"]
    raw_id_fields = ["account", "created_by"]
    inlines = [BatchItemInline]


@admin.register(ShippingSettings)
class ShippingSettingsAdmin(admin.ModelAdmin):
    list_display = ["merchant", "notify_customers", "share_fci_tracking", "layout"]
    search_fields = ["merchant__name"]
