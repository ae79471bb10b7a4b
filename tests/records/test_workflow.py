"""The handover lifecycle through the records API, with real rendering, signing, vault and
ledger: submit, countersign, return and correct, withdraw, and what is refused."""

from __future__ import annotations

import io
from datetime import UTC, datetime

import pytest
from pypdf import PdfReader

from records.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from records.handovers import Handover, Status
from records.students import StudentInput
from records.visibility import Access
from records.workflow import Upload
from signing import WrongPassword

AGREEMENT = b"%PDF-1.4\n% enrollment agreement scan\n%%EOF\n"


@pytest.fixture
def world(app, add_staff):
    """Staff of ENR, ACA (two), TEA and SUP, one student, and a workflow bound to a session."""
    people = {
        "enr": add_staff("enr", name="王晓燕", depts=("ENR",)),
        "aca": add_staff("aca", name="李建国", depts=("ACA",)),
        "aca2": add_staff("aca2", name="何芳", depts=("ACA",)),
        "tea": add_staff("tea", name="陈静", depts=("TEA",)),
        "sup": add_staff("sup", name="吴海涛", depts=("SUP",)),
    }
    svc = app.extensions["handover"]
    db = svc.session_factory()
    student = svc.students(db).add(StudentInput("张子涵", "女", "2015-03-12", "", "杭州市",
                                                "", "张伟", "13812345678"),
                                   actor_id=None, actor="test")
    db.commit()

    class World:
        session, workflow = db, svc.workflow(db)
        session_factory = svc.session_factory
        student_id = student.id

        def staff(self, login):
            return svc.accounts(db).get(login)

        def password(self, login):
            return people[login][1]

    yield World()
    db.close()


def f2_values(student_id, **overrides):
    values = {"student": student_id, "course": "初二数学思维提高班",
              "registration_date": "2026-03-02", "fee_paid": "4680.50",
              "payment_method": "微信支付", "class_hours": 48, "agreement_number": "XY-2026-0457",
              "special_needs": "几何基础较弱"}
    return {**values, **overrides}


def submitted_f2(w, **overrides):
    enr = w.staff("enr")
    h = w.workflow.create(enr, "F2", f2_values(w.student_id, **overrides),
                          uploads=[Upload("enrollment_agreement", "入学协议.pdf", AGREEMENT),
                                   Upload("paper_scan", "交接清单.pdf", AGREEMENT)])
    return w.workflow.submit(enr, h, w.password("enr"))


def test_submit_then_countersign_produces_a_valid_doubly_signed_pdf(world):
    w = world
    h = submitted_f2(w)
    assert h.status == Status.SUBMITTED and h.number.startswith("JJ-")
    assert h.due_at is not None  # T1b: the same working day
    aca = w.staff("aca")
    w.workflow.countersign(aca, h, w.password("aca"))
    assert h.status == Status.COMPLETED and h.receiver_id == aca.id and h.on_time is not None
    pdf = w.workflow.pdf(aca, h, reason="核对")
    report = w.workflow.desk.verify(pdf)
    assert report.ok and len(report.signatures) == 2
    text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf)).pages)
    assert "张子涵" in text and h.number in text and "4,680.50" in text or "4680.50" in text
    assert [e.action for e in h.events] == ["created", "submitted", "countersigned"]


def test_return_and_corrected_resubmission_keeps_both_versions(world):
    w = world
    h = submitted_f2(w, fee_paid="100.00")
    aca = w.staff("aca")
    w.workflow.return_(aca, h, "缴费金额与收据不符")
    assert h.status == Status.RETURNED
    enr = w.staff("enr")
    w.workflow.correct(enr, h, f2_values(w.student_id, fee_paid="4680.50"),
                       reason="更正缴费金额", password=w.password("enr"))
    assert h.current_version == 2 and h.status == Status.SUBMITTED
    v1, v2 = h.versions
    assert v1.status == Status.SUPERSEDED and v1.signed_object_id != v2.signed_object_id
    assert [a.sha256 for a in v2.attachments] == [a.sha256 for a in v1.attachments]
    old = w.workflow.pdf(enr, h, version=1, reason="对比")
    assert w.workflow.desk.verify(old).ok  # the superseded version is still intact
    w.workflow.countersign(aca, h, w.password("aca"))
    assert w.workflow.values_of(aca, h)["fee_paid"] == "4680.50"
    assert w.workflow.values_of(aca, h, version=1)["fee_paid"] == "100.00"
    actions = [e.action for e in h.events]
    assert actions == ["created", "submitted", "returned", "corrected", "submitted",
                       "countersigned"]


def test_refusals(world):
    w = world
    h = submitted_f2(w)
    with pytest.raises(PermissionDenied, match="不能签收自己"):
        w.workflow.countersign(w.staff("enr"), h, w.password("enr"))
    with pytest.raises(PermissionDenied, match="教务部"):
        w.workflow.countersign(w.staff("tea"), h, w.password("tea"))
    with pytest.raises(WrongPassword):
        w.workflow.countersign(w.staff("aca"), h, "wrong-password-1")
    assert h.status == Status.SUBMITTED
    with pytest.raises(PermissionDenied):
        w.workflow.create(w.staff("tea"), "F2", f2_values(w.student_id))
    enr = w.staff("enr")
    draft = w.workflow.create(enr, "F2", f2_values(w.student_id, course=""))
    with pytest.raises(ValidationFailed) as missing:
        w.workflow.submit(enr, draft, w.password("enr"))
    fields = {p.field for p in missing.value.problems}
    assert fields == {"course", "attachment:enrollment_agreement", "attachment:paper_scan"}
    with pytest.raises(ValidationFailed, match="PDF、PNG 或 JPEG"):
        w.workflow.create(enr, "F2", f2_values(w.student_id),
                          uploads=[Upload("enrollment_agreement", "x.exe", b"MZ\x90\x00")])
    with pytest.raises(ValidationFailed, match="学生名册"):
        w.workflow.create(enr, "F2", f2_values(99999))


def test_visibility_and_withdraw(world):
    w = world
    h = submitted_f2(w)
    # The receiving department sees content; supervision sees metadata; teaching sees nothing.
    assert w.workflow.get(w.staff("aca2"), h.number, need=Access.CONTENT) is h
    assert w.workflow.get(w.staff("sup"), h.number) is h
    with pytest.raises(NotFound):
        w.workflow.get(w.staff("sup"), h.number, need=Access.CONTENT)
    with pytest.raises(NotFound):
        w.workflow.get(w.staff("tea"), h.number)
    with pytest.raises(NotFound):
        w.workflow.pdf(w.staff("tea"), h, reason="好奇")
    with pytest.raises(PermissionDenied):
        w.workflow.withdraw(w.staff("aca"), h, "不是我的")
    w.workflow.withdraw(w.staff("enr"), h, "信息录入有误，重新办理")
    assert h.status == Status.WITHDRAWN
    with pytest.raises(Conflict):
        w.workflow.countersign(w.staff("aca"), h, w.password("aca"))


def test_paper_checklist_lists_the_form_and_its_attachments(world):
    w = world
    h = submitted_f2(w)
    pdf = w.workflow.checklist_pdf(w.staff("enr"), h)
    text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf)).pages)
    assert "交接清单" in text and h.number in text and "入学协议" in text
    assert "张子涵" not in text  # titles only: the checklist carries no student data


def test_deadline_is_the_end_of_the_registration_day_for_f2_not_of_the_signing_day(world):
    w = world
    w.workflow.clock = lambda: datetime(2026, 10, 9, 2, 0, tzinfo=UTC)  # signed Oct 9
    h = submitted_f2(w, registration_date="2026-09-30")
    # policy T1b: the same working day as the registration, 18:00 Shanghai time on Sep 30.
    assert h.due_at.astimezone(UTC) == datetime(2026, 9, 30, 10, 0, tzinfo=UTC)
    assert h.on_time is False
    w.session.commit()
    # Read back through a new session: SQLite keeps no zone, the column type restores UTC.
    with app_session(w) as fresh:
        stored = fresh.query(Handover).filter_by(number=h.number).one().due_at
    assert stored == datetime(2026, 9, 30, 10, 0, tzinfo=UTC)


def app_session(w):
    return w.session_factory()


def test_a_draft_is_edited_in_place_and_only_by_its_author_before_signing(world):
    w = world
    enr = w.staff("enr")
    h = w.workflow.create(enr, "F2", f2_values(w.student_id, course="", fee_paid=""),
                          uploads=[Upload("enrollment_agreement", "旧协议.pdf", AGREEMENT)])
    # A wrong value is refused with its field, and the draft keeps what it had.
    with pytest.raises(ValidationFailed) as refused:
        w.workflow.edit_draft(enr, h, f2_values(w.student_id, fee_paid="四千"))
    assert [p.field for p in refused.value.problems] == ["fee_paid"]
    assert w.workflow.values_of(enr, h)["course"] == ""
    new_agreement = AGREEMENT.replace(b"scan", b"scan, signed page")
    w.workflow.edit_draft(enr, h, f2_values(w.student_id),
                          uploads=[Upload("enrollment_agreement", "新协议.pdf", new_agreement),
                                   Upload("paper_scan", "交接清单.pdf", AGREEMENT)])
    assert h.current_version == 1 and len(h.versions) == 1
    assert w.workflow.values_of(enr, h)["course"] == "初二数学思维提高班"
    # The new file for the same slot takes the place of the old one.
    assert sorted(a.filename for a in h.current.attachments) == ["交接清单.pdf", "新协议.pdf"]
    assert [e.action for e in h.events] == ["created", "edited"]
    with pytest.raises(PermissionDenied):
        w.workflow.edit_draft(w.staff("aca"), h, f2_values(w.student_id))
    w.workflow.submit(enr, h, w.password("enr"))
    with pytest.raises(Conflict):
        w.workflow.edit_draft(enr, h, f2_values(w.student_id, course="改了"))
    assert w.workflow.values_of(enr, h)["course"] == "初二数学思维提高班"


def test_editing_a_draft_unlinks_a_student_it_no_longer_names(world):
    w = world
    enr = w.staff("enr")
    h = w.workflow.create(enr, "F2", f2_values(w.student_id))
    assert h.student_ids == [w.student_id]
    w.workflow.edit_draft(enr, h, f2_values(None))  # a draft may still lack its student
    assert h.student_ids == []
    w.session.commit()
    with app_session(w) as fresh:
        assert fresh.query(Handover).filter_by(number=h.number).one().student_ids == []


def test_the_deadline_kept_is_the_one_printed_even_when_signing_crosses_the_day_end(world):
    w = world
    times = iter([datetime(2026, 9, 30, 9, 59, 59, tzinfo=UTC)])  # 17:59:59 in Shanghai
    later = datetime(2026, 9, 30, 10, 0, 1, tzinfo=UTC)  # after the working day's end
    enr = w.staff("enr")
    h = w.workflow.create(enr, "F2", f2_values(w.student_id, registration_date="2026-09-30"),
                          uploads=[Upload("enrollment_agreement", "入学协议.pdf", AGREEMENT),
                                   Upload("paper_scan", "交接清单.pdf", AGREEMENT)])
    w.workflow.clock = lambda: next(times, later)  # the first reading is before signing
    w.workflow.submit(enr, h, w.password("enr"))
    # F2 is due the same working day (T1b): 18:00 on 2026-09-30, as printed on the form.
    assert h.due_at.astimezone(UTC) == datetime(2026, 9, 30, 10, 0, tzinfo=UTC)
    pdf = w.workflow.pdf(w.staff("enr"), h, reason="核对期限")
    text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf)).pages)
    assert "2026年09月30日 18:00 前" in text


def test_a_refused_step_leaves_no_file_in_the_vault(world):
    w = world
    enr, vault = w.staff("enr"), w.workflow.vault
    draft = w.workflow.create(enr, "F2", f2_values(w.student_id))
    w.session.commit()
    before = set(vault.object_ids())
    good = Upload("enrollment_agreement", "入学协议.pdf", AGREEMENT)
    scan = Upload("paper_scan", "交接清单.pdf", AGREEMENT)
    with pytest.raises(WrongPassword):  # the files arrive with the signature, which fails
        w.workflow.submit(enr, draft, "wrong-password-1", uploads=[good, scan])
    w.session.rollback()
    with pytest.raises(ValidationFailed):  # a good file, then a refused one
        w.workflow.create(enr, "F2", f2_values(w.student_id),
                          uploads=[good, Upload("paper_scan", "x.exe", b"MZ\x90\x00")])
    w.session.rollback()
    assert set(vault.object_ids()) == before
    w.workflow.submit(enr, draft, w.password("enr"), uploads=[good, scan])
    stored = {a.object_id for a in draft.current.attachments}
    assert len(stored) == 2 and stored <= set(vault.object_ids())
