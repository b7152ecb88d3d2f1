"""QuickSelect writes exactly what Django's select templates write."""

from __future__ import annotations

import pytest
from django import forms

from locations.regions import RegionField
from merchants.widgets import QuickSelect
from orders.forms import ShipToForm


class Form(forms.Form):
    state = RegionField(countries=("US", "CA"), required=False)
    size = forms.ChoiceField(
        choices=[("s", "Small"), ("m", 'Medium "M"')], disabled=True, widget=QuickSelect
    )


@pytest.mark.parametrize(
    "data",
    [
        None,
        {"country": "CA", "state": "ON", "size": "m"},
        {"country": "US", "state": "ZZ"},  # a stray state is shown, not dropped
        {"country": 'X"<b>', "state": "<script>"},  # escaped as the templates escape
    ],
)
def test_the_markup_is_the_templates_markup(data):
    fields = [*ShipToForm(data)] + [*Form(data)]
    selects = [f for f in fields if isinstance(f.field.widget, QuickSelect)]
    assert {f.name for f in selects} >= {"country", "state"}
    for field in selects:
        widget, attrs = field.field.widget, field.build_widget_attrs({"id": field.auto_id})
        ours = widget.render(field.html_name, field.value(), attrs)
        django = forms.Select.render(widget, field.html_name, field.value(), attrs)
        assert ours == django, field.name
