"""Deadlines counted as the policy counts them (T1a-T5b), each from its clause's trigger with a
fixed clock, and the obligations that are owed before anyone makes the handover. Dates are in
the official 2026 calendar: Mid-Autumn Sep 25-27 and National Day Oct 1-7 off, Sunday Sep 20
and Saturday Oct 10 make-up working days (调休)."""

from __future__ import annotations

from datetime import date, datetime

import pytest

from records.catalogue import Method, get_kind
from records.deadlines import SCHOOL_TZ
from records.errors import PermissionDenied, ValidationFailed
from records.handovers import Status
from records.obligation_model import ObligationState
from records.students import Student, StudentInput
from records.workflow import Upload

SCAN = b"%PDF-1.4\n% scan\n%%EOF\n"


def at(y, m, d, hh=10, mm=0):
    return datetime(y, m, d, hh, mm, tzinfo=SCHOOL_TZ)


@pytest.fixture
def school(app, add_staff):
    people = {login: add_staff(login, name=name, depts=(dept,)) for login, name, dept in (
        ("enr", "王晓燕", "ENR"), ("aca", "李建国", "ACA"), ("tea", "陈静", "TEA"),
        ("fin", "赵敏", "FIN"), ("arc", "孙丽", "ARC"))}
    svc = app.extensions["handover"]
    db = svc.session_factory()
    sid = svc.students(db).add(StudentInput("张子涵", "女", "2015-03-12", "", "", "", "张伟",
                                            "13812345678"), actor_id=None, actor="t").id
    other = svc.students(db).add(StudentInput("李四", "男", "2015-05-01", "", "", "", "李强",
                                              "13812345679"), actor_id=None, actor="t").id
    db.commit()

    class School:
        session, workflow, student_id, other_id = db, svc.workflow(db), sid, other
        classes = svc.classes(db)

        def staff(self, login):
            return svc.accounts(db).get(login)

        def password(self, login):
            return people[login][1]

        def now(self, moment):
            self.workflow.clock = self.workflow.timeliness.clock = lambda: moment
            self.classes.clock = lambda: moment

        def owed(self, login):
            return self.workflow.obligations.owed_by(self.staff(login))

        def submit(self, login, kind, values, **kw):
            who = self.staff(login)
            h = self.workflow.create(who, kind, values, **kw)
            paper = get_kind(kind).method == Method.PAPER
            uploads = [Upload("paper_scan", "scan.pdf", SCAN)] if paper else []
            if kind == "F2":
                uploads.append(Upload("enrollment_agreement", "a.pdf", SCAN))
            return self.workflow.submit(who, h, self.password(login), uploads=uploads)

        def countersign(self, login, h):
            return self.workflow.countersign(self.staff(login), h, self.password(login))

    yield School()
    db.close()


def f2(sid, day="2026-09-30"):
    return {"student": sid, "course": "初二数学", "registration_date": day, "fee_paid": "4680.50",
            "payment_method": "微信支付", "class_hours": 48, "agreement_number": "XY-1"}


def f1(day):
    return {"prospect_name": "刘洋", "gender": "男", "age": 11, "guardian_name": "刘强",
            "contact": "13900001111", "course_of_interest": "初一数学", "expected_start":
            "2026-11-01", "intent_date": day, "communication_record": "询问课时安排"}


def f8(sid, class_name, term_end):
    return {"student": sid, "class_name": class_name, "term_end": term_end,
            "documents": [{"category": "成绩报告单", "title": "期末成绩单", "pages": 1}],
            "completeness": "齐全"}


def test_t1a_counts_from_the_first_intent_not_from_signing(school):
    school.now(at(2026, 12, 1))
    h = school.submit("enr", "F1", f1("2026-09-30"))
    # Two working days after Sep 30: Oct 8 and Oct 9 (National Day off).
    assert h.due_at == at(2026, 10, 9, 18) and h.trigger_at == at(2026, 9, 30, 0)
    assert h.on_time is False  # late from the start, whoever signs when


def test_a_draft_past_its_deadline_is_late_from_the_start(school):
    school.now(at(2026, 12, 1))
    draft = school.workflow.create(school.staff("enr"), "F1", f1("2026-09-30"))
    assert draft.status == Status.DRAFT and draft.due_at == at(2026, 10, 9, 18)


def test_t1b_is_the_registration_day_and_a_late_receiver_is_not_the_senders_fault(school):
    school.now(at(2026, 9, 30, 11))
    h = school.submit("enr", "F2", f2(school.student_id))
    assert h.due_at == at(2026, 9, 30, 18) and h.on_time is True
    # The receiver's own clock: one working day after receipt (Oct 8, after National Day).
    assert h.receive_due_at == at(2026, 10, 8, 18)
    school.now(at(2026, 10, 30, 11))  # countersigned three weeks late
    school.countersign("aca", h)
    assert h.on_time is True and h.received_on_time is False


def test_trigger_dates_in_the_future_or_before_registration_are_refused(school):
    school.now(at(2026, 9, 30, 11))
    with pytest.raises(ValidationFailed) as future:
        school.workflow.create(school.staff("enr"), "F1", f1("2026-10-01"))
    assert [p.field for p in future.value.problems] == ["intent_date"]
    school.submit("enr", "F2", f2(school.student_id, "2026-09-29"))
    school.classes.create(school.staff("aca"), "初二1班", "初二数学")
    with pytest.raises(ValidationFailed) as early:
        school.workflow.create(school.staff("aca"), "F8", f8(school.student_id, "初二1班",
                                                             "2026-09-01"))
    assert [p.field for p in early.value.problems] == ["term_end"]
    assert "报名日期（2026-09-29）" in early.value.problems[0].message_zh


def test_t2_arises_from_acas_receipt_of_the_registration_and_f4_meets_it(school):
    school.now(at(2026, 9, 30, 11))
    h = school.submit("enr", "F2", f2(school.student_id))
    assert school.owed("aca") == []  # nothing owed before ACA has received it
    school.countersign("aca", h)
    [owed] = school.owed("aca")
    # T2, 3 working days after Sep 30: Oct 8, 9 and the make-up Saturday Oct 10.
    assert (owed.kind, owed.clause, owed.due_at) == ("F4", "T2", at(2026, 10, 10, 18))
    assert owed.owing_staff_id == school.staff("aca").id
    student_no = school.session.get(Student, school.student_id).student_no
    school.now(at(2026, 10, 12, 9))
    f4 = school.submit("aca", "F4", {
        "class_name": "初二1班", "head_teacher": "陈静", "grouping_basis": "年龄",
        "roster": [{"student_number": student_no, "name": "张子涵", "gender": "女",
                    "age": 11, "basis": "中等"}], "analysis": "基础均衡"})
    school.session.refresh(owed)
    assert owed.state == ObligationState.ANSWERED and owed.answered_by_id == f4.id
    assert f4.due_at == owed.due_at and owed.met_on_time is False and f4.on_time is False


def _report_class(school, **cycle):
    aca = school.staff("aca")
    c = school.classes.create(aca, "初二1班", "初二数学", teacher_id=school.staff("tea").id,
                              starts_on=date(2026, 9, 1), ends_on=date(2026, 9, 24))
    school.classes.enrol(aca, c.id, [school.student_id])
    if cycle:
        school.classes.set_report_cycle(aca, c.id, **cycle)
    return c


def test_t3a_one_report_per_period_at_the_class_time_moved_off_holidays(school):
    school.now(at(2026, 9, 1, 9))
    aca = school.staff("aca")
    c = school.classes.create(aca, "初二1班", "初二数学", teacher_id=school.staff("tea").id,
                              starts_on=date(2026, 9, 1))
    school.classes.set_report_cycle(aca, c.id, weekday=5, hour=16, weeks=1,
                                    first_week=date(2026, 9, 23))
    made = school.workflow.obligations.refresh(at(2026, 10, 9, 9))
    assert made == 3 and school.workflow.obligations.refresh(at(2026, 10, 9, 9)) == 0
    dues = [o.due_at for o in school.owed("tea")]
    # Fri Sep 25 is Mid-Autumn and Fri Oct 2 National Day: each moves to the next working
    # day at the same hour; Fri Oct 9 is an ordinary Friday.
    assert dues == [at(2026, 9, 28, 16), at(2026, 10, 8, 16), at(2026, 10, 9, 16)]
    assert school.owed("aca") == []  # the teacher owes it, not the office


def test_t3a_fortnightly(school):
    school.now(at(2026, 9, 1, 9))
    aca = school.staff("aca")
    c = school.classes.create(aca, "初二2班", "初二数学", teacher_id=school.staff("tea").id)
    school.classes.set_report_cycle(aca, c.id, weekday=5, hour=16, weeks=2,
                                    first_week=date(2026, 11, 2))
    school.workflow.obligations.refresh(at(2026, 11, 30, 9))
    # Periods start Nov 2, 16, 30: reports on the second Friday (Nov 13, 27, Dec 11).
    assert [o.due_at for o in school.owed("tea")] == [
        at(2026, 11, 13, 16), at(2026, 11, 27, 16), at(2026, 12, 11, 16)]


def test_class_end_owes_grades_t3b_and_the_archive_t4b_then_overdue(school):
    school.now(at(2026, 9, 1, 9))
    _report_class(school)
    ob = school.workflow.obligations
    assert ob.refresh(at(2026, 9, 23, 9)) == 0  # not ended yet
    assert ob.refresh(at(2026, 9, 24, 9)) == 2
    [f7] = school.owed("tea")
    [f8] = school.owed("aca")
    # From Sep 24: Sep 28, 29, 30, Oct 8, 9 (T3b, 5 days); ... Oct 15 (T4b, 10 days).
    assert (f7.kind, f7.clause, f7.due_at) == ("F7", "T3b", at(2026, 10, 9, 18))
    assert (f8.kind, f8.clause, f8.due_at) == ("F8", "T4b", at(2026, 10, 15, 18))
    assert not f8.overdue(at(2026, 10, 15, 17)) and f8.overdue(at(2026, 10, 16, 9))
    assert [o.id for o in ob.due_before(at(2026, 10, 16, 9))] == [f7.id, f8.id]


def test_an_archive_handover_meets_the_obligation_and_a_return_does_not_restart_it(school):
    school.now(at(2026, 9, 1, 9))
    _report_class(school)
    school.workflow.obligations.refresh(at(2026, 9, 24, 9))
    [owed] = school.owed("aca")
    school.now(at(2026, 10, 14, 9))
    h = school.submit("aca", "F8", f8(school.student_id, "初二1班", "2026-09-24"))
    school.session.refresh(owed)
    assert owed.state == ObligationState.ANSWERED and owed.met_on_time is True
    assert h.due_at == at(2026, 10, 15, 18)
    school.now(at(2026, 10, 14, 15))
    school.workflow.return_(school.staff("arc"), h, "缺成绩单")
    school.now(at(2026, 10, 20, 9))  # corrected after the deadline
    school.workflow.correct(school.staff("aca"), h, f8(school.student_id, "初二1班",
                                                       "2026-09-24"),
                            reason="补齐成绩单", password=school.password("aca"))
    school.session.refresh(owed)
    assert h.due_at == at(2026, 10, 15, 18)  # the same deadline, not a new one
    assert h.on_time is False and owed.met_on_time is False


def test_withdrawing_reopens_and_a_waiver_needs_the_right_and_a_reason(school):
    school.now(at(2026, 9, 1, 9))
    _report_class(school)
    school.workflow.obligations.refresh(at(2026, 9, 24, 9))
    [owed] = school.owed("aca")
    school.now(at(2026, 10, 12, 9))
    h = school.submit("aca", "F8", f8(school.student_id, "初二1班", "2026-09-24"))
    assert school.owed("aca") == []
    school.workflow.withdraw(school.staff("aca"), h, "填错班级")
    assert [o.id for o in school.owed("aca")] == [owed.id]
    with pytest.raises(PermissionDenied):
        school.workflow.obligations.waive(school.staff("tea"), owed.id, "无需")
    with pytest.raises(ValidationFailed):
        school.workflow.obligations.waive(school.staff("aca"), owed.id, " ")
    school.workflow.obligations.waive(school.staff("aca"), owed.id, "学生已转校")
    assert school.owed("aca") == [] and owed.state == ObligationState.WAIVED


def test_an_obligation_cannot_be_met_by_another_students_or_kinds_handover(school):
    school.now(at(2026, 9, 1, 9))
    _report_class(school)
    school.workflow.obligations.refresh(at(2026, 9, 24, 9))
    [owed] = school.owed("aca")
    school.now(at(2026, 10, 12, 9))
    with pytest.raises(ValidationFailed) as wrong_student:
        school.workflow.create(school.staff("aca"), "F8", f8(school.other_id, "初二1班",
                                                             "2026-09-24"),
                               obligation_id=owed.id)
    assert wrong_student.value.problems[0].field == "obligation"
    with pytest.raises(ValidationFailed) as wrong_kind:
        school.workflow.create(school.staff("aca"), "F5", {"class_name": "初二1班"},
                               obligation_id=owed.id)
    assert "F8" in wrong_kind.value.problems[0].message_zh


def test_t4a_feedback_counts_from_acas_receipt_of_the_progress_report(school):
    school.now(at(2026, 9, 28, 9))
    _report_class(school)
    school.now(at(2026, 9, 29, 9))
    f6 = school.submit("tea", "F6", {
        "class_name": "初二1班", "report_cycle": "每周", "period_start": "2026-09-21",
        "period_end": "2026-09-25", "progress": [{"student_number": "1", "name": "张子涵",
                                                   "performance": "好", "homework": "按时"}]})
    school.now(at(2026, 9, 30, 15))
    school.countersign("aca", f6)
    [owed] = [o for o in school.owed("aca") if o.kind == "F6b"]
    assert (owed.clause, owed.due_at) == ("T4a", at(2026, 10, 9, 18))
    school.now(at(2026, 10, 8, 10))
    fb = school.submit("aca", "F6b", {"class_name": "初二1班", "report_ref": f6.number,
                                      "overall": "良好", "suggestions": "加强练习"},
                       parent_number=f6.number)
    school.session.refresh(owed)
    assert fb.due_at == at(2026, 10, 9, 18) and owed.answered_by_id == fb.id


def test_t5a_and_t5b_count_from_receipt_and_agreement_dates_on_the_form(school):
    t = school.workflow.timeliness
    trigger, due = t.sender_deadline(get_kind("F12"), {"received_date": "2026-09-30"}, None)
    # T5a, 3 days after Sep 30: Oct 8, 9 and the make-up Saturday Oct 10.
    assert (trigger, due) == (at(2026, 9, 30, 0), at(2026, 10, 10, 18))
    _, due = t.sender_deadline(get_kind("F13"), {"agreed_date": "2026-09-24"}, None)
    assert due == at(2026, 10, 9, 18)  # T5b, 5 days: Sep 28, 29, 30, Oct 8, 9


def _registered_class(school, ends):
    school.now(at(2026, 9, 1, 9))
    aca = school.staff("aca")
    school.classes.create(aca, "冬季班", "初二数学", teacher_id=school.staff("tea").id,
                          starts_on=date(2026, 9, 1), ends_on=ends)


def test_submitting_on_2026_12_20_counts_into_2027_without_stopping(school):
    """A deadline in a year the State Council has not announced yet is counted by law
    (weekends, New Year's Day) and marked provisional instead of refusing the submission."""
    _registered_class(school, date(2026, 12, 18))
    school.now(at(2026, 12, 20, 10))  # a Sunday
    h = school.submit("aca", "F8", f8(school.student_id, "冬季班", "2026-12-18"))
    assert h.status == Status.SUBMITTED
    if school.workflow.calendar.is_provisional(date(2027, 1, 4)):
        # By law until the arrangement is known: Dec 21-25, 28-31 (nine), Jan 1 off, Jan 4.
        assert h.due_at == at(2027, 1, 4, 18)
    else:  # a package release has brought the State Council's 2027 arrangement
        assert at(2027, 1, 4, 18) <= h.due_at <= at(2027, 1, 8, 18)


def test_submitting_on_2027_06_01_after_the_2027_spring_festival(school):
    _registered_class(school, date(2027, 2, 3))
    school.now(at(2027, 6, 1, 10))
    h = school.submit("aca", "F8", f8(school.student_id, "冬季班", "2027-02-03"))
    assert h.status == Status.SUBMITTED and h.on_time is False
    if school.workflow.calendar.is_provisional(date(2027, 2, 23)):
        # From Wed Feb 3: Feb 4, then the Spring Festival by law (eve Feb 5 to Feb 8, and
        # Feb 9-10 in place of the weekend) is off: Feb 11, 12, 15-19, 22, 23 make ten.
        assert h.due_at == at(2027, 2, 23, 18)
