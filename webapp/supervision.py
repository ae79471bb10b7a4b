"""The supervision page (监督): what the supervision group checks regularly (policy S1) and the
assessment figures for a period, per department and per person, with the chart and the exports
(policy S2), for the group and the administrator. Metadata only: numbers, kinds, departments,
deadlines, staff names; never content (policy C1)."""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta

from flask import Blueprint, Response, render_template, request
from flask_login import current_user, login_required
from markupsafe import Markup

from records import listing
from records.assessment import Period, assess
from records.assessment_export import (
    FIGURE_COLUMNS,
    cell_text,
    csv_text,
    figure_value,
    monthly_report,
    on_time_chart,
    xlsx_bytes,
)
from records.clock import utcnow
from records.errors import FieldProblem, PermissionDenied, ValidationFailed
from records.oversight.complaints import complaints_against
from records.owed_list import owed_rows
from records.visibility import sees_all_metadata
from webapp import services
from webapp.db import get_db
from webapp.paging import page_number

__all__ = ["bp", "may_supervise"]

bp = Blueprint("supervision", __name__, url_prefix="/supervision")

DUE_SOON_DAYS = 2  # calendar days ahead shown beside the overdue ones
CHART_MONTHS = 12
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
MONTH = re.compile(r"^(\d{4})-(\d{2})$")


def may_supervise(staff) -> bool:
    return sees_all_metadata(staff)  # the supervision group and the administrator


def _day(name: str) -> date | None:
    raw = request.args.get(name, "").strip()
    if not raw:
        return None
    try:
        return date.fromisoformat(raw)
    except ValueError:
        raise ValidationFailed(
            [FieldProblem(name, f"日期格式应为 YYYY-MM-DD：{raw}")]) from None


def _period() -> Period:
    """[start, end] from the query (school days, both included); default: this month."""
    month = Period.month_of(utcnow())
    first = _day("start") or month.first_day
    last = _day("end") or (month.last_day if first <= month.last_day else first)
    if last < first:
        raise ValidationFailed([FieldProblem("end", "结束日期不能早于开始日期。")])
    return Period.days(first, last)


def _month() -> tuple[int, int]:
    raw = request.args.get("month", "").strip()
    if not raw:
        local = Period.month_of(utcnow()).first_day
        return local.year, local.month
    found = MONTH.match(raw)
    if not found or not 1 <= int(found.group(2)) <= 12:
        raise ValidationFailed([FieldProblem("month", f"月份格式应为 YYYY-MM：{raw}")])
    return int(found.group(1)), int(found.group(2))


def _require_supervisor():
    me = current_user.staff
    if not may_supervise(me):
        raise PermissionDenied(me.login, "supervision", "只有监督小组和管理员可以查看监督页面。")
    return me


def _faults(period: Period) -> list[tuple[str, int | None]]:
    """policy S2: parent complaints found against a party count against it."""
    return [(dept, staff) for dept, staff, _ in
            complaints_against(get_db(), period.start, period.end)]


def _query(period: Period) -> dict:
    return {"start": period.first_day.isoformat(), "end": period.last_day.isoformat()}


@bp.route("/")
@login_required
def index():
    me = _require_supervisor()
    error, status = "", 200
    try:
        period = _period()
    except ValidationFailed as exc:  # shown beside the date boxes; the figures: this month
        period, status = Period.month_of(utcnow()), 400
        error = exc.problems[0].message_zh
    now, db = utcnow(), get_db()
    soon = listing.due_soon(db, me, now, now + timedelta(days=DUE_SOON_DAYS),
                            calendar=services().calendar).page(page_number("due_page"),
                                                               listing.PER_PAGE)
    chart = on_time_chart(db, period, now, months=CHART_MONTHS)
    owed, owed_total = owed_overdue(now, now + timedelta(days=DUE_SOON_DAYS))
    return render_template(
        "supervision/index.html", figures=assess(db, period, now, _faults(period)), period=period,
        query=_query(period), month=period.first_day.strftime("%Y-%m"),
        columns=FIGURE_COLUMNS, cell=cell_text, value=figure_value,
        chart=Markup(chart),  # noqa: S704 (records.charts escapes every text)
        due=soon,
        start=request.args.get("start", ""), end=request.args.get("end", ""),
        error=error, due_soon_days=DUE_SOON_DAYS, owed=owed, owed_total=owed_total), status


OWED_SHOWN = 100


def owed_overdue(now: datetime, until: datetime):
    """policy S1: obligations nobody has met, overdue or due before `until`, school-wide: the
    most urgent `OWED_SHOWN`, and how many there are."""
    obligations = services().obligations(get_db(), now)
    rows = owed_rows(get_db(), obligations.due_before(until, limit=OWED_SHOWN), now,
                     calendar=services().calendar)
    return rows, obligations.count_due_before(until)


def _download(data, mimetype: str, name: str) -> Response:
    return Response(data, mimetype=mimetype,
                    headers={"Content-Disposition": f"attachment; filename={name}"})


def _file_stem(period: Period) -> str:
    return f"handover-figures-{period.first_day.isoformat()}-{period.last_day.isoformat()}"


@bp.route("/figures.csv")
@login_required
def figures_csv():
    _require_supervisor()
    period = _period()
    # UTF-8 with BOM: Excel on the school's Windows PCs then reads the Chinese headers right.
    return _download(csv_text(assess(get_db(), period, utcnow(), _faults(period))), "text/csv",
                     f"{_file_stem(period)}.csv")


@bp.route("/figures.xlsx")
@login_required
def figures_xlsx():
    _require_supervisor()
    period = _period()
    figures = assess(get_db(), period, utcnow(), _faults(period))
    return _download(xlsx_bytes(figures), XLSX_TYPE, f"{_file_stem(period)}.xlsx")


@bp.route("/monthly.pdf")
@login_required
def monthly_pdf():
    _require_supervisor()
    year, month = _month()
    desk = services().form_desk
    pdf = monthly_report(get_db(), desk.renderer, year, month, utcnow(),
                         school_name=desk.school_name,
                         complaints=_faults(Period.month(year, month)))
    return _download(pdf, "application/pdf", f"handover-report-{year}-{month:02d}.pdf")
