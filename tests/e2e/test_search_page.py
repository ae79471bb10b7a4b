"""The search page in a real browser: the query goes in the POST body, never the address."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.e2e


def test_search_in_the_browser(page, live_server, sample_handovers, passwords, screenshot,
                               sign_in_page):
    sign_in_page("aca", passwords["aca"])
    page.goto(f"{live_server}/search/")
    page.fill("#q", "浩然")
    page.press("#q", "Enter")
    page.wait_for_selector("#result-count")
    assert "浩然" not in page.url
    assert page.locator(".snippet mark").count() >= 1
    assert sample_handovers["done"] in page.content()
    screenshot(page, "search")
    # the results have an address: open a hit and come Back to them (issue 14)
    results = page.url
    assert "/search/r/" in results
    page.click(f'a[href="/handovers/{sample_handovers["done"]}"]')
    page.wait_for_selector("#handover-number")
    page.go_back()
    page.wait_for_selector("#result-count")
    assert page.url == results and sample_handovers["done"] in page.content()

