"""Face-to-face handovers (policy M3) through the pages: the 交接方式 choice and the meeting
record section on the new-handover form (plain POST, no JavaScript), its validation messages,
and the meeting record PDF next to the form's on the handover page."""

from __future__ import annotations

import re
from html import unescape

import pytest

from records.classes import ClassMember, SchoolClass
from records.clock import utcnow
from records.students import StudentInput
from tests.webapp.test_handover_pages import Person, number_of, stamp_font_in_template

__all__ = ["stamp_font_in_template"]  # the module fixture, shared with the handover pages


@pytest.fixture
def world(app, add_staff):
    people = {"tea": add_staff("tea", depts=("TEA",), name="测试tea"),
              "enr": add_staff("enr", depts=("ENR",), name="测试enr")}
    svc = app.extensions["handover"]
    with svc.session_factory() as db:
        student = svc.students(db).add(
            StudentInput("张子涵", "女", "2015-03-12", "", "杭州市", "", "张伟", "13812345678"),
            actor_id=None, actor="test")
        # policy R-TEA: the teacher hands over a student of a class they teach
        cls = SchoolClass(name="初二数学A班", course="初二数学", created_at=utcnow(),
                          teacher_id=svc.accounts(db).get("tea").id, active=True)
        db.add(cls)
        db.flush()
        db.add(ClassMember(class_id=cls.id, student_id=student.id, joined_at=utcnow()))
        db.commit()
        student_id = student.id

    class World:
        student = student_id

        def as_(self, who):
            return Person(app, *people[who])

    return World()


def f9_form(student_id, **overrides):
    data = {"f.student": str(student_id), "f.current_class": "初二数学思维提高班",
            "f.intent": "升级", "f.contact_date": "2026-06-20",
            "f.parent_feedback": "希望继续在本校学习"}
    return {**data, **overrides}


MEETING_FORM = {
    "m.meeting_time": "2026-06-20T15:30", "m.place": "三楼教研室",
    "m.participants.0.name": "陈静", "m.participants.0.department": "教学部",
    "m.participants.0.role": "数学教师",
    "m.participants.1.name": "王晓燕", "m.participants.1.department": "招生部",
    "m.participants.2.name": "", "m.participants.2.department": "",
    "m.content": "面谈续班意向与学习计划调整", "m.outcome": "家长同意升入初三冲刺班",
}


def test_form_offers_face_to_face_with_a_meeting_section(world):
    html = world.as_("tea").get("/handovers/new/F9").get_data(as_text=True)
    assert set(re.findall(r'name="method"[^>]*value="(M\d)"', html)) == {"M2", "M3"}
    assert 'id="meeting-record"' in html
    for name in ("m.meeting_time", "m.place", "m.participants.0.name", "m.content",
                 "m.outcome"):
        assert f'name="{name}"' in html, name


def test_face_to_face_handover_through_the_pages(world):
    tea, enr = world.as_("tea"), world.as_("enr")
    r = tea.post("/handovers/new/F9", {**f9_form(world.student), **MEETING_FORM,
                                      "method": "M3", "action": "submit",
                                      "password": tea.password})
    assert r.status_code == 302, r.get_data(as_text=True)
    number = number_of(r)
    url = f"/handovers/{number}"
    assert enr.post(f"{url}/countersign", {"password": enr.password}).status_code == 302
    html = enr.get(url).get_data(as_text=True)
    assert f'src="{url}/pdf?v=1&amp;document=meeting"' in html
    assert "接收人 测试enr 签收于" in unescape(html)
    for query in ("", "?document=meeting"):
        pdf = enr.get(f"{url}/pdf{query}")
        assert pdf.status_code == 200 and pdf.mimetype == "application/pdf"
        assert pdf.data.startswith(b"%PDF-")
    assert enr.get(f"{url}/pdf").data != enr.get(f"{url}/pdf?document=meeting").data
    d = enr.get(f"{url}/pdf?document=meeting&download=1")
    assert d.headers["Content-Disposition"] == f'attachment; filename="{number}-meeting.pdf"'
    assert enr.get(f"{url}/pdf?document=other").status_code == 404


def test_missing_meeting_fields_are_shown_next_to_them(world):
    tea = world.as_("tea")
    r = tea.post("/handovers/new/F9", {**f9_form(world.student), "m.place": "三楼教研室",
                                      "method": "M3", "action": "submit",
                                      "password": tea.password})
    assert r.status_code == 400
    html = unescape(r.get_data(as_text=True))
    for field, label in (("content", "沟通内容"), ("outcome", "沟通结果"),
                         ("meeting_time", "沟通时间"), ("participants", "参加人员")):
        assert re.search(rf'id="err-m-{field}">「{label}」为必填项', html), field
    # issue 14: the draft is kept as face to face (M3), its form shown again to complete
    assert 'value="三楼教研室"' in html and re.search(r'id="method">[^<]*M3 ', html)
    # the kind's own method ignores the meeting section: the same post is a valid M2 handover
    ok = tea.post("/handovers/new/F9", {**f9_form(world.student), "m.place": "三楼教研室",
                                       "method": "M2", "action": "submit",
                                       "password": tea.password})
    assert ok.status_code == 302
    assert tea.post("/handovers/new/F9", {**f9_form(world.student), "method": "M1",
                                         "action": "draft"}).status_code == 400


def test_draft_then_return_keeps_the_meeting_record_in_the_correction_form(world):
    tea, enr = world.as_("tea"), world.as_("enr")
    r = tea.post("/handovers/new/F9", {**f9_form(world.student), **MEETING_FORM,
                                      "method": "M3", "action": "draft"})
    url = f"/handovers/{number_of(r)}"
    draft = unescape(tea.get(url).get_data(as_text=True))
    assert 'id="draft-meeting"' in draft and "面谈续班意向与学习计划调整" in draft
    assert tea.post(f"{url}/submit", {"password": tea.password}).status_code == 302
    assert enr.post(f"{url}/return", {"reason": "沟通结果不清楚"}).status_code == 302
    form = unescape(tea.get(url).get_data(as_text=True))
    assert 'name="m.content"' in form and "家长同意升入初三冲刺班</textarea>" in form
    r = tea.post(f"{url}/correct", {**f9_form(world.student), **MEETING_FORM,
                                    "m.outcome": "", "reason": "补充", "password": tea.password})
    assert r.status_code == 400 and 'id="err-m-outcome"' in r.get_data(as_text=True)
