"""The archive register and its consult/borrow register (policy R-ARC, F8): an F8 countersigned
by the archive office registers a file, the archivist registers paper files by hand and corrects
them with a trace, loans run to a due day before holidays, confidential files stay in the
office, an overdue loan blocks the next one, the borrower signs with their own password, a
digital consult is a watermarked and recorded copy, and no student name reaches the ledger."""

from __future__ import annotations

import io
import json
from datetime import UTC, date, datetime

import pytest
from pypdf import PdfReader

from records.archive import ArchiveFile, ArchiveLoan, LoanKind, Retention
from records.archive_rules import LoanOverdue, NotLendable, loan_due_on
from records.catalogue import get_kind
from records.deadlines import WorkingCalendar
from records.errors import (
    AuthenticationFailed,
    Conflict,
    NotFound,
    PermissionDenied,
    ValidationFailed,
)
from records.forms import sample_values
from records.staff import LoginThrottle
from records.students import StudentInput
from records.workflow import Upload
from tests.canary import assert_absent
from tests.conftest import SCAN_PDF

NAME = "欧阳明轩"
# 2026-09-28 09:00 in Shanghai: a Monday, three days before National Day.
MONDAY_BEFORE_NATIONAL_DAY = datetime(2026, 9, 28, 1, 0, tzinfo=UTC)


@pytest.fixture
def school(app, add_staff, passwords):
    return make_school(app, add_staff, passwords)


def make_school(app, add_staff, passwords):
    """Staff aca, arc, enr, mgt (approver), sup; one student; one F8 from aca countersigned by
    arc. Returns a dict of handy values."""
    add_staff("aca", depts=("ACA",), name="李建国")
    add_staff("arc", depts=("ARC",), name="孙丽")
    add_staff("enr", depts=("ENR",), name="王晓燕")
    add_staff("mgt", depts=("MGT",), name="刘志远")
    add_staff("sup", depts=("SUP",), name="吴海涛")
    svc = app.extensions["handover"]
    with svc.session_factory() as db:
        sid = svc.students(db).add(StudentInput(NAME, "男", "2015-09-02", "", "", "", "欧阳娟",
                                                "18857193456"), actor_id=None, actor="t").id
        wf = svc.workflow(db)
        values = sample_values(get_kind("F8"))
        values["student"] = sid
        values["class_name"] = "少儿英语春季A班"
        aca, arc = svc.accounts(db).get("aca"), svc.accounts(db).get("arc")
        h = wf.create(aca, "F8", values, uploads=[Upload("paper_scan", "scan.pdf", SCAN_PDF)])
        wf.submit(aca, h, passwords["aca"])
        wf.countersign(arc, h, passwords["arc"])
        db.commit()
        number = h.number
    return {"student_id": sid, "handover": number}


class Desk:
    """The register and the loans on one session, acting as named staff."""

    def __init__(self, app):
        self.svc = app.extensions["handover"]
        self.db = self.svc.session_factory()
        self.register = self.svc.archive_register(self.db)
        self.loans = self.svc.archive_loans(self.db)

    def staff(self, login):
        return self.svc.accounts(self.db).get(login)

    def file(self, number=None):
        q = self.db.query(ArchiveFile)
        return q.filter_by(number=number).one() if number else q.order_by(ArchiveFile.id).first()

    def lend(self, file, borrower="enr", password=None, **kw):
        kw.setdefault("purpose", "教学检查")
        kw.setdefault("approver", self.staff("mgt"))
        return self.loans.lend(self.staff("arc"), file, borrower=self.staff(borrower),
                               password=password, **kw)


@pytest.fixture
def desk(app):
    d = Desk(app)
    yield d
    d.db.close()


def test_f8_countersigned_by_the_archive_office_registers_a_file(app, school, desk):
    file = desk.file()
    assert file is not None and file.number == f"DA-{datetime.now(UTC).year}-0001"
    assert file.handover_id is not None and file.student_ids == [school["student_id"]]
    assert file.retention == Retention.YEARS_30 and file.security == "normal"
    assert file.registrar.login == "arc"
    assert file.review_on == file.filed_on.replace(year=file.filed_on.year + 30)
    materials = desk.register.materials(file)
    assert materials and {"category", "title", "pages"} <= set(materials[0])
    assert "少儿英语春季A班" in file.title
    entries = [e for e in desk.svc.ledger.entries() if e.action == "archive.register"]
    assert entries[-1].context["handover"] == school["handover"]


def test_hand_registration_and_traced_corrections(app, school, desk):
    arc = desk.staff("arc")
    file = desk.register.register_by_hand(
        arc, title="2019 年纸质学籍档案", student_ids=[school["student_id"]],
        materials=[{"category": "入学资料", "title": "报名表", "pages": 2}],
        filed_on=date(2019, 7, 1), retention="10y", security="precious", location="A-03-2")
    assert file.number.endswith("-0002") and file.handover_id is None
    assert file.review_on == date(2029, 7, 1)
    desk.register.correct(arc, file, reason="移至新档案柜", location="B-01-1",
                          retention="permanent")
    assert file.location == "B-01-1" and file.review_on is None
    assert [(c.field, c.old_value, c.new_value) for c in file.changes] == [
        ("location", "A-03-2", "B-01-1"), ("retention", "10y", "permanent")]
    with pytest.raises(ValidationFailed):  # a correction needs its reason
        desk.register.correct(arc, file, reason="", security="normal")
    with pytest.raises(ValidationFailed):
        desk.register.register_by_hand(arc, title="", student_ids=[], materials=[],
                                       filed_on=date(2019, 7, 1), retention="5y",
                                       security="x", location="")
    with pytest.raises(PermissionDenied):
        desk.register.register_by_hand(
            desk.staff("enr"), title="x", student_ids=[school["student_id"]], materials=[],
            filed_on=date(2019, 7, 1), retention="10y", security="normal", location="A")


def test_lend_return_renew(app, school, desk, passwords):
    file = desk.file()
    loan = desk.lend(file, password=passwords["enr"])
    assert loan.number.startswith("JY-") and loan.kind == LoanKind.BORROW
    assert loan.borrower_dept == "ENR" and loan.approver.login == "mgt"
    slip = desk.loans.slip(desk.staff("enr"), loan)
    report = desk.svc.form_desk.verify(slip)
    signed = [s for s in report.signatures if s.signer]
    assert [s.signer for s in signed] == ["王晓燕"] and signed[0].ok
    old_due = loan.due_on
    desk.loans.renew(desk.staff("arc"), loan, 3)
    assert loan.due_on >= old_due and loan.renewed_at is not None
    with pytest.raises(Conflict):  # one renewal only
        desk.loans.renew(desk.staff("arc"), loan, 1)
    desk.loans.return_(desk.staff("arc"), loan, condition="完好")
    assert loan.returned_at is not None and loan.return_condition == "完好"
    with pytest.raises(Conflict):
        desk.loans.return_(desk.staff("arc"), loan, condition="完好")


def test_a_wrong_password_writes_no_loan_and_is_throttled(app, school, desk, passwords):
    """The borrower's password is checked like a sign-in: the desk is no way to guess it."""
    with pytest.raises(AuthenticationFailed):
        desk.lend(desk.file(), password="not-the-password")
    desk.db.commit()  # what the page does: the failure count stays
    assert desk.db.query(ArchiveLoan).count() == 0
    failed = [e for e in desk.svc.ledger.entries() if e.action == "archive.loan_confirm"]
    assert [(e.actor, e.outcome) for e in failed][-1] == ("enr", "failed")
    # a password confirmed at the desk is not a sign-in: the ledger does not say it is
    assert not [e for e in desk.svc.ledger.entries(actor="enr") if e.action == "auth.login"]
    # the failure is kept like a sign-in's: the next try must wait (checked on the stored
    # record, not by racing the clock: the first delay is only a second)
    throttle = desk.db.get(LoginThrottle, "enr")
    assert throttle.failures == 1 and throttle.next_allowed_at is not None


def test_confidential_file_is_not_lent_but_consulted_on_site(app, school, desk, passwords):
    file = desk.file()
    desk.register.correct(desk.staff("arc"), file, reason="含家庭经济情况",
                          security="confidential")
    with pytest.raises(NotLendable) as refused:
        desk.lend(file, password=passwords["enr"])
    assert refused.value.number == file.number and "现场查阅" in refused.value.message_zh
    loan = desk.lend(file, password=passwords["enr"], kind="on_site")
    assert loan.due_on == desk.loans.today()


def test_an_overdue_loan_blocks_the_next(app, school, desk, passwords):
    file = desk.file()
    desk.loans.clock = lambda: MONDAY_BEFORE_NATIONAL_DAY
    loan = desk.lend(file, password=passwords["enr"])
    desk.loans.clock = lambda: datetime(2026, 10, 9, 2, 0, tzinfo=UTC)
    with pytest.raises(LoanOverdue) as blocked:
        desk.lend(file, password=passwords["enr"], kind="on_site")
    assert blocked.value.overdue == [(loan.number, date(2026, 9, 30))]
    assert "逾期未还" in blocked.value.message_zh
    assert desk.loans.overdue(desk.staff("sup")) == [loan]
    with pytest.raises(Conflict):  # too late to renew
        desk.loans.renew(desk.staff("arc"), loan)
    desk.loans.return_(desk.staff("arc"), loan, condition="完好")
    assert desk.lend(file, password=passwords["enr"], kind="on_site").is_open
    assert desk.loans.overdue(desk.staff("sup")) == []


def test_due_before_a_holiday():
    calendar = WorkingCalendar()
    assert loan_due_on(calendar, date(2026, 9, 28), 7) == date(2026, 9, 30)  # National Day
    assert loan_due_on(calendar, date(2026, 9, 7), 7) == date(2026, 9, 14)
    assert loan_due_on(calendar, date(2026, 9, 8), 4) == date(2026, 9, 14)  # Saturday → Monday


def test_loan_due_date_in_the_register(app, school, desk, passwords):
    desk.loans.clock = lambda: MONDAY_BEFORE_NATIONAL_DAY
    assert desk.lend(desk.file(), password=passwords["enr"]).due_on == date(2026, 9, 30)


def test_who_may_do_what(app, school, desk, passwords, add_staff):
    add_staff("root", depts=(), admin=True)
    file = desk.file()
    with pytest.raises(PermissionDenied):  # enrollment staff cannot lend
        desk.loans.lend(desk.staff("enr"), file, borrower=desk.staff("enr"),
                        password=passwords["enr"], purpose="教学检查",
                        approver=desk.staff("mgt"))
    with pytest.raises(NotFound):
        desk.register.get(desk.staff("enr"), file.number)
    add_staff("enr2", depts=("ENR",))
    loan = desk.lend(file, password=passwords["enr"])
    assert desk.loans.mine(desk.staff("enr")) == [loan]
    assert desk.loans.mine(desk.staff("enr2")) == []
    with pytest.raises(NotFound):
        desk.loans.get(desk.staff("enr2"), loan.number)
    with pytest.raises(PermissionDenied):
        desk.loans.overdue(desk.staff("enr"))
    with pytest.raises(ValidationFailed):  # the borrower cannot approve their own loan
        desk.lend(file, borrower="mgt", password=passwords["mgt"])
    with pytest.raises(ValidationFailed) as refused:  # the register names a department
        desk.lend(file, borrower="root", password=passwords["root"])
    assert refused.value.problems[0].field == "borrower"


def test_copying_needs_an_approval_noted(app, school, desk, passwords):
    with pytest.raises(ValidationFailed) as refused:
        desk.lend(desk.file(), password=passwords["enr"], copy_allowed=True)
    assert refused.value.problems[0].field == "copy_note"
    loan = desk.lend(desk.file(), password=passwords["enr"], copy_allowed=True,
                     copy_note="可复印成绩单一页")
    assert loan.copy_allowed and loan.copy_note == "可复印成绩单一页"


def test_digital_consult_is_watermarked_and_recorded(app, school, desk, passwords):
    file = desk.file()
    copy = desk.loans.consult(desk.staff("arc"), file, purpose="审计检查")
    text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(copy)).pages)
    assert "查阅人：孙丽（arc）" in text and "用途：审计检查" in text
    entries = [e for e in desk.svc.ledger.entries() if e.action == "archive.consult"]
    assert entries[-1].actor == "arc" and entries[-1].reason == "审计检查"
    assert entries[-1].subject == f"archive:{file.number}"
    with pytest.raises(PermissionDenied):  # others need a digital-consult entry first
        desk.loans.consult(desk.staff("enr"), file, purpose="教学检查")
    loan = desk.lend(file, password=passwords["enr"], kind="digital")
    assert desk.loans.consult(desk.staff("enr"), file, purpose="教学检查", loan=loan)


def test_no_student_name_in_the_ledger(app, school, desk, passwords):
    file = desk.file()
    desk.register.students_of(desk.staff("arc"), file)
    loan = desk.lend(file, password=passwords["enr"], purpose_note=f"{NAME}家长来电")
    desk.loans.return_(desk.staff("arc"), loan, condition="其他（见备注）",
                       remarks=f"{NAME}的成绩单有折痕")
    desk.loans.consult(desk.staff("arc"), file, purpose="家长查询")
    desk.db.commit()
    assert_absent(desk.svc.instance / "ledger", [NAME, "欧阳娟"])
    # nor anywhere at rest: database, vault (the signed slip names the file), search index
    assert_absent(desk.svc.instance, [NAME, "成绩单有折痕", "家长来电"])
    text = json.dumps([e.__dict__ for e in desk.svc.ledger.entries()], ensure_ascii=False,
                      default=str)
    assert NAME not in text


def test_two_desks_lending_the_same_file_at_once_make_one_loan(app, school, passwords):
    """policy R-ARC: a paper file is out once; the second desk is told, nothing of it kept."""
    import threading
    from concurrent.futures import ThreadPoolExecutor

    from records.errors import Conflict

    start = threading.Barrier(2)

    def lend(borrower):
        d = Desk(app)
        try:
            file = d.file()
            start.wait()
            loan = d.lend(file, borrower=borrower, password=passwords[borrower])
            d.db.commit()
            return loan.number
        except Conflict as exc:
            d.db.rollback()
            return exc.message_zh
        finally:
            d.db.close()

    with ThreadPoolExecutor(2) as pool:
        outcomes = list(pool.map(lend, ["enr", "sup"]))
    assert sum(o.startswith("JY-") for o in outcomes) == 1, outcomes
    assert any("已被借出" in o or "借出" in o for o in outcomes)
    d = Desk(app)
    try:
        assert len([loan for loan in d.loans.of_file(d.file()) if loan.is_open]) == 1
    finally:
        d.db.close()


def test_the_loan_slip_is_complete(app, school, desk, passwords):
    """Issue 14: the slip names the handover the file came from, and has no box that nobody
    signs: the borrower's signature is its only field, the registrar is printed."""
    from pyhanko.pdf_utils.reader import PdfFileReader
    from pyhanko.sign.fields import enumerate_sig_fields

    loan = desk.lend(desk.file(), password=passwords["enr"])
    slip = desk.loans.slip(desk.staff("enr"), loan)
    text = "".join("".join(p.extract_text().split()) for p in PdfReader(io.BytesIO(slip)).pages)
    assert f"交接编号{school['handover']}" in text
    assert "经办人：孙丽（档案室）" in text and loan.number in text
    states = [value is not None for _, value, _ in
              enumerate_sig_fields(PdfFileReader(io.BytesIO(slip)), filled_status=None)]
    assert states == [True]
