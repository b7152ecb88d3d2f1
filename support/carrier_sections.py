"""Support sections about the people and carrier accounts of a merchant."""

from __future__ import annotations

from collections.abc import Iterable

from carriers.models import CarrierAccount, CarrierCall, PhoneVerification
from carriers.verification import mask
from merchants.models import Membership, Merchant, StoreEvent
from support.cells import ROWS, Cell, Section, money, yes_no


def _profile_value(user, name: str):
    profile = getattr(user, "shipdesk_profile", None)  # None: never had one (no sign-up)
    return getattr(profile, name, None) if profile else None


def _who(user) -> str:
    return user.email if user is not None else "ShipDesk"


def _two_step(user) -> str:
    steps = [
        name
        for name, field in (("app", "totp_enabled_at"), ("text", "sms_enabled_at"))
        if _profile_value(user, field) is not None
    ]
    return " + ".join(steps) if steps else "No"


def members(merchant: Merchant) -> Section:
    rows = (
        Membership.objects.filter(merchant=merchant)
        .select_related("user", "user__shipdesk_profile")
        .only(
            "role",
            "created_at",
            "user__email",
            "user__last_login",
            "user__is_active",
            # never the two-step key nor the number: only which steps are on
            "user__shipdesk_profile__confirmed_email",
            "user__shipdesk_profile__totp_enabled_at",
            "user__shipdesk_profile__sms_enabled_at",
        )
        .order_by("created_at", "pk")[:ROWS]
    )
    return Section(
        "members",
        "Members",
        ["E-mail", "Role", "Joined", "Last sign-in", "Active", "E-mail confirmed", "Two-step"],
        [
            [
                Cell(m.user.email, strong=True),
                Cell(m.get_role_display()),
                Cell(m.created_at),
                Cell(m.user.last_login or "never"),
                Cell(yes_no(m.user.is_active)),
                Cell(yes_no(_profile_value(m.user, "confirmed_email") == m.user.email.lower())),
                Cell(_two_step(m.user)),
            ]
            for m in rows
        ],
        empty="No members.",
    )


def accounts(merchant: Merchant) -> Section:
    rows = (
        CarrierAccount.objects.for_merchant(merchant)
        .only(
            "carrier",
            "nickname",
            "username",
            "status",
            "status_reason",
            "plan",
            "is_default",
            "created_through_shipdesk",
            "phone_number",
            "verified_at",
            "balance",
            "balance_synced_at",
            "created_at",
            "disconnected_at",
            "connected_by__email",
            "disconnected_by__email",
        )
        .select_related("connected_by", "disconnected_by")
        .order_by("disconnected_at", "-is_default", "nickname")[:ROWS]
    )
    return Section(
        "accounts",
        "Carrier accounts",
        [
            "Account",
            "Username",
            "Status",
            "Plan",
            "Balance",
            "Last sync",
            "2-step phone",
            "Verified",
            "Why",
            "Connected",
            "Disconnected",
        ],
        [
            [
                Cell(
                    f"{a.nickname}{' (default)' if a.is_default else ''}"
                    f"{' — disconnected' if a.disconnected_at else ''}",
                    strong=True,
                ),
                Cell(a.username),
                Cell(a.get_status_display(), badge=a.status),
                Cell(
                    a.get_plan_display()
                    + (" · created through ShipDesk" if a.created_through_shipdesk else "")
                ),
                money(a.balance),
                Cell(a.balance_synced_at or "never"),
                Cell(a.phone_number or "—"),
                Cell(a.verified_at or "—"),
                Cell(a.status_reason),
                Cell(a.created_at, items=(f"by {_who(a.connected_by)}",)),
                Cell(a.disconnected_at, items=(f"by {_who(a.disconnected_by)}",))
                if a.disconnected_at
                else Cell("—"),
            ]
            for a in rows
        ],
        empty="No carrier accounts connected.",
    )


def verifications(merchant: Merchant) -> Section:
    rows = (
        PhoneVerification.objects.for_merchant(merchant)
        .select_related("account")
        # console_code is never loaded: support sees that a code was sent, never the code.
        .only(
            "phone_number",
            "backend",
            "sent_at",
            "expires_at",
            "failed_attempts",
            "locked_at",
            "verified_at",
            "account__nickname",
        )
        .order_by("-sent_at", "-pk")[:ROWS]
    )

    def outcome(v: PhoneVerification) -> Cell:
        if v.verified_at:
            return Cell("Verified", badge="success")
        if v.locked_at:
            return Cell("Locked (5 wrong tries)", badge="failed")
        return Cell("Not verified", badge="pending")

    return Section(
        "verifications",
        "2-step verification history",
        ["Sent", "Account", "Phone", "Via", "Wrong tries", "Outcome", "Locked", "Verified"],
        [
            [
                Cell(v.sent_at),
                Cell(v.account.nickname),
                Cell(mask(v.phone_number)),
                Cell(v.backend),
                Cell(v.failed_attempts, num=True),
                outcome(v),
                Cell(v.locked_at or "—"),
                Cell(v.verified_at or "—"),
            ]
            for v in rows
        ],
        empty="No verification codes sent.",
        note="Codes are never shown here.",
    )


CALL_FIELDS = (
    "started_at",
    "operation",
    "username",
    "outcome",
    "duration_ms",
    "attempt",
    "fault_code",
    "fault_text",
    "merchant_message",
)


def _call_rows(calls: Iterable[CarrierCall]) -> list[list[Cell]]:
    return [
        [
            Cell(c.started_at),
            Cell(c.operation, strong=True),
            Cell(c.username),
            Cell(c.get_outcome_display(), badge="success" if c.outcome == "ok" else "failed"),
            Cell(f"{c.duration_ms} ms", num=True),
            Cell(" ".join(p for p in (c.fault_code, c.fault_text) if p) or "—"),
            Cell(c.merchant_message or "—"),
        ]
        for c in calls
    ]


CALL_COLUMNS = [
    "When",
    "Operation",
    "Username",
    "Outcome",
    "Took",
    "Carrier said",
    "Merchant was told",
]


def carrier_errors(merchant: Merchant) -> Section:
    calls = (
        CarrierCall.objects.filter(merchant=merchant)
        .exclude(outcome=CarrierCall.Outcome.OK)
        .only(*CALL_FIELDS)
        .order_by("-started_at", "-pk")[:ROWS]
    )
    return Section(
        "carrier-errors",
        "Carrier errors",
        CALL_COLUMNS,
        _call_rows(calls),
        empty="No failed carrier calls.",
    )


def carrier_calls(merchant: Merchant) -> Section:
    calls = (
        CarrierCall.objects.filter(merchant=merchant)
        .only(*CALL_FIELDS)
        .order_by("-started_at", "-pk")[:20]
    )
    return Section(
        "carrier-calls", "Recent carrier calls", CALL_COLUMNS, _call_rows(calls), empty="No calls."
    )


def activity(merchant: Merchant) -> Section:
    """Who changed the team, its sign-in rules, carrier accounts and settings (merchants.events)."""
    rows = StoreEvent.objects.filter(merchant=merchant).order_by("-created_at", "-pk")[:ROWS]
    return Section(
        "activity",
        "Store activity",
        ["When", "Who", "What", "Whom or which", "Detail"],
        [
            [
                Cell(e.created_at),
                Cell(e.actor or "ShipDesk"),
                Cell(e.get_action_display()),
                Cell(e.subject or "—"),
                Cell(e.detail or "—"),
            ]
            for e in rows
        ],
        empty="No team, sign-in, carrier account or settings changes recorded.",
    )
