from __future__ import annotations

from carriers.models import CarrierAccount
from carriers.services import unusable_reason


def carrier_alerts(request) -> dict:
    """R7/R8: a banner on every page while an account needs the merchant's attention."""
    merchant = getattr(request, "merchant", None)
    if merchant is None:
        return {}
    troubled = (
        CarrierAccount.objects.for_merchant(merchant)
        .connected()
        .filter(status__in=[CarrierAccount.Status.NEEDS_REAUTH, CarrierAccount.Status.CLOSED])
    )
    return {"carrier_alerts": [(a, unusable_reason(a)) for a in troubled]}
