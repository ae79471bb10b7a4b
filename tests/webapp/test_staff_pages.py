"""The 人员交接 pages: who may see whom, reassigning a handover addressed to someone who left
and transferring their draft, the refusals, and two people moving the same handover at once
(the second gets 409 and nothing of theirs is kept)."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from records.errors import Conflict
from records.handovers import Handover
from records.reassignment import Reassignment
from tests.webapp.staff_env import make_school
from tests.webapp.test_handover_pages import Person


@pytest.fixture
def school(app, add_staff, passwords):
    return make_school(app, add_staff, passwords)


def as_(school, login) -> Person:
    return Person(school.app, login, school.passwords[login])


def staff_id(school, login) -> int:
    from records.staff import Staff

    with school.app.extensions["handover"].session_factory() as db:
        return db.scalar(select(Staff.id).where(Staff.login == login))


def seen(page: str, number: str) -> str:
    block = page[page.index(f'data-number="{number}"'):]
    return re.search(r'name="seen_version" value="(\d+)"', block).group(1)


def move(person, school, action, number, **form):
    data = {"person": staff_id(school, "wang"), "reason": "left", **form}
    return person.post(f"/staff/handovers/{number}/{action}", data)


def test_the_list_shows_the_people_a_viewer_manages(school):
    admin = as_(school, "admin")
    page = admin.get("/staff/").get_data(as_text=True)
    assert 'data-login="wang"' in page and "待转交的交接单 2 份" in page
    assert "人员交接" in admin.get("/").get_data(as_text=True)  # in the navigation
    head = as_(school, "acahead").get("/staff/").get_data(as_text=True)
    assert 'data-login="wang"' in head and 'data-login="enr2"' not in head
    member = as_(school, "aca3")
    assert member.get("/staff/").status_code == 403
    assert "人员交接" not in member.get("/").get_data(as_text=True)
    assert member.get(f"/staff/{staff_id(school, 'wang')}").status_code == 403
    assert as_(school, "acahead").get(f"/staff/{staff_id(school, 'enr2')}").status_code == 404


def test_the_head_reassigns_an_addressed_handover_and_the_history_shows_it(school):
    head = as_(school, "acahead")
    page = head.get(f"/staff/{staff_id(school, 'wang')}").get_data(as_text=True)
    assert school.addressed in page and school.draft in page
    assert "由管理员或招生部负责人转交" in page  # the ENR draft is not the ACA head's to move
    r = move(head, school, "reassign", school.addressed, to=staff_id(school, "aca3"),
             note="王老师已离职", seen_version=seen(page, school.addressed))
    assert r.status_code == 302, r.get_data(as_text=True)
    assert school.handover(school.addressed).receiver_id == staff_id(school, "aca3")
    view = as_(school, "aca3").get(f"/handovers/{school.addressed}").get_data(as_text=True)
    assert "改派接收人" in view and "countersign" in view


def test_refusals_change_nothing(school):
    head, admin = as_(school, "acahead"), as_(school, "admin")
    wrong_dept = move(head, school, "reassign", school.addressed, to=staff_id(school, "enr2"))
    assert wrong_dept.status_code == 400 and "不属于教务部" in wrong_dept.get_data(as_text=True)
    no_reason = move(head, school, "reassign", school.addressed, to=staff_id(school, "aca2"),
                     reason="")
    assert no_reason.status_code == 400 and "请选择原因" in no_reason.get_data(as_text=True)
    nobody = move(head, school, "reassign", school.addressed, to="")
    assert nobody.status_code == 400 and "请选择接手的同事" in nobody.get_data(as_text=True)
    to_sender = move(admin, school, "reassign", school.addressed, to=staff_id(school, "enr"))
    assert to_sender.status_code == 400
    not_head = move(head, school, "transfer", school.draft, to=staff_id(school, "enr2"))
    assert not_head.status_code == 403
    member = move(as_(school, "aca3"), school, "reassign", school.addressed,
                  to=staff_id(school, "aca2"))
    assert member.status_code == 403
    assert move(admin, school, "reassign", "JJ-2026-999999", to=1).status_code == 404
    assert school.handover(school.addressed).receiver_id == staff_id(school, "wang")
    assert school.handover(school.draft).sender_id == staff_id(school, "wang")


def test_the_administrator_transfers_a_draft_or_withdraws_it(school):
    admin = as_(school, "admin")
    r = move(admin, school, "transfer", school.draft, to=staff_id(school, "enr2"))
    assert r.status_code == 302
    assert school.handover(school.draft).sender_id == staff_id(school, "enr2")
    assert as_(school, "enr2").get(f"/handovers/{school.draft}?edit").status_code == 200
    again = move(admin, school, "withdraw", school.draft)  # wang's no more: not on the page
    assert again.status_code == 302 and school.handover(school.draft).status == "withdrawn"


def test_two_people_reassigning_at_once_the_second_gets_409(school):
    admin, head = as_(school, "admin"), as_(school, "acahead")
    path = f"/staff/{staff_id(school, 'wang')}"
    version = seen(admin.get(path).get_data(as_text=True), school.addressed)
    assert seen(head.get(path).get_data(as_text=True), school.addressed) == version
    first = move(admin, school, "reassign", school.addressed, to=staff_id(school, "aca2"),
                 seen_version=version)
    second = move(head, school, "reassign", school.addressed, to=staff_id(school, "aca3"),
                  seen_version=version)
    assert first.status_code == 302
    text = second.get_data(as_text=True)
    assert second.status_code == 409 and "已由管理员改派接收人" in text and "没有保存" in text
    h = school.handover(school.addressed)
    assert h.receiver_id == staff_id(school, "aca2")
    assert [e.action for e in h.events].count("reassigned") == 1


def test_two_sessions_writing_at_once_the_second_is_told_who_acted_first(school, app):
    """The compare-and-set at the database: both load the same row version, both write."""
    svc = app.extensions["handover"]
    with svc.session_factory() as one, svc.session_factory() as two:
        moves = []
        for db in (one, two):
            accounts = svc.accounts(db)
            h = db.scalar(select(Handover).where(Handover.number == school.addressed))
            moves.append((Reassignment(svc.workflow(db)), accounts.get("admin"), h,
                          accounts.get("aca2" if db is one else "aca3")))
        r, actor, h, to = moves[0]
        r.reassign(actor, h, to, "left")
        one.commit()
        r, actor, h, to = moves[1]
        with pytest.raises(Conflict, match="已由管理员改派接收人"):
            r.reassign(actor, h, to, "left")
    assert school.handover(school.addressed).receiver_id == staff_id(school, "aca2")
