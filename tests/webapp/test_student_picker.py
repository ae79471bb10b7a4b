"""The handover form's student fields: the form lists no student, the lookup finds at most 20 as
one types (by 学号 in SQL, by name through the search index, confirmed on the decrypted name),
only among the students the viewer's own work shows, each lookup recorded with ids only; and
without JavaScript a typed 学号 is enough."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from records.classes import ClassMember, SchoolClass
from records.handovers import Handover
from records.staff import Staff
from records.students import Student, StudentInput

ZHANG = StudentInput("张子涵", "女", "2015-03-12", "", "杭州市", "", "李伟", "13812345678")
LI = StudentInput("李明轩", "男", "2014-05-01", "", "", "", "李强", "13912345678")
MORE = 23  # students beyond the two, so that a 学号 lookup has more than 20 matches


def csrf_of(html: str) -> str:
    return re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html).group(1)


@pytest.fixture
def school(app, add_staff, login_client):
    svc = app.extensions["handover"]
    with svc.session_factory() as db:
        students = svc.students(db)
        ids = {"zhang": students.add(ZHANG, actor_id=None, actor="t").id,
               "li": students.add(LI, actor_id=None, actor="t").id}
        for n in range(MORE):
            students.add(StudentInput(f"王{'一二三四五六七八九十'[n % 10]}{n}", "男",
                                      f"2013-02-{n + 1:02d}", "", "", "", "王家长",
                                      "13700000000"), actor_id=None, actor="t")
        numbers = dict(db.execute(select(Student.id, Student.student_no)).all())
        db.commit()
    clients = {login: login_client(*add_staff(login, depts=(dept,), name=f"测试{login}"))
               for login, dept in (("enr", "ENR"), ("tea", "TEA"))}
    return {"ids": ids, "numbers": numbers, "clients": clients, "app": app}


def lookup(client, text: str, form: str = "/handovers/new/F2"):
    token = csrf_of(client.get(form).get_data(as_text=True))
    r = client.post("/students/lookup", data={"q": text}, headers={"X-CSRFToken": token})
    assert r.status_code == 200, r.get_data(as_text=True)
    assert r.headers["Cache-Control"] == "no-store"
    return r.get_json()


def picker_reads(app) -> list:
    return [e for e in app.extensions["handover"].ledger.entries(action="student.list")
            if e.context.get("via") == "picker"]


def test_the_form_names_no_student_and_offers_the_picker(school):
    html = school["clients"]["enr"].get("/handovers/new/F2").get_data(as_text=True)
    assert 'name="f.student"' in html and 'data-lookup="/students/lookup"' in html
    assert "张子涵" not in html and "李明轩" not in html
    example = "XS-2026-00012"  # the form's example of a 学号
    assert not any(number in html.replace(example, "") for number in school["numbers"].values())


def test_lookup_by_student_number_shows_at_most_twenty(school):
    enr = school["clients"]["enr"]
    found = lookup(enr, "xs-")
    assert len(found["students"]) == 20 and found["more"] is True
    assert found["students"] == sorted(found["students"], key=lambda s: s["student_no"])
    zhang = school["numbers"][school["ids"]["zhang"]]
    one = lookup(enr, zhang)
    assert one == {"students": [{"id": school["ids"]["zhang"], "student_no": zhang,
                                 "name": "张子涵"}], "more": False, "short": False}


def test_lookup_by_name_matches_names_only(school):
    enr = school["clients"]["enr"]
    assert [s["name"] for s in lookup(enr, "子涵")["students"]] == ["张子涵"]
    assert [s["name"] for s in lookup(enr, "张子涵")["students"]] == ["张子涵"]
    # 李伟 is 张子涵's guardian: the index finds her record, the decrypted name does not match
    assert lookup(enr, "李伟")["students"] == []
    assert lookup(enr, "张") == {"students": [], "more": False, "short": True}


def test_lookup_shows_only_students_of_ones_own_work_and_is_recorded(school):
    app, tea = school["app"], school["clients"]["tea"]
    assert lookup(tea, "XS-", "/handovers/new/F9")["students"] == []
    assert lookup(tea, "子涵", "/handovers/new/F9")["students"] == []
    assert picker_reads(app) == []  # nothing shown, nothing recorded
    svc = app.extensions["handover"]
    now = datetime.now(UTC)
    with svc.session_factory() as db:  # policy R-TEA: a teacher sees the class they teach
        tea_id = db.scalar(select(Staff.id).where(Staff.login == "tea"))
        taught = SchoolClass(name="一班", course="英语", teacher_id=tea_id, created_at=now,
                             active=True)
        db.add(taught)
        db.flush()
        db.add(ClassMember(class_id=taught.id, student_id=school["ids"]["li"], joined_at=now))
        db.commit()
    found = lookup(tea, "XS-", "/handovers/new/F9")["students"]
    assert [s["name"] for s in found] == ["李明轩"]
    assert [s["name"] for s in lookup(tea, "明轩", "/handovers/new/F9")["students"]] == \
        ["李明轩"]
    assert lookup(tea, "子涵", "/handovers/new/F9")["students"] == []
    reads = picker_reads(app)
    assert [r.context["ids"] for r in reads] == [[school["ids"]["li"]]] * 2
    assert all(r.actor == "tea" for r in reads)
    line = json.dumps([r.as_dict() for r in reads], ensure_ascii=False)
    assert "明轩" not in line and "李" not in line  # neither the names nor what was typed


def test_lookup_is_a_post_with_csrf(school):
    enr = school["clients"]["enr"]
    assert enr.get("/students/lookup?q=XS").status_code == 405
    assert enr.post("/students/lookup", data={"q": "XS"}).status_code == 400


def _draft(client, form: str, data: dict):
    token = csrf_of(client.get(form).get_data(as_text=True))
    return client.post(form, data={"csrf_token": token, "action": "draft", **data})


def test_a_typed_student_number_is_enough_without_javascript(school):
    app, enr = school["app"], school["clients"]["enr"]
    zhang = school["numbers"][school["ids"]["zhang"]]
    r = _draft(enr, "/handovers/new/F2", {"f.student": zhang.lower(), "f.course": "编程"})
    assert r.status_code == 302, r.get_data(as_text=True)
    svc = app.extensions["handover"]
    with svc.session_factory() as db:
        draft = db.scalars(select(Handover)).one()
        assert draft.student_ids == [school["ids"]["zhang"]]
    page = enr.get(r.headers["Location"] + "?edit=1").get_data(as_text=True)
    assert f'value="{zhang}"' in page and f"已选：{zhang} 张子涵" in page
    # unknown: the form comes back with the 学号 as typed and a word at the field
    r = _draft(enr, "/handovers/new/F2", {"f.student": "XS-1999-99999", "f.course": "编程"})
    html = r.get_data(as_text=True)
    assert r.status_code == 400 and 'id="err-student"' in html
    assert 'value="XS-1999-99999"' in html


def test_students_beyond_ones_reach_are_refused_alike(school):
    tea = school["clients"]["tea"]
    zhang = school["numbers"][school["ids"]["zhang"]]
    known = _draft(tea, "/handovers/new/F9", {"f.student": zhang})
    unknown = _draft(tea, "/handovers/new/F9", {"f.student": "XS-1999-99999"})
    assert known.status_code == unknown.status_code == 400
    message = re.compile(r'id="err-student">([^<]+)<')
    assert message.search(known.get_data(as_text=True)).group(1) == \
        message.search(unknown.get_data(as_text=True)).group(1)
    assert "张子涵" not in known.get_data(as_text=True)
    forged = _draft(tea, "/handovers/new/F9", {"f.student": str(school["ids"]["zhang"])})
    assert forged.status_code == 403
