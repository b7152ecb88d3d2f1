from __future__ import annotations

from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from orders.models import Order
from shipdesk.tenancy import get_owned_or_404, merchant_view, owned


@merchant_view
def order_list(request: HttpRequest) -> HttpResponse:
    orders = owned(request, Order).order_by("-order_date", "-pk")
    status = request.GET.get("status")
    if status in Order.Status.values:
        orders = orders.filter(status=status)
    page = Paginator(orders, 50).get_page(request.GET.get("page"))
    return render(
        request,
        "orders/list.html",
        {"page": page, "status": status, "statuses": Order.Status.choices},
    )


@merchant_view
def order_detail(request: HttpRequest, pk: int) -> HttpResponse:
    order = get_owned_or_404(request, Order.objects.prefetch_related("items"), pk=pk)
    return render(request, "orders/detail.html", {"order": order})
