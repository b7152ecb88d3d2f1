from __future__ import annotations

from django.contrib import admin, messages
from django.db.models import Q, QuerySet

from carriers.models import CarrierAccount, CarrierCall, PhoneVerification, VerificationPhone
from merchants import crypto
from merchants.admin import SEARCH_STORES, LogAdmin, stores_matching
from merchants.ids import parse_id

# Secrets never reach the admin: CarrierAccount.password and PhoneVerification.console_code
# are excluded everywhere below (and are not editable fields to begin with).


class ViewOnlyAdmin(admin.ModelAdmin):
    """Records written by the carrier code only: readable for admins, never edited by hand."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


VERIFICATION_FIELDS = (
    "sent_at",
    "phone_number",
    "backend",
    "external_id",
    "expires_at",
    "failed_attempts",
    "locked_at",
    "verified_at",
)


class PhoneVerificationInline(admin.TabularInline):
    model = PhoneVerification
    extra = 0
    fields = VERIFICATION_FIELDS
    readonly_fields = VERIFICATION_FIELDS
    exclude = ["console_code"]
    ordering = ["-sent_at"]
    show_change_link = True
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(CarrierAccount)
class CarrierAccountAdmin(admin.ModelAdmin):
    list_display = [
        "nickname",
        "merchant",
        "username",
        "status",
        "plan",
        "balance",
        "balance_synced_at",
        "is_default",
        "created_at",
    ]
    list_filter = [
        "status",
        "plan",
        "carrier",
        "is_default",
        "created_through_shipdesk",
        ("disconnected_at", admin.EmptyFieldListFilter),
    ]
    search_fields = ["nickname", "username", "merchant__name", "merchant__slug", "phone_number"]
    list_select_related = ["merchant"]
    exclude = ["password"]
    # Money and what the carrier told us change only through the services (ledger, sync).
    # So do the account's owner and identity (another store would spend this one's postage,
    # or the ledger would follow another carrier account), its state (ACTIVE before 2-step
    # verification would buy postage, R3) and its 2-step phone: only the connect, verify and
    # disconnect flows set them, each with its activity-log line.
    readonly_fields = [
        "merchant",
        "carrier",
        "username",
        "status",
        "plan",
        "created_through_shipdesk",
        "phone_number",
        "disconnected_at",
        "connected_by",
        "disconnected_by",
        "balance",
        "control_total",
        "max_balance",
        "balance_synced_at",
        "card_brand",
        "card_last4",
        "carrier_account_id",
        "verified_at",
        "created_at",
    ]
    date_hierarchy = "created_at"
    inlines = [PhoneVerificationInline]
    # funding/admin.py adds "Resync balance": the balance belongs to the ledger's floor.
    # Every action acts (a text sent, secrets rewritten, the balance and ledger synced), so
    # each asks for the change permission: staff who may only view accounts get none.
    actions = ["resend_verification_code", "reencrypt_credentials"]

    def has_add_permission(self, request):
        return False  # connecting authenticates at Stamps.com before saving anything (R1)

    def has_delete_permission(self, request, obj=None):
        return False  # disconnecting keeps the account for its labels' and ledger's history

    @admin.action(description="Resend the 2-step verification code", permissions=["change"])
    def resend_verification_code(self, request, queryset: QuerySet[CarrierAccount]):
        from carriers.verification import VerificationError, send_code

        sent = 0
        waiting = queryset.filter(status=CarrierAccount.Status.AWAITING_VERIFICATION)
        for account in waiting.exclude(phone_number=""):
            try:
                send_code(account, account.phone_number)
            except VerificationError as exc:
                messages.error(request, f"{account}: {exc}")
            else:
                sent += 1
        skipped = queryset.count() - sent
        if sent:
            messages.success(request, f"Code sent for {sent} account(s).")
        if skipped:
            messages.info(
                request, "Only accounts awaiting verification with a phone number get a code."
            )

    @admin.action(description="Re-encrypt credentials with the newest key", permissions=["change"])
    def reencrypt_credentials(self, request, queryset: QuerySet[CarrierAccount]):
        count = crypto.reencrypt_queryset(queryset)
        count += crypto.reencrypt_queryset(PhoneVerification.objects.filter(account__in=queryset))
        messages.success(request, f"{count} secret(s) re-encrypted.")


@admin.register(CarrierCall)
class CarrierCallAdmin(ViewOnlyAdmin, LogAdmin[CarrierCall]):
    list_display = [
        "started_at",
        "operation",
        "merchant",
        "username",
        "outcome",
        "fault_code",
        "duration_ms",
        "attempt",
    ]
    # Not by operation: its choices would be a SELECT DISTINCT over every call ever made.
    # By date with fixed choices, not date_hierarchy (see LogAdmin).
    list_filter = ["outcome", ("started_at", admin.DateFieldListFilter)]
    # Turns the search box on; get_search_results says how each of these is matched.
    search_fields = ["username", "fault_code"]
    search_help_text = (
        "A call's id, a store's name (or part of it), a carrier username (any case) or a fault "
        "code (0x002b0204) exactly."
    )
    list_select_related = ["merchant"]

    def get_search_results(
        self, request, queryset: QuerySet[CarrierCall], search_term: str
    ) -> tuple[QuerySet[CarrierCall], bool]:
        """Each condition answered by an index (carriers/0004 for the username and fault
        code, the store's own): a LIKE '%term%' on the fault's text, or across the join to
        the store's name, read every call ever made. The username is matched as typed and as
        the carrier account spells it (a connect attempt's calls have no account to go by)."""
        term = search_term.strip()
        if not term:
            return queryset, False
        accounts = CarrierAccount.objects.filter(username__iexact=term)
        usernames = {term, *accounts.values_list("username", flat=True)[:SEARCH_STORES]}
        found = (
            Q(username__in=usernames) | Q(fault_code=term) | Q(merchant__in=stores_matching(term))
        )
        if (pk := parse_id(term)) is not None:
            found |= Q(pk=pk)
        return queryset.filter(found), False


@admin.register(PhoneVerification)
class PhoneVerificationAdmin(ViewOnlyAdmin):
    list_display = [
        "sent_at",
        "phone_number",
        "merchant",
        "account",
        "backend",
        "failed_attempts",
        "locked_at",
        "verified_at",
    ]
    list_filter = [
        "backend",
        ("locked_at", admin.EmptyFieldListFilter),
        ("verified_at", admin.EmptyFieldListFilter),
    ]
    search_fields = ["phone_number", "merchant__name", "account__username"]
    date_hierarchy = "sent_at"
    list_select_related = ["merchant", "account"]
    exclude = ["console_code"]
    fields = ["merchant", "account", *VERIFICATION_FIELDS]


@admin.register(VerificationPhone)
class VerificationPhoneAdmin(ViewOnlyAdmin):
    list_display = ["phone_number"]
    search_fields = ["phone_number"]
