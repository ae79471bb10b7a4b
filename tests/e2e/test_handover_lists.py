"""The handover lists in Chromium: a sender with more drafts than a page pages through them,
filters by kind, sorts by number, saves the filter and uses it again, and sees the student of
each row; a receiver checks two waiting handovers in the inbox and countersigns both with one
password (each signed on its own, records.workflow)."""

from __future__ import annotations

import re

import pytest

from records.handovers import Handover, Status
from records.students import StudentInput
from records.workflow import Upload
from tests.e2e.test_handover_flow import SCAN, off_loop, signed_in

pytestmark = pytest.mark.e2e

DRAFTS = 23  # F2 drafts: more than one page (records.listing.PER_PAGE = 20)
F1_DRAFTS = 3


@pytest.fixture(autouse=True)
def stamp_font_in_template(instance_template):
    from signing import StampFont

    assert StampFont(instance_template / "cache" / "fonts").path.exists()


@pytest.fixture
def school(app, add_staff):
    people = {"enr": add_staff("enr", depts=("ENR",), name="王晓燕"),
              "aca": add_staff("aca", depts=("ACA",), name="李建国")}
    svc = app.extensions["handover"]

    def made():
        with svc.session_factory() as db:
            students = svc.students(db)
            ids = [students.add(StudentInput(name, "女", "2015-03-12", "", "", "", "家长",
                                             "13812345678"), actor_id=None, actor="t").id
                   for name in ("张子涵", "李明轩")]
            wf, enr = svc.workflow(db), svc.accounts(db).get("enr")
            for n in range(DRAFTS):
                wf.create(enr, "F2", {"student": ids[n % 2], "course": f"课程{n}"})
            for _ in range(F1_DRAFTS):
                wf.create(enr, "F1", {})
            waiting = []
            for n in range(2):
                h = wf.create(enr, "F2", {
                    "student": ids[n], "course": "少儿编程", "fee_paid": "100.00",
                    "registration_date": "2026-03-02", "payment_method": "现金",
                    "class_hours": 24, "agreement_number": f"XY-{n}"}, uploads=[
                        Upload("enrollment_agreement", "a.pdf", SCAN),
                        Upload("paper_scan", "s.pdf", SCAN)])
                wf.submit(enr, h, people["enr"][1])
                waiting.append(h.number)
            db.commit()
            return waiting

    return {**people, "waiting": off_loop(made)}


def rows(page, list_id="visible"):
    return page.locator(f"#{list_id} li.hrow").evaluate_all(
        "els => els.map(e => e.dataset.number)")


def test_filter_sort_page_and_save_a_filter(browser, live_server, school, screenshot):
    ctx, enr = signed_in(browser, live_server, *school["enr"])
    enr.goto(f"{live_server}/handovers/")
    total = DRAFTS + F1_DRAFTS + 2
    assert enr.locator("#visible-page").inner_text() == "第 1 / 2 页"
    first = rows(enr)
    assert len(first) == 20
    assert "学生：张子涵" in enr.locator("#visible").inner_text()
    assert "学生：李明轩" in enr.locator("#visible").inner_text()
    enr.locator("#visible-pager a[rel=next]").click()
    assert enr.locator("#visible-page").inner_text() == "第 2 / 2 页"
    second = rows(enr)
    assert len(second) == total - 20 and not set(first) & set(second)

    enr.select_option("#filter-kind", "F1")
    enr.select_option("#filter-sort", "number")
    enr.click("#filter-apply")
    enr.wait_for_url(re.compile(r".*kind=F1.*sort=number"))
    f1 = rows(enr)
    assert len(f1) == F1_DRAFTS and f1 == sorted(f1)
    assert enr.locator("#visible li.hrow .hrow-title").all_inner_texts() == \
        [enr.locator("#visible li.hrow .hrow-title").first.inner_text()] * F1_DRAFTS
    enr.fill("#filter-name", "我的招生咨询")
    enr.click("#save-filter-submit")
    enr.wait_for_url(re.compile(r".*kind=F1.*"))
    enr.locator(".all-visible").scroll_into_view_if_needed()
    screenshot(enr, "handover-list-filters")

    enr.goto(f"{live_server}/handovers/")
    assert len(rows(enr)) == 20
    enr.click('a.saved-filter[data-name="我的招生咨询"]')
    enr.wait_for_url(re.compile(r".*kind=F1.*"))
    assert rows(enr) == f1
    assert enr.locator("#filter-kind").input_value() == "F1"
    ctx.close()


def test_bulk_countersign_with_one_password(app, browser, live_server, school, screenshot):
    ctx, aca = signed_in(browser, live_server, *school["aca"])
    aca.goto(f"{live_server}/handovers/?list=inbox")
    assert sorted(rows(aca, "inbox")) == sorted(school["waiting"])
    for number in school["waiting"]:
        aca.check(f'#inbox li[data-number="{number}"] input.hrow-check')
    aca.fill("#bulk-password", school["aca"][1])
    screenshot(aca, "handover-bulk-countersign")
    aca.click("#bulk-submit")
    result = aca.locator("#bulk-result")
    result.wait_for()
    done = result.locator('li[data-ok="yes"]').evaluate_all(
        "els => els.map(e => e.dataset.number)")
    assert sorted(done) == sorted(school["waiting"])
    assert aca.locator("#inbox-empty").is_visible()
    svc = app.extensions["handover"]
    with svc.session_factory() as db:
        for number in school["waiting"]:
            h = db.query(Handover).filter_by(number=number).one()
            assert h.status == Status.COMPLETED and h.current.countersigned_by is not None
    ctx.close()
