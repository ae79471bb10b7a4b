"""The supervision page in a real browser, as the supervision group reaches it from home."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.e2e


def test_supervision_from_the_home_page(page, live_server, sample_handovers, passwords,
                                        screenshot, sign_in_page):
    sign_in_page("sup", passwords["sup"])
    assert page.locator("#school-overdue strong").inner_text() == "1"
    page.click("#school-overdue a")
    page.wait_for_selector("#figures-table")
    assert page.locator("#supervision-due .hrow-overdue").count() == 1
    assert sample_handovers["waiting"] in page.locator("#supervision-due").inner_text()
    assert page.locator("nav.mainnav a[aria-current=page]").inner_text() == "监督"
    screenshot(page, "supervision")
    assert page.locator("#chart svg").count() == 1  # drawn on the server, no script
    page.fill("#start", "2099-01-01")
    page.fill("#end", "2099-01-31")
    page.click("#figures button[type=submit]")
    page.wait_for_selector("#figures-empty")
    assert "start=2099-01-01" in page.url  # a date is no private value (policy C2)
