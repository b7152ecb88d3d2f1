from __future__ import annotations

from django.contrib import admin
from django.db.models import Count
from django.urls import reverse
from django.utils.html import format_html

from merchants.models import AuditLog, Membership, Merchant, StoreEvent


class StoreRecordAdmin(admin.ModelAdmin):
    """A record of one store stays that store's: moved to another, it would show that store
    this one's customers (an order's address), or tie its labels, rules and locations to
    postage bought by this one. The store is chosen when the record is added, then shown."""

    def get_readonly_fields(self, request, obj=None):
        fields = super().get_readonly_fields(request, obj)
        return fields if obj is None else (*fields, "merchant")


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0
    autocomplete_fields = ["user"]
    readonly_fields = ["created_at"]


@admin.register(Merchant)
class MerchantAdmin(admin.ModelAdmin):
    list_display = [
        "name",
        "slug",
        "time_zone",
        "member_count",
        "created_at",
        "deleted_at",
        "support_link",
    ]
    search_fields = ["name", "slug", "memberships__user__email"]
    list_filter = ["time_zone", ("deleted_at", admin.EmptyFieldListFilter)]
    date_hierarchy = "created_at"
    prepopulated_fields = {"slug": ["name"]}
    # Clearing "deleted at" reopens a store deleted by mistake (its carriers stay disconnected).
    readonly_fields = ["created_at", "deleted_by", "support_link"]
    inlines = [MembershipInline]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(member_total=Count("memberships"))

    def has_delete_permission(self, request, obj=None):
        # The owner deletes a store by closing it (front.store_deletion), which keeps its
        # ledger, labels and carrier calls: an erased store leaves support nothing to show.
        return False

    @admin.display(description="members", ordering="member_total")
    def member_count(self, obj: Merchant) -> int:
        return obj.member_total  # type: ignore[attr-defined]  # annotated in get_queryset

    @admin.display(description="support console")
    def support_link(self, obj: Merchant) -> str:
        if obj.pk is None:
            return "—"
        return format_html(
            '<a href="{}">Open in support</a>', reverse("support:merchant", args=[obj.pk])
        )


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin):
    list_display = ["user", "merchant", "role", "created_at"]
    list_filter = ["role"]
    search_fields = ["user__email", "merchant__name", "merchant__slug"]
    autocomplete_fields = ["user", "merchant"]
    list_select_related = ["user", "merchant"]
    date_hierarchy = "created_at"
    readonly_fields = ["created_at"]


@admin.register(AuditLog)
class AuditLogAdmin(admin.ModelAdmin):
    """View-only for everyone, superusers included: the log is evidence, not data to fix."""

    list_display = [
        "created_at",
        "actor",
        "action",
        "query",
        "object_repr",
        "reason",
        "ip_address",
        "path",
    ]
    list_filter = ["action"]
    search_fields = ["actor", "query", "object_repr", "reason", "ip_address", "path"]
    date_hierarchy = "created_at"
    list_select_related = ["user", "merchant"]
    readonly_fields = (
        "created_at",
        "user",
        "actor",
        "action",
        "query",
        "reason",
        "path",
        "merchant",
        "object_repr",
        "ip_address",
        "user_agent",
    )
    fields = readonly_fields

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(StoreEvent)
class StoreEventAdmin(admin.ModelAdmin):
    """View-only, like the support audit log: who changed a store's team, sign-in or carriers."""

    list_display = ["created_at", "merchant", "actor", "action", "subject", "detail"]
    list_filter = ["action"]
    search_fields = ["actor", "subject", "merchant__name", "merchant__slug"]
    date_hierarchy = "created_at"
    list_select_related = ["merchant"]
    readonly_fields = ("created_at", "merchant", "by", "actor", "action", "subject", "detail")
    fields = readonly_fields

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
