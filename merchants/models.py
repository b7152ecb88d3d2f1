from __future__ import annotations

import zoneinfo
from typing import Self

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.text import slugify

from merchants import time_zones
from merchants.crypto import EncryptedTextField

TIME_ZONE_CHOICES = sorted(
    (tz, tz.replace("_", " ")) for tz in zoneinfo.available_timezones() if "/" in tz
)


class Merchant(models.Model):
    """A store business: the tenant every merchant-facing record belongs to."""

    name = models.CharField("company name", max_length=120)
    slug = models.SlugField(max_length=60, unique=True)
    time_zone = models.CharField(
        max_length=64, choices=TIME_ZONE_CHOICES, default="America/New_York"
    )
    members = models.ManyToManyField(
        settings.AUTH_USER_MODEL, through="Membership", related_name="merchants"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    require_two_step = models.BooleanField(
        default=False, help_text="Every member must use two-step sign-in to work in this store."
    )
    # A deleted store is kept (labels, ledger and carrier calls are its money's history, which
    # support needs for disputes and refunds) but nobody can open it: front.store_deletion.
    deleted_at = models.DateTimeField(null=True, blank=True)
    deleted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    @property
    def zone(self) -> zoneinfo.ZoneInfo:
        """The store's time zone: every time a merchant reads is in it, whoever renders it
        (a merchant's request activates it; e-mails, jobs, streamed files and public pages
        are made outside one, so they name it)."""
        return zoneinfo.ZoneInfo(self.time_zone)

    @property
    def zone_label(self) -> str:
        """The store's time zone as the list it was picked from names it."""
        return time_zones.label(self.time_zone)

    @staticmethod
    def unique_slug_for(name: str) -> str:
        base = slugify(name)[:50] or "merchant"
        slug, n = base, 1
        while Merchant.objects.filter(slug=slug).exists():
            n += 1
            slug = f"{base}-{n}"
        return slug


class Membership(models.Model):
    class Role(models.TextChoices):
        # What each may do is merchants.permissions.ROLE_PERMISSIONS.
        OWNER = "owner", "Owner"
        ADMIN = "admin", "Admin"
        SHIPPER = "shipper", "Shipper"
        VIEWER = "viewer", "Viewer"

    merchant = models.ForeignKey(Merchant, on_delete=models.CASCADE, related_name="memberships")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships"
    )
    role = models.CharField(max_length=10, choices=Role.choices, default=Role.SHIPPER)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["merchant", "user"], name="one_membership_per_user")
        ]

    def __str__(self) -> str:
        return f"{self.user} @ {self.merchant} ({self.role})"


class Invitation(models.Model):
    """An invite to join a store by e-mail, until accepted, revoked or expired.

    ``sends`` is signed into the link, so resending makes earlier links stop working."""

    merchant = models.ForeignKey(Merchant, on_delete=models.CASCADE, related_name="invitations")
    email = models.EmailField()
    role = models.CharField(max_length=10, choices=Membership.Role.choices)
    invited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    sends = models.PositiveSmallIntegerField(default=0)
    sent_at = models.DateTimeField(null=True, blank=True)
    accepted_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    # Empty: someone revoked it (or the store was deleted). SENDER_LOST_RIGHT: ShipDesk withdrew
    # it because the member who sent it was removed or may no longer hand out its role
    # (merchants.members); the link then tells the invitee so, instead of "ask them again".
    revoked_because = models.CharField(
        max_length=10,
        blank=True,
        choices=[("sender", "Its sender may no longer invite with this role")],
    )
    created_at = models.DateTimeField(auto_now_add=True)

    SENDER_LOST_RIGHT = "sender"

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["merchant", "email"],
                condition=models.Q(accepted_at__isnull=True, revoked_at__isnull=True),
                name="one_open_invitation_per_email",
            )
        ]

    def __str__(self) -> str:
        return f"{self.email} to {self.merchant} ({self.role})"

    @property
    def is_open(self) -> bool:
        return self.accepted_at is None and self.revoked_at is None


class Profile(models.Model):
    """What ShipDesk knows about a person beyond Django's user: the e-mail they confirmed.

    The address counts as confirmed only while it equals the user's current e-mail, so
    changing the e-mail asks for a new confirmation."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="shipdesk_profile"
    )
    confirmed_email = models.EmailField(blank=True)
    confirmed_at = models.DateTimeField(null=True, blank=True)
    # Two-step sign-in (merchants.twostep): the authenticator's key, encrypted at rest; the
    # last time step used, so a code can't be replayed; recovery codes as SHA-256 digests.
    totp_secret = EncryptedTextField(blank=True)
    totp_enabled_at = models.DateTimeField(null=True, blank=True)
    totp_last_step = models.BigIntegerField(default=0)
    recovery_codes = models.JSONField(default=list, blank=True)
    # Two-step sign-in by text message (merchants.sms): the mobile number, E.164.
    sms_phone = models.CharField(max_length=20, blank=True)
    sms_enabled_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"{self.user} ({'confirmed' if self.confirmed_email else 'unconfirmed'})"


class MerchantQuerySet[M: models.Model](models.QuerySet[M]):
    def for_merchant(self, merchant: Merchant) -> Self:
        return self.filter(merchant=merchant)


class MerchantOwned(models.Model):
    """Base for every merchant-facing model.

    Views reach these rows only through ``request.merchant`` (see ``merchants.tenancy``):
    ``Model.objects.for_merchant(request.merchant)`` or ``get_owned_or_404``.
    """

    merchant = models.ForeignKey(Merchant, on_delete=models.CASCADE, related_name="+")

    objects = MerchantQuerySet.as_manager()

    class Meta:
        abstract = True


class AuditLogIsAppendOnly(Exception):
    pass


class AuditLogQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise AuditLogIsAppendOnly("The audit log is append-only.")

    def delete(self):
        raise AuditLogIsAppendOnly("The audit log is append-only.")


class AuditLog(models.Model):
    """One support look-up or page view: who, what, why, when and from where. Append-only.

    The actor and object are also kept as text so the row still says who looked at what
    after the user or merchant is deleted (their foreign keys then become NULL).
    """

    class Action(models.TextChoices):
        SEARCH = "search", "Search"
        VIEW = "view", "Page view"

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    actor = models.CharField(max_length=254, help_text="The user's e-mail or username")
    action = models.CharField(max_length=10, choices=Action.choices)
    query = models.CharField(max_length=300, blank=True)
    reason = models.CharField(
        "why", max_length=200, blank=True, help_text="The ticket or request the agent gave"
    )
    path = models.CharField(max_length=300)
    merchant = models.ForeignKey(
        Merchant, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    object_repr = models.CharField("object", max_length=200, blank=True)
    ip_address = models.GenericIPAddressField(null=True, blank=True)
    user_agent = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    objects = AuditLogQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-pk"]
        permissions = [("use_support_console", "Can use the support console")]
        # The admin's search matches the start of these (LIKE 'term%', merchants/admin.py):
        # varchar_pattern_ops answers that on PostgreSQL whatever the database's collation.
        indexes = [
            models.Index(fields=["actor"], name="audit_actor", opclasses=["varchar_pattern_ops"]),
            models.Index(fields=["reason"], name="audit_reason", opclasses=["varchar_pattern_ops"]),
            models.Index(fields=["query"], name="audit_query", opclasses=["varchar_pattern_ops"]),
            models.Index(fields=["ip_address"], name="audit_ip_address"),
        ]

    def __str__(self) -> str:
        what = f"searched {self.query!r}" if self.action == self.Action.SEARCH else self.path
        return f"{self.actor} {what} at {self.created_at:%Y-%m-%d %H:%M:%S}"

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise AuditLogIsAppendOnly("The audit log is append-only.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise AuditLogIsAppendOnly("The audit log is append-only.")


class StoreEventQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise AuditLogIsAppendOnly("The store's activity log is append-only.")

    def delete(self):
        raise AuditLogIsAppendOnly("The store's activity log is append-only.")


class StoreEvent(models.Model):
    """One change to a store's team, sign-in rules, carrier accounts, the ways other systems
    reach its orders (the API key, webhooks) or its settings (ship-from locations, customer
    e-mail branding, shipping settings): who, what, to whom.

    Append-only. The actor's e-mail and the subject are kept as text, so the row still says
    who did what after a person leaves or an account is disconnected."""

    class Action(models.TextChoices):
        INVITED = "invited", "Invited"
        INVITE_RESENT = "invite_resent", "Resent the invitation"
        INVITE_REVOKED = "invite_revoked", "Revoked the invitation"
        JOINED = "joined", "Accepted the invitation"
        ROLE_CHANGED = "role_changed", "Changed the role"
        REMOVED = "removed", "Removed"
        OWNERSHIP = "ownership", "Transferred ownership"
        TWO_STEP_ON = "two_step_on", "Turned on two-step sign-in"
        TWO_STEP_OFF = "two_step_off", "Turned off two-step sign-in"
        TWO_STEP_REQUIRED = "two_step_required", "Required two-step sign-in"
        TWO_STEP_OPTIONAL = "two_step_optional", "Stopped requiring two-step sign-in"
        CARRIER_CONNECTED = "carrier_connected", "Connected a carrier account"
        CARRIER_DISCONNECTED = "carrier_disconnected", "Disconnected a carrier account"
        STORE_DELETED = "store_deleted", "Deleted the store"
        API_KEY_CREATED = "api_key_created", "Created a new API key"
        WEBHOOK_ADDED = "webhook_added", "Added a webhook endpoint"
        WEBHOOK_DELETED = "webhook_deleted", "Deleted a webhook endpoint"
        WEBHOOK_ON = "webhook_on", "Turned on a webhook endpoint"
        WEBHOOK_OFF = "webhook_off", "Turned off a webhook endpoint"
        LOCATION_ADDED = "location_added", "Added a ship-from location"
        LOCATION_CHANGED = "location_changed", "Changed a ship-from location"
        LOCATION_DELETED = "location_deleted", "Deleted a ship-from location"
        LOCATION_DEFAULT = "location_default", "Made a ship-from location the default"
        BRANDING_CHANGED = "branding_changed", "Changed the customer e-mail branding"
        SHIPPING_SETTINGS = "shipping_settings", "Changed the shipping settings"
        END_OF_DAY = "end_of_day", "Changed a location's end-of-day settings"

    merchant = models.ForeignKey(Merchant, on_delete=models.CASCADE, related_name="events")
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    actor = models.CharField(max_length=254, blank=True, help_text="Who, as text; empty: ShipDesk")
    action = models.CharField(max_length=24, choices=Action.choices)
    subject = models.CharField(
        max_length=254, blank=True, help_text="The person, account or location"
    )
    detail = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    objects = StoreEventQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["merchant", "-created_at"], name="store_event_recent")]

    def __str__(self) -> str:
        return f"{self.actor or 'ShipDesk'}: {self.get_action_display()} {self.subject}".strip()

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise AuditLogIsAppendOnly("The store's activity log is append-only.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise AuditLogIsAppendOnly("The store's activity log is append-only.")
