"""The supervision page (监督): what the supervision group checks regularly (policy S1) and the
figures its assessment rests on (policy S2), for the group and the administrator. Metadata only:
numbers, kinds, departments, deadlines; never content (policy C1)."""

from __future__ import annotations

import csv
import io
from datetime import UTC, date, datetime, time, timedelta

from flask import Blueprint, Response, render_template, request
from flask_login import current_user, login_required

from records import listing
from records.clock import utcnow
from records.deadlines import SCHOOL_TZ
from records.errors import FieldProblem, PermissionDenied, ValidationFailed
from records.listing import due_and_overdue
from records.owed_list import owed_rows
from records.supervision import department_figures
from records.visibility import sees_all_metadata
from webapp import services
from webapp.db import get_db

__all__ = ["bp", "may_supervise"]

bp = Blueprint("supervision", __name__, url_prefix="/supervision")

DUE_SOON_DAYS = 2  # calendar days ahead shown beside the overdue ones
CSV_COLUMNS = (("department", "部门"), ("sent", "移交"), ("completed_on_time", "按时完成"),
               ("completed_late", "逾期完成"), ("open_overdue", "发出后对方逾期未签收"),
               ("waiting_overdue", "本部门逾期未签收"),
               ("returned", "被退回"), ("withdrawn", "撤回"), ("on_time_rate", "按时率"))


def may_supervise(staff) -> bool:
    return sees_all_metadata(staff)  # the supervision group and the administrator


def _since() -> tuple[str, datetime | None]:
    """The `since` filter: a date in the school's zone, or none (all time)."""
    raw = request.args.get("since", "").strip()
    if not raw:
        return "", None
    try:
        day = date.fromisoformat(raw)
    except ValueError:
        raise ValidationFailed(
            [FieldProblem("since", f"日期格式应为 YYYY-MM-DD：{raw}")]) from None
    return raw, datetime.combine(day, time(0), tzinfo=SCHOOL_TZ).astimezone(UTC)


def _require_supervisor():
    me = current_user.staff
    if not may_supervise(me):
        raise PermissionDenied(me.login, "supervision", "只有监督小组和管理员可以查看监督页面。")
    return me


@bp.route("/")
@login_required
def index():
    me = _require_supervisor()
    error, status = "", 200
    try:
        raw, since = _since()
    except ValidationFailed as exc:  # shown beside the date box; the figures fall back to all
        raw, since, status = request.args.get("since", ""), None, 400
        error = exc.problems[0].message_zh
    now = utcnow()
    soon = due_and_overdue(get_db(), now, now + timedelta(days=DUE_SOON_DAYS))
    owed = owed_overdue(now, now + timedelta(days=DUE_SOON_DAYS))
    return render_template(
        "supervision/index.html", figures=department_figures(get_db(), now, since),
        rows=listing.rows(me, soon, now, calendar=services().calendar), since=raw,
        error=error, due_soon_days=DUE_SOON_DAYS, owed=owed), status


def owed_overdue(now: datetime, until: datetime):
    """policy S1: obligations nobody has met, overdue or due before `until`, school-wide."""
    obligations = services().workflow(get_db()).obligations
    obligations.refresh(now)
    return owed_rows(get_db(), obligations.due_before(until), now,
                     calendar=services().calendar)


@bp.route("/figures.csv")
@login_required
def figures_csv():
    _require_supervisor()
    raw, since = _since()
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([label for _, label in CSV_COLUMNS])
    for f in department_figures(get_db(), utcnow(), since):
        row = f.as_dict()
        row["department"] = f.department.label_zh
        rate = row["on_time_rate"]
        row["on_time_rate"] = "" if rate is None else f"{rate:.0%}"
        writer.writerow([row[key] for key, _ in CSV_COLUMNS])
    name = f"handover-figures-{raw or 'all'}.csv"
    # UTF-8 with BOM: Excel on the school's Windows PCs then reads the Chinese headers right.
    return Response("\ufeff" + out.getvalue(), mimetype="text/csv",
                    headers={"Content-Disposition": f"attachment; filename={name}"})
