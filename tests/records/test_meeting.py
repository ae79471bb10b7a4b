"""Face-to-face handovers (policy M3) through the records API, with real rendering, signing,
vault and ledger: the meeting record is its own PDF, signed by both parties with the form."""

from __future__ import annotations

import io

import pytest
from pypdf import PdfReader
from sqlalchemy import text

from records.access_report import accesses_to_student
from records.errors import ValidationFailed
from records.handovers import Status
from tests.records.test_workflow import world

__all__ = ["world"]  # staff of ENR (王晓燕) and TEA (陈静), one student, a workflow

MEETING = {
    "meeting_time": "2026-06-20T15:30",
    "place": "三楼教研室",
    "participants": [{"name": "陈静", "department": "教学部", "role": "数学教师"},
                     {"name": "王晓燕", "department": "招生部"}],
    "content": "面谈续班意向与学习计划调整",
    "outcome": "家长同意升入初三冲刺班",
}


def f9_values(student_id):
    return {"student": student_id, "current_class": "初二数学思维提高班", "intent": "升级",
            "contact_date": "2026-06-20", "parent_feedback": "希望继续在本校学习"}


def _text(pdf: bytes) -> str:
    return "".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf)).pages)


def test_face_to_face_f9_has_a_meeting_record_signed_by_both(world):
    w, tea, enr = world, world.staff("tea"), world.staff("enr")
    h = w.workflow.create(tea, "F9", f9_values(w.student_id), method="M3", meeting=MEETING)
    w.workflow.submit(tea, h, w.password("tea"))
    assert h.method == "M3" and h.current.meeting_signed_object_id
    w.workflow.countersign(enr, h, w.password("enr"))
    assert h.status == Status.COMPLETED and h.current.meeting_final_object_id
    form = w.workflow.pdf(enr, h, reason="核对")
    meeting = w.workflow.pdf(enr, h, reason="核对", document="meeting")
    assert form != meeting
    for pdf in (form, meeting):
        report = w.workflow.desk.verify(pdf)
        assert report.ok and len(report.signatures) == 2
    # policy M3: the record holds time, content and outcome, and the participants
    assert all(s in _text(meeting).replace("\n", "") for s in (
        MEETING["content"], MEETING["outcome"], "三楼教研室", "数学教师"))
    assert w.workflow.meeting_of(enr, h) == MEETING
    # A guardian's question "who saw my child's information" counts the meeting record too.
    seen = accesses_to_student(w.session, w.workflow.audit, w.student_id)
    meeting_id = h.current.meeting_final_object_id
    assert [a.actor for a in seen if a.subject == meeting_id] == ["enr"]


def test_face_to_face_without_meeting_record_is_refused_at_submit(world):
    w, tea = world, world.staff("tea")
    draft = w.workflow.create(tea, "F9", f9_values(w.student_id), method="M3",
                              meeting={"place": "三楼教研室"})  # a draft may be incomplete
    with pytest.raises(ValidationFailed) as failed:
        w.workflow.submit(tea, draft, w.password("tea"))
    fields = {p.field for p in failed.value.problems}
    assert fields == {"meeting.meeting_time", "meeting.participants", "meeting.content",
                      "meeting.outcome"}
    assert draft.status == Status.DRAFT and draft.current.meeting_signed_object_id is None
    bare = w.workflow.create(tea, "F9", f9_values(w.student_id), method="M3")
    with pytest.raises(ValidationFailed, match="沟通内容"):
        w.workflow.submit(tea, bare, w.password("tea"))


def test_method_choice_is_the_kinds_own_or_face_to_face(world):
    w, tea = world, world.staff("tea")
    assert w.workflow.create(tea, "F9", f9_values(w.student_id)).method == "M2"
    with pytest.raises(ValidationFailed) as wrong:
        w.workflow.create(tea, "F9", f9_values(w.student_id), method="M1")
    assert [p.field for p in wrong.value.problems] == ["method"]
    with pytest.raises(ValidationFailed, match="M3"):
        w.workflow.create(tea, "F9", f9_values(w.student_id), meeting=MEETING)
    # a paper kind (F2, M1) handed over face to face: the meeting record replaces the scan
    enr = w.staff("enr")
    f2 = w.workflow.create(enr, "F2", {
        "student": w.student_id, "course": "初二数学", "registration_date": "2026-03-02",
        "fee_paid": "4680.50", "payment_method": "微信支付", "class_hours": 48,
        "agreement_number": "XY-2026-0457"}, method="M3", meeting=MEETING)
    with pytest.raises(ValidationFailed) as missing:
        w.workflow.submit(enr, f2, w.password("enr"))
    assert [p.field for p in missing.value.problems] == ["attachment:enrollment_agreement"]


def test_meeting_record_is_ciphertext_in_the_database(world):
    w, tea = world, world.staff("tea")
    h = w.workflow.create(tea, "F9", f9_values(w.student_id), method="M3", meeting=MEETING)
    w.session.commit()
    raw = w.session.execute(text(
        "SELECT meeting_json FROM handover_version WHERE handover_id = :id"), {"id": h.id}
    ).scalar_one()
    assert raw.startswith("f") and "面谈" not in raw and "三楼" not in raw


def test_correction_keeps_or_replaces_the_meeting_record(world):
    w, tea, enr = world, world.staff("tea"), world.staff("enr")
    h = w.workflow.create(tea, "F9", f9_values(w.student_id), method="M3", meeting=MEETING)
    w.workflow.submit(tea, h, w.password("tea"))
    w.workflow.return_(enr, h, "意向课程未填写")
    w.workflow.correct(tea, h, f9_values(w.student_id), reason="补充", password=w.password("tea"))
    assert w.workflow.meeting_of(enr, h) == MEETING and h.current.meeting_signed_object_id
    w.workflow.return_(enr, h, "结果不清楚")
    changed = {**MEETING, "outcome": "家长决定暂不续报"}
    w.workflow.correct(tea, h, f9_values(w.student_id), reason="更正结果",
                       password=w.password("tea"), meeting=changed)
    assert w.workflow.meeting_of(enr, h)["outcome"] == "家长决定暂不续报"
    assert w.workflow.meeting_of(enr, h, version=1) == MEETING
    assert "暂不续报" in _text(w.workflow.pdf(enr, h, reason="核对", document="meeting"))
