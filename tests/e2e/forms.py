"""Sending a form as the browser would, for buttons whose answer opens in a new tab (the Print
buttons post their form there: a file the test then reads from the answer)."""

from __future__ import annotations

from urllib.parse import urlencode

from playwright.sync_api import APIResponse, Locator, Page


def press(page: Page, button: Locator) -> APIResponse:
    """What clicking ``button`` posts (its form's fields, to its formaction or the form's
    action), sent from the page's own session."""
    action, fields = button.evaluate(
        "b => [b.getAttribute('formaction') ? b.formAction : b.form.action,"
        " [...new FormData(b.form)]]"
    )
    return page.context.request.post(
        action,
        data=urlencode([(name, value) for name, value in fields]),
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
