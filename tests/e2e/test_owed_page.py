"""A teacher's home page shows the weekly progress report owed for their class (policy T3a)
before anyone has made it, and its link opens the form for that very report."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from records.deadlines import SCHOOL_TZ

pytestmark = pytest.mark.e2e


@pytest.fixture
def class_with_reports(app, add_staff, passwords):
    """初二1班, taught by tea, reports every Friday at 16:00 since three weeks ago."""
    for login, dept in (("aca", "ACA"), ("tea", "TEA")):
        passwords[login] = add_staff(login, name={"aca": "李建国", "tea": "陈静"}[login],
                                     depts=(dept,))[1]
    svc = app.extensions["handover"]
    today = datetime.now(UTC).astimezone(SCHOOL_TZ).date()
    with svc.session_factory() as db:
        classes, accounts = svc.classes(db), svc.accounts(db)
        aca = accounts.get("aca")
        c = classes.create(aca, "初二1班", "初二数学", teacher_id=accounts.get("tea").id,
                           starts_on=today - timedelta(days=30))
        classes.set_report_cycle(aca, c.id, weekday=5, hour=16, weeks=1,
                                 first_week=today - timedelta(days=21))
        db.commit()


def test_a_teacher_sees_the_weekly_report_owed_for_their_class(page, class_with_reports,
                                                               passwords, sign_in_page,
                                                               screenshot):
    sign_in_page("tea", passwords["tea"])
    owed = page.locator("#owed")
    owed.wait_for()
    rows = owed.locator("tr[data-obligation]")
    assert rows.count() >= 3  # one per week since the first, the current one included
    first = rows.first.inner_text()
    assert "F6" in first and "学生学习进度报告" in first and "初二1班" in first
    assert "T3a" in first and "逾期" in first  # the oldest week is overdue, shown first
    screenshot(page, "owed-home")
    rows.first.locator("a", has_text="去填写").click()
    page.wait_for_selector("#answers-obligation")
    assert page.locator("input[name=\"f.class_name\"]").input_value() == "初二1班"
