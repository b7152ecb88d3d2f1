from django.contrib import admin

from carriers.admin import ViewOnlyAdmin
from endofday.models import Pickup, ScanForm, ScanFormLabel
from locations.models import EndOfDaySettings
from merchants.admin import StoreRecordAdmin


@admin.register(EndOfDaySettings)
class EndOfDaySettingsAdmin(StoreRecordAdmin):
    list_display = ["location", "merchant", "cutoff_time", "auto_scan_form", "last_auto_scan_on"]
    list_filter = ["auto_scan_form"]
    search_fields = ["location__name", "merchant__name"]
    list_select_related = ["location", "merchant"]
    # Tied to another store's location, this store's cut-off and automatic SCAN form would
    # run on that store's labels: the settings page makes them with their location.
    readonly_fields = ["location"]

    def has_add_permission(self, request):
        return False


class ScanFormLabelInline(admin.TabularInline):
    model = ScanFormLabel
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(ScanForm)
class ScanFormAdmin(ViewOnlyAdmin):
    """The carrier's manifest of these labels: one edited here (a label added, from any
    store, or taken off) no longer says what USPS will scan."""

    list_display = ["manifest_id", "merchant", "location", "ship_date", "label_count", "status"]
    list_filter = ["status", "automatic"]
    search_fields = ["manifest_id", "integrator_tx_id", "merchant__name"]
    list_select_related = ["merchant", "location"]
    date_hierarchy = "created_at"
    inlines = [ScanFormLabelInline]


@admin.register(Pickup)
class PickupAdmin(ViewOnlyAdmin):
    """Booked (and cancelled) with the carrier by the pickup service: a pickup made up or
    changed here is one USPS never heard of."""

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
    list_select_related = ["merchant", "location"]
    date_hierarchy = "pickup_date"
