"""Exports (issue 16): one page with a form for each export the signed-in person may make,
and one POST route per export that answers with the file. Each asks for a purpose, typed,
which goes into the ledger with the export (records.exports.record_export, policy C3); who
may export what is decided by the records modules (registry: roster; archive office:
registers; supervision group and administrators: figures and the ledger)."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from flask import Blueprint, Response, render_template, request
from flask_login import current_user, login_required

from records.archive_rules import may_manage
from records.assessment import Period, assess
from records.assessment_export import csv_text, xlsx_bytes
from records.audit_export import export_audit
from records.clock import utcnow
from records.deadlines import SCHOOL_TZ
from records.errors import FieldProblem, PermissionDenied, ValidationFailed
from records.exports import FORMATS, MEDIA_TYPES, check_purpose, record_export
from records.oversight.complaints import complaints_against
from records.register_export import export_register
from records.roster_export import export_roster
from records.visibility import sees_all_metadata, sees_whole_registry
from webapp import services
from webapp.db import get_db

__all__ = ["bp", "may_export"]

bp = Blueprint("exports", __name__, url_prefix="/exports")

NAMES = {"roster": "学生名册", "register": "档案登记簿", "loans": "档案借阅登记簿",
         "figures": "交接考核统计", "audit": "访问日志"}
FIRST_DAY, LAST_DAY = date(2000, 1, 1), date(2100, 12, 31)
NOTHING = "您的工作范围不包括任何导出（制度 C1）。"


def may_export(staff) -> dict[str, bool]:
    """Which exports `staff` may make: the policy functions of each, in one place."""
    return {"roster": sees_whole_registry(staff), "register": may_manage(staff),
            "loans": may_manage(staff), "figures": sees_all_metadata(staff),
            "audit": staff.active and sees_all_metadata(staff)}


def _me():
    return current_user.staff


def _page(status: int = 200, problem: FieldProblem | None = None, kind: str = ""):
    me = _me()
    allowed = may_export(me)
    classes = ([c.name for c in services().classes(get_db()).every()]
               if allowed["roster"] else [])
    return render_template("exports/index.html", allowed=allowed, names=NAMES,
                           classes=classes, problem=problem, kind=kind, form=request.form,
                           today=datetime.now(SCHOOL_TZ).date()), status


def _file(data: bytes, kind: str, fmt: str) -> Response:
    stamp = datetime.now(SCHOOL_TZ).strftime("%Y%m%d-%H%M")
    response = Response(data, mimetype=MEDIA_TYPES[fmt], headers={
        "Content-Disposition": f"attachment; filename={kind}-{stamp}.{fmt}"})
    response.headers["Cache-Control"] = "no-store"
    return response


def _format(allowed: tuple[str, ...]) -> str:
    fmt = request.form.get("format", "xlsx")
    if fmt not in allowed:
        raise ValidationFailed([FieldProblem("format", "请选择导出格式。")])
    return fmt


def _day(name: str, default: date | None = None) -> date:
    raw = request.form.get(name, "").strip()
    if not raw and default is not None:
        return default
    try:
        day = date.fromisoformat(raw)
    except ValueError:
        raise ValidationFailed([FieldProblem(name, "日期格式应为 YYYY-MM-DD。")]) from None
    if not FIRST_DAY <= day <= LAST_DAY:
        raise ValidationFailed([FieldProblem(name, "日期应在 2000 年至 2100 年之间。")])
    return day


def _text(name: str, most: int) -> str:
    """A short identifier typed into a field (学号, a class name); control characters and
    over-long text are a typing mistake, refused before any query."""
    raw = request.form.get(name, "").strip()
    if len(raw) > most or any(ord(c) < 32 or 0xD800 <= ord(c) <= 0xDFFF for c in raw):
        raise ValidationFailed([FieldProblem(name, "内容格式不正确，请重新填写。")])
    return raw


def _period() -> tuple[date, date]:
    today = datetime.now(SCHOOL_TZ).date()
    first, last = _day("start", today.replace(day=1)), _day("end", today)
    if last < first:
        raise ValidationFailed([FieldProblem("end", "结束日期不能早于开始日期。")])
    return first, last


def _answer(kind: str, make) -> Response | tuple:
    """The export's file, or the page again with what is wrong (400); nothing is recorded
    for a refused export. Who may not make it gets 403 before anything is read."""
    if not may_export(_me())[kind]:
        raise PermissionDenied(_me().login, f"export.{kind}", NOTHING)
    try:
        return make()
    except ValidationFailed as exc:
        get_db().rollback()
        return _page(400, exc.problems[0], kind)


@bp.route("/")
@login_required
def index():
    return _page()


@bp.post("/roster")
@login_required
def roster():
    def make():
        purpose, fmt = check_purpose(request.form.get("purpose", "")), _format(FORMATS)
        data = export_roster(get_db(), services().ledger, _me(), purpose=purpose, fmt=fmt,
                             class_name=_text("class_name", 64) or None)
        return _file(data, "roster", fmt)
    return _answer("roster", make)


def _register(which: str):
    def make():
        purpose, fmt = check_purpose(request.form.get("purpose", "")), _format((*FORMATS, "pdf"))
        desk = services().form_desk
        data = export_register(get_db(), services().ledger, _me(), which=which,
                               purpose=purpose, fmt=fmt, renderer=desk.renderer,
                               school_name=desk.school_name, now=utcnow())
        return _file(data, which, fmt)
    return _answer(which, make)


@bp.post("/register")
@login_required
def register():
    return _register("register")


@bp.post("/loans")
@login_required
def loans():
    return _register("loans")


@bp.post("/figures")
@login_required
def figures():
    me = _me()

    def make():
        purpose, fmt = check_purpose(request.form.get("purpose", "")), _format(("xlsx", "csv"))
        period = Period.days(*_period())
        faults = [(d, s) for d, s, _ in complaints_against(get_db(), period.start, period.end)]
        figures_ = assess(get_db(), period, utcnow(), faults)
        # policy S1: metadata only; the export is recorded as any other
        record_export(services().ledger, actor=me.login, kind="figures", purpose=purpose,
                      fmt=fmt, rows=len(figures_.departments) + len(figures_.people),
                      context={"start": period.first_day.isoformat(),
                               "end": period.last_day.isoformat()})
        data = xlsx_bytes(figures_) if fmt == "xlsx" else csv_text(figures_).encode("utf-8")
        return _file(data, "figures", fmt)
    return _answer("figures", make)


@bp.post("/audit")
@login_required
def audit():
    def make():
        purpose, fmt = check_purpose(request.form.get("purpose", "")), _format(FORMATS)
        student_no = _text("student_no", 32)
        since = until = None
        if not student_no:
            first, last = _period()
            since = datetime.combine(first, time(), SCHOOL_TZ)
            until = datetime.combine(last + timedelta(days=1), time(), SCHOOL_TZ)
        data = export_audit(get_db(), services().ledger, _me(), purpose=purpose, fmt=fmt,
                            since=since, until=until, student_no=student_no or None)
        return _file(data, "audit", fmt)
    return _answer("audit", make)


