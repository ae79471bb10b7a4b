"""An approval (policy C3) in real browsers: a teacher asks to see a student beyond their own
work, the management office grants it in a second browser context, and the teacher follows the
grant to the student's record, which shows only the granted categories. Screenshots for the
user guide."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from records.students import Student
from tests.e2e.test_handover_flow import signed_in

pytestmark = pytest.mark.e2e


def test_request_and_grant_in_two_browsers(browser, live_server, app, sample_handovers,
                                           passwords, add_staff, screenshot):
    mgt_password = add_staff("mgt", name="刘志远", depts=("MGT",))[1]
    with app.extensions["handover"].session_factory() as db:
        student_no = db.scalars(select(Student.student_no)).one()

    tea_context, tea = signed_in(browser, live_server, "tea", passwords["tea"])
    tea.click("nav.mainnav >> text=审批")
    tea.fill("#students", student_no)
    tea.check("input[name=categories][value=name]")
    tea.check("input[name=categories][value=grades]")
    tea.fill("#purpose", "家长来电反映学习进度，需核对成绩")
    tea.fill("#days", "3")
    screenshot(tea, "approval-request")
    tea.click("#request-submit")
    tea.wait_for_selector("#approval-status")
    assert tea.inner_text("#approval-status") == "待审批"
    approval_url = tea.url

    mgt_context, mgt = signed_in(browser, live_server, "mgt", mgt_password)
    assert mgt.locator("#approvals-waiting strong").inner_text() == "1"
    mgt.click("#approvals-waiting a")
    mgt.click("#to-decide a")
    mgt.uncheck("input[name=categories][value=grades]")  # less than asked: the name only
    screenshot(mgt, "approval-decide")
    mgt.click("#grant")
    mgt.wait_for_selector("#granted-categories")
    assert mgt.inner_text("#granted-categories") == "姓名"
    mgt_context.close()

    tea.goto(approval_url)
    tea.click("#opened-students a")
    tea.wait_for_selector("#under-approval")
    facts = tea.inner_text("#student-facts")
    assert "李浩然" in facts and "13987654321" not in facts and "李娜" not in facts
    screenshot(tea, "approval-student")
    tea_context.close()
