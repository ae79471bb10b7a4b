"""通知 in Chromium: a handover is submitted to a named receiver, the worker runs once
(`handover worker --once`), and the receiver sees the unread count in the menu and the notice
in the list, opens it, lands on the handover, and the count is gone."""

from __future__ import annotations

import pytest

from records.students import StudentInput
from records.workflow import Upload
from tests.e2e.test_handover_flow import SCAN, off_loop, signed_in

pytestmark = pytest.mark.e2e


@pytest.fixture(autouse=True)
def stamp_font_in_template(instance_template):
    from signing import StampFont

    assert StampFont(instance_template / "cache" / "fonts").path.exists()


def test_the_receiver_is_told_and_opens_the_notice(app, add_staff, browser, live_server):
    enr_login, enr_pw = add_staff("enr", depts=("ENR",), name="王晓燕")
    aca_login, aca_pw = add_staff("aca", depts=("ACA",), name="李建国")
    svc = app.extensions["handover"]

    ctx, aca = signed_in(browser, live_server, aca_login, aca_pw)
    assert aca.locator("#unread-count").count() == 0

    def submitted():
        with svc.session_factory() as db:
            student = svc.students(db).add(StudentInput(
                "张子涵", "女", "2015-03-12", "", "", "", "张伟", "13812345678"),
                actor_id=None, actor="t")
            wf, accounts = svc.workflow(db), svc.accounts(db)
            h = wf.create(accounts.get(enr_login), "F2", {
                "student": student.id, "course": "少儿编程", "fee_paid": "100.00",
                "registration_date": "2026-03-02", "payment_method": "现金",
                "class_hours": 24, "agreement_number": "XY-1"},
                receiver_id=accounts.get(aca_login).id, uploads=[
                    Upload("enrollment_agreement", "a.pdf", SCAN),
                    Upload("paper_scan", "s.pdf", SCAN)])
            wf.submit(accounts.get(enr_login), h, enr_pw)
            db.commit()
            return h.number

    number = off_loop(submitted)
    result = app.test_cli_runner().invoke(args=["worker", "--once"])
    assert result.exit_code == 0, result.output

    aca.goto(f"{live_server}/")
    assert aca.locator("#unread-count").inner_text() == "1"
    aca.click("#unread-count")
    aca.wait_for_url(f"{live_server}/notifications/")
    notice = aca.locator("#notify-list li.notify-unread")
    assert notice.count() == 1
    assert number in notice.inner_text() and "【待签收】" in notice.inner_text()
    assert "张子涵" not in aca.locator("#notify-list").inner_text()  # policy C1, C2
    notice.locator("button").click()
    aca.wait_for_url(f"{live_server}/handovers/{number}")
    assert aca.locator("#unread-count").count() == 0
    aca.goto(f"{live_server}/notifications/")
    assert aca.locator("#notify-list li.notify-unread").count() == 0
    ctx.close()
