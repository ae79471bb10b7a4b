"""Pages of the class registry (班级): the list, the new-class form (academic affairs, policy
R-ACA) and a class's roster with enrolling and leaving (policy F4). A roster shows names, so
each view is recorded in the ledger with ids only (policy C2, C3)."""

from __future__ import annotations

from datetime import date

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from sqlalchemy import select

from records.class_registry import ACA_ONLY, Classes
from records.errors import Conflict, PermissionDenied, ValidationFailed
from records.students import Student
from webapp import services
from webapp.db import get_db

__all__ = ["bp"]

bp = Blueprint("classes", __name__, url_prefix="/classes")

WEEKDAYS = ("周一", "周二", "周三", "周四", "周五", "周六", "周日")
PICKER_LIMIT = 500  # the enrol select lists at most this many students; beyond, type 学号


def _me():
    return current_user.staff


def _classes() -> Classes:
    return services().classes(get_db())


def _require_manager() -> None:
    if not Classes.may_manage(_me()):
        raise PermissionDenied(_me().login, "class.manage", ACA_ONLY)


@bp.route("/")
@login_required
def index():
    classes = _classes()
    return render_template("classes/index.html", classes=classes.visible_classes(_me()),
                           can_manage=classes.may_manage(_me()))


# -- a new class -------------------------------------------------------------------------


def _int_or_none(value: str) -> int | None:
    return int(value) if value.isdigit() else None


def _date_or_problem(field: str, problems: dict[str, str]) -> date | None:
    value = request.form.get(field, "").strip()
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        problems[field] = "日期应为 YYYY-MM-DD 格式的有效日期。"
        return None


@bp.route("/new", methods=["GET", "POST"])
@login_required
def new():
    _require_manager()
    classes, problems, status = _classes(), {}, 200
    form = {k: request.form.get(k, "").strip() for k in
            ("name", "course", "teacher_id", "head_teacher_id", "starts_on", "ends_on")}
    if request.method == "POST":
        fields = (form["name"], form["course"], _int_or_none(form["teacher_id"]),
                  _int_or_none(form["head_teacher_id"]), _date_or_problem("starts_on", problems),
                  _date_or_problem("ends_on", problems))
        try:
            if problems:  # a bad date: show it with every other problem of the form
                raise ValidationFailed(classes.problems(*fields))
            school_class = classes.create(_me(), *fields)
        except ValidationFailed as exc:
            problems.update({p.field: p.message_zh for p in exc.problems})
            status = 400
        except Conflict as exc:
            problems["name"], status = exc.message_zh, 409
        else:
            flash(f"已建立班级“{school_class.name}”。", "success")
            return redirect(url_for("classes.detail", class_id=school_class.id))
    return render_template("classes/new.html", form=form, problems=problems,
                           teachers=classes.teachers()), status


# -- one class: roster, enrol, leave -----------------------------------------------------


def _detail_page(class_id: int, enrol_error: str | None = None, status: int = 200,
                 cycle_errors: dict[str, str] | None = None):
    classes = _classes()
    school_class = classes.get(_me(), class_id)  # NotFound (404) when not visible: policy C1
    roster = classes.roster(_me(), class_id)
    candidates = []
    if classes.may_manage(_me()):
        current = set(school_class.student_ids)
        candidates = [s for s in get_db().scalars(
            select(Student).order_by(Student.student_no).limit(PICKER_LIMIT + len(current)))
            if s.id not in current][:PICKER_LIMIT]
        if candidates:  # the select shows names too: record that view (policy C3), ids only
            services().ledger.append(actor=_me().login, action="student.list",
                                     reason="分班：选择学生", subject=f"class:{class_id}",
                                     context={"ids": [s.id for s in candidates],
                                              "via": "class-enrol"})
    return render_template("classes/detail.html", c=school_class, roster=roster,
                           candidates=candidates, can_manage=classes.may_manage(_me()),
                           enrol_error=enrol_error, numbers=request.form.get("student_nos", ""),
                           cycle_errors=cycle_errors or {}, weekdays=WEEKDAYS), status


@bp.route("/<int:class_id>")
@login_required
def detail(class_id: int):
    return _detail_page(class_id)


@bp.route("/<int:class_id>/enrol", methods=["POST"])
@login_required
def enrol(class_id: int):
    _require_manager()
    classes = _classes()
    numbers = request.form.get("student_nos", "").replace("，", " ").replace(",", " ").split()
    picked = [int(v) for v in request.form.getlist("student_id") if v.isdigit()]
    if not numbers and not picked:
        return _detail_page(class_id, "请输入学号或从列表中选择学生。", 400)
    try:
        ids = classes.student_ids_by_number(numbers) + picked
        added = classes.enrol(_me(), class_id, ids)
    except ValidationFailed as exc:
        return _detail_page(class_id, "；".join(p.message_zh for p in exc.problems), 400)
    flash(f"已加入 {len(added)} 名学生。" if added else "所选学生已在班级中。", "success")
    return redirect(url_for("classes.detail", class_id=class_id))


@bp.route("/<int:class_id>/leave/<int:student_id>", methods=["POST"])
@login_required
def leave(class_id: int, student_id: int):
    _require_manager()
    _classes().leave(_me(), class_id, student_id)
    flash("该学生已退出班级（记录保留）。", "success")
    return redirect(url_for("classes.detail", class_id=class_id))


@bp.route("/<int:class_id>/report-cycle", methods=["POST"])
@login_required
def report_cycle(class_id: int):
    """policy T3a: the class's fixed report time; the teacher then owes one F6 per period."""
    _require_manager()
    problems: dict[str, str] = {}
    cycle = {"weekday": _int_or_none(request.form.get("report_weekday", "").strip()),
             "hour": _int_or_none(request.form.get("report_hour", "").strip()),
             "weeks": _int_or_none(request.form.get("report_cycle_weeks", "").strip()),
             "first_week": _date_or_problem("report_first_week", problems)}
    try:
        if problems:  # a bad date: show it with every other problem of the form
            raise ValidationFailed([p for p in Classes.report_cycle_problems(**cycle)
                                    if p.field != "report_first_week"])
        _classes().set_report_cycle(_me(), class_id, **cycle)
    except ValidationFailed as exc:
        problems.update({p.field: p.message_zh for p in exc.problems})
        return _detail_page(class_id, status=400, cycle_errors=problems)
    saved = "已保存学习进度报告时间。" if cycle["weekday"] else "已取消该班的定期进度报告。"
    flash(saved, "success")
    return redirect(url_for("classes.detail", class_id=class_id))
