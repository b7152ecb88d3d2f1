"""Form widgets ShipDesk renders often enough to matter.

Django renders a select through a template per option: for the 250-country list of an
order's ship-to that was a quarter of the order page's time. ``QuickSelect`` writes the same
markup as Django's templates (django/forms/widgets/select.html, select_option.html and
attrs.html) in Python, from the same ``get_context``, so subclasses that change the options
(``optgroups``) or the attributes keep working.
"""

from __future__ import annotations

from django import forms
from django.utils.html import conditional_escape, format_html
from django.utils.safestring import SafeString, mark_safe


def _attrs(attrs: dict) -> str:
    """attrs.html: False leaves the attribute out, True writes its name alone."""
    return "".join(
        f" {name}" if value is True else format_html(' {}="{}"', name, str(value))
        for name, value in attrs.items()
        if value is not False
    )


class QuickSelect(forms.Select):
    def render(self, name, value, attrs=None, renderer=None) -> SafeString:
        widget = self.get_context(name, value, attrs)["widget"]
        parts = [format_html('<select name="{}"', widget["name"]), _attrs(widget["attrs"]), ">"]
        for group_name, options, _ in widget["optgroups"]:
            if group_name:
                parts.append(format_html('\n  <optgroup label="{}">', group_name))
            for option in options:
                parts.append(
                    format_html('\n  <option value="{}"', str(option["value"]))
                    + _attrs(option["attrs"])
                    + f">{conditional_escape(option['label'])}</option>\n"
                )
            if group_name:
                parts.append("\n  </optgroup>")
        parts.append("\n</select>")
        return mark_safe("".join(parts))  # noqa: S308 - every value above is escaped
