"""A refund case in real browsers, F10 → F13 (policy F10-F13, R-FIN): finance accepts the
parent's application (F10), academic affairs countersigns each step, the teacher verifies the
lessons (F11), finance follows with the F12 whose amount the system computes, then pays it
(F13) with the voucher. At the end finance's account page shows the refund, the balance left
and the status 已退费, and the student's archive holds the refund.

The registration (F2) that put the money in the ledger and the teacher's class are made
through the records API: the chain is what this test is about."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from records.archive import ArchiveFile, ArchiveFileStudent
from records.handovers import Handover
from records.students import Student, StudentInput
from records.workflow import Upload
from tests.e2e.test_handover_flow import off_loop, signed_in

pytestmark = pytest.mark.e2e

SCAN = b"%PDF-1.4\n% scanned paper\n%%EOF\n"
PAID, HOURS, DONE, ITEMS = "4680.50", 48, 12, "100.00"
REFUND = "3410.38"  # 4680.50 − 12 × 97.51 (4680.50 / 48, rounded down) − 100.00


@pytest.fixture(autouse=True)
def stamp_font_in_template(instance_template):
    """The stamp font built once into the template every instance copies."""
    from signing import StampFont

    assert StampFont(instance_template / "cache" / "fonts").path.exists()


@pytest.fixture
def school(app, add_staff):
    people = {login: add_staff(login, depts=(dept,), name=name) for login, dept, name in (
        ("enr", "ENR", "王晓燕"), ("aca", "ACA", "李建国"), ("tea", "TEA", "陈静"),
        ("fin", "FIN", "赵敏"))}
    svc = app.extensions["handover"]

    def registered():
        with svc.session_factory() as db:
            student = svc.students(db).add(
                StudentInput("张子涵", "女", "2015-03-12", "", "", "", "张伟", "13812345678"),
                actor_id=None, actor="test")
            wf, accounts = svc.workflow(db), svc.accounts(db)
            enr, aca = accounts.get("enr"), accounts.get("aca")
            h = wf.create(enr, "F2", {
                "student": student.id, "course": "初二数学", "registration_date": "2026-03-02",
                "fee_paid": PAID, "payment_method": "微信支付", "class_hours": HOURS,
                "agreement_number": "XY-1"}, uploads=[
                    Upload("enrollment_agreement", "a.pdf", SCAN),
                    Upload("paper_scan", "s.pdf", SCAN)])
            wf.submit(enr, h, people["enr"][1])
            wf.countersign(aca, h, people["aca"][1])
            classes = svc.classes(db)  # the teacher who verifies teaches the student's class
            taught = classes.create(aca, "初二数学", "数学", teacher_id=accounts.get("tea").id)
            classes.enrol(aca, taught.id, [student.id])
            db.commit()
            return student.id, student.student_no

    people["student_id"], people["student_no"] = off_loop(registered)
    return people


def attach(page, *slots):
    for slot in slots:
        page.set_input_files(f"#att-{slot}", files=[
            {"name": f"{slot}.pdf", "mimeType": "application/pdf", "buffer": SCAN}])


def sign(page, password) -> str:
    page.fill("#password", password)
    with page.expect_navigation(timeout=60_000):
        page.click("#sign-submit")
    problems = page.locator(".field-error, .notice-error").all_inner_texts()
    assert re.search(r"/handovers/JJ-\d{4}-\d{6}$", page.url), problems
    return page.locator("#handover-number").inner_text()


def countersign(page, base, number, password):
    page.goto(f"{base}/handovers/{number}")
    page.fill("#countersign-password", password)
    page.click("#countersign")
    page.wait_for_url(f"**/handovers/{number}")
    assert "已完成" in page.locator("#status").inner_text()


def test_the_refund_chain_from_application_to_ledger_and_archive(app, browser, live_server,
                                                                 school, screenshot):
    base = live_server
    contexts = {login: signed_in(browser, base, *school[login])
                for login in ("fin", "aca", "tea")}
    fin, aca, tea = (contexts[login][1] for login in ("fin", "aca", "tea"))

    # F10: finance accepts the parent's written application
    fin.goto(f"{base}/handovers/new/F10")
    fin.fill("#f-student", school["student_no"])
    fin.fill("#f-class_name", "初二数学")
    fin.fill("#f-application_date", "2026-04-01")
    fin.fill("#f-reason", "家庭搬迁，无法继续上课")
    fin.fill("#f-amount_paid", PAID)
    fin.select_option("#f-payment_status", "已全额缴费")
    fin.fill("#f-lessons_purchased", str(HOURS))
    attach(fin, "written_application", "proof", "paper_scan")
    case = sign(fin, school["fin"][1])
    countersign(aca, base, case, school["aca"][1])
    fin.goto(f"{base}/money/students/{school['student_no']}")
    assert fin.locator(".status-badge").inner_text() == "退费中"

    # F11: the teacher verifies the lessons delivered, as the next step of the case
    tea.goto(f"{base}/handovers/new/F11?parent={case}")
    tea.fill("#f-student", school["student_no"])
    tea.fill("#f-class_name", "初二数学")
    tea.fill("#f-lessons_total", str(HOURS))
    tea.fill("#f-lessons_completed", str(DONE))
    tea.fill("#f-lessons_remaining", str(HOURS - DONE))
    tea.fill("#f-progress", "进度正常，已完成前四章")
    verification = sign(tea, school["tea"][1])
    countersign(aca, base, verification, school["aca"][1])

    # F12: finance starts the calculation as the next step of the F11 (records.money
    # computes it from the ledger and the F11 when it is signed)
    fin.goto(f"{base}/handovers/new/F12?parent={verification}")
    fin.fill("#f-student", school["student_no"])
    fin.fill("#f-received_date", "2026-04-03")
    fin.fill("#f-non_refundable", ITEMS)
    attach(fin, "paper_scan")
    calculation = sign(fin, school["fin"][1])
    countersign(aca, base, calculation, school["aca"][1])

    # F13: finance pays the computed amount back, with the voucher
    fin.goto(f"{base}/handovers/{calculation}")
    fin.click(f'a[href*="/handovers/new/F13"][href*="{calculation}"]')
    fin.fill("#f-student", school["student_no"])
    fin.fill("#f-agreed_date", "2026-04-05")
    fin.fill("#f-refund_amount", REFUND)
    fin.fill("#f-paid_date", "2026-04-08")
    fin.select_option("#f-payment_channel", "原路退回")
    fin.fill("#f-voucher_number", "V-2026-0001")
    fin.select_option("#f-payment_status_after", "已部分退费")
    attach(fin, "payment_voucher", "paper_scan")
    refund = sign(fin, school["fin"][1])
    countersign(aca, base, refund, school["aca"][1])

    # the ledger: refunded, what the school keeps, the status
    fin.goto(f"{base}/money/students/{school['student_no']}")
    account = fin.locator(".account")
    assert account.locator(".status-badge").inner_text() == "已退费"
    assert account.locator(".refunded").inner_text() == "¥3,410.38"
    assert account.locator(".held").inner_text() == "¥1,270.12"  # 4680.50 − 3410.38
    assert account.locator(".hours").inner_text() == f"{DONE} / {HOURS}"
    assert fin.locator('#entries-table tr[data-kind="refund"]').count() == 1
    screenshot(fin, "money-student-account")

    # the student's archive file records the refund (policy F13)
    svc = app.extensions["handover"]
    with svc.session_factory() as db:
        done = db.scalar(select(Handover).where(Handover.number == refund))
        student = db.get(Student, school["student_id"])
        filed = db.scalar(select(ArchiveFile).join(ArchiveFileStudent).where(
            ArchiveFileStudent.student_id == student.id, ArchiveFile.handover_id == done.id))
        assert filed is not None
    for context, _ in contexts.values():
        context.close()
