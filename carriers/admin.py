from django.contrib import admin

from carriers.models import CarrierAccount, CarrierCall


@admin.register(CarrierAccount)
class CarrierAccountAdmin(admin.ModelAdmin):
    list_display = ["nickname", "merchant", "username", "status", "plan", "balance", "is_default"]
    list_filter = ["status", "plan", "carrier"]
    search_fields = ["nickname", "username", "merchant__name", "phone_number"]
    autocomplete_fields = ["merchant"]
    exclude = ["password"]
    readonly_fields = ["balance", "control_total", "balance_synced_at", "card_brand", "card_last4"]
    date_hierarchy = "created_at"


@admin.register(CarrierCall)
class CarrierCallAdmin(admin.ModelAdmin):
    list_display = ["operation", "merchant", "username", "outcome", "duration_ms", "started_at"]
    list_filter = ["outcome", "operation"]
    search_fields = ["username", "fault_text", "merchant__name"]
    date_hierarchy = "started_at"
    list_select_related = ["merchant"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
