from __future__ import annotations

import contextlib
import ipaddress

from django.contrib import admin
from django.contrib.humanize.templatetags.humanize import intcomma, intword
from django.core.paginator import Paginator
from django.db import connections
from django.db.models import Count, Model, Q, QuerySet
from django.urls import reverse
from django.utils.functional import cached_property
from django.utils.html import format_html

from merchants.ids import parse_id
from merchants.models import AuditLog, Membership, Merchant, StoreEvent

SEARCH_STORES = 50  # stores (or accounts, orders, rules) an admin search looks in at most


def stores_matching(term: str) -> list[int]:
    """Ids of the stores whose name holds ``term`` or whose slug is ``term``: found in the
    small stores table first, so that a log's own index on its store answers the rest."""
    found = Merchant.objects.filter(Q(name__icontains=term) | Q(slug=term))
    return list(found.values_list("pk", flat=True)[:SEARCH_STORES])


class EstimatedCountPaginator(Paginator):
    """Django's paginator, except that an unfiltered, unsearched list of a big table on
    PostgreSQL is counted by the planner's estimate (``pg_class.reltuples``, kept by ANALYZE
    and autovacuum) instead of a ``SELECT COUNT(*)`` that reads every row on each load of the
    page. A list with any condition (a search, a filter) is counted exactly: those conditions
    are answered by indexes. So is a table estimated below ``exact_below`` rows, or never
    analyzed (reltuples -1), and every list on SQLite (one host, small tables).

    ``approximate_count`` ("about 1.2 million") tells the admin's templates
    (templates/admin/pagination.html, search_form.html, actions.html) to say so. The page
    links follow the estimate: the last one may be a little short of or past the real end."""

    exact_below = 10_000

    @cached_property
    def estimate(self) -> int | None:
        """The planner's row count of the whole table, when the list is the whole table
        and that count is big enough to be worth trusting over an exact one."""
        queryset = self.object_list
        if not isinstance(queryset, QuerySet):
            return None
        query = queryset.query
        if query.where or query.distinct or query.combinator or query.is_sliced:
            return None
        connection = connections[queryset.db]
        if connection.vendor != "postgresql":
            return None
        table = connection.ops.quote_name(queryset.model._meta.db_table)
        with connection.cursor() as cursor:
            cursor.execute("SELECT reltuples FROM pg_class WHERE oid = to_regclass(%s)", [table])
            row = cursor.fetchone()
        rows = int(row[0]) if row else -1  # -1: never analyzed (0 before PostgreSQL 14)
        return rows if rows > 0 and rows >= self.exact_below else None

    @cached_property
    def count(self) -> int:
        return self.estimate if self.estimate is not None else super().count

    @property
    def approximate_count(self) -> str:
        """The estimate for people: two significant digits, millions in words."""
        if self.estimate is None:
            return ""
        digits = len(str(self.estimate))
        rounded = round(self.estimate, 2 - digits) if digits > 2 else self.estimate
        return f"about {intword(rounded) if rounded >= 1_000_000 else intcomma(rounded)}"


class LogAdmin[M: Model](admin.ModelAdmin[M]):
    """A table that gains rows for as long as ShipDesk runs (a carrier call per attempt, a
    look-up per support page, a change per rule applied): its list page must cost the same
    at a million rows as at ten.

    - No full count beside a search's or filter's own ("12 results (3,456,789 total)"): a
      ``COUNT(*)`` of the whole table on every search.
    - No ``date_hierarchy``: its year links are a ``SELECT DISTINCT`` of the year of every
      row, read on every load of the page. A date filter with fixed choices (today, past 7
      days, this month, this year) narrows by a range of the indexed column instead.
    - Searches go through ``get_search_results``, every condition answered by an index.
    - The unfiltered list is counted by PostgreSQL's estimate, not a ``COUNT(*)`` of every
      row (``EstimatedCountPaginator``)."""

    show_full_result_count = False
    paginator = EstimatedCountPaginator


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
class AuditLogAdmin(LogAdmin[AuditLog]):
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
    list_filter = ["action", ("created_at", admin.DateFieldListFilter)]
    # Turns the search box on; get_search_results says how each of these is matched.
    search_fields = ["actor", "reason", "query", "ip_address"]
    search_help_text = (
        "A look-up's id, a store's name (or part of it), the start of the agent's e-mail, of the "
        "reason given or of what was searched (as written), or an IP address."
    )
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

    def get_search_results(
        self, request, queryset: QuerySet[AuditLog], search_term: str
    ) -> tuple[QuerySet[AuditLog], bool]:
        """Each condition answered by an index (merchants/0012: LIKE 'term%' on the
        agent, reason and query; the address and the store matched whole): a LIKE '%term%'
        on any of them read every look-up ever made. The object and path are not searched:
        the store they name is."""
        term = search_term.strip()
        if not term:
            return queryset, False
        found = (
            Q(actor__startswith=term)
            | Q(reason__startswith=term)
            | Q(query__startswith=term)
            | Q(merchant__in=stores_matching(term))
        )
        with contextlib.suppress(ValueError):  # not an address: not searched as one
            found |= Q(ip_address=str(ipaddress.ip_address(term)))
        if (pk := parse_id(term)) is not None:
            found |= Q(pk=pk)
        return queryset.filter(found), False

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
