from django.contrib import admin

from orders.models import Order, OrderItem, ShipFromLocation


class OrderItemInline(admin.TabularInline):
    model = OrderItem
    extra = 0


@admin.register(Order)
class OrderAdmin(admin.ModelAdmin):
    list_display = [
        "number",
        "merchant",
        "status",
        "recipient_name",
        "country",
        "total",
        "order_date",
    ]
    list_filter = ["status", "country", "store"]
    search_fields = ["number", "recipient_name", "email", "items__sku"]
    date_hierarchy = "order_date"
    autocomplete_fields = ["merchant"]
    list_select_related = ["merchant"]
    inlines = [OrderItemInline]


@admin.register(ShipFromLocation)
class ShipFromLocationAdmin(admin.ModelAdmin):
    list_display = ["name", "merchant", "city", "state", "time_zone", "is_default"]
    search_fields = ["name", "merchant__name", "city"]
    autocomplete_fields = ["merchant"]
