"""The payment ledger, the prepayment caps and the refund case through the real workflow
(rendering, signing, vault, ledger): countersigned F2 and F13 write the ledger, caps refuse
an F2, and the chain F10 → F13 is computed and checked against the ledger."""

from __future__ import annotations

import pytest

from records.archive import ArchiveFile, ArchiveFileStudent
from records.errors import PermissionDenied, ValidationFailed
from records.money.caps import DEFAULT_CAPS, Cap, CourseType, PrepaymentCaps
from records.money.payments import EntryInput
from records.students import StudentInput
from records.visibility import Access, access_to
from records.workflow import Upload
from webapp.settings import SettingsError, load_settings, prepayment_caps

SCAN = b"%PDF-1.4\n% scan\n%%EOF\n"


@pytest.fixture
def money(app, add_staff):
    logins = {"enr": "ENR", "aca": "ACA", "tea": "TEA", "fin": "FIN", "fin2": "FIN",
              "mgt": "MGT"}
    pw = {login: add_staff(login, depts=(dept,))[1] for login, dept in logins.items()}
    svc = app.extensions["handover"]
    db = svc.session_factory()
    add = svc.students(db).add
    sids = [add(StudentInput(n, "女", b, "", "", "", "张伟", "13812345678"), actor_id=None,
                actor="t").id for n, b in (("张子涵", "2015-03-12"), ("李浩然", "2014-07-28"))]
    db.commit()

    class World:
        session, workflow, ledger = db, svc.workflow(db), svc.payments(db)
        student_id, other_id = sids

        def staff(self, login):
            return svc.accounts(db).get(login)

        def hand(self, sender, receiver, kind, values, parent=None, uploads=()):
            wf = self.workflow
            h = wf.create(self.staff(sender), kind, values, parent_number=parent,
                          uploads=[Upload(code, f"{code}.pdf", SCAN) for code in uploads])
            wf.submit(self.staff(sender), h, pw[sender])
            if receiver:
                wf.countersign(self.staff(receiver), h, pw[receiver])
            db.commit()
            return h

    yield World()
    db.close()


def f2(sid, **kw):
    return {"student": sid, "course": "初二数学", "registration_date": "2026-03-02",
            "fee_paid": "4680.50", "payment_method": "微信支付", "class_hours": 48,
            "agreement_number": "XY-1", **kw}


def register(w, sid=None, **kw):
    return w.hand("enr", "aca", "F2", f2(sid or w.student_id, **kw),
                  uploads=("enrollment_agreement", "paper_scan"))


def test_a_countersigned_registration_writes_charge_and_payment(money):
    w = money
    register(w)
    [account] = w.ledger.accounts(w.student_id)
    assert (account.charged, account.paid, account.hours_bought) == (468050, 468050, 48)
    assert account.status.value == "已缴"
    rows = w.session.execute(__import__("sqlalchemy").text(
        "SELECT amount FROM payment_entry")).scalars().all()
    assert rows and all("468050" not in r for r in rows)  # policy C2: ciphertext at rest


@pytest.mark.parametrize("cap", DEFAULT_CAPS, ids=lambda c: f"{c.course_type}-{c.unit}")
def test_each_cap_refuses_a_charge_over_it(cap):
    caps = PrepaymentCaps(tuple(Cap(c.course_type, c.unit, c.limit or 100, c.basis_zh)
                                for c in DEFAULT_CAPS))
    limit = cap.limit or 100
    field, over = {"months": ("prepaid_months", limit + 1), "hours": ("class_hours", limit + 1),
                   "yuan": ("fee_paid", f"{limit}.01")}[cap.unit]
    values = {"course_type": cap.course_type.value, field: over}
    [problem] = caps.problems(values)
    assert problem.field == field and str(limit) in problem.message_zh
    assert cap.basis_zh in problem.message_zh
    assert caps.problems({**values, field: limit if cap.unit != "yuan" else f"{limit}.00"}) == []


def test_a_cap_switched_off_needs_its_legal_basis(tmp_path):
    settings = load_settings(tmp_path, env={}, overrides={"PREPAY_NON_ACADEMIC_YUAN": 0})
    with pytest.raises(SettingsError, match="PREPAY_OFF_BASIS"):
        prepayment_caps(settings)
    settings["PREPAY_OFF_BASIS"] = "本地教育局批复"
    caps = prepayment_caps(settings)
    assert caps.problems({"course_type": CourseType.NON_ACADEMIC.value, "fee_paid": "9000"}) == []


def test_over_a_cap_the_registration_is_refused_unless_management_overrides(money):
    w = money
    with pytest.raises(ValidationFailed) as refused:  # issue 13: 48,000 yuan for 480 hours
        register(w, fee_paid="48000", class_hours=480)
    assert {p.field for p in refused.value.problems} == {"class_hours", "fee_paid"}
    assert "60 课时" in refused.value.message_zh and "依据" in refused.value.message_zh
    w.session.rollback()
    with pytest.raises(PermissionDenied):
        w.ledger.grant_override(w.staff("fin"), student_id=w.student_id, enrolment="初二数学",
                                amount="48000", hours=480, reason="家长书面要求")
    override = w.ledger.grant_override(w.staff("mgt"), student_id=w.student_id,
                                       enrolment="初二数学", amount="48000", hours=480,
                                       reason="区教育局特批")
    w.session.commit()
    h = register(w, fee_paid="48000", class_hours=480)
    assert "区教育局特批" in w.workflow.values_of(w.staff("aca"), h)["cap_override"]
    charge = next(e for e in w.ledger.entries(w.student_id) if e.kind == "charge")
    assert charge.override_id == override.id
    with pytest.raises(ValidationFailed):  # an override is used once
        register(w, fee_paid="48000", class_hours=480)


@pytest.mark.parametrize("amount, problem", [
    ("12.345", "最多两位小数"), ("-5", "不能为负数"), ("很多", "应为金额"), ("", None)])
def test_finance_entries_refuse_bad_amounts(money, amount, problem):
    w = money
    data = EntryInput(w.student_id, "初二数学", "payment", amount=amount, method="现金",
                      occurred_on="2026-03-02")
    if problem is None:
        assert w.ledger.record(w.staff("fin"), data).fen == 0
        return
    with pytest.raises(ValidationFailed) as refused:
        w.ledger.record(w.staff("fin"), data)
    assert refused.value.problems[0].field == "amount" and problem in refused.value.message_zh


def test_a_correction_is_a_new_entry_with_its_reason_and_a_voucher_must_be_a_file(money):
    w = money
    fin = w.staff("fin")
    first = w.ledger.record(fin, EntryInput(w.student_id, "初二数学", "payment", "100",
                                            method="现金", occurred_on="2026-03-02"))
    data = EntryInput(w.student_id, "初二数学", "payment", "-100", occurred_on="2026-03-03",
                      corrects_id=first.id)
    with pytest.raises(ValidationFailed, match="更正必须填写原因"):
        w.ledger.record(fin, data)
    with pytest.raises(ValidationFailed, match="凭证只能是"):
        w.ledger.record(fin, EntryInput(w.student_id, "初二数学", "payment", "1",
                                        occurred_on="2026-03-02"),
                        voucher=Upload("voucher", "x.exe", b"MZ\x90\x00"))
    w.ledger.record(fin, EntryInput(**{**data.__dict__, "reason": "重复记账"}))
    assert [e.fen for e in w.ledger.entries(w.student_id)] == [10000, -10000]
    assert w.ledger.account(w.student_id, "初二数学").paid == 0
    with pytest.raises(PermissionDenied):
        w.ledger.student_view(w.staff("tea"), w.student_id)


def test_no_refund_case_without_payments(money):
    w = money
    with pytest.raises(ValidationFailed, match="没有缴费记录"):
        f10(w, w.other_id)


def f10(w, sid, **kw):
    return w.hand("fin", "aca", "F10", {
        "student": sid, "class_name": "初二数学", "application_date": "2026-04-01",
        "reason": "搬家", "amount_paid": "4680.50", "payment_status": "已全额缴费",
        "lessons_purchased": 48, **kw}, uploads=("written_application", "proof", "paper_scan"))


def f11(w, parent, total=48, done=12, left=36):
    return w.hand("tea", "aca", "F11", {
        "student": w.student_id, "class_name": "初二数学", "refund_ref": "x",
        "lessons_total": total, "lessons_completed": done, "lessons_remaining": left,
        "progress": "正常"}, parent=parent.number)


def test_the_refund_chain_is_computed_checked_and_written_back(money):
    w = money
    register(w)
    with pytest.raises(ValidationFailed, match="已缴金额"):
        f10(w, w.student_id, amount_paid="9999.99")
    w.session.rollback()
    case = f10(w, w.student_id)
    assert w.ledger.account(w.student_id, "初二数学").status.value == "退费中"
    with pytest.raises(ValidationFailed, match="合同课时应等于"):  # issue 13: 10 / 8 / 9
        f11(w, case, total=10, done=8, left=9)
    w.session.rollback()
    teaching = f11(w, case)
    # finance reads the F11 of its own case (and of no other)
    other = f11(w, case)
    fin = w.staff("fin")
    assert all(access_to(fin, h) == Access.CONTENT for h in (case, teaching, other))
    calc = w.hand("fin", "aca", "F12", {
        "student": w.student_id, "refund_ref": "JJ-0000-000000", "received_date": "2026-04-03",
        "non_refundable": "100"}, parent=teaching.number, uploads=("paper_scan",))
    values = w.workflow.values_of(w.staff("aca"), calc)
    expected = 468050 - 12 * 9751 - 10000
    assert values["refund_amount"] == f"{expected // 100}.{expected % 100:02d}"
    assert values["refund_ref"] == case.number and values["rule_version"] == "2026.1"
    assert sum(int(r["amount"].replace(".", "")) for r in values["breakdown"]) == 468050
    refund = {"student": w.student_id, "refund_ref": case.number,
              "agreed_date": "2026-04-05", "refund_amount": "100.00", "paid_date": "2026-04-08",
              "payment_channel": "原路退回", "voucher_number": "V-1",
              "payment_status_after": "已部分退费"}
    with pytest.raises(ValidationFailed, match="须填写原因"):
        w.hand("fin", "aca", "F13", refund, parent=calc.number,
               uploads=("payment_voucher", "paper_scan"))
    w.session.rollback()
    done = w.hand("fin", "aca", "F13", dict(refund, refund_amount=values["refund_amount"]),
                  parent=calc.number, uploads=("payment_voucher", "paper_scan"))
    account = w.ledger.account(w.student_id, "初二数学")
    assert account.refunded == expected and account.status.value == "已退费"
    assert account.held == 468050 - expected
    assert w.session.scalar(__import__("sqlalchemy").select(ArchiveFile).join(
        ArchiveFileStudent).where(ArchiveFileStudent.student_id == w.student_id)
        .where(ArchiveFile.handover_id == done.id)) is not None
    assert access_to(w.staff("tea"), calc) == Access.CONTENT  # a party of the same case
    assert access_to(w.staff("enr"), teaching) == Access.NONE


def test_finance_reads_the_steps_of_its_own_cases_and_no_other(money):
    """policy C1, F10-F13: each party of a refund case reads its steps; a colleague of the same
    department who took no part in it reads nothing of it, in the pages' rule and the lists'."""
    from sqlalchemy import event, select

    from records.handovers import Handover
    from records.visibility import case_steps_among, visible_handovers

    w = money
    register(w)
    register(w, w.other_id)
    mine = f10(w, w.student_id)
    theirs = w.hand("fin2", "aca", "F10", {
        "student": w.other_id, "class_name": "初二数学", "application_date": "2026-04-01",
        "reason": "搬家", "amount_paid": "4680.50", "payment_status": "已全额缴费",
        "lessons_purchased": 48}, uploads=("written_application", "proof", "paper_scan"))
    my_f11 = f11(w, mine)
    their_f11 = w.hand("tea", "aca", "F11", {
        "student": w.other_id, "class_name": "初二数学", "refund_ref": "x",
        "lessons_total": 48, "lessons_completed": 12, "lessons_remaining": 36,
        "progress": "正常"}, parent=theirs.number)
    for login, own, other in (("fin", my_f11, their_f11), ("fin2", their_f11, my_f11)):
        staff = w.staff(login)
        assert access_to(staff, own) == Access.CONTENT, login
        assert access_to(staff, other) == Access.NONE, login
        listed = set(w.session.scalars(select(Handover.id).where(
            visible_handovers(w.session, staff))))
        assert own.id in listed and other.id not in listed, login
    # a list asks for all its rows at once: one statement, the same answer
    seen = []
    engine = w.session.get_bind()
    count = lambda *args: seen.append(args[2])  # noqa: E731
    event.listen(engine, "before_cursor_execute", count)
    try:
        found = {login: case_steps_among(w.staff(login), [mine, theirs, my_f11, their_f11])
                 for login in ("fin", "fin2", "enr")}
    finally:
        event.remove(engine, "before_cursor_execute", count)
    assert found == {"fin": {mine.id, my_f11.id}, "fin2": {theirs.id, their_f11.id},
                     "enr": set()}
    assert len([q for q in seen if "case_up" in q]) == 3


def test_ledger_show_on_the_command_line(money, runner):
    w = money
    register(w)
    number = w.session.get(__import__("records.students").students.Student,
                           w.student_id).student_no
    shown = runner.invoke(args=["ledger", "show", number, "--as", "fin"])
    assert shown.exit_code == 0, shown.output
    assert "已缴 ¥4,680.50" in shown.output and "状态 已缴" in shown.output
    refused = runner.invoke(args=["ledger", "show", number, "--as", "tea"])
    assert refused.exit_code != 0 and "财务" in refused.output
