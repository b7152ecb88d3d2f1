from django.contrib import admin

from endofday.models import Pickup, ScanForm, ScanFormLabel
from locations.models import EndOfDaySettings


@admin.register(EndOfDaySettings)
class EndOfDaySettingsAdmin(admin.ModelAdmin):
    list_display = ["location", "merchant", "cutoff_time", "auto_scan_form", "last_auto_scan_on"]
    list_filter = ["auto_scan_form"]
    search_fields = ["location__name", "merchant__name"]
    raw_id_fields = ["merchant", "location"]
    list_select_related = ["location", "merchant"]


class ScanFormLabelInline(admin.TabularInline):
    model = ScanFormLabel
    raw_id_fields = ["shipment"]
    extra = 0


@admin.register(ScanForm)
class ScanFormAdmin(admin.ModelAdmin):
    list_display = ["manifest_id", "merchant", "location", "ship_date", "label_count", "status"]
    list_filter = ["status", "automatic"]
    search_fields = ["manifest_id", "integrator_tx_id", "merchant__name"]
    raw_id_fields = ["merchant", "account", "location", "created_by"]
    list_select_related = ["merchant", "location"]
    readonly_fields = ["integrator_tx_id", "manifest_id", "carrier_url"]
    date_hierarchy = "created_at"
    inlines = [ScanFormLabelInline]


@admin.register(Pickup)
class PickupAdmin(admin.ModelAdmin):
    list_display = [
        "confirmation_number",
        "merchant",
        "location",
        "pickup_date",
        "package_count",
        "status",
    ]
    list_filter = ["status", "package_location"]
    search_fields = ["confirmation_number", "merchant__name", "contact_phone"]
    raw_id_fields = ["merchant", "account", "location", "created_by"]
    list_select_related = ["merchant", "location"]
    readonly_fields = ["confirmation_number"]
    date_hierarchy = "pickup_date"
