"""Finance's pages (policy R-FIN) over the real workflow and ledger: the 财务 entry in the
navigation for finance and management only; the school's ledger with filters and page sums;
a student's account; finance's entries refused field by field (400, nothing stored); the
.xlsx export with its purpose recorded and formula-leading texts neutralised; monthly totals;
the overdue refund payouts counted in working days."""

from __future__ import annotations

import io
import re
from datetime import date

import pytest
from openpyxl import load_workbook
from sqlalchemy import func, select

from records.money.entries import PaymentEntry
from records.money.payments import EntryInput
from records.money.payouts import PayoutLimits, overdue_payouts
from records.money.refund_case import applicants_among
from records.students import Student
from tests.records.test_money import f10, f11, money, register  # noqa: F401  (fixture)
from tests.webapp.test_student_pages import csrf_of, ledger, sign_in
from webapp.settings import SettingsError, load_settings, payout_limits


@pytest.fixture
def world(money):  # noqa: F811  (the imported fixture)
    """tests.records.test_money's school: staff of every department, two students."""
    return money


def client_for(app, passwords, login):
    client = app.test_client()
    sign_in(client, login, passwords[login])
    return client


def post(client, path, data, token_from="/money/", **kw):
    token = csrf_of(client.get(token_from).get_data(as_text=True))
    return client.post(path, data={"csrf_token": token, **data}, **kw)


def student_no(w) -> str:
    return w.session.get(Student, w.student_id).student_no


def entry_count(app) -> int:
    svc = app.extensions["handover"]
    with svc.session_factory() as db:
        return db.scalar(select(func.count()).select_from(PaymentEntry))


def test_the_navigation_and_the_pages_are_for_finance_and_management(app, world, passwords):
    for login in ("fin", "mgt"):
        home = client_for(app, passwords, login).get("/").get_data(as_text=True)
        assert 'href="/money/"' in home and ">财务<" in home
    tea = client_for(app, passwords, "tea")
    assert 'href="/money/"' not in tea.get("/").get_data(as_text=True)
    for path in ("/money/", "/money/totals", "/money/overdue", "/money/entries/new"):
        r = tea.get(path)
        assert r.status_code == 403 and "财务部门和管理层" in r.get_data(as_text=True)
    # management reads but does not keep the books
    assert client_for(app, passwords, "mgt").get("/money/entries/new").status_code == 403


def test_the_ledger_filters_and_the_student_account(app, world, passwords):
    w = world
    register(w)
    fin, number = client_for(app, passwords, "fin"), student_no(w)
    html = fin.get("/money/").get_data(as_text=True)
    assert number in html and "¥4,680.50" in html and 'id="page-sums"' in html
    assert "缴费 ¥4,680.50" in html and "收费 ¥4,680.50" in html
    only = fin.get("/money/?kind=payment").get_data(as_text=True)
    assert only.count('data-entry="') == 1
    assert fin.get("/money/?month=2026-04").get_data(as_text=True).count('data-entry="') == 0
    bad = fin.get("/money/?month=2026-13")
    assert bad.status_code == 400 and "月份应为 YYYY-MM" in bad.get_data(as_text=True)
    listed = ledger(app, "ledger.list")
    assert [e.context["ids"] for e in listed] == [[w.student_id], [w.student_id], []]
    assert listed[1].context["kind"] == "payment" and listed[2].context["month"] == "2026-04"
    account = fin.get(f"/money/students/{number}").get_data(as_text=True)
    assert 'data-status="已缴"' in account and "初二数学" in account
    assert re.search(r'class="held">¥4,680.50<', account)
    assert fin.get("/money/students/XS-0000-00000").status_code == 404
    assert ledger(app, "ledger.view")[-1].subject == f"student:{w.student_id}"


@pytest.mark.parametrize("field, value, shown, message", [
    ("amount", "12.345", "amount", "最多两位小数"), ("amount", "-5", "amount", "不能为负数"),
    ("amount", "很多", "amount", "应为金额"), ("hours", "-1", "hours", "整数"),
    ("occurred_on", "明天", "occurred_on", "YYYY-MM-DD"),
    ("student_no", "XS-0000-00000", "student_no", "学号"),
    ("kind", "refund", "amount", "不能超过缴费台账")])  # a refund of 100 where nothing was paid
def test_a_bad_entry_shows_the_fields_error_and_stores_nothing(app, world, passwords, field,
                                                               value, shown, message):
    w = world
    fin = client_for(app, passwords, "fin")
    data = {"student_no": student_no(w), "enrolment": "初二数学", "kind": "payment",
            "amount": "100", "hours": "0", "method": "现金", "occurred_on": "2026-03-02",
            field: value}
    r = post(fin, "/money/entries/new", data, token_from="/money/entries/new")
    html = r.get_data(as_text=True)
    assert r.status_code == 400 and message in html and f'id="{shown}-error"' in html
    assert entry_count(app) == 0


def test_finance_records_a_payment_with_a_voucher_and_corrects_it(app, world, passwords):
    w = world
    fin, number = client_for(app, passwords, "fin"), student_no(w)
    data = {"student_no": number, "enrolment": "初二数学", "kind": "payment", "amount": "200.50",
            "hours": "0", "method": "现金", "occurred_on": "2026-03-02"}
    refused = post(fin, "/money/entries/new", {
        **data, "voucher": (io.BytesIO(b"MZ\x90\x00"), "voucher.exe")},
        token_from="/money/entries/new", content_type="multipart/form-data")
    assert refused.status_code == 400 and "凭证只能是" in refused.get_data(as_text=True)
    assert entry_count(app) == 0
    done = post(fin, "/money/entries/new", {
        **data, "voucher": (io.BytesIO(b"%PDF-1.4\n%%EOF\n"), "receipt.pdf")},
        token_from="/money/entries/new", content_type="multipart/form-data")
    assert done.status_code == 302 and done.headers["Location"].endswith(number)
    [entry] = w.ledger.entries(w.student_id)
    assert entry.fen == 20050 and entry.voucher_object_id
    form = fin.get(f"/money/entries/new?corrects={entry.id}").get_data(as_text=True)
    assert f'value="{number}"' in form and "更正台账记录" in form
    correction = {**data, "amount": "-200.50", "corrects": str(entry.id)}
    r = post(fin, "/money/entries/new", correction, token_from="/money/entries/new")
    assert r.status_code == 400 and "更正必须填写原因" in r.get_data(as_text=True)
    r = post(fin, "/money/entries/new", {**correction, "reason": "重复记账"},
             token_from="/money/entries/new")
    assert r.status_code == 302
    w.session.expire_all()
    assert w.ledger.account(w.student_id, "初二数学").paid == 0
    account = fin.get(f"/money/students/{number}").get_data(as_text=True)
    assert "缴费更正" in account and "重复记账" in account


def test_the_export_needs_a_purpose_is_recorded_and_neutralises_formulas(app, world,
                                                                          passwords):
    w = world
    register(w)
    w.ledger.record(w.staff("fin"), EntryInput(w.student_id, "=HYPERLINK(\"x\")", "payment",
                                               "1", occurred_on="2026-03-05",
                                               reason="@SUM(A1)"))
    w.session.commit()
    fin = client_for(app, passwords, "fin")
    r = post(fin, "/money/export", {"purpose": ""})
    assert r.status_code == 400 and "请填写导出用途" in r.get_data(as_text=True)
    assert ledger(app, "ledger.export") == []
    r = post(fin, "/money/export", {"purpose": "三月对账", "month": "2026-03"})
    assert r.status_code == 200 and r.mimetype.endswith("spreadsheetml.sheet")
    sheet = load_workbook(io.BytesIO(r.data)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][:6] == ("记录编号", "日期", "学号", "课程/班级", "类型", "金额（元）")
    assert len(rows) == 4
    typed = next(row for row in rows[1:] if row[3] != "初二数学")
    assert typed[3] == "'=HYPERLINK(\"x\")" and typed[8] == "'@SUM(A1)"
    assert sorted(float(row[5]) for row in rows[1:]) == [1.0, 4680.5, 4680.5]
    [export] = ledger(app, "ledger.export")
    assert export.reason == "三月对账" and export.context["rows"] == 3


def test_monthly_totals(app, world, passwords):
    w = world
    register(w)
    fin = client_for(app, passwords, "fin")
    html = fin.get("/money/totals?year=2026").get_data(as_text=True)
    assert 'data-month="2026-03"' in html and "¥4,680.50" in html
    assert 'id="totals-empty"' in fin.get("/money/totals?year=2025").get_data(as_text=True)
    bad = fin.get("/money/totals?year=abc")
    assert bad.status_code == 400 and "年份应为四位数字" in bad.get_data(as_text=True)


def test_overdue_payouts_count_working_days_from_the_application(app, world, passwords):
    w = world
    register(w)
    case = f10(w, w.student_id, application_date="2026-09-25")
    calendar = app.extensions["handover"].calendar
    limits = PayoutLimits(5, 15)
    # before the start: 5 working days, over the National Day holiday (10-01 to 10-07)
    [row] = overdue_payouts(w.session, calendar, limits, date(2026, 10, 16))
    assert (row.case_number, row.started, row.limit_days) == (case.number, False, 5)
    assert row.due_on == date(2026, 10, 9) and calendar.ordinal(row.due_on) \
        - calendar.ordinal(date(2026, 9, 25)) == 5
    assert overdue_payouts(w.session, calendar, limits, row.due_on) == []
    assert row.working_days_over == calendar.ordinal(date(2026, 10, 16)) - calendar.ordinal(
        row.due_on)
    teaching = f11(w, case)  # 12 hours delivered: classes had started, 15 working days
    [row] = overdue_payouts(w.session, calendar, limits, date(2026, 12, 1))
    assert row.started and row.limit_days == 15
    assert overdue_payouts(w.session, calendar, limits, row.due_on) == []
    fin = client_for(app, passwords, "fin")
    html = fin.get("/money/overdue").get_data(as_text=True)
    assert case.number in html and "开课后 15 个工作日" in html
    assert ledger(app, "ledger.overdue")[-1].context["cases"] == [case.number]
    # paid out (F13 countersigned): the case leaves the list
    calc = w.hand("fin", "aca", "F12", {"student": w.student_id, "received_date": "2026-10-12",
                                        "non_refundable": "0"}, parent=teaching.number,
                  uploads=("paper_scan",))
    amount = w.workflow.values_of(w.staff("fin"), calc)["refund_amount"]
    w.hand("fin", "aca", "F13", {
        "student": w.student_id, "agreed_date": "2026-10-13", "refund_amount": amount,
        "paid_date": "2026-10-14", "payment_channel": "原路退回", "voucher_number": "V-1",
        "payment_status_after": "已部分退费"}, parent=calc.number,
        uploads=("payment_voucher", "paper_scan"))
    assert overdue_payouts(w.session, calendar, limits, date(2026, 12, 1)) == []
    assert 'id="overdue-empty"' in fin.get("/money/overdue").get_data(as_text=True)
    # a second case on the same enrolment: only it is open, the paid one stays off the list
    again = f10(w, w.student_id, application_date="2026-11-02", amount_paid="100.00")
    [row] = overdue_payouts(w.session, calendar, limits, date(2026, 12, 31))
    assert row.case_number == again.number


def test_payout_limits_are_settings_in_range(tmp_path):
    settings = load_settings(tmp_path, env={}, overrides={"REFUND_PAYOUT_AFTER_START_DAYS": 20})
    assert payout_limits(settings) == PayoutLimits(5, 20)
    settings["REFUND_PAYOUT_BEFORE_START_DAYS"] = 0
    with pytest.raises(SettingsError, match="REFUND_PAYOUT_BEFORE_START_DAYS"):
        payout_limits(settings)


def test_finance_names_on_a_refund_application_only_students_who_paid(world):
    w = world
    register(w)
    fin, ids = w.staff("fin"), {w.student_id, w.other_id}
    assert applicants_among(w.session, fin, "F10", ids) == {w.student_id}
    assert applicants_among(w.session, fin, "F12", ids) == set()
    assert applicants_among(w.session, w.staff("tea"), "F10", ids) == set()
