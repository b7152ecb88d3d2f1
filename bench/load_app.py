"""The WSGI application the load benchmark serves: ShipDesk's own, plus a bare view.

``/bench/bare/`` is the baseline the benchmark compares ShipDesk's pages with: one query for
50 of the merchant's orders and a plain template, behind the same middleware stack (session,
auth, CSRF, the merchant's resolution, CSP, axes) and the same gunicorn, requested by the same
clients inside the same mix, so whatever the load costs it costs both.
"""

from __future__ import annotations

import os
import sys
import types

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "shipdesk.settings")

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.core.wsgi import get_wsgi_application  # noqa: E402
from django.http import HttpResponse, HttpResponseForbidden  # noqa: E402
from django.template import engines  # noqa: E402
from django.urls import include, path  # noqa: E402

from orders.models import Order  # noqa: E402

TEMPLATE = engines["django"].from_string(
    "<!doctype html><html><body><table>{% for o in orders %}<tr><td>{{ o.number }}</td>"
    "<td>{{ o.order_date|date:'M j, Y' }}</td><td>{{ o.recipient_name }}</td>"
    "<td>{{ o.city }}, {{ o.state }} {{ o.country }}</td><td>{{ o.service }}</td>"
    "<td>${{ o.total }}</td><td>{{ o.get_status_display }}</td></tr>{% endfor %}</table>"
    "</body></html>"
)


def bare(request):
    # The merchant comes from the middleware, as for every ShipDesk page; the view's own work
    # is one query and a plain template.
    if request.merchant is None:
        return HttpResponseForbidden("sign in")
    rows = list(Order.objects.filter(merchant=request.merchant).order_by("-order_date", "-pk")[:50])
    return HttpResponse(TEMPLATE.render({"orders": rows}))


urls = types.ModuleType("bench_load_urls")
urls.__dict__["urlpatterns"] = [path("bench/bare/", bare), path("", include("shipdesk.urls"))]
sys.modules[urls.__name__] = urls
settings.ROOT_URLCONF = urls.__name__

application = get_wsgi_application()
