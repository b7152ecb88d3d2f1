"""``POST /api/v1/orders``: JSON order import, authenticated by the merchant's API key."""

from __future__ import annotations

import json

from django.http import HttpRequest, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from merchants.models import Merchant
from merchants.tenancy import public_view
from orders import api_keys, importing
from orders.importing.common import RowError
from orders.importing.json_api import orders_from_json
from orders.models import Order
from orders.ship_dates import ship_dates

MAX_BODY_BYTES = 5 * 1024 * 1024
MAX_ORDERS = 1000


def _read_body(request: HttpRequest) -> bytes | None:
    """The body, or None when it is over MAX_BODY_BYTES. Read here, not through
    ``request.body``, whose own 2.5 MB limit (DATA_UPLOAD_MAX_MEMORY_SIZE) answers in HTML."""
    try:
        declared = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        declared = 0
    if declared > MAX_BODY_BYTES:
        return None
    body = request.read(MAX_BODY_BYTES + 1)
    return None if len(body) > MAX_BODY_BYTES else body


def _shipping(merchant: Merchant, payload: object, errors: list[RowError]) -> list[dict]:
    """Each order sent, as it now is: when a label bought now would ship (after the ship-from
    location's cut-off, the next shipping day, as on the order page) and from where, so a
    store can promise its customers the right day."""
    inputs, _ = orders_from_json(payload)
    refused = {e.order_number for e in errors}
    orders = list(
        Order.objects.for_merchant(merchant)
        .filter(number__in=[i.number for i in inputs if i.number not in refused])
        .select_related("ship_from", "merchant")
        .order_by("pk")
    )
    dates = ship_dates(orders)
    return [
        {
            "order_number": order.number,
            "id": order.pk,
            "status": order.status,
            "ship_from": order.ship_from.name if order.ship_from else None,
            "ship_date": dates[order.pk].isoformat(),
            "address_status": order.address_status,
        }
        for order in orders
    ]


@public_view  # no session: the bearer key is the authentication, checked below
@csrf_exempt
@require_POST
def orders_api(request: HttpRequest) -> JsonResponse:
    merchant = api_keys.merchant_for(request.headers.get("Authorization", ""))
    if merchant is None:
        response = JsonResponse(
            {
                "error": "Send your ShipDesk API key as 'Authorization: Bearer <key>' "
                "(Settings → API key)."
            },
            status=401,
        )
        response["WWW-Authenticate"] = 'Bearer realm="shipdesk"'
        return response
    body = _read_body(request)
    if body is None:
        return JsonResponse({"error": "The body is over 5 MB: send fewer orders."}, status=413)
    try:
        payload = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        return JsonResponse({"error": "The body is not valid JSON."}, status=400)
    except RecursionError:
        return JsonResponse({"error": "The JSON is nested too deeply."}, status=400)
    orders = payload.get("orders") if isinstance(payload, dict) else payload
    if isinstance(orders, list) and len(orders) > MAX_ORDERS:
        return JsonResponse({"error": f"Send at most {MAX_ORDERS} orders per request."}, status=413)
    try:
        result = importing.import_json(merchant, payload)
    except importing.UnreadableFile as exc:
        return JsonResponse({"error": str(exc)}, status=400)
    answer = {
        "created": result.created,
        "updated": result.updated,
        "orders": _shipping(merchant, payload, result.errors),
        "errors": [
            {"index": e.row, "order_number": e.order_number, "reason": e.reason}
            for e in result.errors
        ],
    }
    status = 200 if result.orders or not result.errors else 422
    return JsonResponse(answer, status=status)
