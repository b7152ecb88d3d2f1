from __future__ import annotations

from django.utils.functional import SimpleLazyObject

from carriers.models import CarrierAccount
from carriers.services import unusable_reason


def carrier_alerts(request) -> dict:
    """R7/R8: a banner on every page while an account needs the merchant's attention.

    Read when a template shows it (base.html's banners), so an htmx fragment rendered with
    the same context processors (the rates panel, a table's rows) asks nothing."""
    merchant = getattr(request, "merchant", None)
    if merchant is None:
        return {}

    def troubled() -> list:
        accounts = (
            CarrierAccount.objects.for_merchant(merchant)
            .connected()
            .filter(status__in=[CarrierAccount.Status.NEEDS_REAUTH, CarrierAccount.Status.CLOSED])
        )
        return [(a, unusable_reason(a)) for a in accounts]

    return {"carrier_alerts": SimpleLazyObject(troubled)}
