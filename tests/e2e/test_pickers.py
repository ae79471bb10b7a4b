"""Pickers that search as one types, in Chromium: the archive lend form's borrower (by name or
department; choosing puts the login in the box, which the form posts), and the access
request's students (by 学号; the request page's own lookup, /approvals/lookup)."""

from __future__ import annotations

import pytest

from tests.e2e.test_handover_flow import off_loop, signed_in
from tests.records.test_archive import make_school

pytestmark = pytest.mark.e2e


@pytest.fixture
def school(app, add_staff, passwords):
    made = off_loop(make_school, app, add_staff, passwords)
    add_staff("fin1", depts=("FIN",), name="周会计")
    svc = app.extensions["handover"]
    with svc.session_factory() as db:
        from records.archive import ArchiveFile
        from records.students import Student

        made["file"] = db.query(ArchiveFile).order_by(ArchiveFile.id).first().number
        made["student_no"] = db.query(Student.student_no).filter_by(
            id=made["student_id"]).scalar()
    return made


def test_the_borrower_is_picked_by_name_or_department(browser, live_server, school, passwords):
    ctx, arc = signed_in(browser, live_server, "arc", passwords["arc"])
    arc.goto(f"{live_server}/archive/{school['file']}/lend")
    arc.locator("#borrower").press_sequentially("财务", delay=50)
    option = arc.locator("#borrower-options [role=option]")
    option.first.wait_for()
    assert option.all_inner_texts() == ["周会计（财务部）· fin1"]
    option.first.dispatch_event("mousedown")
    assert arc.locator("#borrower").input_value() == "fin1"
    arc.locator("#borrower").fill("")
    arc.locator("#borrower").press_sequentially("王晓", delay=50)
    option.first.wait_for()
    assert option.all_inner_texts() == ["王晓燕（招生部）· enr"]
    ctx.close()


def test_the_access_request_finds_students_as_one_types(browser, live_server, school,
                                                        passwords):
    ctx, mgt = signed_in(browser, live_server, "mgt", passwords["mgt"])
    mgt.goto(f"{live_server}/approvals/")
    mgt.locator("#students").press_sequentially(school["student_no"], delay=30)
    option = mgt.locator("#students-options [role=option]")
    option.first.wait_for()
    assert option.first.inner_text().startswith(school["student_no"])
    option.first.dispatch_event("mousedown")
    assert mgt.locator("#students").input_value().startswith(school["student_no"])
    ctx.close()
