"""Finance's pages (财务, policy R-FIN), for finance and management: the school's payment ledger
with filters, a student's account, monthly totals, the overdue refund payouts, the .xlsx export
(with its purpose) and finance's own entries (payments, corrections with a reason, a voucher
that is a PDF or an image). Who may read is records.money.payments.may_read_ledger; every read
is recorded there (policy C3). A student is named by number, never by name, in URLs (C2)."""

from __future__ import annotations

import re

from flask import Blueprint, Response, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from sqlalchemy import select

from records.clock import utcnow
from records.deadlines import SCHOOL_TZ
from records.departments import Department
from records.errors import FieldProblem, NotFound, PermissionDenied, ValidationFailed
from records.intake import Upload
from records.money.amounts import yuan_zh
from records.money.entries import METHODS, EntryKind, PaymentEntry
from records.money.export import ledger_xlsx
from records.money.payments import BY_HAND, READ_DENIED, EntryInput, may_read_ledger
from records.money.payouts import overdue_payouts
from records.money.reports import LedgerFilter
from records.staff import Staff
from records.students import Student
from webapp import services
from webapp.db import get_db
from webapp.paging import page_number

__all__ = ["bp", "keeps_books"]

bp = Blueprint("money", __name__, url_prefix="/money")

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
YEAR = re.compile(r"^\d{4}$")
ENTRY_FIELDS = ("student_no", "enrolment", "kind", "amount", "hours", "method", "occurred_on",
                "reason", "corrects")
# The ledger's problems name the student by id; the form asks for the student's number.
FIELD_OF = {"student": "student_no", "corrects": "corrects"}


def _me() -> Staff:
    staff = current_user.staff
    if not may_read_ledger(staff):
        raise PermissionDenied(staff.login, "ledger.page", READ_DENIED)
    return staff


def keeps_books(staff: Staff) -> bool:
    return staff.active and staff.belongs_to(Department.FIN)


def _problems(exc: ValidationFailed) -> dict[str, str]:
    return {FIELD_OF.get(p.field, p.field): p.message_zh for p in exc.problems}


def _filters(source) -> LedgerFilter:
    return LedgerFilter(**{name: source.get(name, "").strip()[:120]
                           for name in ("kind", "enrolment", "month", "student_no")})


def _student_id(student_no: str) -> int | None:
    return get_db().scalar(select(Student.id).where(Student.student_no == student_no))


# -- the school's ledger -----------------------------------------------------------------


@bp.route("/")
@login_required
def index():
    return _ledger_page(_filters(request.args))


def _ledger_page(filters: LedgerFilter, problems: dict | None = None, purpose: str = "",
                 status: int = 200):
    me = _me()
    problems = dict(problems or {})
    page = None
    try:
        page = services().ledger_reports(get_db()).page(me, filters, page_number())
    except ValidationFailed as exc:
        problems.update(_problems(exc))
        status = 400
    return render_template("money/index.html", page=page, filters=filters, problems=problems,
                           purpose=purpose, kinds=list(EntryKind), yuan=yuan_zh,
                           keeps_books=keeps_books(me)), status


@bp.route("/export", methods=["POST"])
@login_required
def export():
    """The filtered ledger as .xlsx: a recorded read with the purpose given (policy C3)."""
    me = _me()
    filters, purpose = _filters(request.form), request.form.get("purpose", "").strip()[:300]
    try:
        rows, numbers = services().ledger_reports(get_db()).export(me, filters, purpose)
    except ValidationFailed as exc:
        get_db().rollback()
        return _ledger_page(filters, _problems(exc), purpose, 400)
    stamp = utcnow().astimezone(SCHOOL_TZ).strftime("%Y%m%d-%H%M")
    return Response(ledger_xlsx(rows, numbers), mimetype=XLSX_TYPE, headers={
        "Content-Disposition": f"attachment; filename=ledger-{stamp}.xlsx",
        "Cache-Control": "no-store"})


@bp.route("/totals")
@login_required
def totals():
    me = _me()
    raw = request.args.get("year", "").strip()
    year = utcnow().astimezone(SCHOOL_TZ).year
    error, status = "", 200
    if raw and YEAR.match(raw) and 2000 <= int(raw) <= 2100:
        year = int(raw)
    elif raw:
        error, status = "年份应为四位数字，例如 2026。", 400
    months = services().ledger_reports(get_db()).monthly_totals(me, year)
    return render_template("money/totals.html", year=year, months=months, error=error,
                           yuan=yuan_zh, EntryKind=EntryKind), status


@bp.route("/overdue")
@login_required
def overdue():
    """Refund cases whose payout is past its limit (DOMAIN-RULES "Refunds", policy T5)."""
    me = _me()
    svc = services()
    limits = svc.payout_limits
    rows = overdue_payouts(get_db(), svc.calendar, limits,
                           utcnow().astimezone(SCHOOL_TZ).date())
    svc.ledger.append(actor=me.login, action="ledger.overdue",
                      context={"cases": [r.case_number for r in rows]})
    return render_template("money/overdue.html", rows=rows, limits=limits)


# -- one student -------------------------------------------------------------------------


@bp.route("/students/<student_no>")
@login_required
def student(student_no: str):
    me = _me()
    student_id = _student_id(student_no[:32])
    if student_id is None:
        raise NotFound("学生", "")
    accounts, entries = services().payments(get_db()).student_view(me, student_id)
    return render_template("money/student.html", student_no=student_no, accounts=accounts,
                           entries=entries, yuan=yuan_zh, keeps_books=keeps_books(me))


# -- finance's own entries ---------------------------------------------------------------


@bp.route("/entries/new", methods=["GET", "POST"])
@login_required
def new_entry():
    me = _me()
    if not keeps_books(me):
        raise PermissionDenied(me.login, "ledger.record", "只有财务部门可以记账。")
    if request.method == "GET":
        return _entry_page(_prefilled(request.args.get("corrects", "")), {})
    form = {name: request.form.get(name, "").strip() for name in ENTRY_FIELDS}
    try:
        entry = _record(me, form)
    except ValidationFailed as exc:
        get_db().rollback()  # nothing stored (the voucher is discarded with it)
        return _entry_page(form, _problems(exc), 400)
    flash(f"已记账（台账记录 {entry.id}）。", "success")
    return redirect(url_for("money.student", student_no=form["student_no"]))


def _prefilled(corrects: str) -> dict[str, str]:
    form = dict.fromkeys(ENTRY_FIELDS, "")
    form.update(kind=EntryKind.PAYMENT.value, hours="0",
                occurred_on=utcnow().astimezone(SCHOOL_TZ).date().isoformat())
    corrected = get_db().get(PaymentEntry, int(corrects)) \
        if corrects.isdecimal() and len(corrects) < 10 else None
    if corrected is not None:
        number = get_db().scalar(select(Student.student_no).where(
            Student.id == corrected.student_id))
        form.update(student_no=number, enrolment=corrected.enrolment, kind=corrected.kind,
                    corrects=str(corrected.id), amount="")
    return form


def _record(me: Staff, form: dict[str, str]) -> PaymentEntry:
    problems = []
    student_id = _student_id(form["student_no"][:32]) if form["student_no"] else None
    if student_id is None:
        problems.append(FieldProblem("student_no", "请填写学生名册中的学号。"))
    corrects = form["corrects"]
    if corrects and not (corrects.isdecimal() and len(corrects) < 10):
        problems.append(FieldProblem("corrects", "被更正的记录编号应为数字。"))
    if problems:
        raise ValidationFailed(problems)
    upload = request.files.get("voucher")
    voucher = Upload("voucher", upload.filename, upload.read()) \
        if upload is not None and upload.filename else None
    data = EntryInput(student_id, form["enrolment"], form["kind"], amount=form["amount"] or "0",
                      hours=form["hours"] or "0", method=form["method"],
                      occurred_on=form["occurred_on"], reason=form["reason"],
                      corrects_id=int(corrects) if corrects else None)
    return services().payments(get_db()).record(me, data, voucher=voucher)


def _entry_page(form: dict[str, str], problems: dict[str, str], status: int = 200):
    return render_template("money/entry.html", form=form, problems=problems,
                           kinds=[EntryKind(k) for k in BY_HAND], methods=METHODS), status
