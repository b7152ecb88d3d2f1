"""How to build merchant A's objects for every merchant URL that takes ids.

The tenancy crawl (tests/shipdesk/test_tenancy.py) fails when a merchant URL with
parameters is missing here, so each new URL must say how to reach one of A's objects.
Each entry: URL name -> function(merchant) -> the URL kwargs for an object of that merchant.
"""

from __future__ import annotations

from collections.abc import Callable

from shipdesk.models import Merchant
from tests.factories import make_order

OBJECT_URLS: dict[str, Callable[[Merchant], dict]] = {
    "order-detail": lambda m: {"pk": make_order(m, "T-1").pk},
}
