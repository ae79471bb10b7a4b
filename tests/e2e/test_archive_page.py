"""The archive register in a real browser: the archivist reaches it from the NAV, opens the
file an F8 became, lends it to a colleague who confirms with their own password, and takes it
back (policy R-ARC). Saves `archive.png` for the user guide."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest

from tests.records.test_archive import make_school

pytestmark = pytest.mark.e2e


@pytest.fixture
def school_in_worker(app, add_staff, passwords):
    # Playwright's event loop runs in this thread; pyHanko signs through asyncio.run().
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(make_school, app, add_staff, passwords).result()


def test_lend_and_return_from_the_register(page, live_server, school_in_worker, passwords,
                                           screenshot, sign_in_page):
    sign_in_page("arc", passwords["arc"])
    page.click("nav.mainnav >> text=档案")
    page.wait_for_selector("#archive-list")
    assert page.locator("#archive-list tbody tr").count() == 1
    assert "少儿英语春季A班" in page.locator("#archive-list").inner_text()
    screenshot(page, "archive")
    page.click("#archive-list tbody a")
    page.wait_for_selector("#file-facts")
    page.click("#lend-link")
    page.fill("#borrower", "enr")
    page.select_option("#purpose", "教学检查")
    page.select_option("#approver", "mgt")
    page.fill("#password", passwords["enr"])
    page.click("#save-loan")
    page.wait_for_selector("#loan-facts")
    assert "王晓燕" in page.locator("#loan-facts").inner_text()
    assert page.locator("#slip-link").count() == 1
    page.click("#return")
    page.wait_for_selector("#loan-facts")
    assert "已归还" in page.locator("h1").inner_text()
