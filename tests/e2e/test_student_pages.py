"""The student pages and the verification page in a real browser (screenshots for the guide)."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest

from tests.e2e.test_login import sign_in
from tests.webapp.test_verify_pages import completed_handover

pytestmark = pytest.mark.e2e

BAD_LIST = ("姓名,性别,出生日期,监护人,监护人电话\n"
            "陈思远,男,2015-04-01,陈刚,13700001111\n"
            "周雨桐,女,2015-05-02,周敏,1370000\n"
            ",女,2015-06-03,吴军,13700002222\n")


def test_enrollment_adds_a_student_and_sees_it_in_the_list(page, live_server, add_staff,
                                                           screenshot, tmp_path):
    login, password = add_staff("enr", name="王晓燕", depts=("ENR",))
    sign_in(page, live_server, login, password)
    page.wait_for_url(f"{live_server}/")
    page.goto(f"{live_server}/students/new")
    page.fill("#name", "王一诺")
    page.select_option("#gender", "女")
    page.fill("#birth_date", "2016-01-02")
    page.fill("#guardian_name", "王磊")
    page.fill("#guardian_phone", "1390000")  # too short: the message appears at the field
    page.click("#save-student")
    assert "11 位数字" in page.locator("#guardian_phone-error").inner_text()
    screenshot(page, "student-new")
    page.fill("#guardian_phone", "13900001111")
    page.click("#save-student")
    page.wait_for_url(f"{live_server}/students/*")
    assert "王一诺" in page.locator("h1").inner_text()

    page.goto(f"{live_server}/students/")
    row = page.locator("#student-list tbody tr")
    assert row.count() == 1
    assert "王一诺" in row.inner_text() and "139****1111" in row.inner_text()
    screenshot(page, "student-list")

    sheet = tmp_path / "名单.csv"
    sheet.write_text(BAD_LIST, encoding="utf-8")
    page.goto(f"{live_server}/students/import")
    page.set_input_files("#file", str(sheet))
    page.click("#upload")
    assert page.locator("#import-preview").is_visible()  # a preview: nothing imported yet
    assert page.locator("#preview-rows tbody tr").count() >= 1
    assert page.locator("#import-report tbody tr").count() == 2
    screenshot(page, "student-import-report")
    page.click("#import-good-rows")  # confirmed without the tick: a faulty file stays out
    assert page.locator("#import-refused").is_visible()
    page.click("#abandon")  # and the kept file goes
    assert page.locator("#import-form").is_visible()

    page.set_viewport_size({"width": 375, "height": 740})  # a phone: nothing scrolls sideways
    for path in ("/students/", "/students/new", "/students/import", "/exports/", "/verify/"):
        page.goto(f"{live_server}{path}")
        assert page.evaluate("document.documentElement.scrollWidth") <= 375, path


def test_verify_page_shows_both_signers_without_sign_in(page, app, live_server, tmp_path,
                                                       screenshot):
    # pyHanko signs through asyncio.run(), which refuses to run inside Playwright's loop.
    with ThreadPoolExecutor(1) as pool:
        _, pdf = pool.submit(completed_handover, app).result()
    path = tmp_path / "交接单.pdf"
    path.write_bytes(pdf)
    page.goto(f"{live_server}/verify/")
    assert page.locator("#ca-link").is_visible()  # open without signing in
    page.set_input_files("#pdf", str(path))
    page.click("#verify-submit")
    verdict = page.locator("#verdict")
    assert "verdict-ok" in verdict.get_attribute("class")
    assert page.locator(".sig-card.sig-ok").count() == 2
    assert "王晓燕" in page.content() and "李建国" in page.content()
    screenshot(page, "verify-result")
