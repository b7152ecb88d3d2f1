"""Every merchant page at 1280 px and at 390 px (a phone): the document is never wider than the
viewport, and on the phone the navigation is folded into a Menu that opens without JavaScript.

The pages are found, not listed: every merchant URL the project has (the same walk as the
tenancy crawl), with one of the store's own objects for URLs that take an id
(tests/tenancy_urls.py), keeping those that answer a full HTML page.
"""

from __future__ import annotations

import pytest
from django.db import IntegrityError, transaction
from django.test import Client
from django.urls import reverse

from tests.merchants.test_tenancy import merchant_patterns
from tests.tenancy_urls import OBJECT_URLS

pytestmark = pytest.mark.django_db(transaction=True)

WIDTHS = (1280, 390)
FAILED: list[str] = []


def merchant_pages(merchant, owner) -> list[str]:
    client = Client()
    client.force_login(owner)
    pages = []
    for name, pattern in merchant_patterns():
        if pattern.pattern.converters and name not in OBJECT_URLS:
            continue
        try:
            with transaction.atomic():
                kwargs = OBJECT_URLS[name](merchant) if pattern.pattern.converters else {}
        except IntegrityError as exc:
            FAILED.append(f"{name}: {exc}")
            continue
        url = reverse(name, kwargs=kwargs)
        response = client.get(url)
        html = response.get("Content-Type", "").startswith("text/html")
        if response.status_code == 200 and html and b"<!doctype html>" in response.content[:100]:
            pages.append(url)
    return pages


def test_every_merchant_page_fits_the_viewport_at_1280_and_390_px(signed_in, merchant, owner):
    page = signed_in
    pages = merchant_pages(merchant, owner)
    assert FAILED == []
    assert len(pages) > 30, pages  # the walk found the pages, not a handful
    too_wide = []
    for width in WIDTHS:
        page.set_viewport_size({"width": width, "height": 900})
        for url in pages:
            page.goto(url)
            page.wait_for_load_state("networkidle")
            scroll, viewport = page.evaluate(
                "[document.documentElement.scrollWidth, window.innerWidth]"
            )
            if scroll > viewport:
                too_wide.append(f"{url} at {width} px: {scroll} px wide")
    assert too_wide == []


def test_on_a_phone_the_navigation_is_a_menu(browser, live_server, owner):
    """The Menu is a native <details>: it opens without any script of ours (Playwright's own
    actionability checks need JavaScript on, so the page has it; ours plays no part)."""
    context = browser.new_context(base_url=live_server.url, viewport={"width": 390, "height": 800})
    client = Client()
    client.force_login(owner)
    context.add_cookies(
        [{"name": "sessionid", "value": client.cookies["sessionid"].value, "url": live_server.url}]
    )
    page = context.new_page()
    page.goto("/orders/")
    nav = page.get_by_role("navigation", name="Main")
    assert not nav.get_by_role("link", name="Shipments").is_visible()
    assert page.evaluate("document.querySelector('details.mobile-nav').open") is False
    page.get_by_text("Menu", exact=True).click()
    nav.get_by_role("link", name="Shipments").click()
    page.wait_for_url("**/shipments/")
    context.close()
