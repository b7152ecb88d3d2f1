"""The order list's rows, built in Python: fifty rows of eleven cells through the template
engine were most of the order list's time (issue 21: the list must stay within 2x a bare
view of the same rows). The HTML is the same the template wrote."""

from __future__ import annotations

from collections.abc import Collection, Iterable

from django import template
from django.template.defaultfilters import floatformat
from django.utils import dateformat, timezone
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString, mark_safe

from orders.models import Order

register = template.Library()

ROW = (
    '<tr><td><input type="checkbox" name="order" value="{pk}" aria-label="Select order '
    '{number}"{checked}></td>'
    '<td data-label="Order"><a href="{url}{pk}/">{number}</a>{store}</td>'
    '<td data-label="Date">{date}</td>'
    '<td data-label="Age" class="small">{age}</td>'
    '<td data-label="Recipient">{recipient}{tags}</td>'
    '<td data-label="Ship to">{city}{state} <span class="muted">{country}</span></td>'
    '<td data-label="Service" class="small">{service}</td>'
    '<td data-label="Weight" class="num" data-testid="weight">{weight}</td>'
    '<td data-label="Items" class="num" data-testid="items">{units}</td>'
    '<td data-label="Total" class="num">${total}</td>'
    '<td data-label="Status"><span class="badge badge-{status}">{status_label}</span></td></tr>'
)


def _weight(order: Order) -> str | SafeString:
    if not (order.weight_lb or order.weight_oz):
        return "—"
    parts = []
    if order.weight_lb:
        parts.append(f"{order.weight_lb} lb ")
    if order.weight_oz:
        parts.append(f"{floatformat(order.weight_oz, '-1')} oz")
    return "".join(parts)


@register.simple_tag
def order_rows(orders: Iterable[Order], selected: Collection[int], url: str) -> SafeString:
    rows = []
    for o in orders:
        tags = ""
        if o.tags:
            spans = format_html_join("", '<span class="tag">{}</span> ', ((t,) for t in o.tag_list))
            tags = format_html('<div class="small">{}</div>', spans)
        rows.append(
            format_html(
                ROW,
                pk=o.pk,
                number=o.number,
                checked=mark_safe(" checked") if o.pk in selected else "",
                url=url,
                store=format_html('<div class="muted small">{}</div>', o.store) if o.store else "",
                date=dateformat.format(timezone.localtime(o.order_date), "M j, Y"),
                age=o.age,  # type: ignore[attr-defined]
                recipient=o.recipient_name,
                tags=tags,
                city=o.city,
                state=f", {o.state}" if o.state else "",
                country=o.country,
                service=o.get_service_display() or "—",
                weight=_weight(o),
                units=o.units,  # type: ignore[attr-defined]
                total=o.total,
                status=o.status,
                status_label=o.get_status_display(),
            )
        )
    return mark_safe("\n".join(rows))  # each row built by format_html, which escapes
