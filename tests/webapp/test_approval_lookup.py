"""Finding the students of an approval request (policy C3): the requester, who cannot see the
students, finds them by 学号, by name or by class across the whole registry, seeing only 学号,
name and class; every lookup is recorded (ids only) and opens no record."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from records.classes import ClassMember, SchoolClass
from records.students import StudentInput

ZHANG = StudentInput("张子涵", "女", "2015-03-12", "", "杭州市上城区", "330102201503120021",
                     "张伟", "13812345678", "花生过敏")
LI = StudentInput("李明轩", "男", "2014-05-01", "", "", "", "李强", "13912345678")


@pytest.fixture
def school(app, add_staff, login_client):
    svc = app.extensions["handover"]
    with svc.session_factory() as db:
        zhang = svc.students(db).add(ZHANG, actor_id=None, actor="t")
        li = svc.students(db).add(LI, actor_id=None, actor="t")
        klass = SchoolClass(name="初二数学提高班", course="数学", created_at=datetime.now(UTC))
        db.add(klass)
        db.flush()
        db.add(ClassMember(class_id=klass.id, student_id=zhang.id, joined_at=datetime.now(UTC)))
        db.commit()
        ids = {"zhang": (zhang.id, zhang.student_no), "li": (li.id, li.student_no),
               "class": klass.id}
    log = login_client(*add_staff("log", depts=("LOG",), name="测试log"))
    return {"ids": ids, "log": log, "app": app}


def find(client, **form):
    html = client.get("/approvals/").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)
    return client.post("/approvals/lookup", data=form, headers={"X-CSRFToken": token})


def lookups(app) -> list:
    return list(app.extensions["handover"].ledger.entries(action="student.lookup"))


def test_the_form_offers_the_lookup_and_the_classes(school):
    html = school["log"].get("/approvals/").get_data(as_text=True)
    assert 'data-lookup="/approvals/lookup"' in html and "初二数学提高班" in html
    assert "张子涵" not in html


def test_a_requester_finds_a_student_beyond_their_work_by_name_number_or_class(school):
    log, (zid, zno), (lid, lno) = school["log"], school["ids"]["zhang"], school["ids"]["li"]
    assert log.get(f"/students/{zid}").status_code == 404  # not theirs to see
    by_name = find(log, q="子涵")
    assert by_name.status_code == 200 and by_name.headers["Cache-Control"] == "no-store"
    assert by_name.get_json()["students"] == [
        {"id": zid, "student_no": zno, "name": "张子涵", "classes": "初二数学提高班"}]
    text = by_name.get_data(as_text=True)
    for private in ("杭州", "3301", "138", "花生", "张伟", "2015"):
        assert private not in text  # name, class and 学号 only
    assert find(log, q=lno).get_json()["students"] == [
        {"id": lid, "student_no": lno, "name": "李明轩"}]
    members = find(log, class_id=str(school["ids"]["class"])).get_json()["students"]
    assert [s["student_no"] for s in members] == [zno]
    assert log.get(f"/students/{zid}").status_code == 404  # the lookup opened nothing
    recorded = lookups(school["app"])
    assert [e.context for e in recorded] == [
        {"ids": [zid], "via": "request"}, {"ids": [lid], "via": "request"},
        {"ids": [zid], "via": "class"}]
    assert all(e.actor == "log" and "张子涵" not in str(e) for e in recorded)


def test_bad_lookups_are_refused_or_empty_and_not_recorded(school):
    log = school["log"]
    assert find(log, class_id="abc").status_code == 400
    assert find(log, class_id="9" * 40).status_code == 400
    assert find(log, class_id="999").get_json()["students"] == []
    short = find(log, q="张").get_json()
    assert short == {"students": [], "more": False, "short": True}
    assert lookups(school["app"]) == []
    token_less = log.post("/approvals/lookup", data={"q": "子涵"})
    assert token_less.status_code == 400  # CSRF: a POST from this site only


def test_the_picked_numbers_make_a_request(school):
    log, (zid, zno) = school["log"], school["ids"]["zhang"]
    html = log.get("/approvals/").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)
    r = log.post("/approvals/new", data={"csrf_token": token, "students": zno + "、",
                                         "purpose": "处理家长投诉", "days": "7",
                                         "categories": ["name"]})
    assert r.status_code == 302
    svc = school["app"].extensions["handover"]
    from records.approvals import AccessApproval

    with svc.session_factory() as db:
        assert db.scalars(select(AccessApproval)).one().requested_student_ids == [zid]
