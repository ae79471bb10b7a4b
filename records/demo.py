"""Demo data for `handover demo`: one staff member per department plus an administrator, and
a handful of realistic (invented) students, so that a newcomer sees a living system."""

from __future__ import annotations

from records.catalogue import KINDS
from records.departments import Department
from records.students import StudentInput

__all__ = ["DEMO_DEPUTIES", "DEMO_STAFF", "DEMO_STUDENTS", "seed_demo_archive",
           "seed_demo_handovers", "seed_demo_oversight"]

# login, display name, departments, departments headed (heads sit in SUP, policy S1)
DEMO_STAFF: list[tuple[str, str, list[Department], list[Department]]] = [
    ("enr", "王晓燕", [Department.ENR], []),
    ("aca", "李建国", [Department.ACA], []),
    ("tea", "陈静", [Department.TEA], []),
    ("fin", "赵敏", [Department.FIN], []),
    ("arc", "孙丽", [Department.ARC], []),
    ("log", "周强", [Department.LOG], []),
    ("mgt", "刘志远", [Department.MGT, Department.SUP], [Department.MGT]),
    ("sup", "吴海涛", [Department.SUP, Department.ACA], [Department.ACA]),
    ("admin", "系统管理员", [], []),
]
# Deputies, who handle a department's work beside its head (policy C1): the demo's one teacher
# countersigns what is addressed to the teaching department, class or no class.
DEMO_DEPUTIES: dict[str, Department] = {"tea": Department.TEA}

DEMO_STUDENTS: list[StudentInput] = [
    StudentInput("张子涵", "女", "2015-03-12", "", "杭州市西湖区文三路 88 号 3 幢 501 室", "",
                 "张伟", "13812345678", "花生过敏"),
    StudentInput("李浩然", "男", "2014-07-28", "", "杭州市拱墅区湖墅南路 120 号", "",
                 "李娜", "13987654321", ""),
    StudentInput("王梓萱", "女", "2016-01-05", "", "杭州市滨江区江南大道 1000 号 2 单元", "",
                 "王强", "15024681357", "轻度近视，坐前排"),
    StudentInput("陈宇轩", "男", "2013-11-19", "13700001111", "杭州市上城区解放路 66 号", "",
                 "陈芳", "13600002222", ""),
    StudentInput("欧阳明轩", "男", "2015-09-02", "", "杭州市余杭区文一西路 998 号", "",
                 "欧阳娟", "18857193456", "哮喘，随身带药"),
    StudentInput("刘思彤", "女", "2014-04-16", "", "杭州市西湖区古墩路 415 号", "",
                 "刘洋", "13357146802", ""),
]


# Who sends and who receives each demo handover, by demo login (one per department).
_DEMO_SENDER = {"ENR": "enr", "ACA": "aca", "TEA": "tea", "FIN": "fin", "ARC": "arc"}
# Chains follow the policy: F6 → F6b; F10 → F11 → F12 → F13.
_DEMO_PARENT = {"F6b": "F6", "F11": "F10", "F12": "F11", "F13": "F12"}


def _demo_values(kind, values: dict, sid: int, made: dict[str, str], today, session) -> dict:
    """Sample values made realistic: trigger dates around `today` (policy T), the demo classes,
    and cross-references to the demo's own handovers."""
    from datetime import timedelta

    from sqlalchemy import select

    from records.class_registry import DEMO_CLASSES
    from records.students import Student
    from records.timeliness import TRIGGER_FIELDS

    ended, running = (name for name, _ in DEMO_CLASSES)
    if "class_name" in values:  # end-of-term and refund forms: the class that has ended
        values["class_name"] = running if kind.code in ("F4", "F5", "F6", "F6b") else ended
    trigger = TRIGGER_FIELDS.get(kind.code)
    if trigger:
        # F2 was registered when the ended class began, and handed over late (T1b); the
        # archive and grades count from that class's end, the rest from today.
        values[trigger] = {"F2": today - timedelta(days=120), "F7": today - timedelta(days=3),
                           "F8": today - timedelta(days=3)}.get(kind.code, today).isoformat()
    if kind.code == "F4":  # the roster names the registered student: it meets T2
        number = session.scalar(select(Student.student_no).where(Student.id == sid))
        values["roster"] = [dict(values["roster"][0], student_number=number)]
    if kind.code == "F2":  # within the prepayment caps (policy F2)
        values.update(course_type="学科类", prepaid_months=3, cap_override="")
    if kind.code == "F11":  # policy F11: total = delivered + remaining, the hours bought
        values.update(lessons_total=12, lessons_completed=4, lessons_remaining=8)
    if kind.code == "F12":  # computed by the system from the ledger and the F11 when signed
        values.update(non_refundable="100.00", refund_amount="", breakdown=[], basis="",
                      adjust_reason="")
    if kind.code == "F13" and "F12" in made:  # the amount agreed is the one computed
        from records.handovers import Handover
        from records.money.refund_case import values_of

        f12 = session.scalar(select(Handover).where(Handover.number == made["F12"]))
        values.update(refund_amount=values_of(f12)["refund_amount"], difference_reason="")
    for ref, cited in (("report_ref", "F6"), ("refund_ref", "F10")):
        if ref in values and cited in made:
            values[ref] = made[cited]
    return values


def seed_demo_handovers(workflow, accounts, passwords: dict[str, str], student_ids: list[int],
                        attachment_pdf: bytes) -> list[str]:
    """A completed example of every handover kind between the demo staff, so a newcomer sees
    a living system, dated around today: most met on time, the registration late (policy T).
    Returns the numbers made. The caller skips this when handovers exist."""
    from records.catalogue import FieldType
    from records.deadlines import SCHOOL_TZ
    from records.forms import sample_values
    from records.workflow import Upload

    today = workflow.clock().astimezone(SCHOOL_TZ).date()
    workflow.obligations.refresh()  # the demo classes' reports and archives are owed
    made: dict[str, str] = {}
    # The first demo student is in the class that has ended: the forms about one student
    # concern them, so that their archive and grades meet what the class's end made owed.
    sid = student_ids[0]
    for kind in KINDS.values():
        sender = accounts.get(_DEMO_SENDER[kind.sender.value])
        receiver = accounts.get(_DEMO_SENDER[kind.receiver.value])
        values = sample_values(kind)
        for spec in kind.fields:
            if spec.type is FieldType.STUDENT:
                values[spec.name] = sid
            elif spec.type is FieldType.STUDENTS:
                values[spec.name] = student_ids[:2]
        values = _demo_values(kind, values, sid, made, today, workflow.session)
        uploads = [Upload(a.code, f"{a.label_zh}.pdf", attachment_pdf)
                   for a in kind.attachments if a.required]
        handover = workflow.create(sender, kind.code, values, uploads=uploads,
                                   parent_number=made.get(_DEMO_PARENT.get(kind.code, "")))
        workflow.submit(sender, handover, passwords[sender.login])
        workflow.countersign(receiver, handover, passwords[receiver.login])
        made[kind.code] = handover.number
    return list(made.values())


def seed_demo_oversight(obligations, notices, accounts) -> str | None:
    """What supervision looks like (policy S1, T3a): of the running class's weekly reports,
    academic affairs waives one (the teacher was ill, no lessons), one stays overdue, and the
    supervision group issues a rectification notice about it, which teaching answers.
    Returns the notice's number; None when the demo already has notices or nothing owed."""
    from datetime import timedelta

    from sqlalchemy import select

    from records.obligation_model import Obligation, ObligationState
    from records.oversight.notice_model import RectificationNotice

    session = obligations.session
    if session.scalar(select(RectificationNotice.id).limit(1)) is not None:
        return None
    obligations.refresh()
    reports = list(session.scalars(select(Obligation).where(
        Obligation.kind == "F6", Obligation.state == ObligationState.OPEN)
        .order_by(Obligation.due_at)))
    if len(reports) < 2:
        return None
    obligations.waive(accounts.get("aca"), reports[0].id, "任课教师病假，本周停课，无进度可报")
    overdue = reports[1]
    notice = notices.issue(
        accounts.get("sup"), findings="每周学习进度报告逾期未交（制度 T3a），请说明原因并补交。",
        reply_by=notices.today() + timedelta(days=7), to_dept="TEA",
        obligations=str(overdue.id))
    notices.answer(accounts.get("tea"), notice, "本周期末考试周，报告延误；已安排本周五前补交。")
    return notice.number
def seed_demo_archive(register, loans, accounts, passwords: dict[str, str]) -> str | None:
    """The archive file the demo's completed F8 became, shelved, with one returned loan to
    the demo teacher, so that a newcomer sees a living register (policy R-ARC). Returns the
    loan's number; None when there is no file yet or it already has loans."""
    from sqlalchemy import select

    from records.archive import ArchiveFile
    from records.handovers import Handover, Status
    from signing import SigningError

    f8 = register.session.scalar(select(Handover).where(
        Handover.kind == "F8", Handover.status == Status.COMPLETED).order_by(Handover.id))
    if f8 is not None:  # an instance made before the register existed: register it now
        register.handover_changed(f8)
    file = register.session.scalar(select(ArchiveFile).order_by(ArchiveFile.id))
    if file is None or loans.of_file(file) or "tea" not in passwords:
        return None
    arc = accounts.get("arc")
    register.correct(arc, file, reason="上架", location="A 柜 01 层 1 格")
    try:
        loan = loans.lend(arc, file, borrower=accounts.get("tea"), password=passwords["tea"],
                          purpose="教学检查", approver=accounts.get("mgt"))
    except SigningError:  # the demo teacher has changed the demo password: no example loan
        return None
    loans.return_(arc, loan, condition="完好")
    return loan.number


def seed_demo_approval(approvals, accounts) -> int | None:
    """One granted approval (policy C3): logistics (log) asks for the address and contact of a
    demo student to plan a school-bus pickup, and the management office (mgt) grants the
    address only, for 7 days: what a grant narrower than the request looks like. Returns its
    id; None when the demo already has approvals."""
    from sqlalchemy import select

    from records.approvals import AccessApproval
    from records.students import Student

    session = approvals.session
    if session.scalar(select(AccessApproval.id).limit(1)) is not None:
        return None
    student_no = session.scalar(select(Student.student_no).order_by(Student.id))
    if student_no is None:
        return None
    approval = approvals.request(accounts.get("log"), [student_no], ["address", "contact"],
                                 "安排校车接送，核对接送地址和家长电话", 7)
    approvals.grant(accounts.get("mgt"), approval, categories=["address"],
                    note="只批准地址；家长电话请由班主任转达")
    return approval.id
